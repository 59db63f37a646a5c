"""QAOA for MaxCut on an 8-node graph, sampled on the emulated ScQ-P18.

The graph is 3-regular with 12 edges. The cost C = sum_(i,j) (1 - Z_i Z_j) / 2 counts cut
edges; all its terms are Z strings, so the Estimator measures it with ONE setting. The
depth-2 QAOA angles are optimised on the exact simulator, then the circuit is sampled on
the noisy chip (compiled: layout, routing, native gates) and compared with the best cut
(brute force) and with random guessing. A small angle sweep of the Estimator runs as one
batch. KUAFU_EXAMPLE_QUICK=1 uses depth 1.

    python examples/qaoa_maxcut.py       # KUAFU_EXAMPLE_SHOTS=500 for a quick run
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import quick, shots

from kuafu import Parameter, QuantumCircuit, backends
from kuafu.primitives import Estimator, PauliSum, Sampler

NODES = 8
EDGES = [(0, 1), (1, 2), (2, 3), (3, 0), (4, 5), (5, 6), (6, 7), (7, 4),
         (0, 4), (1, 6), (2, 7), (3, 5)]


def cost_observable() -> PauliSum:
    """Number of cut edges, sum (1 - Z_i Z_j) / 2, as a PauliSum."""
    terms = [("ZZ", [i, j], -0.5) for i, j in EDGES]
    return PauliSum.from_sparse_list(terms, NODES) + PauliSum([(0.5 * len(EDGES), "I" * NODES)])


def cut_size(bits: str) -> int:
    """Edges cut by an assignment (a count key: node 0 is the rightmost bit)."""
    side = bits[::-1]
    return sum(side[i] != side[j] for i, j in EDGES)


def max_cut() -> int:
    return max(cut_size("".join(b)) for b in itertools.product("01", repeat=NODES))


def qaoa(depth: int = 2, measure: bool = False) -> QuantumCircuit:
    gammas = [Parameter(f"g{k}") for k in range(depth)]
    betas = [Parameter(f"b{k}") for k in range(depth)]
    qc = QuantumCircuit(NODES, NODES if measure else 0, name="qaoa")
    qc.h(list(range(NODES)))
    for gamma, beta in zip(gammas, betas, strict=True):
        for i, j in EDGES:
            qc.rzz(-gamma, i, j)  # exp(+i gamma Z_i Z_j / 2): favours cut edges
        for q in range(NODES):
            qc.rx(2 * beta, q)
    if measure:
        qc.measure(list(range(NODES)), list(range(NODES)))
    return qc


# Fixed angles known to be good for 3-regular graphs (Wurtz and Lykov, 2021), used as the
# start of the local optimisation: (beta_1..p, gamma_1..p), the order of `circuit.parameters`.
START = {1: [0.393, 0.616], 2: [0.555, 0.293, 0.488, 0.898]}


def optimise(depth: int = 2, maxiter: int = 60) -> tuple[np.ndarray, float]:
    """Maximise the exact expected cut (statevector), starting from the fixed angles."""
    circuit, cost, exact = qaoa(depth), cost_observable(), Estimator()
    found = minimize(lambda x: -exact.run(circuit, cost, x).value, START[depth],
                     method="COBYLA", options={"maxiter": maxiter, "rhobeg": 0.1})
    return found.x, -float(found.fun)


def main(num_shots: int | None = None, depth: int | None = None, seed: int = 3,
         chip=None) -> dict[str, float]:
    """Optimise, sample and sweep; `chip` defaults to the noisy emulated ScQ-P18."""
    num_shots = num_shots or shots(4000)
    depth = depth or (1 if quick() else 2)
    best = max_cut()
    params, expected = optimise(depth)
    chip = chip or backends.get("ScQ-P18")
    counts = Sampler(chip, shots=num_shots, seed=seed).run(qaoa(depth, measure=True),
                                                           params).counts[0]
    cuts = {k: cut_size(k) for k in counts}
    mean_cut = sum(cuts[k] * n for k, n in counts.items()) / num_shots
    p_best = sum(n for k, n in counts.items() if cuts[k] == best) / num_shots
    scales = (0.5, 1.0)
    sweep = Estimator(chip, shots=num_shots, seed=seed).run(
        qaoa(depth), cost_observable(), [params * s for s in scales])
    print(f"8-node 3-regular graph, {len(EDGES)} edges: maximum cut {best}, random guess "
          f"{len(EDGES) / 2:.1f}")
    print(f"QAOA depth {depth}, exact expected cut        {expected:.3f}")
    print(f"{chip.name} ({num_shots} shots): mean cut  {mean_cut:.3f}; "
          f"P(maximum cut) {p_best:.3f}; best sampled {max(cuts.values())}")
    print(f"Estimator sweep, angles x {scales} in one batch "
          f"({len(sweep.metadata['settings'])} setting each): expected cut "
          + ", ".join(f"{v:.3f} ± {e:.3f}" for v, e in zip(sweep.values[:, 0],
                                                           sweep.stds[:, 0], strict=True)))
    return {"max_cut": best, "exact_expected": expected, "mean_cut": mean_cut,
            "p_best": p_best, "best_sampled": max(cuts.values()),
            "sweep": sweep.values[:, 0].tolist(), "sweep_std": sweep.stds[:, 0].tolist(),
            "settings": len(sweep.metadata["settings"]), "circuits": sweep.metadata["circuits"]}


if __name__ == "__main__":
    main()
