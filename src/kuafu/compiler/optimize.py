"""Optimisation passes: block re-synthesis, single-qubit merging, cancellation.

* `consolidate_blocks`: runs of gates confined to one pair of qubits are multiplied into
  a 4x4 unitary and re-synthesised when that needs fewer CZs (this is where a routing
  SWAP next to a gate on the same pair becomes cheap: SWAP*CP needs 3 CZs, not 5).
* `merge_single_qubit`: lowers every gate to rz/ry/rx/cz on the way (one sweep, no
  intermediate decomposed circuit), and each run of single-qubit gates becomes at most
  rz.ry.rz; the trailing Z rotation commutes through CZ into the next run, and a Z
  rotation just before a measurement is dropped (it cannot change the outcome).
* `optimize`: `merge_single_qubit` that also cancels two CZs on one pair with only Z
  rotations between them, repeated while something cancels.
* `cancel_pairs`: two CZs (or CXs) on the same pair with nothing between them cancel.
* `drop_identities`: gates equal to the identity up to floating-point precision (average
  gate fidelity with the identity within `IDENTITY_INFIDELITY` of 1, Qiskit's exact
  cutoff) are removed, e.g. the controlled phases of pi/2**21 and below in a large QFT.

Gates with a classical condition, measurements, resets, barriers and delays are never
moved across or merged.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from ..circuit import GATES, Instruction, QuantumCircuit, gate_matrix
from ..errors import CompileError
from .context import CompileContext
from .decompose import decompose, native_steps
from .synthesis import (
    ATOL,
    kak,
    num_cz,
    one_qubit_steps,
    two_qubit_steps,
    zyz_of_entries,
    zyz_steps,
)

IDENTITY_INFIDELITY = 1e-12
"""A gate whose average gate infidelity to the identity (up to global phase) is below this
is dropped. Qiskit's `RemoveIdentityEquivalent` uses the same cutoff at its default
(exact) approximation degree; the phase of such a gate differs from 1 by ~2e-6 at most."""

_CZ = np.diag([1, 1, 1, -1]).astype(complex)
_I2 = np.eye(2, dtype=complex)


def matrix_1q(name: str, params) -> np.ndarray:
    """A single-qubit gate's matrix, with fast paths for the native rotations."""
    if name == "rz":
        h = 0.5 * float(params[0])
        c, s = math.cos(h), math.sin(h)
        return np.array([[complex(c, -s), 0], [0, complex(c, s)]])
    if name == "ry":
        h = 0.5 * float(params[0])
        c, s = math.cos(h), math.sin(h)
        return np.array([[c, -s], [s, c]], dtype=complex)
    if name == "rx":
        h = 0.5 * float(params[0])
        c, s = math.cos(h), math.sin(h)
        return np.array([[c, -1j * s], [-1j * s, c]])
    return gate_matrix(name, params)


def _is_1q(inst: Instruction) -> bool:
    return inst.condition is None and len(inst.qubits) == 1 and inst.name in GATES


def _is_cz(inst: Instruction) -> bool:
    return inst.name == "cz" and inst.condition is None


# ----- single-qubit runs -----------------------------------------------------------------
Mat2 = tuple[complex, complex, complex, complex]
"""A 2x2 matrix as (m00, m01, m10, m11): plain complex arithmetic beats numpy at this size."""


def _entries(name: str, params) -> Mat2:
    if name not in ("rz", "ry", "rx"):
        return _fixed_entries(name, tuple(params))
    h = 0.5 * float(params[0])
    c, s = math.cos(h), math.sin(h)
    if name == "rz":
        return complex(c, -s), 0j, 0j, complex(c, s)
    if name == "ry":
        return complex(c), complex(-s), complex(s), complex(c)
    return complex(c), complex(0, -s), complex(0, -s), complex(c)


@lru_cache(maxsize=4096)
def _fixed_entries(name: str, params: tuple) -> Mat2:
    m = gate_matrix(name, tuple(float(p) for p in params))
    return complex(m[0, 0]), complex(m[0, 1]), complex(m[1, 0]), complex(m[1, 1])


