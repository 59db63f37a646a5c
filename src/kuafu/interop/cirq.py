"""Cirq interoperability: circuits both ways.

    import cirq
    from kuafu.interop.cirq import from_cirq, to_cirq

    a, b = cirq.LineQubit.range(2)
    qc = from_cirq(cirq.Circuit(cirq.H(a), cirq.CNOT(a, b), cirq.measure(a, b, key="m")))

Qubits are sorted (`sorted(circuit.all_qubits())`) and numbered 0, 1, ...; each
measurement key becomes a classical register of that name (bit i reads the key's i-th
qubit), so Cirq's result for key `m` and Kuafu's register `m` agree. Gates map by kind
(`XPowGate` to `rx` and so on, global phases dropped as Cirq's own simulators do);
anything else is decomposed by `cirq.decompose`, and a single-qubit gate with only a
unitary is synthesised as `u3`. Symbols (SymPy) become Kuafu `Parameter`s.

Needs `cirq-core` (`pip install kuafu-cloud[cirq]`).
"""

from __future__ import annotations

import math
from typing import Any

import cirq
import numpy as np

from ..circuit import ClassicalRegister, Parameter, QuantumCircuit, QuantumRegister, gate_matrix
from ._symbolic import from_sympy, identifier, to_sympy

_PI = math.pi


# ----- Cirq -> Kuafu ---------------------------------------------------------------------
def from_cirq(circuit: cirq.Circuit) -> QuantumCircuit:
    """A Kuafu circuit equal (up to global phase) to a Cirq one.

    Raises:
        ValueError: for classically controlled operations, repeated measurement keys, or
            a gate that neither maps nor decomposes.
    """
    qubits = sorted(circuit.all_qubits())
    index = {q: i for i, q in enumerate(qubits)}
    keys: dict[str, int] = {}
    for op in circuit.all_operations():
        if cirq.is_measurement(op):
            key = cirq.measurement_key_name(op)
            if key in keys:
                raise ValueError(f"measurement key {key!r} is used twice")
            keys[key] = len(op.qubits)
    regs: list = [QuantumRegister("q", max(1, len(qubits)))]
    regs += [ClassicalRegister(identifier(k), n) for k, n in keys.items()]
    out = QuantumCircuit(*regs)
    symbols: dict[str, Parameter] = {}
    for op in circuit.all_operations():
        _append(out, op, index, symbols)
    return out


def _angle(value: Any, symbols: dict[str, Parameter]) -> Any:
    if isinstance(value, int | float | np.floating | np.integer):
        return float(value)
    return from_sympy(value, lambda name: symbols.setdefault(name,
                                                               Parameter(identifier(name))))


def _append(out: QuantumCircuit, op: cirq.Operation, index: dict, symbols: dict) -> None:
    if isinstance(op, cirq.ClassicallyControlledOperation):
        raise ValueError("classically controlled Cirq operations are not supported")
    qs = [index[q] for q in op.qubits]
    gate = op.gate
    if isinstance(gate, cirq.MeasurementGate):
        key = identifier(gate.key)
        offset = out.register_offset(next(r for r in out.cregs if r.name == key))
        if any(gate.full_invert_mask()):
            raise ValueError("inverted measurements are not supported")
        for i, q in enumerate(qs):
            out.append("measure", [q], clbits=[offset + i])
        return
    if isinstance(gate, cirq.ResetChannel):
        out.append("reset", qs)
        return
    step = _map_gate(gate, symbols) if gate is not None else None
    if step is not None:
        for name, positions, params in step:
            out.append(name, [qs[p] for p in positions], params)
        return
    if gate is not None and len(qs) == 1 and cirq.has_unitary(gate):
        out.append("u3", qs, _u3_angles(cirq.unitary(gate)))
        return
    parts = cirq.decompose_once(op, default=None)
    if parts is None:
        raise ValueError(f"cannot convert Cirq operation {op!r}")
    for part in parts:
        _append(out, part, index, symbols)


def _map_gate(gate: Any, symbols: dict) -> list | None:
    """Kuafu steps (name, qubit positions, params) for a gate Cirq parametrises by kind."""
    if isinstance(gate, cirq.IdentityGate):
        return [("id", (i,), ()) for i in range(gate.num_qubits())]
    kinds = ((cirq.HPowGate, "h", None, None), (cirq.XPowGate, "x", "rx", None),
             (cirq.YPowGate, "y", "ry", None), (cirq.ZPowGate, "z", "rz", "p"),
             (cirq.CXPowGate, "cx", None, None), (cirq.CZPowGate, "cz", None, "cp"),
             (cirq.SwapPowGate, "swap", None, None), (cirq.CCXPowGate, "ccx", None, None),
             (cirq.CSwapGate, "cswap", None, None))
    for cls, full, rotation, phase in kinds:
        if not isinstance(gate, cls):
            continue
        t = getattr(gate, "exponent", 1)
        positions = tuple(range(cirq.num_qubits(gate)))
        if isinstance(t, int | float) and t % 2 == 1:
            return [(full, positions, ())]
        if cls is cirq.ZPowGate and isinstance(t, int | float) and t % 2 in (0.5, 1.5, 0.25,
                                                                            1.75):
            return [({0.5: "s", 1.5: "sdg", 0.25: "t", 1.75: "tdg"}[t % 2], positions, ())]
        angle = _angle(t * _PI if isinstance(t, int | float) else t * np.pi, symbols)
        if phase is not None:  # a global shift only adds a global phase
            return [(phase, positions, (angle,))]
        if rotation is not None:
            return [(rotation, positions, (angle,))]
        return None
    return None


