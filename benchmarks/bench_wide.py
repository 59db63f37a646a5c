"""Wide-circuit benchmark: Kuafu's MPS engine against Qiskit Aer's matrix_product_state method
(and quimb's circuit MPS when it is installed), same circuits, one process, same threads.

Cases (issue 14), all qubits measured, 4000 shots:

* ``ki-N-dD``: 1D kicked Ising chain of N qubits, D steps of RX(0.6) on every qubit then
  RZZ(0.5) on even and odd neighbour pairs (bond dimension grows ~2x per step until the
  truncation threshold bites);
* ``qaoa-pP``: QAOA for MaxCut on the ScQ-P136 coupling graph (136 qubits, 247 edges),
  p = 1..3 layers of RZZ(gamma) on every coupler and RX(beta) mixers, with a bond cap;
* ``ghz136``: GHZ on 136 qubits with a non-Clifford phase (RZ(0.1 q)) on every qubit: the
  exact answer is half 0...0, half 1...1;
* ``rand-chip-L``: L layers of random U3 on every qubit and CZ on one colour class of the
  chip's couplers (the four classes in turn), 136 qubits.

Both engines get the same truncation threshold and bond cap (Aer's
``matrix_product_state_truncation_threshold`` and ``..._max_bond_dimension``). Aer runs a
circuit transpiled beforehand (not timed) to its basis; Kuafu's time is the whole
``run_mps`` call (planning, evolution, sampling). Times are the best of ``--repeat`` runs
after a warm-up. The error column is the total-variation distance of Kuafu's counts to the
exact distribution where it is known (GHZ), and Kuafu's fidelity estimate otherwise.

The noisy case runs the 50-qubit kicked Ising chain of depth 8 with ScQ-P136's calibrated
noise (compiled to the chip, the chip's noise model on the qubits it uses), 2000 shots.

    .venv/bin/python benchmarks/bench_wide.py [--repeat 2] [--quick] [--cases ki,ghz]
"""

from __future__ import annotations

import argparse
import math
import os
import time

THREADS = 2
for _var in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, str(THREADS))
# One BLAS/LAPACK thread per call: at MPS sizes (matrices up to a few hundred rows) a second
# OpenBLAS thread made SVDs slower here, and under load (a shared 2-core machine) 10-20x
# slower (spinning threads). Aer does not use OpenBLAS (its own SVD, OpenMP threads).
for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from kuafu.circuit import QuantumCircuit  # noqa: E402
from kuafu.sim.mps import MPSOptions, run_mps  # noqa: E402
from kuafu.sim.result import counts_from_bits  # noqa: E402

SHOTS = 4000
THRESHOLD = 1e-10


# ----- circuits ----------------------------------------------------------------------------
def kicked_ising(n: int, depth: int, kick: float = 0.6, zz: float = 0.5) -> QuantumCircuit:
    qc = QuantumCircuit(n, n)
    for _ in range(depth):
        for q in range(n):
            qc.rx(kick, q)
        for start in (0, 1):
            for q in range(start, n - 1, 2):
                qc.rzz(zz, q, q + 1)
    qc.measure(list(range(n)), list(range(n)))
    return qc


def chip_edges() -> tuple[int, list[tuple[int, int]]]:
    from kuafu.devices import get

    device = get("ScQ-P136")
    return device.num_qubits, [tuple(e) for e in device.couplers]


def qaoa(p: int) -> QuantumCircuit:
    n, edges = chip_edges()
    qc = QuantumCircuit(n, n)
    for q in range(n):
        qc.h(q)
    for layer in range(p):
        gamma, beta = 0.4 + 0.1 * layer, 0.7 - 0.1 * layer
        for a, b in edges:
            qc.rzz(gamma, a, b)
        for q in range(n):
            qc.rx(2 * beta, q)
    qc.measure(list(range(n)), list(range(n)))
    return qc


def ghz_phases(n: int = 136) -> QuantumCircuit:
    qc = QuantumCircuit(n, n)
    qc.h(0)
    for q in range(n - 1):
        qc.cx(q, q + 1)
    for q in range(n):
        qc.rz(0.1 * q, q)
    qc.measure(list(range(n)), list(range(n)))
    return qc


