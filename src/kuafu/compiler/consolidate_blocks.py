"""`consolidate_blocks`: re-synthesise two-qubit blocks that need fewer CZs than they have.

Runs of gates confined to one pair of qubits are multiplied into a 4x4 unitary and
re-synthesised (KAK) when that needs fewer CZs. This is where a routing SWAP next to a
gate on the same pair becomes cheap: SWAP*CP needs 3 CZs, not 5. Gates with a classical
condition, measurements, resets, barriers and delays close the blocks on their qubits.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..circuit import GATES, Instruction, QuantumCircuit, gate_matrix
from .context import CompileContext
from .decompose import cz_cost, lower_steps
from .synthesis import compact_steps, entries_1q, kak, num_cz, two_qubit_steps

RESYNTH_MIN = {0: 99, 1: 4, 2: 3, 3: 2}
"""The smallest CZ cost of a SWAP-free block worth re-synthesising, per optimisation level
(a KAK costs about 0.1 ms; level 0 does not re-synthesise). Blocks with a SWAP always
are. The routing kernel estimates its CZs with the same thresholds."""

_I2 = np.eye(2, dtype=complex)


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
        cost = _block_cost(block)
        new = None
        if _worth_resynthesis(block, cost, level):
            a = pair[0]
            signature = tuple((i.name, (0 if i.qubits[0] == a else 1,) if len(i.qubits) == 1
                               else ((0, 1) if i.qubits[0] == a else (1, 0)), i.params)
                              for i in block)
            steps = _resynthesised(signature, cost)
            if steps is not None:
                new = [_instruction(n, tuple(pair[i] for i in pos), p) for n, pos, p in steps]
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


def _block_cost(block: list[Instruction]) -> int:
    return sum(cz_cost(i.name, i.params) for i in block if len(i.qubits) == 2)


def _worth_resynthesis(block: list[Instruction], cost: int, level: int) -> bool:
    """Whether a block might need fewer CZs than it has."""
    multi = [i for i in block if len(i.qubits) == 2]
    if len(multi) < 2:
        return False
    return any(i.name == "swap" for i in multi) or cost >= RESYNTH_MIN[level]


def _close(open_block: dict[int, int], q: int, pair_of: list[tuple[int, int]]) -> None:
    b = open_block.get(q)
    if b is not None:
        for p in pair_of[b]:
            if open_block.get(p) == b:
                del open_block[p]


@lru_cache(maxsize=65536)
def _instruction(name: str, qubits: tuple[int, ...], params: tuple) -> Instruction:
    """One shared (immutable) instruction per gate, qubits and angles."""
    return Instruction(name, qubits, (), params)


@lru_cache(maxsize=8192)
def _resynthesised(signature: tuple, cost: int) -> tuple | None:
    """Native steps for a block given as (name, positions, params) steps, if they need
    fewer than `cost` CZs; None otherwise. Cached: routed circuits repeat blocks (a QFT's
    CP+SWAP pairs share a handful of angles)."""
    u = _block_unitary(signature)
    if num_cz(kak(u)[2]) >= cost:
        return None
    return tuple(compact_steps(lower_steps(two_qubit_steps(u))))


def _block_unitary(signature: tuple) -> np.ndarray:
    """The 4x4 unitary of a block's steps, big-endian over its two positions."""
    u = np.eye(4, dtype=complex)
    pending = [None, None]
    for name, positions, params in signature:
        if len(positions) == 1:
            k = positions[0]
            m = _matrix_1q(name, params)
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


def _matrix_1q(name: str, params) -> np.ndarray:
    return np.array(entries_1q(name, params), dtype=complex).reshape(2, 2)