def _u3_angles(u: np.ndarray) -> list[float]:
    """(theta, phi, lambda) of a 2x2 unitary, up to global phase."""
    u = u / np.sqrt(np.linalg.det(u))
    theta = 2 * math.atan2(abs(u[1, 0]), abs(u[0, 0]))
    phi_plus_lam = 2 * np.angle(u[1, 1]) if abs(u[1, 1]) > 1e-12 else 0.0
    phi_minus_lam = 2 * np.angle(u[1, 0]) if abs(u[1, 0]) > 1e-12 else 0.0
    return [theta, (phi_plus_lam + phi_minus_lam) / 2, (phi_plus_lam - phi_minus_lam) / 2]


# ----- Kuafu -> Cirq ---------------------------------------------------------------------
def to_cirq(circuit: QuantumCircuit) -> cirq.Circuit:
    """A Cirq circuit on `cirq.LineQubit(0..n-1)`; equal up to global phase.

    A classical register whose bits are all measured becomes one measurement key of its
    name (bit i from its i-th qubit), placed at the end; a partly measured register gets
    one key `reg[i]` per measured bit.

    Raises:
        ValueError: for classical conditions, opaque gates, or a gate after a measurement
            of the same qubit.
    """
    qubits = cirq.LineQubit.range(circuit.num_qubits)
    symbols: dict[Parameter, Any] = {}
    ops: list[cirq.Operation] = []
    measured: dict[int, int] = {}
    for inst in circuit.instructions:
        if inst.condition is not None:
            raise ValueError("classical conditions have no Cirq equivalent here")
        qs = [qubits[q] for q in inst.qubits]
        if inst.name == "measure":
            measured[inst.clbits[0]] = inst.qubits[0]
            continue
        if inst.name in ("barrier", "delay"):
            continue
        if set(inst.qubits) & set(measured.values()):
            raise ValueError(f"{inst.name} acts on a measured qubit: to_cirq converts only "
                             "terminal measurements")
        if inst.name == "reset":
            ops.append(cirq.ResetChannel().on(*qs))
            continue
        params = [to_sympy(p, symbols) for p in inst.params]
        ops.append(_to_cirq_gate(inst.name, params).on(*qs))
    ops += _measurements(circuit, measured, qubits)
    return cirq.Circuit(ops)


def _to_cirq_gate(name: str, params: list) -> cirq.Gate:
    simple = {"id": cirq.I, "x": cirq.X, "y": cirq.Y, "z": cirq.Z, "h": cirq.H, "s": cirq.S,
              "sdg": cirq.S**-1, "t": cirq.T, "tdg": cirq.T**-1, "sx": cirq.X**0.5,
              "sxdg": cirq.X**-0.5, "sy": cirq.Y**0.5, "sydg": cirq.Y**-0.5, "cx": cirq.CNOT,
              "cz": cirq.CZ, "swap": cirq.SWAP, "ccx": cirq.CCX, "cswap": cirq.CSWAP}
    if name in simple:
        return simple[name]
    rotations = {"rx": cirq.rx, "ry": cirq.ry, "rz": cirq.rz}
    if name in rotations:
        return rotations[name](params[0])
    if name in ("p", "u1"):
        return cirq.ZPowGate(exponent=params[0] / _sympy_pi(params[0]))
    if name in ("cp", "cu1"):
        return cirq.CZPowGate(exponent=params[0] / _sympy_pi(params[0]))
    if name == "rzz":
        return cirq.ZZPowGate(exponent=params[0] / _sympy_pi(params[0]), global_shift=-0.5)
    if name == "rxx":
        return cirq.XXPowGate(exponent=params[0] / _sympy_pi(params[0]), global_shift=-0.5)
    if any(not isinstance(p, float) for p in params):
        raise ValueError(f"gate {name} with symbolic parameters has no Cirq form here; bind "
                         "the parameters first")
    matrix = gate_matrix(name, params)
    return cirq.MatrixGate(matrix, name=name)


def _sympy_pi(value: Any) -> Any:
    if isinstance(value, float):
        return _PI
    import sympy

    return sympy.pi


def _measurements(circuit: QuantumCircuit, measured: dict[int, int], qubits: list
                  ) -> list[cirq.Operation]:
    ops = []
    offset = 0
    for reg in circuit.cregs:
        bits = range(offset, offset + reg.size)
        if all(b in measured for b in bits):
            ops.append(cirq.measure(*[qubits[measured[b]] for b in bits], key=reg.name))
        else:
            for i, b in enumerate(bits):
                if b in measured:
                    ops.append(cirq.measure(qubits[measured[b]], key=f"{reg.name}[{i}]"))
        offset += reg.size
    return ops
