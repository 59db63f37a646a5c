"""OpenQASM 2.0 writer: `QuantumCircuit` to text that reads back to the same circuit."""

from __future__ import annotations

from ..circuit import QuantumCircuit
from ..circuit.instruction import Instruction
from ..circuit.parameter import ParameterExpression, format_number
from ..errors import QasmError


def _number(value: float) -> str:
    text = format_number(value)
    if "e" in text and "." not in text:  # OpenQASM 2 reals need a decimal point
        mantissa, exponent = text.split("e")
        text = f"{mantissa}.0e{exponent}"
    return text


def _param(value) -> str:
    if isinstance(value, ParameterExpression):
        raise QasmError(f"parameter {value.to_qasm()} is unbound; bind it before writing "
                        f"OpenQASM 2, which has no free parameters")
    return _number(value)


def write(circuit: QuantumCircuit) -> str:
    """The circuit as an OpenQASM 2.0 program (Quafu dialect for `sy`, `sydg`, `delay`).

    Raises:
        QasmError: for unbound parameters, or a condition that is not on a whole register.
    """
    lines = ["OPENQASM 2.0;", 'include "qelib1.inc";']
    for name, (n_params, n_qubits) in circuit.opaque_gates.items():
        params = ",".join(f"p{i}" for i in range(n_params))
        qubits = ",".join(f"q{i}" for i in range(n_qubits))
        lines.append(f"opaque {name}({params}) {qubits};" if n_params
                     else f"opaque {name} {qubits};")
    lines += [f"qreg {r.name}[{r.size}];" for r in circuit.qregs]
    lines += [f"creg {r.name}[{r.size}];" for r in circuit.cregs]
    qnames = [circuit.qubit_name(i) for i in range(circuit.num_qubits)]
    cnames = [circuit.clbit_name(i) for i in range(circuit.num_clbits)]
    conditions = _condition_registers(circuit)
    for inst in circuit.instructions:
        lines.append(_statement(inst, qnames, cnames, conditions))
    return "\n".join(lines) + "\n"


def _statement(inst: Instruction, qnames, cnames, conditions) -> str:
    prefix = ""
    if inst.condition is not None:
        register = conditions.get(inst.condition.clbits)
        if register is None:
            raise QasmError(f"{inst.name} is conditioned on bits that are not one whole "
                            f"classical register; OpenQASM 2 cannot express it")
        prefix = f"if({register}=={inst.condition.value}) "
    qubits = ",".join(qnames[q] for q in inst.qubits)
    if inst.name == "measure":
        return f"{prefix}measure {qubits} -> {cnames[inst.clbits[0]]};"
    if inst.name == "delay":
        return f"{prefix}delay({_number(inst.params[0])}ns) {qubits};"
    if inst.params:
        return f"{prefix}{inst.name}({','.join(_param(p) for p in inst.params)}) {qubits};"
    return f"{prefix}{inst.name} {qubits};"


def _condition_registers(circuit: QuantumCircuit) -> dict[tuple[int, ...], str]:
    registers = {}
    offset = 0
    for reg in circuit.cregs:
        registers[tuple(range(offset, offset + reg.size))] = reg.name
        offset += reg.size
    return registers


__all__ = ["write"]
