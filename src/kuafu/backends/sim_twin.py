"""`<chip>-sim`: a chip's calibrated noisy emulator as a backend of its own.

QUAFU offers each chip's emulator beside the chip (`ScQ-P10-sim`), and it runs while the
chip is in maintenance or offline. A twin has the chip's device, so the same qubits,
couplers, native gates, compiler and calibrated noise (its results carry the chip's
calibration id), but a name of its own, hence a queue and a status of its own: the
scheduler holds a backend by name, so an operator's maintenance on `ScQ-P10` holds
`ScQ-P10` and not `ScQ-P10-sim` (which an operator can still hold by its own name).

The registry makes a twin of each chip of `kuafu.devices`; a plug-in adds one for its
own chip with an entry point `"<name>-sim"` that returns `SimTwin(<its backend>)`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..circuit import QuantumCircuit
from ..devices import Device, DeviceStatus
from .base import Backend, BackendResult, BackendStatus
from .emulator import EmulatedBackend

SIM_SUFFIX = "-sim"


def twin_name(chip: str) -> str:
    """`ScQ-P10` -> `ScQ-P10-sim`."""
    return chip + SIM_SUFFIX


class SimTwin(Backend):
    """The noisy emulator of `chip`, online whatever the chip's status.

    Args:
        chip: the chip's backend. An emulated chip is reused as it is (same emulator
            settings); any other backend with a device (a `RemoteDevice`) is emulated
            from its device.

    Raises:
        ValueError: `chip` has no device to emulate.
    """

    def __init__(self, chip: Backend) -> None:
        if chip.device is None:
            raise ValueError(f"{chip.name} is not a chip: it has no device to emulate")
        self.chip = chip.name
        self.name = twin_name(chip.name)
        self._emulator = (chip if isinstance(chip, EmulatedBackend)
                          else EmulatedBackend(chip.device))

    @property
    def device(self) -> Device:
        return self._emulator.device

    @property
    def emulator(self) -> EmulatedBackend:
        """The chip's emulator this twin runs on."""
        return self._emulator

    def status(self) -> BackendStatus:
        """Online: an emulator does not follow its chip into maintenance."""
        return BackendStatus(self.name, DeviceStatus.ONLINE,
                             f"the calibrated noisy emulator of {self.chip}")

    def run(self, circuit: QuantumCircuit, shots: int = 1024, *, compile: bool = True,
            seed: int | None = None, optimization_level: int = 1) -> BackendResult:
        """As the chip's emulator runs it (see `Backend.run`), under the twin's name."""
        result = self._emulator.run(circuit, shots, compile=compile, seed=seed,
                                    optimization_level=optimization_level)
        return dataclasses.replace(result, backend=self.name)

    def estimate(self, *args: Any, **kwargs: Any) -> Any:
        """The chip emulator's `estimate` (what a run would simulate, and how)."""
        return self._emulator.estimate(*args, **kwargs)
