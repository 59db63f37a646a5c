"""`optimize` and `merge_single_qubit`: lower to rz/ry/rx/cz and merge single-qubit runs.

Both are one sweep over the circuit (no intermediate decomposed circuit): each gate is
lowered to natives on the way, and each run of single-qubit gates becomes at most
rz.ry.rz; the trailing Z rotation commutes through CZ into the next run, and a Z
rotation just before a measurement is dropped (it cannot change the outcome).
`optimize` also cancels two CZs on one pair with only Z rotations between them, and
sweeps again while something cancels.

Gates with a classical condition, measurements, resets, barriers and delays are never
moved across or merged.
"""

from __future__ import annotations

from functools import lru_cache

from ..circuit import GATES, Instruction, QuantumCircuit
from ..errors import CompileError
from .context import CompileContext
from .decompose import decompose, native_steps
from .synthesis import (
    ATOL,
    Mat2,
    entries_1q,
    mul_2x2,
    wrap_angle,
    y_then_z_steps,
    zyz_of_entries,
)


def merge_single_qubit(circuit: QuantumCircuit, *, context: CompileContext | None = None
                       ) -> QuantumCircuit:
    """Lower every gate to rz/ry/rx/cz and merge each run of single-qubit gates into at
    most rz.ry.rz (see module doc).

    One sweep instead of `decompose` followed by merging: a two-qubit gate's native steps
    (cached per gate and angle) feed the single-qubit runs directly.

    Raises:
        CompileError: for an opaque gate or an unbound parameter.
    """
    return _lower_and_merge(circuit, cancel=False)[0]


def _lower_and_merge(circuit: QuantumCircuit, cancel: bool) -> tuple[QuantumCircuit, bool]:
    """`merge_single_qubit`; with `cancel`, two CZs on one pair with nothing but Z
    rotations between them also cancel on the way. Returns (circuit, whether any did)."""
    out = circuit.copy_empty()
    kept: list[Instruction | None] = out.instructions
    emit = kept.append
    pending: dict[int, Mat2] = {}
    last: dict[int, int] = {}  # qubit -> index in `kept` of the last instruction on it
    opaque = circuit.opaque_gates
    cancelled = False

    def flush(q: int, keep_z: bool, drop_z: bool = False) -> None:
        u = pending.get(q)
        if u is None:
            return
        if keep_z and abs(u[1]) < _DIAGONAL and abs(u[2]) < _DIAGONAL:
            return  # a Z rotation: it commutes through CZ as it is
        del pending[q]
        steps, rest, rest_z = _run_plan(u)
        if keep_z or drop_z:
            # the trailing Z rotation commutes through CZ (or is lost in a measurement)
            if keep_z and rest_z is not None:
                pending[q] = rest_z
        elif rest_z is not None:
            steps = (*steps, ("rz", (rest,)))
        if steps:
            last[q] = len(kept) + len(steps) - 1
            for name, params in steps:
                emit(_native(name, q, params))

    def one(q: int, m: Mat2) -> None:
        u = pending.get(q)
        if u is None:
            pending[q] = m
        else:
            a, b, c, d = m
            e, f, g, h = u
            pending[q] = (a * e + b * g, a * f + b * h, c * e + d * g, c * f + d * h)

    def cz(a: int, b: int, inst: Instruction | None) -> None:
        nonlocal cancelled
        if a in pending:
            flush(a, keep_z=True)
        if b in pending:
            flush(b, keep_z=True)
        j = last.get(a, -1)
        if cancel and j >= 0 and j == last.get(b, -1):
            prev = kept[j]
            if prev is not None and prev.name == "cz" and prev.condition is None:
                kept[j] = None
                last[a] = last[b] = -1
                cancelled = True
                return
        last[a] = last[b] = len(kept)
        emit(inst if inst is not None else _cz(a, b))

    for inst in circuit.instructions:
        name = inst.name
        if inst.condition is None and name in GATES:
            qubits = inst.qubits
            try:
                if len(qubits) == 1:
                    one(qubits[0], entries_1q(name, inst.params))
                    continue
                if name == "cz":
                    cz(qubits[0], qubits[1], inst)
                    continue
                steps = _lowered(name, inst.params)
            except TypeError:
                raise CompileError(f"{name} has unbound parameters "
                                   f"{sorted(p.name for p in inst.parameters)}; bind them first"
                                   ) from None
            for pos, m in steps:
                if m is None:
                    cz(qubits[pos[0]], qubits[pos[1]], None)
                else:
                    one(qubits[pos], m)
            continue
        if name in GATES:  # a conditioned gate: its native pieces, each conditioned
            pieces = decompose(_alone(circuit, inst)).instructions
        elif name in opaque:
            raise CompileError(f"opaque gate {name!r} has no definition to compile")
        else:
            pieces = [inst]
        for piece in pieces:
            if piece.name == "measure" and piece.condition is None:
                flush(piece.qubits[0], keep_z=False, drop_z=True)
            else:
                for q in piece.qubits:
                    flush(q, keep_z=False)
            for q in piece.qubits:
                last[q] = len(kept)
            emit(piece)
    for q in sorted(pending):
        flush(q, keep_z=False)
    if cancelled:
        out.instructions = [i for i in kept if i is not None]
    return out, cancelled


