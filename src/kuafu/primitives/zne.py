"""Zero-noise extrapolation: amplify the noise by gate folding, extrapolate to zero.

Folding replaces the circuit's unitary U by U (U^dagger U)^k, which is the same
operation on an ideal machine but runs 2k + 1 times as many gates on a noisy one, so
its noise grows by the scale factor lambda = 2k + 1. Scale factors between odd integers
fold only the last gates once more (as Mitiq's `fold_global` does). Barriers separate
the folds so that a compiler does not cancel U^dagger U again.

The expectation values at scales lambda_j are fitted by a polynomial in lambda and
evaluated at lambda = 0. The fit is linear in the measured values, E(0) = sum_j w_j
E(lambda_j), so its standard error is sqrt(sum_j w_j^2 sigma_j^2).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..circuit import Instruction, QuantumCircuit

EXTRAPOLATIONS = ("linear", "richardson", "quadratic")


def fold_gates(circuit: QuantumCircuit, scale: float) -> QuantumCircuit:
    """The circuit folded so its gate count grows by `scale` (>= 1).

    Args:
        circuit: bound gates only (barriers and delays are kept in place, not folded).
        scale: the noise scale factor; 1 returns a copy.

    Raises:
        ValueError: for a scale below 1, or a circuit that measures, resets or
            conditions (fold before adding measurements).
    """
    if scale < 1:
        raise ValueError(f"scale factors must be >= 1, got {scale}")
    gates = [i for i in circuit.instructions if i.name not in ("barrier", "delay")]
    if any(not i.is_gate or i.condition is not None for i in gates):
        raise ValueError("fold a circuit of gates only, before measurements are added")
    out = circuit.copy()
    if not gates or scale == 1:
        return out
    k = int((scale - 1) // 2)
    extra = round((scale - 1 - 2 * k) / 2 * len(gates))
    inverse = circuit.inverse()
    for _ in range(k):
        out.barrier()
        out.instructions += inverse.instructions
        out.barrier()
        out.instructions += circuit.instructions
    if extra:
        tail = circuit.copy_empty()
        tail.instructions = _last_gates(circuit.instructions, extra)
        out.barrier()
        out.instructions += tail.inverse().instructions
        out.barrier()
        out.instructions += tail.instructions
    return out


def _last_gates(instructions: list[Instruction], count: int) -> list[Instruction]:
    gates = [i for i in instructions if i.name not in ("barrier", "delay")]
    return gates[len(gates) - count:]


def extrapolation_weights(scales: Sequence[float], method: str = "richardson") -> np.ndarray:
    """Weights w with E(0) = sum_j w_j E(scales[j]) for the fit `method`.

    `linear` fits a line by least squares; `quadratic` a parabola; `richardson` the
    polynomial of degree len(scales) - 1 through every point.

    Raises:
        ValueError: for an unknown method, repeated scales, or too few of them.
    """
    x = np.asarray(scales, dtype=float)
    if method not in EXTRAPOLATIONS:
        raise ValueError(f"extrapolation must be one of {EXTRAPOLATIONS}, got {method!r}")
    if len(set(x.tolist())) != len(x):
        raise ValueError(f"scale factors must differ, got {list(scales)}")
    degree = {"linear": 1, "quadratic": 2, "richardson": len(x) - 1}[method]
    if len(x) < degree + 1 or len(x) < 2:
        raise ValueError(f"{method} extrapolation needs at least {max(degree + 1, 2)} "
                         f"scale factors, got {len(x)}")
    vander = np.vander(x, degree + 1, increasing=True)  # columns 1, x, x^2, ...
    # the intercept of the least-squares fit: first row of the pseudo-inverse
    return np.linalg.pinv(vander)[0]
