"""Noisy-simulation benchmark: Kuafu against Qiskit Aer on the same circuits, same threads.

Two tables, from one run:

1. Engines (issue 3): random brickwork circuits (U3 layers with CX between neighbours, 20
   layers) at 10 and 16 qubits, 1000 shots, with depolarizing noise 0.1 % after 1q gates and
   1 % after 2q gates and a 2 % readout error on every qubit; and a 136-qubit GHZ with the
   same noise and 10,000 shots. Aer runs its density-matrix method and its statevector
   method (trajectories); Kuafu runs `method="auto"` and, where it fits, its density matrix.
2. Density matrix against density matrix (issue 20): the same brickwork at 8, 10, 12 and 14
   qubits compiled for ScQ-P10 (8, 10) or ScQ-P18 (12, 14) and simulated with the chip's
   calibrated noise on the qubits it uses (thermal relaxation and depolarizing after every
   pulse and CZ, readout errors; `NoiseModel.from_device`), 1000 shots. Aer gets the same
   compiled circuit and the same channels (each as its Kraus operators on the same gate and
   qubits). Kuafu runs its density matrix in complex128 and complex64, trajectories and
   `auto`; Aer its density matrix (complex128). `aer/kuafu` compares like with like.

Times are best of `--repeat` runs after one warm-up run (numba compilation, Aer start-up);
12 and 14 qubits: one run. The machine's load (`os.getloadavg`) is printed with each table.

    .venv/bin/python benchmarks/bench_noisy.py [--repeat 3] [--quick] [--dm-only]
    .venv/bin/python benchmarks/bench_noisy.py --dm-only --sizes 8,10,12 --no-aer-above 12
    .venv/bin/python benchmarks/bench_noisy.py --dm-only --sizes 8 --crossover 6,8,10,12
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

THREADS = int(os.environ.get("KUAFU_BENCH_THREADS", "2"))
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


# ----- density matrix against density matrix, chip noise (issue 20) ------------------------
def chip_case(n: int, layers: int = 20):
    """(circuit on the chip's used qubits, its noise model, chip name) for brickwork(n)."""
    from kuafu.compiler import compile as compile_for
    from kuafu.devices import get as get_device

    name = "ScQ-P10" if n <= 10 else "ScQ-P18"
    device = get_device(name)
    native = compile_for(brickwork(n, layers), device, optimization_level=1, seed=0).circuit
    active = sorted({q for inst in native.instructions if inst.name != "barrier"
                     for q in inst.qubits})
    local = {q: i for i, q in enumerate(active)}
    small = QuantumCircuit(len(active), native.num_clbits)
    for inst in native.instructions:
        if inst.name != "barrier":
            small.append(inst.name, [local[q] for q in inst.qubits], inst.params, inst.clbits,
                         inst.condition)
    return small, NoiseModel.from_device(device, active), name


def little_endian_kraus(channel):
    """A Kuafu channel (big-endian over its qubit list) as Qiskit's Kraus (little-endian)."""
    from qiskit.quantum_info import Kraus

    k = channel.num_qubits
    perm = list(range(k))[::-1]
    return Kraus([np.asarray(m).reshape((2,) * 2 * k).transpose(perm + [k + p for p in perm])
                  .reshape(2**k, 2**k) for m in channel.kraus])


def aer_noise_from(noise: NoiseModel, qiskit_circuit):
    """Aer's noise model with Kuafu's channels on the same gates and qubits."""
    from qiskit_aer.noise import NoiseModel as AerNoise
    from qiskit_aer.noise import QuantumError, ReadoutError

    names = {inst.operation.name for inst in qiskit_circuit.data}
    out = AerNoise()
    errors = {}
    for (name, qubits), channel in noise.gate_errors.items():
        if name in names and qubits is not None:
            if id(channel) not in errors:
                errors[id(channel)] = QuantumError(little_endian_kraus(channel))
            out.add_quantum_error(errors[id(channel)], [name], list(qubits))
    for q, error in noise.readout_errors.items():
        out.add_readout_error(ReadoutError(np.asarray(error.matrix)), [q])
    return out


def dm_table(sizes: list[int], repeat: int, aer_max: int) -> list[tuple[int, str, dict]]:
    from qiskit_aer import AerSimulator

    from kuafu.interop.qiskit import to_qiskit

    rows = []
    for n in sizes:
        qc, noise, chip = chip_case(n)
        reps = repeat if n <= 10 else 1
        times: dict[str, float] = {}
        for label, kwargs in (("kuafu density_matrix c128", {}),
                              ("kuafu density_matrix c64", {"precision": "single"})):
            times[label] = best_of(lambda kw=kwargs, qc=qc, noise=noise: simulate(
                qc, 1000, noise=noise, method="density_matrix", seed=1, **kw), reps,
                warm=n <= 10)
        if n <= 12:
            times["kuafu trajectories c128"] = best_of(lambda qc=qc, noise=noise: simulate(
                qc, 1000, noise=noise, method="trajectories", seed=1), reps, warm=n <= 10)
        auto = simulate(qc, 1000, noise=noise, seed=1)
        times[f"kuafu auto ({auto.method})"] = auto.time_taken
        if n <= aer_max:
            theirs = to_qiskit(qc)
            sim = AerSimulator(method="density_matrix", noise_model=aer_noise_from(noise, theirs),
                               max_parallel_threads=THREADS, seed_simulator=1)
            times["aer density_matrix c128"] = best_of(
                lambda sim=sim, theirs=theirs: sim.run(theirs, shots=1000).result().get_counts(),
                reps, warm=n <= 10)
        cz = sum(inst.name == "cz" for inst in qc.instructions)
        rows.append((n, f"{chip} {qc.num_qubits}q, {len(qc.instructions)} ops ({cz} CZ)",
                     times))
        print(f"  done {n} qubits, load {os.getloadavg()[0]:.1f}", flush=True)
    return rows


def print_dm_table(rows, repeat: int) -> None:
    print(f"\nDensity matrix vs density matrix, chip noise, 1000 shots; threads {THREADS}, "
          f"best of {repeat} (12+ qubits: 1 run); load {os.getloadavg()}")
    print(f"{'case':36} {'engine':30} {'seconds':>9} {'aer/kuafu':>10}")
    for _, case, times in rows:
        aer = times.get("aer density_matrix c128")
        for engine, seconds in times.items():
            ratio = ""
            if aer is not None and engine.startswith("kuafu density_matrix"):
                ratio = f"{aer / seconds:10.2f}"
            print(f"{case:36} {engine:30} {seconds:9.3f} {ratio:>10}")


def crossover(sizes: list[int], shots_list: list[int]) -> None:
    """Density matrix against trajectories (and what `auto` picks) with the depolarizing
    noise of table 1 (a unitary mixture: trajectories share their noiseless runs) and with
    the chip noise of table 2 (general channels: one trajectory per shot). One run each."""
    print(f"\nCrossover: one run each, threads {THREADS}; load {os.getloadavg()}")
    print(f"{'noise':12} {'qubits':>6} {'shots':>6} {'density_matrix':>15} {'trajectories':>13} "
          f"{'auto picks':>15}")
    for n in sizes:
        cases = (("depolarizing", brickwork(n), kuafu_noise()), ("chip", *chip_case(n)[:2]))
        for label, qc, noise in cases:
            for shots in shots_list:
                seconds = {}
                for method in ("density_matrix", "trajectories"):
                    start = time.perf_counter()
                    simulate(qc, shots, noise=noise, method=method, seed=1)
                    seconds[method] = time.perf_counter() - start
                picked = simulate(qc, shots, noise=noise, seed=1).method
                print(f"{label:12} {n:6} {shots:6} {seconds['density_matrix']:15.3f} "
                      f"{seconds['trajectories']:13.3f} {picked:>15}", flush=True)


def auto_check(sizes: list[int], shots_list: list[int]) -> None:
    """`auto`'s estimates against CPU seconds (steadier than wall time on a shared
    machine) for density matrix and trajectories, depolarizing brickwork, and whether it
    picked the faster one."""
    from kuafu.sim import cost

    noise = kuafu_noise()
    print(f"\nauto's choice, depolarizing brickwork, threads {THREADS}; load {os.getloadavg()}")
    print(f"{'qubits':>6} {'shots':>6} | {'est DM':>7} {'est traj':>8} | {'cpu DM':>7} "
          f"{'cpu traj':>8} | {'auto picks':>15} right")
    right = 0
    for n in sizes:
        qc = brickwork(n)
        for shots in shots_list:
            est = {e.method: e.seconds
                   for e in cost.estimates(qc, shots, noise, max_memory_bytes=8 << 30)}
            cpu = {}
            for method in ("density_matrix", "trajectories"):
                start = time.process_time()
                simulate(qc, shots, noise=noise, method=method, seed=1)
                cpu[method] = time.process_time() - start
            picked = simulate(qc, shots, noise=noise, seed=1).method
            ok = picked == min(cpu, key=cpu.get)
            right += ok
            print(f"{n:6} {shots:6} | {est['density_matrix']:7.3f} {est['trajectories']:8.3f} | "
                  f"{cpu['density_matrix']:7.3f} {cpu['trajectories']:8.3f} | {picked:>15} "
                  f"{'yes' if ok else 'NO'}", flush=True)
    print(f"auto picked the faster engine in {right} of {len(sizes) * len(shots_list)} cases")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="skip Aer at 16 qubits")
    parser.add_argument("--dm-only", action="store_true", help="only the density-matrix table")
    parser.add_argument("--sizes", default="8,10,12,14", help="density-matrix table sizes")
    parser.add_argument("--no-aer-above", type=int, default=14, dest="aer_max",
                        help="skip Aer's density matrix above this many qubits")
    parser.add_argument("--crossover", default="",
                        help="also time density matrix against trajectories at these sizes "
                             "(e.g. 6,8,10,12) for 1000 and 10000 shots")
    parser.add_argument("--auto-check", default="", dest="auto_check",
                        help="compare auto's estimates with CPU seconds at these sizes "
                             "(e.g. 8,9,10,11) for 1000, 3000 and 10000 shots, then stop")
    args = parser.parse_args()
    print(f"load at start: {os.getloadavg()}")
    if args.auto_check:
        for method in ("trajectories", "density_matrix"):  # kernels loaded before timing
            simulate(brickwork(6), 10, noise=kuafu_noise(), method=method, seed=1)
        auto_check([int(x) for x in args.auto_check.split(",")], [1000, 3000, 10000])
        return
    if args.crossover:
        for method in ("trajectories", "density_matrix"):  # kernels loaded before timing
            simulate(brickwork(6), 10, noise=kuafu_noise(), method=method, seed=1)
        crossover([int(x) for x in args.crossover.split(",")], [1000, 10000])
    dm_rows = dm_table([int(x) for x in args.sizes.split(",")], args.repeat, args.aer_max)
    print_dm_table(dm_rows, args.repeat)
    if args.dm_only:
        return
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
    print(f"\nthreads: {THREADS}, best of {args.repeat} (16 qubits: 1 run; Aer's density matrix "
          f"does not fit there: 4**16 * 16 B = 64 GiB); load {os.getloadavg()}")
    print(f"{'case':32} {'engine':34} {'seconds':>9} {'peer/kuafu':>10}")
    for case, times in rows:
        ours = next(iter(times.values()))
        for engine, seconds in times.items():
            ratio = "" if engine.startswith("kuafu") else f"{seconds / ours:10.1f}"
            print(f"{case:32} {engine:34} {seconds:9.3f} {ratio:>10}")


if __name__ == "__main__":
    main()