@lru_cache(maxsize=8192)
def _run_plan(u: Mat2) -> tuple[tuple, float, Mat2 | None]:
    """How a single-qubit run with matrix `u` is emitted: (steps as (name, params), the
    Z rotation left after them, that rotation's matrix or None when it is the identity).
    Cached: runs inside SWAPs and CX repeat the same few matrices."""
    theta, phi, lam = zyz_of_entries(*u)
    steps, extra = y_then_z_steps(theta, lam)
    rest = wrap_angle(phi + extra)
    rest_z = entries_1q("rz", (rest,)) if abs(rest) > ATOL else None
    return tuple((name, params) for name, _, params in steps), rest, rest_z


@lru_cache(maxsize=65536)
def _native(name: str, q: int, params: tuple) -> Instruction:
    """One shared (immutable) instruction per rotation, qubit and angle: runs inside
    SWAPs and CXs repeat the same few."""
    return Instruction(name, (q,), (), params)


@lru_cache(maxsize=4096)
def _cz(a: int, b: int) -> Instruction:
    return Instruction("cz", (a, b))


_DIAGONAL = 1e-12
"""A pending single-qubit matrix whose off-diagonal entries are below this is a Z
rotation (to rounding) and waits, as it is, for the next non-diagonal gate."""


@lru_cache(maxsize=4096)
def _lowered(name: str, params: tuple) -> tuple:
    """A gate's native steps (`native_steps`) as the merge loop reads them: (positions,
    None) for a CZ, (position, Mat2) for the product of the single-qubit steps on one
    position between CZs. Raises TypeError for an unbound parameter."""
    out: list[tuple] = []
    pend: dict[int, Mat2] = {}
    for step, pos, p in native_steps(name, tuple(float(x) for x in params)):
        if step == "cz":
            for k in pos:
                if k in pend:
                    out.append((k, pend.pop(k)))
            out.append((pos, None))
        else:
            m = entries_1q(step, p)
            k = pos[0]
            pend[k] = m if k not in pend else mul_2x2(m, pend[k])
    out += sorted(pend.items())
    return tuple(out)


def _alone(circuit: QuantumCircuit, inst: Instruction) -> QuantumCircuit:
    one = circuit.copy_empty()
    one.instructions.append(inst)
    return one


def optimize(circuit: QuantumCircuit, *, context: CompileContext | None = None
             ) -> QuantumCircuit:
    """Lower to natives, merge single-qubit runs and (levels 1-3) cancel CZ pairs until
    nothing changes.

    Raises:
        CompileError: for an opaque gate or an unbound parameter.
    """
    level = context.optimization_level if context is not None else 1
    circuit, cancelled = _lower_and_merge(circuit, cancel=level >= 1)
    for _ in range(2):
        if not cancelled:
            break
        circuit, cancelled = _lower_and_merge(circuit, cancel=True)
    return circuit
