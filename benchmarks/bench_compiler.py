"""Kuafu's compiler against `qiskit.transpile`, same circuits, coupling maps and basis.

    python benchmarks/bench_compiler.py [--quick] [--levels 1 3] [--repeat 3] [--only NAME]

For each circuit (quantum volume 10/16/20, QFT 10-50, random) and chip (ScQ-P18,
ScQ-P136) it prints the two-qubit gate count (CZ), depth (every gate counts) and wall
time of Kuafu and of Qiskit at optimisation levels 1 and 3 (basis cz, rx, ry, rz), then
the ratios Kuafu/Qiskit; per level, the largest and the geometric mean time ratio (and
of CPU time: both compilers use every core), how often Kuafu needs no more CZs, and the
depth ratios on QFT40/50. Times are the best of `--repeat` runs, the two compilers
taking turns, after one warm-up (numba compiles Kuafu's router once, then loads it from
cache). `--only QFT` runs the
circuits whose name contains QFT.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time

import numpy as np
from qiskit import QuantumCircuit as QiskitCircuit
from qiskit import transpile
from qiskit.circuit.library import quantum_volume as qiskit_qv
from qiskit.transpiler import CouplingMap

from kuafu import devices
from kuafu.circuit import QuantumCircuit
from kuafu.compiler import compile

BASIS = ["cz", "rx", "ry", "rz"]
_NAMES = {"u": "u3", "u3": "u3", "cx": "cx", "cz": "cz", "cp": "cp", "h": "h", "swap": "swap",
          "rz": "rz", "ry": "ry", "rx": "rx", "x": "x", "sx": "sx", "p": "p"}


def from_qiskit(qc: QiskitCircuit) -> QuantumCircuit:
    """The same circuit as a Kuafu circuit (gates mapped one to one)."""
    out = QuantumCircuit(qc.num_qubits)
    for inst in qc.data:
        qubits = [qc.find_bit(q).index for q in inst.qubits]
        out.append(_NAMES[inst.operation.name], qubits, [float(p) for p in inst.operation.params])
    return out


def to_qiskit(qc: QuantumCircuit) -> QiskitCircuit:
    out = QiskitCircuit(qc.num_qubits)
    for inst in qc.instructions:
        name = "u" if inst.name == "u3" else inst.name
        getattr(out, name)(*[float(p) for p in inst.params], *inst.qubits)
    return out


def quantum_volume(n: int, seed: int) -> QuantumCircuit:
    """QuantumVolume(n, seed) with each SU(4) block written as 3 CX and U3 gates."""
    flat = transpile(qiskit_qv(n, seed=seed), basis_gates=["u3", "cx"],
                     optimization_level=1, seed_transpiler=0)
    return from_qiskit(flat)


def qft(n: int) -> QuantumCircuit:
    """The textbook QFT with final swaps, as `qiskit.circuit.library.QFT` builds it."""
    qc = QuantumCircuit(n)
    for j in reversed(range(n)):
        qc.h(j)
        for k in reversed(range(j)):
            qc.cp(math.pi / 2 ** (j - k), j, k)
    for i in range(n // 2):
        qc.swap(i, n - 1 - i)
    return qc


def random_circuit(n: int, depth: int, seed: int) -> QuantumCircuit:
    """Layers of random single-qubit rotations and CX/CP/RZZ on random disjoint pairs."""
    rng = np.random.default_rng(seed)
    qc = QuantumCircuit(n)
    for _ in range(depth):
        for q in range(n):
            qc.u3(*rng.uniform(-math.pi, math.pi, 3), q)
        order = rng.permutation(n)
        for a, b in zip(order[0::2], order[1::2], strict=False):
            kind = rng.integers(3)
            if kind == 0:
                qc.cx(int(a), int(b))
            elif kind == 1:
                qc.cp(float(rng.uniform(-math.pi, math.pi)), int(a), int(b))
            else:
                qc.rzz(float(rng.uniform(-math.pi, math.pi)), int(a), int(b))
    return qc


def suite(quick: bool) -> list[tuple[str, QuantumCircuit, list[str]]]:
    both, big = ["ScQ-P18", "ScQ-P136"], ["ScQ-P136"]
    cases = [(f"QV{n}", quantum_volume(n, seed=1), both if n <= 18 else big)
             for n in (10, 16, 20)]
    sizes = (10, 18, 30) if quick else (10, 18, 30, 40, 50)
    cases += [(f"QFT{n}", qft(n), both if n <= 18 else big) for n in sizes]
    cases += [(f"rand{n}x{d}", random_circuit(n, d, seed=n), both if n <= 18 else big)
              for n, d in ((12, 20), (18, 20), (40, 20))]
    return cases


def _timed(fn):
    """(result, wall time, process CPU time) of one call."""
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t, time.process_time() - c


def measure(qc: QuantumCircuit, chip: str, level: int, repeat: int) -> dict[str, tuple]:
    """(CZ count, depth, wall s, CPU s) of Kuafu and of Qiskit: the best of `repeat` runs
    each, the two compilers taking turns (so that a burst of load on the shared machine
    hits both)."""
    device = devices.get(chip)
    qq = to_qiskit(qc)
    cmap = CouplingMap(device.coupling_map)
    runs = {"kuafu": lambda: compile(qc, device, optimization_level=level, seed=1),
            "qiskit": lambda: transpile(qq, coupling_map=cmap, basis_gates=BASIS,
                                        optimization_level=level, seed_transpiler=1)}
    best: dict[str, tuple] = {}
    for _ in range(repeat):
        for name, fn in runs.items():
            out, wall, cpu = _timed(fn)
            if name not in best or wall < best[name][1]:
                best[name] = (out, wall, cpu)
    compiled, t_k, c_k = best["kuafu"]
    out, t_q, c_q = best["qiskit"]
    return {"kuafu": (compiled.stats["twoq_after"], compiled.circuit.depth(), t_k, c_k),
            "qiskit": (out.count_ops().get("cz", 0), out.depth(), t_q, c_q)}


def _geo(xs) -> float:
    return math.exp(statistics.mean(math.log(x) for x in xs))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller QFT sizes")
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default=None, help="only circuits whose name has this")
    args = parser.parse_args(argv)
    compile(qft(5), devices.get("ScQ-P18"), seed=0)  # warm numba's cache
    header = (f"{'circuit':<11}{'chip':<9}{'lvl':>3} | {'kuafu cz':>8}{'depth':>7}{'time s':>8}"
              f" | {'qiskit cz':>9}{'depth':>7}{'time s':>8} | {'cz ratio':>8}{'d ratio':>8}"
              f"{'t ratio':>8}")
    print(header)
    print("-" * len(header))
    rows: dict[int, list[dict]] = {lvl: [] for lvl in args.levels}
    for name, qc, chips in suite(args.quick):
        if args.only and args.only not in name:
            continue
        for chip in chips:
            for lvl in args.levels:
                r = measure(qc, chip, lvl, args.repeat)
                (kc, kd, kt, kcpu), (qc_, qd, qt, qcpu) = r["kuafu"], r["qiskit"]
                row = {"name": name, "cz": kc / max(qc_, 1), "depth": kd / max(qd, 1),
                       "time": kt / qt, "cpu": kcpu / max(qcpu, 1e-9), "k": kc, "q": qc_}
                rows[lvl].append(row)
                print(f"{name:<11}{chip:<9}{lvl:>3} | {kc:>8}{kd:>7}{kt:>8.3f} | {qc_:>9}"
                      f"{qd:>7}{qt:>8.3f} | {row['cz']:>8.3f}{row['depth']:>8.2f}"
                      f"{row['time']:>8.2f}", flush=True)
    for lvl, rs in rows.items():
        if not rs:
            continue
        times = [r["time"] for r in rs]
        qft_depth = [f"{r['name']} {r['depth']:.2f}" for r in rs
                     if r["name"] in ("QFT40", "QFT50")]
        print(f"level {lvl}: time ratio max {max(times):.2f}, geometric mean {_geo(times):.2f} "
              f"(CPU time {_geo([r['cpu'] for r in rs]):.2f}); CZ <= Qiskit in "
              f"{sum(r['k'] <= r['q'] for r in rs)} of {len(rs)} (mean ratio "
              f"{statistics.mean(r['cz'] for r in rs):.3f}); depth ratio geometric mean "
              f"{_geo([r['depth'] for r in rs]):.2f}"
              + (f", {', '.join(qft_depth)}" if qft_depth else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
