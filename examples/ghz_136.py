"""A 136-qubit GHZ state on the emulated ScQ-P136, through the stabilizer engine.

The state is grown along a breadth-first spanning tree of the chip's couplers, from
its most central qubit: H on the root, then one CNOT per tree edge, parent to child.
That circuit is already native and laid out, so it runs uncompiled (`compile=False`);
it is all Clifford, so the emulator samples it with stim at full width under the
chip's (Pauli-twirled) calibrated noise.

Measured, first on the chip's ideal twin (`noisy=False`: same circuit, no noise)
and then under noise: the parity <Z...Z> (+1 for an ideal GHZ state of an even number
of qubits), the population of |0...0> and |1...1>, the share of shots within 5 % of
either (a majority vote, robust to a few readout errors), and the coherence <X...X>
(+1 ideally). With ~2 % readout error on each of 136 qubits and 135 noisy CNOTs, the
noisy full-register parities are close to 0: that is what such a chip would give.

    python examples/ghz_136.py           # KUAFU_EXAMPLE_SHOTS=200 for a quick run
"""

from __future__ import annotations

import sys
import time
from collections import deque
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import shots

from kuafu import QuantumCircuit, backends
from kuafu.backends import EmulatedBackend
from kuafu.primitives import Estimator


def ghz_on_chip(device) -> QuantumCircuit:
    """GHZ over every qubit of `device`, CNOTs along a BFS tree from its centre."""
    n = device.num_qubits
    root = int(device.distance.max(axis=1).argmin())
    qc = QuantumCircuit(n, n, name=f"ghz{n}")
    qc.h(root)
    seen, queue = {root}, deque([root])
    while queue:
        parent = queue.popleft()
        for child in device.neighbors[parent]:
            if child not in seen:
                seen.add(child)
                queue.append(child)
                qc.cx(parent, child)
    if len(seen) != n:
        raise ValueError(f"{device.name} is not connected")
    qc.measure(list(range(n)), list(range(n)))
    return qc


def measure(chip, circuit: QuantumCircuit, num_shots: int, seed: int) -> dict[str, float]:
    """Parities and end populations of the GHZ circuit on `chip` (uncompiled)."""
    n = circuit.num_qubits
    t = time.perf_counter()
    run = chip.run(circuit, num_shots, compile=False, seed=seed)
    counts = run.counts
    weights = {key: key.count("1") for key in counts}
    xs = Estimator(chip, shots=num_shots, seed=seed, compile=False).run(circuit, "X" * n)
    return {
        "method": run.method,
        "parity": sum((-1) ** weights[k] * c for k, c in counts.items()) / num_shots,
        "p_ends": (counts.get("0" * n, 0) + counts.get("1" * n, 0)) / num_shots,
        "near_ends": sum(c for k, c in counts.items()
                         if min(weights[k], n - weights[k]) <= 0.05 * n) / num_shots,
        "x_parity": xs.value, "x_std": xs.std, "seconds": time.perf_counter() - t,
    }


def main(num_shots: int | None = None, seed: int = 1) -> dict[str, dict[str, float]]:
    num_shots = num_shots or shots(4000)
    device = backends.get("ScQ-P136").device
    circuit = ghz_on_chip(device)
    print(f"GHZ on all {circuit.num_qubits} qubits of ScQ-P136 (depth {circuit.depth()}, "
          f"{circuit.num_nonlocal_gates()} CNOTs), {num_shots} shots per measurement")
    out = {}
    for label, chip in (("ideal", EmulatedBackend(device, noisy=False)),
                        ("noisy", EmulatedBackend(device))):
        r = out[label] = measure(chip, circuit, num_shots, seed)
        print(f"{label:>5} ({r['method']}): parity <Z..Z> {r['parity']:+.4f}, "
              f"P(0..0)+P(1..1) {r['p_ends']:.4f}, within 5% of an end {r['near_ends']:.4f}, "
              f"<X..X> {r['x_parity']:+.4f} ± {r['x_std']:.4f}  [{r['seconds']:.1f} s]")
    return out


if __name__ == "__main__":
    main()
