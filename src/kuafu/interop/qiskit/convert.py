"""Circuits between Kuafu and Qiskit, gate by gate, parameters kept symbolic.

Both libraries order qubits the same way (flat indices in register order; counts print
clbit 0 rightmost) and define the same qelib1 gates, so most gates map by name. Kuafu's
`sy`/`sydg` become Qiskit `ry(+-pi/2)` with a global phase of +-pi/4; a Qiskit gate with
no Kuafu counterpart is inlined from its definition. Qiskit control flow (`if_test`,
loops) is refused.
"""

from __future__ import annotations

import math
from typing import Any

import qiskit
import qiskit.circuit.library as lib
from qiskit.circuit import Delay
from qiskit.circuit import Parameter as QiskitParameter
from qiskit.circuit import ParameterExpression as QiskitExpression

from ...circuit import ClassicalRegister, Parameter, ParameterExpression, QuantumCircuit
from ...circuit import QuantumRegister as KuafuQReg
from .._symbolic import from_sympy, identifier

_TO_QISKIT: dict[str, Any] = {
    "id": lib.IGate, "u1": lib.U1Gate, "p": lib.PhaseGate, "u2": lib.U2Gate, "u3": lib.U3Gate,
    "u": lib.UGate, "x": lib.XGate, "y": lib.YGate, "z": lib.ZGate, "h": lib.HGate,
    "s": lib.SGate, "sdg": lib.SdgGate, "t": lib.TGate, "tdg": lib.TdgGate, "sx": lib.SXGate,
    "sxdg": lib.SXdgGate, "rx": lib.RXGate, "ry": lib.RYGate, "rz": lib.RZGate,
    "cx": lib.CXGate, "cy": lib.CYGate, "cz": lib.CZGate, "ch": lib.CHGate,
    "swap": lib.SwapGate, "crx": lib.CRXGate, "cry": lib.CRYGate, "crz": lib.CRZGate,
    "cu1": lib.CU1Gate, "cp": lib.CPhaseGate, "cu3": lib.CU3Gate, "cu": lib.CUGate,
    "csx": lib.CSXGate, "rxx": lib.RXXGate, "rzz": lib.RZZGate, "ccx": lib.CCXGate,
    "cswap": lib.CSwapGate, "rccx": lib.RCCXGate, "rc3x": lib.RC3XGate, "c3x": lib.C3XGate,
    "c3sqrtx": lib.C3SXGate, "c4x": lib.C4XGate,
}
_FROM_QISKIT = {"rcccx": "rc3x", "c3sx": "c3sqrtx", "cnot": "cx", "phase": "p"}
_DELAY_UNITS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


# ----- Kuafu -> Qiskit ---------------------------------------------------------------------
def to_qiskit(circuit: QuantumCircuit) -> qiskit.QuantumCircuit:
    """The same circuit as a Qiskit `QuantumCircuit` (registers, parameters, conditions no).

    Raises:
        ValueError: for classical conditions or opaque gates, which Qiskit 2 cannot hold
            the same way.
    """
    qregs = [qiskit.QuantumRegister(r.size, r.name) for r in circuit.qregs]
    cregs = [qiskit.ClassicalRegister(r.size, r.name) for r in circuit.cregs]
    out = qiskit.QuantumCircuit(*qregs, *cregs, name=circuit.name)
    symbols: dict[Parameter, QiskitParameter] = {}
    for inst in circuit.instructions:
        if inst.condition is not None:
            raise ValueError("classical conditions (c_if) have no Qiskit 2 equivalent here")
        params = [_param_to_qiskit(p, symbols) for p in inst.params]
        qubits = [out.qubits[q] for q in inst.qubits]
        if inst.name == "measure":
            out.measure(qubits[0], out.clbits[inst.clbits[0]])
        elif inst.name == "reset":
            out.reset(qubits[0])
        elif inst.name == "barrier":
            out.barrier(*qubits)
        elif inst.name == "delay":
            out.delay(float(inst.params[0]), qubits[0], unit="ns")
        elif inst.name in ("sy", "sydg"):
            sign = 1 if inst.name == "sy" else -1
            out.ry(sign * math.pi / 2, qubits[0])
            out.global_phase += sign * math.pi / 4
        elif inst.name == "u0":
            out.id(qubits[0])
        elif inst.name in _TO_QISKIT:
            out.append(_TO_QISKIT[inst.name](*params), qubits)
        else:
            raise ValueError(f"gate {inst.name!r} has no Qiskit counterpart")
    return out


