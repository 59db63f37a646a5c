"""Decomposition of every library gate into the natives rz, ry, rx and cz.

Gates on three or more qubits are expanded by their `qelib1.inc` definitions (the gate
library's `gate_definition`); two-qubit gates by fixed rules where they are common (cx,
cz, cp, crz, rzz, swap) and by the KAK synthesis otherwise; single-qubit gates by their
Z-Y-Z angles. `measure`, `reset`, `barrier` and `delay` pass through, and a condition is
copied onto every piece.
"""

from __future__ import annotations

import math
from functools import cache, lru_cache

from ..circuit import GATES, Instruction, QuantumCircuit, gate_definition, gate_matrix
from ..circuit.gates import Step
from ..errors import CompileError
from .context import CompileContext
from .synthesis import one_qubit_steps, two_qubit_steps

PI = math.pi
NATIVE_1Q = frozenset({"rz", "ry", "rx"})


def _h(q: int) -> list[Step]:
    return [("rz", (q,), (PI,)), ("ry", (q,), (PI / 2,))]


def _two_qubit_rule(name: str, params: tuple[float, ...]) -> list[Step] | None:
    if name == "cz":
        return [("cz", (0, 1), ())]
    if name == "cx":
        return [*_h(1), ("cz", (0, 1), ()), *_h(1)]
    if name in ("cp", "cu1"):
        lam = params[0]
        return [("rz", (0,), (lam / 2,)), *_h(1), ("cz", (0, 1), ()), *_h(1),
                ("rz", (1,), (-lam / 2,)), *_h(1), ("cz", (0, 1), ()), *_h(1),
                ("rz", (1,), (lam / 2,))]
    if name == "crz":
        lam = params[0]
        return [("rz", (1,), (lam / 2,)), *_h(1), ("cz", (0, 1), ()), *_h(1),
                ("rz", (1,), (-lam / 2,)), *_h(1), ("cz", (0, 1), ()), *_h(1)]
    if name == "rzz":
        return [*_h(1), ("cz", (0, 1), ()), *_h(1), ("rz", (1,), (params[0],)),
                *_h(1), ("cz", (0, 1), ()), *_h(1)]
    if name == "swap":
        return [*_h(1), ("cz", (0, 1), ()), *_h(1), *_h(0), ("cz", (0, 1), ()), *_h(0),
                *_h(1), ("cz", (0, 1), ()), *_h(1)]
    return None


@lru_cache(maxsize=4096)
def native_steps(name: str, params: tuple[float, ...]) -> tuple[Step, ...]:
    """Native steps (rz, ry, rx, cz over the gate's argument positions) for one gate."""
    spec = GATES[name]
    if spec.num_qubits == 1:
        if name in NATIVE_1Q:
            return ((name, (0,), params),)
        return tuple(one_qubit_steps(gate_matrix(name, params)))
    if spec.num_qubits == 2:
        rule = _two_qubit_rule(name, params)
        if rule is not None:
            return tuple(rule)
        return tuple(lower_steps(two_qubit_steps(gate_matrix(name, params))))
    steps: list[Step] = []
    for sub, qubits, sub_params in gate_definition(name, params):
        for n, pos, p in native_steps(sub, tuple(float(x) for x in sub_params)):
            steps.append((n, tuple(qubits[i] for i in pos), p))
    return tuple(steps)


def lower_steps(steps: list[Step]) -> list[Step]:
    """Natives for the steps of a synthesis (`two_qubit_steps`): its `unitary1q`
    placeholders by their Z-Y-Z angles, its library gates by `native_steps`."""
    out: list[Step] = []
    for name, pos, params in steps:
        if name == "unitary1q":
            out += [(n, pos, p) for n, _, p in one_qubit_steps(params[0])]
        elif name in NATIVE_1Q or name == "cz":
            out.append((name, pos, params))
        else:
            out += [(n, tuple(pos[i] for i in p2), p)
                    for n, p2, p in native_steps(name, tuple(params))]
    return out


MAX_TWO_QUBIT_CZ = 3
"""The most CZs any two-qubit unitary needs (KAK); the cost of a gate that cannot be told."""


def cz_cost(name: str, params: tuple = ()) -> int:
    """CZs a library gate costs once lowered by `native_steps` (its fixed rules).

    Layout, routing and block re-synthesis all count with this function. A gate whose
    cost cannot be told (not in the library, or with unbound parameters) counts as
    `MAX_TWO_QUBIT_CZ`.
    """
    if name not in GATES:
        return MAX_TWO_QUBIT_CZ
    try:
        return _cz_cost(name, tuple(float(p) for p in params))
    except TypeError:  # an unbound parameter
        return MAX_TWO_QUBIT_CZ


@lru_cache(maxsize=4096)
def _cz_cost(name: str, params: tuple[float, ...]) -> int:
    return sum(1 for step in native_steps(name, params) if step[0] == "cz")


def decompose(circuit: QuantumCircuit, *, context: CompileContext | None = None
              ) -> QuantumCircuit:
    """The circuit with every gate replaced by rz/ry/rx/cz (non-gates kept).

    Raises:
        CompileError: for an opaque gate or an unbound parameter.
    """
    out = circuit.copy_empty()
    append = out.instructions.append
    for inst in circuit.instructions:
        if not inst.is_gate:
            if inst.name in circuit.opaque_gates:
                raise CompileError(f"opaque gate {inst.name!r} has no definition to compile")
            append(inst)
            continue
        if inst.is_parameterized:
            raise CompileError(f"{inst.name} has unbound parameters "
                               f"{sorted(p.name for p in inst.parameters)}; bind them first")
        params = tuple(float(p) for p in inst.params)
        for name, pos, p in native_steps(inst.name, params):
            append(Instruction(name, tuple(inst.qubits[i] for i in pos), (), p,
                               inst.condition))
    return out


def unroll(circuit: QuantumCircuit, *, context: CompileContext | None = None
           ) -> QuantumCircuit:
    """Gates on three or more qubits expanded (by their definitions) into library gates
    on one and two qubits; everything else is kept, so routing sees `cp`, `swap`, ... whole.
    """
    out = circuit.copy_empty()
    for inst in circuit.instructions:
        if inst.is_gate and len(inst.qubits) > 2:
            out.instructions += [
                Instruction(n, tuple(inst.qubits[i] for i in pos), (), tuple(p), inst.condition)
                for n, pos, p in _expand(inst.name)]
        else:
            out.instructions.append(inst)
    return out


@cache
def _expand(name: str) -> tuple[Step, ...]:
    steps: list[Step] = []
    for sub, qubits, params in gate_definition(name):
        if GATES[sub].num_qubits > 2:
            steps += [(n, tuple(qubits[i] for i in pos), p) for n, pos, p in _expand(sub)]
        else:
            steps.append((sub, tuple(qubits), tuple(float(x) for x in params)))
    return tuple(steps)
