"""`drop_identities`: remove gates equal to the identity up to floating-point precision.

A gate goes when its average gate fidelity with the identity is within
`IDENTITY_INFIDELITY` of 1 (Qiskit's exact cutoff), e.g. the controlled phases of
pi/2**21 and below in a large QFT. Gates with a classical condition are kept.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..circuit import GATES, QuantumCircuit, gate_matrix
from .context import CompileContext

IDENTITY_INFIDELITY = 1e-12
"""A gate whose average gate infidelity to the identity (up to global phase) is below this
is dropped. Qiskit's `RemoveIdentityEquivalent` uses the same cutoff at its default
(exact) approximation degree; the phase of such a gate differs from 1 by ~2e-6 at most."""


def drop_identities(circuit: QuantumCircuit, *, context: CompileContext | None = None
                    ) -> QuantumCircuit:
    """Remove unconditioned gates that are the identity to floating-point precision."""
    out = circuit.copy_empty()
    out.instructions = [inst for inst in circuit.instructions
                        if not (inst.condition is None and inst.name in GATES
                                and (inst.params or inst.name == "id")
                                and not inst.is_parameterized
                                and _near_identity(inst.name, tuple(inst.params)))]
    return out


@lru_cache(maxsize=4096)
def _near_identity(name: str, params: tuple) -> bool:
    u = gate_matrix(name, tuple(float(p) for p in params))
    d = u.shape[0]
    process = abs(np.trace(u)) ** 2 / d**2
    return 1 - (1 + d * process) / (1 + d) < IDENTITY_INFIDELITY
