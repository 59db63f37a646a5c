"""A Qiskit `Target` from a Kuafu `Device`: qubits, couplers, native gates, errors, times.

Errors are 1 - average gate fidelity from the chip's calibration (the virtual `rz` and `z`
are error-free and take no time); measurement error is 1 - readout fidelity. Both
directions of every coupler get `cz` and `cx`. Kuafu's `sy` has no Qiskit gate and is
left out: the transpiler reaches every rotation through `rx`, `ry`, `rz` and `sx`.
"""

from __future__ import annotations

import qiskit.circuit.library as lib
from qiskit.circuit import Delay, Measure, Parameter
from qiskit.transpiler import InstructionProperties, Target

from ...devices import Device

_ONE_QUBIT = {"rx": lambda: lib.RXGate(Parameter("theta")),
              "ry": lambda: lib.RYGate(Parameter("theta")),
              "rz": lambda: lib.RZGate(Parameter("phi")),
              "x": lib.XGate, "y": lib.YGate, "z": lib.ZGate, "h": lib.HGate,
              "sx": lib.SXGate, "id": lib.IGate}
_TWO_QUBIT = {"cz": lib.CZGate, "cx": lib.CXGate}
_VIRTUAL = {"rz", "z"}


def target_from_device(device: Device) -> Target:
    """The Qiskit `Target` of `device` (gate errors and durations in seconds)."""
    target = Target(description=f"Kuafu {device.name}", num_qubits=device.num_qubits)
    cal = device.qubit_calibration
    for name, make in _ONE_QUBIT.items():
        if name not in device.native_gates:
            continue
        virtual = name in _VIRTUAL
        props = {(q,): InstructionProperties(
            duration=0.0 if virtual else device.duration(name) * 1e-9,
            error=0.0 if virtual else 1 - cal[q].fidelity_1q) for q in range(device.num_qubits)}
        target.add_instruction(make(), props)
    for name, make in _TWO_QUBIT.items():
        if name not in device.native_gates:
            continue
        props = {}
        for a, b in device.couplers:
            prop = InstructionProperties(duration=device.duration(name) * 1e-9,
                                         error=1 - device.coupler_fidelity(a, b))
            props[(a, b)] = props[(b, a)] = prop
        target.add_instruction(make(), props)
    measure_time = device.durations_ns.get("measure", 0.0) * 1e-9
    target.add_instruction(Measure(), {(q,): InstructionProperties(
        duration=measure_time, error=1 - cal[q].readout_fidelity)
        for q in range(device.num_qubits)})
    if "delay" in device.native_gates:
        target.add_instruction(Delay(Parameter("t")), {(q,): None
                                                       for q in range(device.num_qubits)})
    return target
