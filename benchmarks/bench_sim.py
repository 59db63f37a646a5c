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

Engines take turns: each repeat runs every engine once, and each engine's best wall and
CPU time (all threads) is kept, so that load from other work on the machine hits them alike.

The script also measures this machine's memory bandwidth (one read-and-write pass over an
array the size of the state) and its peak floating-point rate (numba-compiled multiply-adds
in registers), and prints, per case, Kuafu's time per gate against that pass and two
roofline fractions. `roofline`: the lower bound of the plan Kuafu executes, the larger of
(its passes over the state: one per kernel call, plus one for the initial state and the
sampling, x one measured pass) and (the FLOPs its kernels execute, e.g. 32 per amplitude
for a dense 4x4 group of a fused block, / the measured peak), divided by Kuafu's time: at
most 100 % as long as each pass costs at least one measured pass. `2q plan`: the same bound
for qsim's default plan (gates fused into blocks of at most two qubits, one pass each),
divided by Kuafu's time: above 100 % means Kuafu beats any implementation of that plan.

    .venv/bin/python benchmarks/bench_sim.py --cases qv,qsim --sizes 20,24,26,28
"""

from __future__ import annotations

import argparse
import contextlib
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
from kuafu.sim._simd import fma_rounds  # noqa: E402
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
def _fma_chains(x, rounds, m, c):
    """Each row of x: 16 independent vectors, 8 chained multiply-adds each per round, in the
    512-bit vectors of the simulator's kernels (`kuafu.sim._simd.fma_rounds`)."""
    for t in numba.prange(x.shape[0]):
        fma_rounds(x[t], rounds, m, c)


def peak_flops(dtype, threads: int, repeats: int = 5) -> float:
    """Measured floating-point operations per second (a multiply-add counts 2) in the vectors
    the simulator's kernels use (explicit 512-bit vectors: 16 floats, 8 doubles), two rows
    per thread, in the state's real type: the bound the arithmetic kernels can reach.

    Until issue 20's vector kernels this was an auto-vectorised numba loop, which LLVM keeps
    to 256-bit vectors on AVX-512 machines (half this rate in single precision here)."""
    real = np.float32 if dtype == np.complex64 else np.float64
    lanes = 16 if real == np.float32 else 8
    x = np.full((threads * 2, 16 * lanes), 0.5, dtype=real)
    m, c = real(0.999), real(1e-3)
    rounds = 400_000  # about 20-40 ms a run: long enough to ride out scheduling noise
    _fma_chains(x, 10, m, c)
    seconds = _best(lambda: _fma_chains(x, rounds, m, c), max(repeats, 7))
    return x.size * 8 * 2 * rounds / seconds


# Real floating-point operations per amplitude a kernel touches (a multiply-add counts 2): a
# complex multiply-add is 8, a complex product by a phase 6.
_BLOCK_OP_FLOPS = {0: 8.0, 1: 16.0, 2: 6.0}


def plan_cost(n: int, ops, precision: str) -> tuple[int, float]:
    """(passes over the state, floating-point operations) of the program Kuafu compiles for
    this circuit: one pass per kernel call, plus one for the initial state and the sampling
    (a write and a read); FLOPs as the kernels execute them (fused blocks, not gate by gate):
    per amplitude touched, a real rotation 8, a complex 2x2 16, a phase 6, real rotations on
    r qubits in one sweep 8r (after phases: 8r + 6), a dense 2**t x 2**t group 8 * 2**t;
    streaming kernels alike."""
    from kuafu.sim.statevector import compile_statevector

    prepare, _ = kuafu_runner(precision)
    program = compile_statevector(prepare(n, ops), precision=precision)
    size = 2.0**n
    passes, flops = 1, 0.0
    for step in program.steps:
        for kernel, args in step.calls:
            passes += 1
            name = getattr(kernel, "__name__", "")
            if name == "_apply_block":
                qubits, kinds, _, row_count, _, _, _, _, aux = args[:9]
                dim = 1 << len(qubits)
                for kind, count, a in zip(kinds.tolist(), row_count.tolist(), aux.tolist(),
                                          strict=True):
                    per_amp = (_BLOCK_OP_FLOPS.get(kind) or (8.0 * a if kind == 4 else
                                                             8.0 * a + 6.0 if kind == 5 else
                                                             8.0 * (1 << a)))
                    flops += per_amp * count / dim * size
            elif name == "apply_1q":
                flops += 16 * size
            elif name == "apply_dense":
                flops += 8 * (1 << len(args[0])) * size
            elif name == "apply_controlled_1q":
                flops += 16 * size / (1 << (len(args[0]) - 1))
            elif name in ("apply_diagonal", "apply_monomial"):
                flops += 6 * size
            elif name == "apply_phase_gates":
                flops += 12 * size
    return passes, flops