def _param_to_qiskit(value: Any, symbols: dict[Parameter, QiskitParameter]) -> Any:
    if not isinstance(value, ParameterExpression):
        return float(value)
    if isinstance(value, Parameter):
        if value not in symbols:
            symbols[value] = QiskitParameter(value.name)
        return symbols[value]
    op, args = value._op, [_param_to_qiskit(a, symbols) for a in value._args]
    binary = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
              "/": lambda a, b: a / b, "^": lambda a, b: a**b}
    if op in binary:
        return binary[op](*args)
    if op == "neg":
        return -args[0]
    if op == "sqrt":
        return args[0] ** 0.5
    if op == "ln":
        return args[0].log()
    if op in ("sin", "cos", "tan", "exp"):
        return getattr(args[0], op)()
    raise ValueError(f"cannot convert parameter operation {op!r}")


# ----- Qiskit -> Kuafu ---------------------------------------------------------------------
def from_qiskit(qc: qiskit.QuantumCircuit) -> QuantumCircuit:
    """A Kuafu circuit from a Qiskit one; gates Kuafu lacks are inlined from definitions.

    Raises:
        ValueError: for control flow, or an instruction with neither a Kuafu name nor a
            definition (an opaque gate).
    """
    out = QuantumCircuit(*_registers(qc), name=identifier(qc.name or "circuit"))
    symbols: dict[Any, Parameter] = {}
    _append_all(out, qc, list(range(qc.num_qubits)), list(range(qc.num_clbits)), symbols)
    return out


def _registers(qc: qiskit.QuantumCircuit) -> list:
    regs: list = []
    qbits = [b for r in qc.qregs for b in r]
    if qbits == list(qc.qubits) and qbits:
        regs += [KuafuQReg(identifier(r.name), r.size) for r in qc.qregs]
    elif qc.num_qubits:
        regs.append(KuafuQReg("q", qc.num_qubits))
    cbits = [b for r in qc.cregs for b in r]
    if cbits == list(qc.clbits) and cbits:
        regs += [ClassicalRegister(identifier(r.name), r.size) for r in qc.cregs]
    elif qc.num_clbits:
        regs.append(ClassicalRegister("c", qc.num_clbits))
    return regs


def _append_all(out: QuantumCircuit, qc: qiskit.QuantumCircuit, qmap: list[int],
                cmap: list[int], symbols: dict) -> None:
    for item in qc.data:
        op = item.operation
        qubits = [qmap[qc.find_bit(q).index] for q in item.qubits]
        clbits = [cmap[qc.find_bit(c).index] for c in item.clbits]
        name = _FROM_QISKIT.get(op.name, op.name)
        if name == "mcx":
            name = {3: "c3x", 4: "c4x"}.get(op.num_ctrl_qubits, "mcx")
        if getattr(op, "blocks", None):
            raise ValueError(f"Qiskit control flow ({op.name}) is not supported")
        if name == "measure":
            out.append("measure", qubits, clbits=clbits)
        elif name in ("reset", "barrier"):
            out.append(name, qubits)
        elif isinstance(op, Delay):
            out.append("delay", qubits, [_delay_ns(op)])
        elif name in _TO_QISKIT and len(op.params) == _num_params(name):
            out.append(name, qubits, [_param_from_qiskit(p, symbols) for p in op.params])
        elif op.definition is not None:
            inner = op.definition
            _append_all(out, inner, qubits, clbits, symbols)
        else:
            raise ValueError(f"Qiskit instruction {op.name!r} has no Kuafu counterpart and "
                             "no definition")


def _num_params(name: str) -> int:
    from ...circuit import GATES

    return GATES[name].num_params


def _delay_ns(op: Delay) -> float:
    if op.unit not in _DELAY_UNITS:
        raise ValueError(f"delay in unit {op.unit!r}: give delays in s, ms, us or ns")
    return float(op.duration) * _DELAY_UNITS[op.unit]


def _param_from_qiskit(value: Any, symbols: dict) -> Any:
    if isinstance(value, QiskitParameter):
        if value not in symbols:
            symbols[value] = Parameter(identifier(value.name))
        return symbols[value]
    if isinstance(value, QiskitExpression):
        if not value.parameters:
            return float(value)
        by_name = {p.name: p for p in value.parameters}
        return from_sympy(value.sympify(),
                          lambda name: _param_from_qiskit(by_name[name], symbols))
    return float(value)