def edge_classes(edges: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """Greedy colouring of the couplers into matchings (four on a grid)."""
    classes: list[list[tuple[int, int]]] = []
    used: list[set[int]] = []
    for a, b in edges:
        for cls, busy in zip(classes, used, strict=True):
            if a not in busy and b not in busy:
                cls.append((a, b))
                busy.update((a, b))
                break
        else:
            classes.append([(a, b)])
            used.append({a, b})
    return classes


def random_chip(layers: int, seed: int = 5) -> QuantumCircuit:
    n, edges = chip_edges()
    classes = edge_classes(edges)
    rng = np.random.default_rng(seed)
    qc = QuantumCircuit(n, n)
    for layer in range(layers):
        for q in range(n):
            qc.u3(*(float(x) for x in rng.uniform(0, 2 * math.pi, 3)), q)
        for a, b in classes[layer % len(classes)]:
            qc.cz(a, b)
    qc.measure(list(range(n)), list(range(n)))
    return qc


# ----- engines -----------------------------------------------------------------------------
def to_qiskit(qc: QuantumCircuit):
    import qiskit

    out = qiskit.QuantumCircuit(qc.num_qubits, qc.num_clbits)
    for inst in qc.instructions:
        params = [float(p) for p in inst.params]
        if inst.name == "measure":
            out.measure(inst.qubits[0], inst.clbits[0])
        elif inst.name == "u3":
            out.u(*params, *inst.qubits)
        else:
            getattr(out, inst.name)(*params, *inst.qubits)
    return out


def run_kuafu(qc: QuantumCircuit, cap: int | None, seed: int = 1):
    opts = MPSOptions(max_bond_dimension=cap, truncation_threshold=THRESHOLD)
    start = time.perf_counter()
    bits, timings, info = run_mps(qc, SHOTS, None, np.random.default_rng(seed), options=opts)
    return time.perf_counter() - start, bits, timings, info


def aer_runner(qc: QuantumCircuit, cap: int | None):
    import qiskit
    from qiskit_aer import AerSimulator

    options = {"matrix_product_state_truncation_threshold": THRESHOLD,
               "max_parallel_threads": THREADS}
    if cap:
        options["matrix_product_state_max_bond_dimension"] = cap
    sim = AerSimulator(method="matrix_product_state", **options)
    circuit = qiskit.transpile(to_qiskit(qc), basis_gates=["u", "cx", "cz", "rzz", "swap"],
                               optimization_level=0)

    def run():
        start = time.perf_counter()
        result = sim.run(circuit, shots=SHOTS, seed_simulator=1).result()
        return time.perf_counter() - start, result.get_counts()

    return run


def best(fn, repeat: int, slow: float = 5.0):
    """Best of `repeat` runs after a warm-up; a run slower than `slow` seconds counts once
    (warm-up effects are noise at that length)."""
    first = fn()
    if first[0] > slow:
        return first
    runs = [fn() for _ in range(repeat)]
    return min(runs, key=lambda r: r[0])


# ----- table -------------------------------------------------------------------------------
def cases(quick: bool, names: set[str] | None):
    out = []
    ki = [(50, 5), (50, 10), (100, 5), (100, 10)] if quick else [
        (50, 5), (50, 10), (50, 20), (100, 5), (100, 10), (100, 20)]
    for n, d in ki:
        out.append(("ki", f"ki-{n}-d{d}", lambda n=n, d=d: kicked_ising(n, d), 128, None))
    for p in (1, 2) if quick else (1, 2, 3):
        out.append(("qaoa", f"qaoa-p{p}", lambda p=p: qaoa(p), 32, None))
    exact = {"0" * 136: 0.5, "1" * 136: 0.5}
    out.append(("ghz", "ghz136", ghz_phases, None, exact))
    for layers in (2, 4) if quick else (2, 4, 6):
        out.append(("rand", f"rand-chip-{layers}", lambda k=layers: random_chip(k), 64, None))
    return [c for c in out if names is None or c[0] in names]


def tv(counts: dict[str, int], exact: dict[str, float], shots: int) -> float:
    keys = set(counts) | set(exact)
    return 0.5 * sum(abs(counts.get(k, 0) / shots - exact.get(k, 0.0)) for k in keys)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--cases", default=None, help="comma list of ki,qaoa,ghz,rand,noisy")
    parser.add_argument("--no-aer", action="store_true")
    args = parser.parse_args()
    names = set(args.cases.split(",")) if args.cases else None
    print(f"threads={THREADS} shots={SHOTS} threshold={THRESHOLD:g}")
    header = (f"{'case':<14}{'qubits':>7}{'cap':>6}{'kuafu s':>10}{'aer s':>10}{'aer/kuafu':>10}"
              f"{'bond':>6}{'fidelity':>11}{'error':>10}")
    print(header)
    for _, name, build, cap, exact in cases(args.quick, names):
        qc = build()
        k_time, bits, _, info = best(lambda qc=qc, cap=cap: run_kuafu(qc, cap), args.repeat)
        a_time = math.nan
        if not args.no_aer:
            a_time = best(aer_runner(qc, cap), args.repeat)[0]
        error = tv(counts_from_bits(bits), exact, SHOTS) if exact else math.nan
        print(f"{name:<14}{qc.num_qubits:>7}{cap or '-':>6}{k_time:>10.3f}{a_time:>10.3f}"
              f"{a_time / k_time:>10.2f}{info.max_bond:>6}{info.fidelity_estimate:>11.6f}"
              f"{error:>10.4f}", flush=True)
    if names is None or "noisy" in names:
        noisy_case()


def noisy_case(n: int = 50, depth: int = 8, shots: int = 2000) -> None:
    """The 50-qubit kicked Ising chain of depth 8 on ScQ-P136 with its calibrated noise,
    as a user runs it: through the emulated chip (compiled, laid out on a line of the
    chip, noisy MPS trajectories with the shots shared among `WIDE_TRAJECTORIES`)."""
    from kuafu import backends

    chip = backends.get("ScQ-P136")
    circuit = kicked_ising(n, depth)
    start = time.perf_counter()
    result = chip.run(circuit, shots=shots, seed=3)
    elapsed = time.perf_counter() - start
    sim = result.method_details
    print(f"\nnoisy ki-{n}-d{depth} on ScQ-P136, {shots} shots: {elapsed:.1f} s (compile "
          f"{result.timings['compile']:.2f}, simulate {result.timings['simulate']:.2f}); "
          f"method {sim['method']}, trajectories {sim.get('trajectories')}, shots per "
          f"trajectory {sim.get('shots_per_trajectory', 1.0):.1f}, bond "
          f"{sim.get('bond_dimension')}, fidelity {sim.get('fidelity_estimate', 1.0):.6f}")


if __name__ == "__main__":
    main()