def two_qubit_plan_cost(n: int, ops) -> tuple[int, float]:
    """(passes, FLOPs) of the plan qsim runs by default: gates fused into blocks of at most
    two qubits, one streaming pass each (a dense 2-qubit block 32 FLOPs per amplitude, a
    1-qubit one 16, diagonal 6, permutations none), plus one pass as in `plan_cost`."""
    from kuafu.sim.fusion import CostModel, GateKind, fuse

    prepare, _ = kuafu_runner("double")
    qc = prepare(n, ops)
    gates = [(i.matrix(), i.qubits) for i in qc.instructions if i.name != "measure"]
    fused = fuse(gates, CostModel(dense=(0.0, 1.0, 1.0), max_qubits=2))
    per_amp = {GateKind.IDENTITY: 0.0, GateKind.MONOMIAL: 0.0, GateKind.DIAGONAL: 6.0}
    flops = sum(per_amp.get(g.kind, 8.0 * (1 << len(g.qubits))) for g in fused) * 2.0**n
    return 1 + sum(g.kind is not GateKind.IDENTITY for g in fused), flops


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

    print("\n## times (s), best of the repeats, engines taking turns within each repeat; ratio "
          "peer/Kuafu (>1: Kuafu faster), by wall time and by CPU time (all threads);")
    print("## plan: Kuafu's passes over the state and GFLOPs (complex128); roofline: the larger "
          "of (passes x one measured pass) and (FLOPs / measured peak), as a fraction of "
          "Kuafu's time (c128, c64); 2q plan: the same bound for qsim-style two-qubit fusion "
          "(one pass per fused gate), as a fraction of Kuafu's time")
    header = f"{'case':<7} {'n':>3} {'gates':>6} " + " ".join(f"{e:>12}" for e in engines)
    header += ("  ratios (wall; cpu)".ljust(40) + "per-gate/pass (c128, c64)  "
               "plan (passes, GFLOP)  roofline (c128, c64)  2q plan (c128, c64)")
    print(header)
    skip: set[tuple[str, str]] = set()
    for case in cases:
        for n in sizes:
            ops = CASES[case](n)
            live = {name: e for name, e in engines.items() if (name, case) not in skip}
            best = _time_engines(live, n, ops, args.repeats, args.slow_limit)
            times = {name: best.get(name, (math.nan, math.nan))[0] for name in engines}
            cpu = {name: best.get(name, (math.nan, math.nan))[1] for name in engines}
            for name, t in times.items():
                if t > args.slow_limit:
                    skip.add((name, case))
            ratios = []
            for name, (_, _, ref) in engines.items():
                if ref is not None:
                    ratios.append(f"{name.split('-')[0]} {times[name] / times[ref]:.2f}x; "
                                  f"{cpu[name] / cpu[ref]:.2f}x")
            per_gate = [
                times["kuafu-c128"] / len(ops) / passes[(n, 16)],
                times["kuafu-c64"] / len(ops) / passes[(n, 8)],
            ]
            roof, two_q = [], []
            plan = plan_cost(n, ops, "double")
            plan2 = two_qubit_plan_cost(n, ops)
            for engine, size, precision in (("kuafu-c128", 16, "double"),
                                            ("kuafu-c64", 8, "single")):
                n_passes, flops = plan_cost(n, ops, precision)
                bound = max(n_passes * passes[(n, size)], flops / peaks[size])
                roof.append(bound / times[engine])
                bound2 = max(plan2[0] * passes[(n, size)], plan2[1] / peaks[size])
                two_q.append(bound2 / times[engine])
            print(f"{case:<7} {n:>3} {len(ops):>6} "
                  + " ".join(f"{times[e]:>12.3f}" for e in engines)
                  + "  " + ", ".join(ratios).ljust(38)
                  + f"  {per_gate[0]:.3f}, {per_gate[1]:.3f}".ljust(27)
                  + f"  {plan[0]}, {plan[1] / 1e9:.1f}".ljust(22)
                  + f"  {roof[0]:.0%}, {roof[1]:.0%}".ljust(23)
                  + f"  {two_q[0]:.0%}, {two_q[1]:.0%}")
            sys.stdout.flush()
    return 0


def _time_engines(engines, n, ops, repeats, slow_limit) -> dict[str, tuple[float, float]]:
    """Best (wall, CPU) seconds per engine; in each repeat every engine runs once, in turn,
    so that a burst of load from other work slows them alike. An engine whose run took
    longer than `slow_limit` / `repeats` is not run again."""
    prepared = {}
    for name, (prepare, _, _) in engines.items():
        with contextlib.suppress(MemoryError):
            prepared[name] = prepare(n, ops)
    best = {name: (math.inf, math.inf) for name in prepared}
    for _ in range(repeats):
        for name, item in prepared.items():
            if slow_limit / repeats < best[name][0] < math.inf:
                continue
            t, c = time.perf_counter(), time.process_time()
            engines[name][1](item)
            wall, used = time.perf_counter() - t, time.process_time() - c
            best[name] = (min(best[name][0], wall), min(best[name][1], used))
    return best


def _warm_up(engines) -> None:
    """Compile Kuafu's kernels (or load them from numba's cache) and start every peer once."""
    for case in CASES.values():
        for prepare, run, _ in engines.values():
            run(prepare(14, case(14)))


if __name__ == "__main__":
    raise SystemExit(main())
