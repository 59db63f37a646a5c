"""Kuafu's compiler against `qiskit.transpile`, same circuits, coupling maps and basis.

    python benchmarks/bench_compiler.py [--quick] [--levels 1 3] [--repeat 3]

For each circuit (quantum volume 10/16/20, QFT 10-50, random) and chip (ScQ-P18,
ScQ-P136) it prints the two-qubit gate count (CZ), depth and wall time of Kuafu and of
Qiskit at optimisation levels 1 and 3 (basis cz, rx, ry, rz), then the ratios
Kuafu/Qiskit and their means. Times are the best of `--repeat` runs, after one warm-up
(numba compiles Kuafu's router once, then loads it from cache).
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


def _best_time(fn, repeat: int):
    best, out = math.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return out, best


def measure(qc: QuantumCircuit, chip: str, level: int, repeat: int) -> dict[str, tuple]:
    device = devices.get(chip)
    compiled, t_k = _best_time(
        lambda: compile(qc, device, optimization_level=level, seed=1), repeat)
    kuafu = (compiled.stats["twoq_after"], compiled.circuit.depth(), t_k)
    qq = to_qiskit(qc)
    cmap = CouplingMap(device.coupling_map)
    out, t_q = _best_time(lambda: transpile(qq, coupling_map=cmap, basis_gates=BASIS,
                                            optimization_level=level, seed_transpiler=1),
                          repeat)
    qiskit = (out.count_ops().get("cz", 0), out.depth(), t_q)
    return {"kuafu": kuafu, "qiskit": qiskit}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller QFT sizes")
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    compile(qft(5), devices.get("ScQ-P18"), seed=0)  # warm numba's cache
    header = (f"{'circuit':<11}{'chip':<9}{'lvl':>3} | {'kuafu cz':>8}{'depth':>7}{'time s':>8}"
              f" | {'qiskit cz':>9}{'depth':>7}{'time s':>8} | {'cz ratio':>8}{'t ratio':>8}")
    print(header)
    print("-" * len(header))
    ratios: dict[int, list[tuple[float, float]]] = {lvl: [] for lvl in args.levels}
    counts: dict[tuple[str, str, int], tuple[int, int]] = {}
    for name, qc, chips in suite(args.quick):
        for chip in chips:
            for lvl in args.levels:
                r = measure(qc, chip, lvl, args.repeat)
                (kc, kd, kt), (qc_, qd, qt) = r["kuafu"], r["qiskit"]
                ratios[lvl].append((kc / max(qc_, 1), kt / qt))
                counts[(name, chip, lvl)] = (kc, qc_)
                print(f"{name:<11}{chip:<9}{lvl:>3} | {kc:>8}{kd:>7}{kt:>8.3f} | {qc_:>9}"
                      f"{qd:>7}{qt:>8.3f} | {kc / max(qc_, 1):>8.3f}{kt / qt:>8.2f}",
                      flush=True)
    for lvl, rs in ratios.items():
        cz = statistics.mean(r[0] for r in rs)
        tm = statistics.mean(r[1] for r in rs)
        geo = math.exp(statistics.mean(math.log(r[1]) for r in rs))
        wins = sum(r[0] < 1 for r in rs)
        print(f"level {lvl}: mean CZ ratio kuafu/qiskit {cz:.3f} (fewer CZs in {wins} of "
              f"{len(rs)}); time ratio mean {tm:.2f}, geometric mean {geo:.2f}")
    if 1 in args.levels and 3 in args.levels:
        cross = [k / max(counts[(n, c, 3)][1], 1) for (n, c, lvl), (k, _) in counts.items()
                 if lvl == 1]
        print(f"kuafu level 1 vs qiskit level 3: mean CZ ratio {statistics.mean(cross):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
