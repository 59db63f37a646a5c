"""Time Kuafu's statevector engine against its peers on the same circuits, in one process.

    .venv/bin/python benchmarks/bench_sim.py                 # 16..28 qubits, best of 3
    .venv/bin/python benchmarks/bench_sim.py --quick         # 16 and 20 qubits
    .venv/bin/python benchmarks/bench_sim.py --max-qubits 24 --threads 2

Cases (1000 shots, all qubits measured at the end): QFT, random brickwork (20 layers of U3
on every qubit, then CX between neighbours on alternating pairs), GHZ, Quantum Volume
(`qv`: n layers of random two-qubit blocks on random pairs, as U3 and CX) and qsim's own
benchmark circuits (`qsim`: supremacy-style grid circuits like its circuit_q24/q30).
Peers: Qiskit Aer (statevector, its default fusion), qulacs and qsim (qsimcirq) where they
are installed. Like is compared with like: Kuafu complex128 against Aer and qulacs, Kuafu
complex64 against qsim, which computes in single precision. Every engine gets the same thread count.

The script also measures this machine's memory bandwidth (one read-and-write pass over an
array the size of the state) and its peak floating-point rate (multiply-adds in registers),
and prints, per case, Kuafu's time per gate against that pass and the roofline fraction:
the larger of (Kuafu's kernel passes x one measured pass) and (the circuit's FLOPs gate by
gate / the measured peak), divided by Kuafu's time.

    .venv/bin/python benchmarks/bench_sim.py --cases qv,qsim --sizes 20,24,26,28
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

THREADS_DEFAULT = 2


def _set_threads(threads: int) -> None:
    for var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "QULACS_NUM_THREADS"):
        os.environ[var] = str(threads)


def _early_threads() -> int:
    for i, arg in enumerate(sys.argv):
        if arg == "--threads" and i + 1 < len(sys.argv):
            return int(sys.argv[i + 1])
        if arg.startswith("--threads="):
            return int(arg.split("=", 1)[1])
    return THREADS_DEFAULT


_set_threads(_early_threads())  # before numba, OpenMP runtimes or Aer are loaded

import numba  # noqa: E402
import numpy as np  # noqa: E402

from kuafu.circuit import QuantumCircuit  # noqa: E402
from kuafu.circuit.gates import u3_matrix  # noqa: E402
from kuafu.sim import _kernels  # noqa: E402
from kuafu.sim.statevector import run_statevector  # noqa: E402

SHOTS = 1000

# ------------------------------------------------------------------------------ circuits


def qft_ops(n: int) -> list[tuple[str, tuple[int, ...], tuple[float, ...]]]:
    ops = []
    for j in range(n - 1, -1, -1):
        ops.append(("h", (j,), ()))
        for k in range(j - 1, -1, -1):
            ops.append(("cp", (k, j), (math.pi / 2 ** (j - k),)))
    for q in range(n // 2):
        ops.append(("swap", (q, n - 1 - q), ()))
    return ops


def random_ops(n: int, layers: int = 20, seed: int = 7):
    rng = np.random.default_rng(seed)
    ops = []
    for layer in range(layers):
        for q in range(n):
            ops.append(("u3", (q,), tuple(float(x) for x in rng.uniform(0, 2 * math.pi, 3))))
        for q in range(layer % 2, n - 1, 2):
            ops.append(("cx", (q, q + 1), ()))
    return ops


def ghz_ops(n: int):
    return [("h", (0,), ())] + [("cx", (q, q + 1), ()) for q in range(n - 1)]


def qv_ops(n: int, seed: int = 11):
    """Quantum Volume, n qubits and n layers, as Qiskit compiles it to [u, cx]: each layer
    pairs the qubits at random and applies a random two-qubit block to each pair (U3 on
    both, CX, U3 on both, CX, U3 on both, CX, U3 on both: the shape of a KAK decomposition)."""
    rng = np.random.default_rng(seed)
    ops = []
    for _ in range(n):
        order = rng.permutation(n)
        for a, b in zip(order[0::2], order[1::2], strict=False):
            pair = (int(a), int(b))
            for step in range(4):
                for q in pair:
                    ops.append(("u3", (q,), tuple(float(x)
                                                  for x in rng.uniform(0, 2 * math.pi, 3))))
                if step < 3:
                    ops.append(("cx", pair, ()))
    return ops


_SQRT_X = (math.pi / 2, -math.pi / 2, math.pi / 2)
_SQRT_Y = (math.pi / 2, 0.0, 0.0)
_T = (0.0, 0.0, math.pi / 4)


def qsim_ops(n: int, cycles: int = 14, seed: int = 5):
    """qsim's benchmark circuits (`circuit_q24`, `circuit_q30`: Google's supremacy-style
    random circuits): H on every qubit, then `cycles` cycles of CZ on one of eight grid
    patterns and, on the qubits that had a CZ in the previous cycle but have none now, a
    random sqrt(X), sqrt(Y) or T (never the same twice in a row), on a grid of n qubits
    (5 columns when n allows, as circuit_q30's 5 x 6, else 4, 6, 3 or 2). The single-qubit
    gates are written as U3 for every engine."""
    rng = np.random.default_rng(seed)
    cols = next(c for c in (5, 4, 6, 3, 2, 1) if n % c == 0)
    rows = n // cols
    patterns = []
    for horizontal in (True, False):
        for parity in (0, 1):
            for shift in (0, 1):
                pairs = []
                for r in range(rows):
                    for c in range(cols):
                        if horizontal and c + 1 < cols and (c + r * shift) % 2 == parity:
                            pairs.append((r * cols + c, r * cols + c + 1))
                        if (not horizontal and r + 1 < rows
                                and (r + c * shift) % 2 == parity):
                            pairs.append((r * cols + c, (r + 1) * cols + c))
                patterns.append(pairs)
    ops = [("h", (q,), ()) for q in range(rows * cols)]
    last = [None] * (rows * cols)
    busy_before: set[int] = set()
    for cycle in range(cycles):
        pairs = patterns[cycle % len(patterns)]
        busy = {q for pair in pairs for q in pair}
        for q in sorted(busy_before - busy):
            choices = [g for g in (_SQRT_X, _SQRT_Y, _T) if g is not last[q]]
            gate = choices[int(rng.integers(len(choices)))]
            last[q] = gate
            ops.append(("u3", (q,), gate))
        ops.extend(("cz", pair, ()) for pair in pairs)
        busy_before = busy
    return ops


CASES = {"qft": qft_ops, "random": random_ops, "ghz": ghz_ops, "qv": qv_ops,
         "qsim": qsim_ops}

# ------------------------------------------------------------------------------ engines


def kuafu_runner(precision: str):
    def prepare(n, ops):
        qc = QuantumCircuit(n, n)
        for name, qubits, params in ops:
            getattr(qc, name)(*params, *qubits)
        qc.measure(range(n), range(n))
        return qc

    def run(qc):
        return run_statevector(qc, SHOTS, precision=precision, seed=1)

    return prepare, run


def aer_runner(threads: int):
    from qiskit import QuantumCircuit as QiskitCircuit
    from qiskit_aer import AerSimulator

    sim = AerSimulator(method="statevector", precision="double",
                       max_parallel_threads=threads, max_parallel_experiments=1)

    def prepare(n, ops):
        qc = QiskitCircuit(n, n)
        for name, qubits, params in ops:
            if name == "u3":
                qc.u(*params, *qubits)
            else:
                getattr(qc, name)(*params, *qubits)
        qc.measure(range(n), range(n))
        return qc

    def run(qc):
        result = sim.run(qc, shots=SHOTS, seed_simulator=1).result()
        if not result.success:
            raise RuntimeError(result.status)
        return result

    return prepare, run


def qulacs_runner():
    import qulacs
    from qulacs.gate import DenseMatrix

    def prepare(n, ops):
        circuit = qulacs.QuantumCircuit(n)
        for name, qubits, params in ops:
            if name == "h":
                circuit.add_H_gate(qubits[0])
            elif name == "cx":
                circuit.add_CNOT_gate(*qubits)
            elif name == "cz":
                circuit.add_CZ_gate(*qubits)
            elif name == "swap":
                circuit.add_SWAP_gate(*qubits)
            elif name == "u3":
                circuit.add_dense_matrix_gate(qubits[0], u3_matrix(*params))
            elif name == "cp":
                gate = DenseMatrix(qubits[1], np.diag([1, np.exp(1j * params[0])]))
                gate.add_control_qubit(qubits[0], 1)
                circuit.add_gate(gate)
        return n, circuit

    def run(prepared):
        n, circuit = prepared
        state = qulacs.QuantumState(n)
        circuit.update_quantum_state(state)
        return state.sampling(SHOTS, 1)

    return prepare, run


def qsim_runner(threads: int):
    import cirq
    import qsimcirq

    sim = qsimcirq.QSimSimulator(qsimcirq.QSimOptions(cpu_threads=threads))

    def prepare(n, ops):
        q = cirq.LineQubit.range(n)
        moments = []
        for name, qubits, params in ops:
            if name == "h":
                moments.append(cirq.H(q[qubits[0]]))
            elif name == "cx":
                moments.append(cirq.CNOT(q[qubits[0]], q[qubits[1]]))
            elif name == "cz":
                moments.append(cirq.CZ(q[qubits[0]], q[qubits[1]]))
            elif name == "swap":
                moments.append(cirq.SWAP(q[qubits[0]], q[qubits[1]]))
            elif name == "u3":
                moments.append(cirq.MatrixGate(u3_matrix(*params)).on(q[qubits[0]]))
            elif name == "cp":
                moments.append(cirq.CZPowGate(exponent=params[0] / math.pi)
                               .on(q[qubits[0]], q[qubits[1]]))
        moments.append(cirq.measure(*q, key="m"))
        return cirq.Circuit(moments)

    def run(circuit):
        return sim.run(circuit, repetitions=SHOTS)

    return prepare, run


# ------------------------------------------------------------------------------ bandwidth


@numba.njit(parallel=True, cache=True, fastmath=True)
def _read_write_pass(a):
    for i in numba.prange(a.size):
        a[i] = a[i] * 0.9999999


def bandwidth_and_gate(n: int, dtype, repeats: int) -> tuple[float, float, float]:
    """(pass, 1q gate on the middle qubit, 1q gate on the top qubit), seconds, best of
    `repeats` rounds in which the three are timed one after the other (so a busy machine
    slows them alike)."""
    state = np.zeros(1 << n, dtype=dtype)
    state[0] = 1
    floats = state.view(state.real.dtype)
    m = np.array([[0.6, 0.8j], [0.8j, 0.6]], dtype=dtype)
    _read_write_pass(floats)
    _kernels.apply_1q(state, 0, m)
    best = [math.inf] * 3
    for _ in range(repeats):
        for i, fn in enumerate((lambda: _read_write_pass(floats),
                                lambda: _kernels.apply_1q(state, n // 2, m),
                                lambda: _kernels.apply_1q(state, n - 1, m))):
            best[i] = min(best[i], _best(fn, 1))
    return best[0], best[1], best[2]


@numba.njit(parallel=True, cache=True, fastmath=True)
def _fma_chains(x, rounds):
    """Multiply-adds on 32 independent lanes per task (vectorised, in registers or L1)."""
    for t in numba.prange(x.shape[0]):
        v = x[t, :32].copy()
        m = x[t, 32]
        c = x[t, 33]
        for _ in range(rounds):
            for lane in range(32):
                v[lane] = v[lane] * m + c
        x[t, :32] = v


def peak_flops(dtype, threads: int, repeats: int = 5) -> float:
    """Measured floating-point operations per second: multiply-adds on 32 lanes per task,
    two tasks per thread, in the state's real type."""
    real = np.float32 if dtype == np.complex64 else np.float64
    x = np.full((threads * 2, 34), 0.5, dtype=real)
    x[:, 32] = 0.999
    x[:, 33] = 1e-3
    rounds = 1_000_000
    _fma_chains(x, 10)
    seconds = _best(lambda: _fma_chains(x, rounds), repeats)
    return x.shape[0] * 32 * 2 * rounds / seconds


def circuit_flops(n: int, ops) -> float:
    """Floating-point operations of the circuit applied gate by gate: a dense k-qubit gate
    8 * 2**k per amplitude (2**k complex multiply-adds), a controlled phase or CZ 6 on the
    quarter of the amplitudes it changes, permutations (CX, SWAP) none."""
    per_amp = {"h": 16, "u3": 16, "cx": 0, "swap": 0, "cp": 6 / 4, "cz": 6 / 4}
    return sum(per_amp[name] for name, _, _ in ops) * 2.0**n


def kuafu_passes(n: int, ops, precision: str) -> int:
    """Kernel passes over the state Kuafu's compiled program makes (fused blocks)."""
    from kuafu.sim.statevector import compile_statevector

    prepare, _ = kuafu_runner(precision)
    return compile_statevector(prepare(n, ops), precision=precision).num_fused


def _best(fn, repeats: int) -> float:
    best = math.inf
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


# ------------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-qubits", type=int, default=28)
    parser.add_argument("--sizes", type=str, default="16,20,24,26,28")
    parser.add_argument("--quick", action="store_true", help="16 and 20 qubits only")
    parser.add_argument("--threads", type=int, default=THREADS_DEFAULT)
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs")
    parser.add_argument("--slow-limit", type=float, default=60.0,
                        help="a run slower than this (s) is not repeated, and larger sizes "
                             "of that engine and case are skipped")
    parser.add_argument("--cases", type=str, default="qft,random,ghz")
    parser.add_argument("--peers", type=str, default="aer,qulacs,qsim")
    args = parser.parse_args(argv)

    numba.set_num_threads(args.threads)
    sizes = [16, 20] if args.quick else [int(s) for s in args.sizes.split(",")]
    sizes = [s for s in sizes if s <= args.max_qubits]
    cases = [c for c in args.cases.split(",") if c]

    engines: dict[str, tuple] = {
        "kuafu-c128": (*kuafu_runner("double"), None),
        "kuafu-c64": (*kuafu_runner("single"), None),
    }
    missing = []
    for peer in args.peers.split(","):
        try:
            if peer == "aer":
                engines["aer-c128"] = (*aer_runner(args.threads), "kuafu-c128")
            elif peer == "qulacs":
                engines["qulacs-c128"] = (*qulacs_runner(), "kuafu-c128")
            elif peer == "qsim":
                engines["qsim-c64"] = (*qsim_runner(args.threads), "kuafu-c64")
        except ImportError as exc:
            missing.append(f"{peer} ({exc})")

    print(f"# bench_sim: {args.threads} threads, {SHOTS} shots, best of {args.repeats}; "
          f"numba {numba.__version__}, numpy {np.__version__}")
    for m in missing:
        print(f"# not installed, skipped: {m}")
    if cases:
        _warm_up(engines)
    else:
        _kernels.apply_1q(np.zeros(2, np.complex128), 0, np.eye(2, dtype=np.complex128))

    print("\n## memory bandwidth (one read+write pass over a state-sized array)")
    print(f"{'qubits':>6} {'c128 pass s':>12} {'GB/s':>6} {'c64 pass s':>11} {'GB/s':>6} "
          f"{'1q gate/pass c128 (q mid, top)':>32} {'c64 (mid, top)':>16}")
    passes = {}
    for n in sizes:
        row = []
        ratios = []
        for dtype in (np.complex128, np.complex64):
            t, mid, top = bandwidth_and_gate(n, dtype, max(args.repeats, 10 if n < 26 else 5))
            passes[(n, np.dtype(dtype).itemsize)] = t
            row += [t, 2 * np.dtype(dtype).itemsize * 2**n / t / 1e9]
            ratios += [mid / t, top / t]
        print(f"{n:>6} {row[0]:>12.4f} {row[1]:>6.1f} {row[2]:>11.4f} {row[3]:>6.1f} "
              f"{ratios[0]:>21.2f}x {ratios[1]:>8.2f}x {ratios[2]:>8.2f}x {ratios[3]:>6.2f}x")
        sys.stdout.flush()
    if not cases:
        return 0
    peaks = {16: peak_flops(np.complex128, args.threads), 8: peak_flops(np.complex64,
                                                                         args.threads)}
    print(f"\n## peak floating-point rate (multiply-adds in registers, {args.threads} threads): "
          f"double {peaks[16] / 1e9:.1f} GFLOP/s, single {peaks[8] / 1e9:.1f} GFLOP/s")

    print("\n## times (s) and ratio peer/Kuafu (>1: Kuafu faster); Kuafu per gate vs one pass;"
          " roofline: the larger of (Kuafu's passes x one measured pass) and (the circuit's"
          " FLOPs / measured peak), as a fraction of Kuafu's time")
    header = f"{'case':<7} {'n':>3} {'gates':>6} " + " ".join(f"{e:>12}" for e in engines)
    header += "  ratios" + " " * 30 + "kuafu per-gate/pass (c128, c64)  roofline (c128, c64)"
    print(header)
    skip: set[tuple[str, str]] = set()
    for case in cases:
        for n in sizes:
            ops = CASES[case](n)
            times = {}
            for name, (prepare, run, _) in engines.items():
                if (name, case) in skip:
                    times[name] = math.nan
                    continue
                times[name] = _time_engine(prepare, run, n, ops, args.repeats, args.slow_limit)
                if times[name] > args.slow_limit:
                    skip.add((name, case))
            ratios = []
            for name, (_, _, ref) in engines.items():
                if ref is not None:
                    ratios.append(f"{name.split('-')[0]} {times[name] / times[ref]:.2f}x")
            per_gate = [
                times["kuafu-c128"] / len(ops) / passes[(n, 16)],
                times["kuafu-c64"] / len(ops) / passes[(n, 8)],
            ]
            roof = []
            for engine, size, precision in (("kuafu-c128", 16, "double"),
                                            ("kuafu-c64", 8, "single")):
                bound = max(kuafu_passes(n, ops, precision) * passes[(n, size)],
                            circuit_flops(n, ops) / peaks[size])
                roof.append(bound / times[engine])
            print(f"{case:<7} {n:>3} {len(ops):>6} "
                  + " ".join(f"{times[e]:>12.3f}" for e in engines)
                  + "  " + ", ".join(ratios).ljust(36)
                  + f"  {per_gate[0]:.3f}, {per_gate[1]:.3f}".ljust(33)
                  + f"  {roof[0]:.0%}, {roof[1]:.0%}")
            sys.stdout.flush()
    return 0


def _time_engine(prepare, run, n, ops, repeats, slow_limit) -> float:
    try:
        prepared = prepare(n, ops)
    except MemoryError:
        return math.nan
    best = math.inf
    for _ in range(repeats):
        t = time.perf_counter()
        run(prepared)
        best = min(best, time.perf_counter() - t)
        if best > slow_limit / repeats:
            break
    return best


def _warm_up(engines) -> None:
    """Compile Kuafu's kernels (or load them from numba's cache) and start every peer once."""
    for case in CASES.values():
        for prepare, run, _ in engines.values():
            run(prepare(14, case(14)))


if __name__ == "__main__":
    raise SystemExit(main())