def _mul(x: Mat2, y: Mat2) -> Mat2:
    a, b, c, d = x
    e, f, g, h = y
    return a * e + b * g, a * f + b * h, c * e + d * g, c * f + d * h


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
        u = pending.pop(q, None)
        if u is None:
            return
        theta, phi, lam = zyz_of_entries(*u)
        if keep_z or drop_z:
            # the trailing Z rotation commutes through CZ (or is lost in a measurement)
            if abs(math.remainder(theta, 2 * math.pi)) < ATOL:
                steps, rest = [], phi + lam
            else:
                steps, rest = zyz_steps(theta, 0.0, lam), phi
            if keep_z and abs(math.remainder(rest, 2 * math.pi)) > ATOL:
                pending[q] = _entries("rz", (rest,))
        else:
            steps = zyz_steps(theta, phi, lam)
        for name, _, params in steps:
            last[q] = len(kept)
            emit(Instruction(name, (q,), (), params))

    def one(q: int, m: Mat2) -> None:
        u = pending.get(q)
        pending[q] = m if u is None else _mul(m, u)

    def cz(a: int, b: int, inst: Instruction | None) -> None:
        nonlocal cancelled
        flush(a, keep_z=True)
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
        emit(inst if inst is not None else Instruction("cz", (a, b)))

    for inst in circuit.instructions:
        name = inst.name
        if inst.condition is None and name in GATES:
            qubits = inst.qubits
            try:
                if len(qubits) == 1:
                    one(qubits[0], _entries(name, inst.params))
                    continue
                if name == "cz":
                    cz(qubits[0], qubits[1], inst)
                    continue
                steps = native_steps(name, tuple(float(p) for p in inst.params))
            except TypeError:
                raise CompileError(f"{name} has unbound parameters "
                                   f"{sorted(p.name for p in inst.parameters)}; bind them first"
                                   ) from None
            for step, pos, params in steps:
                if step == "cz":
                    cz(qubits[pos[0]], qubits[pos[1]], None)
                else:
                    one(qubits[pos[0]], _entries(step, params))
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


def _alone(circuit: QuantumCircuit, inst: Instruction) -> QuantumCircuit:
    one = circuit.copy_empty()
    one.instructions.append(inst)
    return one


# ----- cancellation ----------------------------------------------------------------------
def cancel_pairs(circuit: QuantumCircuit, *, context: CompileContext | None = None
                 ) -> QuantumCircuit:
    """Remove pairs of identical self-inverse two-qubit gates (cz, cx) with nothing between."""
    kept: list[Instruction | None] = []
    last: dict[int, list[int]] = {}
    for inst in circuit.instructions:
        if inst.name in ("cz", "cx") and inst.condition is None:
            a, b = inst.qubits
            ja, jb = last.get(a), last.get(b)
            if ja and jb and ja[-1] == jb[-1]:
                prev = kept[ja[-1]]
                if prev is not None and prev.name == inst.name and (
                        prev.qubits == inst.qubits
                        or (inst.name == "cz" and set(prev.qubits) == {a, b})):
                    kept[ja[-1]] = None
                    ja.pop()
                    jb.pop()
                    continue
        for q in inst.qubits:
            last.setdefault(q, []).append(len(kept))
        kept.append(inst)
    out = circuit.copy_empty()
    out.instructions = [i for i in kept if i is not None]
    return out


# ----- identities ------------------------------------------------------------------------
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


# ----- two-qubit blocks ------------------------------------------------------------------
@lru_cache(maxsize=8192)
def _resynthesised(signature: tuple, cost: int) -> tuple | None:
    """Native steps for a block given as (name, positions, params) steps, if they need
    fewer than `cost` CZs; None otherwise. Cached: routed circuits repeat blocks (a QFT's
    CP+SWAP pairs share a handful of angles)."""
    u = _block_unitary(signature)
    if num_cz(kak(u)[2]) >= cost:
        return None
    return tuple(_native(two_qubit_steps(u)))


def _block_unitary(signature: tuple) -> np.ndarray:
    """The 4x4 unitary of a block's steps, big-endian over its two positions."""
    u = np.eye(4, dtype=complex)
    pending = [None, None]
    for name, positions, params in signature:
        if len(positions) == 1:
            k = positions[0]
            m = matrix_1q(name, params)
            pending[k] = m if pending[k] is None else m @ pending[k]
            continue
        u = _apply_locals(u, pending)
        pending = [None, None]
        if name == "cz":
            u[3] = -u[3]
        else:
            m = gate_matrix(name, params)
            if positions != (0, 1):
                sw = gate_matrix("swap")
                m = sw @ m @ sw
            u = m @ u
    return _apply_locals(u, pending)


def _apply_locals(u: np.ndarray, pending: list) -> np.ndarray:
    a, b = pending
    if a is None and b is None:
        return u
    a = _I2 if a is None else a
    b = _I2 if b is None else b
    t = u.reshape(2, 2, 4)
    return np.einsum("ik,jl,klm->ijm", a, b, t).reshape(4, 4)


def _cz_cost(block: list[Instruction]) -> int:
    return sum(1 if i.name == "cz" else _native_cz(i.name, tuple(i.params))
               for i in block if len(i.qubits) == 2)


