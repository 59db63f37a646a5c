"""Backends: where circuits run. Emulated chips, an ideal simulator, and plug-ins.

    >>> from kuafu import backends
    >>> backends.available()
    ['simulator', 'ScQ-P10', 'ScQ-P18', 'ScQ-P136', 'ScQ-P10-sim', 'ScQ-P18-sim', 'ScQ-P136-sim']
    >>> from kuafu import QuantumCircuit
    >>> qc = QuantumCircuit(2, 2)
    >>> _ = qc.h(0), qc.cx(0, 1), qc.measure([0, 1], [0, 1])
    >>> result = backends.get("ScQ-P18").run(qc, shots=1000, seed=7)
    >>> sum(result.counts.values()), sorted(result.counts, key=result.counts.get)[-2:] in (
    ...     ["00", "11"], ["11", "00"])
    (1000, True)

Count keys put classical bit 0 rightmost. Backends are found through entry points in
group `kuafu.backends` (Kuafu's own are registered the same way, see `registry`); a
real chip served by a polling device agent is a `RemoteDevice` (see `remote`); a chip's
`<chip>-sim` is its noisy emulator with a queue and status of its own (see `sim_twin`).
"""

from .base import Backend, BackendResult, BackendStatus
from .emulator import EmulatedBackend, is_clifford
from .registry import ENTRY_POINT_GROUP, available, get
from .remote import RemoteDevice
from .sim_twin import SimTwin
from .simulator import IdealSimulator

__all__ = [
    "ENTRY_POINT_GROUP",
    "Backend",
    "BackendResult",
    "BackendStatus",
    "EmulatedBackend",
    "IdealSimulator",
    "RemoteDevice",
    "SimTwin",
    "available",
    "get",
    "is_clifford",
]
