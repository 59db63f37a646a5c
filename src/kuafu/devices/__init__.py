"""Chip descriptions as data: topology, native gates, durations, calibration, status.

    >>> from kuafu import devices
    >>> devices.available()
    ['ScQ-P10', 'ScQ-P18', 'ScQ-P136']
    >>> dev = devices.get("ScQ-P18")
    >>> dev.num_qubits, dev.coupler_fidelity(0, 1) > 0.9
    (18, True)

Qubits are named `Q1..Qn` in data files and indexed 0..n-1 in circuits.
"""

from .device import (
    NATIVE_GATES,
    CouplerCalibration,
    Device,
    DeviceStatus,
    QubitCalibration,
)
from .registry import available, from_json, get

__all__ = [
    "NATIVE_GATES",
    "CouplerCalibration",
    "Device",
    "DeviceStatus",
    "QubitCalibration",
    "available",
    "from_json",
    "get",
]
