"""Noisy-simulation benchmark: Kuafu against Qiskit Aer on the same circuits, same threads.

Cases (issue 3): random brickwork circuits (U3 layers with CX between neighbours, 20 layers)
at 10 and 16 qubits, 1000 shots, with depolarizing noise 0.1 % after 1q gates and 1 % after
2q gates and a 2 % readout error on every qubit; and a 136-qubit GHZ with the same noise and
10,000 shots. Aer runs its density-matrix method and its statevector method (trajectories);
Kuafu runs `method="auto"` and, where it fits, its density matrix. Times are best of
`--repeat` runs, after one warm-up run (numba compilation, Aer start-up).

    NUMBA_NUM_THREADS=2 .venv/bin/python benchmarks/bench_noisy.py [--repeat 3] [--quick]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

THREADS = 2
os.environ.setdefault("NUMBA_NUM_THREADS", str(THREADS))

from kuafu.circuit import QuantumCircuit  # noqa: E402
from kuafu.sim import (  # noqa: E402
    NoiseModel,
    depolarizing,
    readout_error,
    simulate,
)

P1, P2, PRO = 0.001, 0.01, 0.02


def brickwork(n: int, layers: int = 20, seed: int = 7) -> QuantumCircuit:
    """U3 on every qubit, then CX on neighbour pairs (alternating offset), `layers` times."""
    rng = np.random.default_rng(seed)
    qc = QuantumCircuit(n, n)
    for layer in range(layers):
        for q in range(n):
            qc.u3(*(rng.random(3) * 2 * np.pi), q)
        for q in range(layer % 2, n - 1, 2):
            qc.cx(q, q + 1)
    qc.measure(list(range(n)), list(range(n)))
    return qc


def ghz(n: int) -> QuantumCircuit:
    qc = QuantumCircuit(n, n)
    qc.h(0)
    for q in range(n - 1):
        qc.cx(q, q + 1)
    qc.measure(list(range(n)), list(range(n)))
    return qc


def kuafu_noise() -> NoiseModel:
    return (NoiseModel()
            .with_gate_error(depolarizing(P1), num_qubits=1)
            .with_gate_error(depolarizing(P2, 2), num_qubits=2)
            .with_readout_error(readout_error(PRO)))


def to_qiskit(qc: QuantumCircuit):
    from qiskit import QuantumCircuit as QiskitCircuit

    out = QiskitCircuit(qc.num_qubits, qc.num_clbits)
    for inst in qc.instructions:
        if inst.name == "u3":
            out.u(*[float(p) for p in inst.params], inst.qubits[0])
        elif inst.name in ("cx", "h"):
            getattr(out, inst.name)(*inst.qubits)
        elif inst.name == "measure":
            out.measure(inst.qubits[0], inst.clbits[0])
    return out


def aer_noise():
    from qiskit_aer.noise import NoiseModel as AerNoise
    from qiskit_aer.noise import ReadoutError, depolarizing_error

    noise = AerNoise()
    noise.add_all_qubit_quantum_error(depolarizing_error(P1, 1), ["u", "h"])
    noise.add_all_qubit_quantum_error(depolarizing_error(P2, 2), ["cx"])
    noise.add_all_qubit_readout_error(ReadoutError([[1 - PRO, PRO], [PRO, 1 - PRO]]))
    return noise


def best_of(fn, repeat: int, warm: bool = True) -> float:
    if warm:
        fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def aer_runner(qc: QuantumCircuit, method: str, shots: int):
    from qiskit_aer import AerSimulator

    sim = AerSimulator(method=method, noise_model=aer_noise(), max_parallel_threads=THREADS,
                       seed_simulator=1)
    qiskit_circuit = to_qiskit(qc)
    return lambda: sim.run(qiskit_circuit, shots=shots).result().get_counts()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="skip Aer at 16 qubits")
    args = parser.parse_args()
    noise = kuafu_noise()
    rows = []
    for n in (10, 16):
        qc = brickwork(n)
        small = n <= 10  # at 16 qubits: one run each, no warm-up (kernels compiled at 10)
        result = simulate(qc, 1000, noise=noise, seed=1)
        times = {f"kuafu auto ({result.method})": best_of(
            lambda qc=qc: simulate(qc, 1000, noise=noise, seed=1),
            args.repeat if small else 1, warm=small)}
        if small:
            times["kuafu density_matrix"] = best_of(
                lambda qc=qc: simulate(qc, 1000, noise=noise, method="density_matrix", seed=1),
                args.repeat)
        if not (args.quick and not small):
            if small:  # Aer's 16-qubit density matrix needs 64 GiB
                times["aer density_matrix"] = best_of(aer_runner(qc, "density_matrix", 1000),
                                                      args.repeat)
            times["aer statevector (trajectories)"] = best_of(
                aer_runner(qc, "statevector", 1000), args.repeat if small else 1, warm=small)
        rows.append((f"brickwork {n}q x20, 1000 shots", times))
    qc = ghz(136)
    result = simulate(qc, 10_000, noise=noise, seed=1)
    times = {f"kuafu auto ({result.method})": best_of(
        lambda: simulate(qc, 10_000, noise=noise, seed=1), args.repeat)}
    times["aer stabilizer"] = best_of(aer_runner(qc, "stabilizer", 10_000), args.repeat)
    rows.append(("GHZ 136q, 10000 shots", times))
    print(f"threads: {THREADS}, best of {args.repeat} (16 qubits: 1 run; Aer's density matrix "
          "does not fit there: 4**16 * 16 B = 64 GiB)")
    print(f"{'case':32} {'engine':34} {'seconds':>9} {'peer/kuafu':>10}")
    for case, times in rows:
        ours = next(iter(times.values()))
        for engine, seconds in times.items():
            ratio = "" if engine.startswith("kuafu") else f"{seconds / ours:10.1f}"
            print(f"{case:32} {engine:34} {seconds:9.3f} {ratio:>10}")


if __name__ == "__main__":
    main()