def native_cz_count(circuit: QuantumCircuit) -> int:
    """CZs the circuit needs once every two-qubit gate is decomposed by the fixed rules."""
    return sum(1 if i.name == "cz" else _native_cz(i.name, tuple(i.params))
               for i in circuit.instructions if len(i.qubits) == 2 and i.name in GATES)


def _native_cz(name: str, params: tuple) -> int:
    return sum(1 for step in native_steps(name, params) if step[0] == "cz")


def consolidate_blocks(circuit: QuantumCircuit, *, context: CompileContext | None = None
                       ) -> QuantumCircuit:
    """Re-synthesise each two-qubit block that the KAK synthesis can do with fewer CZs.

    Blocks may contain `swap` (from routing) and any library gate; a re-synthesised
    block becomes rz/ry/rx/cz, and every other instruction is left as it was.
    """
    level = context.optimization_level if context is not None else 1
    insts = circuit.instructions
    blocks: list[list[int]] = []
    pair_of: list[tuple[int, int]] = []
    open_block: dict[int, int] = {}
    for idx, inst in enumerate(insts):
        unitary = inst.name in GATES and inst.condition is None
        if unitary and len(inst.qubits) == 2:
            a, b = inst.qubits
            ba, bb = open_block.get(a), open_block.get(b)
            if ba is not None and ba == bb:
                blocks[ba].append(idx)
                continue
            for q in (a, b):
                _close(open_block, q, pair_of)
            open_block[a] = open_block[b] = len(blocks)
            blocks.append([idx])
            pair_of.append((a, b))
        elif unitary and len(inst.qubits) == 1 and inst.qubits[0] in open_block:
            blocks[open_block[inst.qubits[0]]].append(idx)
        else:
            for q in inst.qubits:
                _close(open_block, q, pair_of)
    replace: dict[int, list[Instruction]] = {}
    drop: set[int] = set()
    for members, pair in zip(blocks, pair_of, strict=True):
        block = [insts[i] for i in members]
        cost = _cz_cost(block)
        new = None
        if _worth_resynthesis(block, cost, level):
            a = pair[0]
            signature = tuple((i.name, (0 if i.qubits[0] == a else 1,) if len(i.qubits) == 1
                               else ((0, 1) if i.qubits[0] == a else (1, 0)), i.params)
                              for i in block)
            steps = _resynthesised(signature, cost)
            if steps is not None:
                new = [Instruction(n, tuple(pair[i] for i in pos), (), p)
                       for n, pos, p in steps]
        if new is not None:
            drop.update(members)
            replace[members[-1]] = new
    out = circuit.copy_empty()
    for idx, inst in enumerate(insts):
        if idx in replace:
            out.instructions += replace[idx]
        elif idx not in drop:
            out.instructions.append(inst)
    return out


def _worth_resynthesis(block: list[Instruction], cost: int, level: int) -> bool:
    """Whether a block might need fewer CZs than it has (KAK costs about 0.1 ms)."""
    multi = [i for i in block if len(i.qubits) == 2]
    if len(multi) < 2:
        return False
    if cost >= 4 or any(i.name == "swap" for i in multi):
        return True
    return (cost == 3 and level >= 2) or (cost == 2 and level >= 3)


def _close(open_block: dict[int, int], q: int, pair_of: list[tuple[int, int]]) -> None:
    b = open_block.get(q)
    if b is not None:
        for p in pair_of[b]:
            if open_block.get(p) == b:
                del open_block[p]


def _native(steps):
    out = []
    for name, pos, params in steps:
        if name == "unitary1q":
            out += [(n, pos, p) for n, _, p in one_qubit_steps(params[0])]
        elif name == "cz":
            out.append((name, pos, params))
        else:
            out += [(n, tuple(pos[i] for i in p2), p)
                    for n, p2, p in native_steps(name, tuple(params))]
    return out


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


def elide_swaps(circuit: QuantumCircuit, *, context: CompileContext) -> QuantumCircuit:
    """Drop unconditioned `swap` gates by relabelling the qubits after them.

    The states end up permuted; `context.wire_of` records where each input qubit's state
    ends, and `compile` folds that into the reported final mapping.
    """
    where = list(context.wire_of or range(circuit.num_qubits))
    out = circuit.copy_empty()
    for inst in circuit.instructions:
        if inst.name == "swap" and inst.condition is None:
            a, b = inst.qubits
            where[a], where[b] = where[b], where[a]
            continue
        out.instructions.append(Instruction(inst.name, tuple(where[q] for q in inst.qubits),
                                           inst.clbits, inst.params, inst.condition))
    context.wire_of = where
    return out


def is_identity_angle(angle: float, atol: float = 1e-9) -> bool:
    """Whether a rotation angle is 0 modulo 2*pi."""
    return abs(math.remainder(angle, 2 * math.pi)) < atol
