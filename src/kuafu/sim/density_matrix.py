"""The density-matrix engine: exact noisy simulation of small circuits.

A density matrix rho of n qubits (little-endian, as Qiskit's `DensityMatrix`) is stored as a
flat vector of 4**n amplitudes, index = row * 2**n + column. Read that way it is a "state" of
2n qubits: qubit q of the row is bit q + n, of the column bit q. So U rho U^dag is U on bits
q + n followed by conj(U) on bits q, and a channel is its superoperator sum_k K (x) conj(K)
on both sets at once.

How a circuit runs (`fusion=True`, the default): the unconditioned gates and channels between
two measurements, resets or conditions are grouped into blocks of at most `BLOCK_QUBITS`
circuit qubits (`fusion.partition`, along the light cone); a block on qubits Q is one
`blocks.BlockProgram` on the 2n-qubit vector's bits Q and Q + n, run by the statevector's
block kernel: one pass over memory per block, every gate and channel of the block applied to
a cache-resident buffer. Gates enter as U and conj(U) (split by the statevector's lowering);
a channel enters as its superoperator, written in micro-operations (`_channel_pieces`): the
channels of noise models (depolarizing, Pauli, amplitude and phase damping, thermal
relaxation and their compositions and tensor products) keep r XOR c of every qubit, so after
relabelling the columns (c -> c XOR r, free: a permutation of buffer rows) they are one small
matrix per value of r XOR c on the row bits, a diagonal where that matrix is (a 1-qubit
depolarizing channel costs a real 2x2 on half the rows and a scale), and any other channel
its dense superoperator. `fusion=False` runs the reference: one kernel pass per gate and
per channel. `precision="single"` keeps rho in complex64.

Mid-circuit measurements make the state classical-quantum: a dict from the classical
register's bits to the unnormalised rho of that branch. Measurements split a branch (with
readout errors mixing the two projections into what the register records), conditions
apply an operation in the branches whose bits satisfy them, and branches with the same bits
merge. Terminal measurements are not applied: shots are sampled from the diagonal at the end.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterable

import numpy as np

from ..circuit import Condition, QuantumCircuit
from ..errors import InsufficientMemoryError
from . import _lowering
from .blocks import Encoded, compile_block
from .fusion import FusedGate, classify, partition
from .noise import NoiseModel, Op, Program, compile_program
from .result import write_terminal
from .statevector import kernel_call, memory_budget
from .trajectories import serial_call

__all__ = ["BLOCK_QUBITS", "density_matrix", "dm_required_bytes", "outcome_probabilities",
           "run_density_matrix"]

Branches = dict[bytes, np.ndarray]
_DTYPES = {"double": np.dtype(np.complex128), "single": np.dtype(np.complex64)}

BLOCK_QUBITS = 5
"""Circuit qubits per block: 2 * 5 bits of the vectorised rho, the statevector's block width."""


def dm_required_bytes(num_qubits: int, precision: str = "double") -> int:
    """Bytes of one density matrix plus the engine's working copy (a measurement's split)."""
    return 2 * _dtype(precision).itemsize * 4**num_qubits


def _dtype(precision: str) -> np.dtype:
    try:
        return _DTYPES[precision]
    except KeyError:
        raise ValueError(f"precision must be 'double' or 'single', got {precision!r}") from None


def density_matrix(circuit: QuantumCircuit, noise: NoiseModel | None = None, *,
                   max_memory_bytes: int | None = None, precision: str = "double",
                   fusion: bool = True) -> np.ndarray:
    """The circuit's final density matrix under `noise`, little-endian (2**n x 2**n).

    Terminal measurements are left out (this is the state they would measure); mid-circuit
    measurements are applied and their outcomes forgotten (the branches are summed).
    `precision="single"` computes in complex64; `fusion=False` runs one pass per gate and
    channel (the reference the blocks are tested against).

    Raises:
        InsufficientMemoryError: when the density matrix does not fit in the memory budget.
    """
    program = compile_program(circuit, noise)
    branches = _evolve(program, max_memory_bytes, _dtype(precision), fusion)
    dim = 2**program.num_qubits
    rho = sum(branches.values())
    return np.asarray(rho).reshape(dim, dim)


def run_density_matrix(
    circuit: QuantumCircuit,
    shots: int,
    noise: NoiseModel | None,
    rng: np.random.Generator,
    *,
    max_memory_bytes: int | None = None,
    precision: str = "double",
    fusion: bool = True,
) -> tuple[np.ndarray, dict[str, float]]:
    """Sample `shots` from the exact noisy distribution.

    Args:
        precision: "double" (complex128) or "single" (complex64).
        fusion: blocks of gates and channels per pass (True) or one pass each (False).

    Returns:
        ((shots, num_clbits) uint8 bits in random shot order, timings in seconds).
    """
    t0 = time.perf_counter()
    program = compile_program(circuit, noise)
    t1 = time.perf_counter()
    branches = _evolve(program, max_memory_bytes, _dtype(precision), fusion)
    t2 = time.perf_counter()
    bits = _sample(program, branches, shots, rng)
    t3 = time.perf_counter()
    return bits, {"prepare": t1 - t0, "run": t2 - t1, "sample": t3 - t2}


def outcome_probabilities(circuit: QuantumCircuit, noise: NoiseModel | None = None, *,
                          fusion: bool = True) -> dict[str, float]:
    """Exact probability of each classical register value, readout errors included.

    Keys are bitstrings with classical bit 0 rightmost (as counts). Meant for tests and
    for small circuits: the cost is 2**num_clbits per branch.
    """
    program = compile_program(circuit, noise)
    branches = _evolve(program, None, _DTYPES["double"], fusion)
    out: dict[str, float] = {}
    n, m = program.num_qubits, program.num_clbits
    dim = 2**n
    for key, rho in branches.items():
        diag = np.real(rho[:: dim + 1]).clip(min=0)
        base = np.frombuffer(key, dtype=np.uint8)
        for index in np.nonzero(diag > 1e-15)[0]:
            for bits, p in _terminal_records(int(index), program.terminal, base):
                label = "".join(str(b) for b in bits[::-1])
                out[label] = out.get(label, 0.0) + p * diag[index]
    if m == 0:
        return {"": sum(out.values())}
    return out


def _terminal_records(index: int, terminal, base: np.ndarray):
    """(bits, probability) of what the terminal measurements record for basis `index`."""
    records = [(base.copy(), 1.0)]
    for q, c, readout in terminal:
        true = (index >> q) & 1
        nxt = []
        for bits, p in records:
            for read in (0, 1):
                if readout is None:
                    pr = 1.0 if read == true else 0.0
                else:
                    pr = readout.matrix[true, read]
                if pr > 0:
                    b = bits.copy()
                    b[c] = read
                    nxt.append((b, p * pr))
        records = nxt
    return records


# ----- evolution -------------------------------------------------------------------------
def _evolve(program: Program, max_memory_bytes: int | None, dtype: np.dtype,
            fusion: bool) -> Branches:
    n = program.num_qubits
    need = dm_required_bytes(n, "single" if dtype == np.complex64 else "double")
    budget = memory_budget() if max_memory_bytes is None else max_memory_bytes
    if need > budget:
        raise InsufficientMemoryError(
            f"a {n}-qubit density matrix needs {need:,} bytes ({need / 2**30:.1f} GiB); "
            f"{budget:,} bytes are available", need, budget)
    rho = np.zeros(4**n, dtype=dtype)
    rho[0] = 1
    branches: Branches = {bytes(program.num_clbits): rho}
    if not fusion:
        cache: dict = {}  # channel calls, per (channel, qubits); channels outlive the run
        for op in program.ops:
            branches = _step(op, branches, n, cache, dtype)
        return branches
    for step in _fused_steps(program, dtype):
        if isinstance(step, Op):
            branches = _step(step, branches, n, {}, dtype)
            continue
        condition, calls = step
        for key in _active(branches, condition):
            _run(branches[key], calls)
    return branches


def _active(branches: Branches, condition: Condition | None) -> list[bytes]:
    return [key for key in branches
            if condition is None or condition.holds(np.frombuffer(key, np.uint8))]


def _fused_steps(program: Program, dtype: np.dtype) -> list:
    """The program as (condition, kernel calls) for each run of gates and channels under one
    condition (or none), and the measurements and resets as they are."""
    steps: list = []
    run: list[Op] = []
    for op in program.ops:
        if op.kind in ("gate", "kraus"):
            if run and run[0].condition is not op.condition:
                steps.append((run[0].condition, _block_calls(run, program.num_qubits, dtype)))
                run = []
            run.append(op)
            continue
        if run:
            steps.append((run[0].condition, _block_calls(run, program.num_qubits, dtype)))
            run = []
        steps.append(op)
    if run:
        steps.append((run[0].condition, _block_calls(run, program.num_qubits, dtype)))
    return steps


def _block_calls(ops: list[Op], n: int, dtype: np.dtype) -> list:
    """Kernel calls running `ops` on the vectorised rho, one block program per block."""
    calls = []
    for qubits, taken in partition([(op, op.qubits) for op in ops], min(n, BLOCK_QUBITS)):
        wide = [q + n for q in qubits]
        lowered: list = []
        for op, _ in taken:
            lowered.extend(_superop_parts(op, n))
        block = compile_block(tuple(sorted((*qubits, *wide))), lowered)
        call = kernel_call(block, dtype)
        if call is not None:
            calls.append(call)
    return calls


def _superop_parts(op: Op, n: int) -> list:
    """`op` on the vectorised rho, as `compile_block` operations: a gate U is U on the row
    bits and conj(U) on the column bits (big-endian over the reversed ascending qubits, as
    U is little-endian over them); a channel is `Encoded` micro-operations."""
    cols = op.qubits
    rows = tuple(q + n for q in cols)
    if op.kind == "kraus" and op.mixture is not None and len(op.mixture) == 1:
        u = op.mixture[0][1]
    elif op.kind == "kraus":
        pieces = _channel_pieces(b"".join(m.tobytes() for m in op.matrices), len(op.matrices),
                                 len(cols))
        return [(pieces, (*cols, *rows))] if pieces.pieces else []
    else:
        u = op.matrices[0]
    return [(u, rows[::-1]), (u.conj(), cols[::-1])]


@functools.lru_cache(maxsize=1024)
def _channel_pieces(data: bytes, count: int, k: int) -> Encoded:
    """A k-qubit channel's superoperator as micro-operations over (column bits, row bits).

    The local index of the superoperator is c + 2**k r (column bits low). Channels that keep
    d = r XOR c (Pauli channels, damping, thermal relaxation, their products and
    compositions) are, after relabelling c -> d, one 2**k x 2**k matrix on the row bits per
    value of d: a diagonal joins one phase operation, any other matrix becomes a real or
    complex pair rotation (k = 1) or a dense group (k = 2) controlled on the d bits (those
    that are 0 flipped around it by a free relabelling). Other channels: the dense
    superoperator.
    """
    dim = 1 << k
    kraus = np.frombuffer(data, dtype=complex).reshape(count, dim, dim)
    superop = sum(np.kron(m, m.conj()) for m in kraus)
    if np.allclose(superop, np.eye(dim * dim), rtol=0, atol=1e-15):
        return Encoded(())
    full = dim * dim
    index = np.arange(full)
    d_of = (index & (dim - 1)) ^ (index >> k)
    positions = tuple(range(2 * k))
    if np.any(np.abs(superop[d_of[:, None] != d_of[None, :]]) > 1e-15):
        return Encoded(((_lowering.M_DENSE, positions, tuple(superop.ravel().tolist()), ()),))
    relabel = (_lowering.M_PERM, positions, (1.0,) * full, tuple(int(a) for a in
                                                                   index ^ (index >> k)))
    pieces = [relabel]
    diag = np.ones(full, dtype=complex)
    controls = tuple(range(k))
    r = np.arange(dim)
    for d in range(dim):
        orig = (d ^ r) | (r << k)
        block = superop[np.ix_(orig, orig)]
        if not np.any(np.abs(block - np.diag(np.diagonal(block))) > 1e-15):
            diag[d | (r << k)] = np.diagonal(block)
            continue
        flip = (dim - 1) ^ d
        flip_piece = (_lowering.M_PERM, controls, (1.0,) * dim,
                      tuple(int(a) for a in np.arange(dim) ^ flip))
        code = _lowering.M_ROT if k == 1 else _lowering.M_DENSE
        if flip:
            pieces.append(flip_piece)
        pieces.append((code, positions, tuple(block.ravel().tolist()), ()))
        if flip:
            pieces.append(flip_piece)
    if np.any(diag != 1):
        pieces.insert(1, (_lowering.M_PHASE, positions, tuple(diag.tolist()), ()))
    pieces.append(relabel)
    return Encoded(tuple(pieces))


def _step(op: Op, branches: Branches, n: int, cache: dict, dtype: np.dtype) -> Branches:
    active = _active(branches, op.condition)
    if op.kind == "gate":
        calls = _unitary_calls(op.matrices[0], op.qubits, n, dtype)
        for key in active:
            _run(branches[key], calls)
    elif op.kind == "kraus":
        # the qubit order is in the matrices (to_little_endian), so they are the key
        key_ = (op.qubits, b"".join(m.tobytes() for m in op.matrices))
        if key_ not in cache:
            cache[key_] = _channel_calls(op, n, dtype)
        for key in active:
            _run(branches[key], cache[key_])
    elif op.kind == "reset":
        for key in active:
            _reset(branches[key], op.qubits[0], n)
    elif op.kind == "measure":
        return _measure(op, branches, set(active), n)
    return branches


def _run(rho: np.ndarray, calls: Iterable) -> None:
    for kernel, args in calls:
        kernel(rho, *args)


_PARALLEL_FROM = 1 << 16
"""Density matrices with fewer entries run single-threaded kernels (thread start-up wins)."""


def _call(matrix: np.ndarray, qubits: tuple[int, ...], n: int, dtype: np.dtype):
    if 4**n < _PARALLEL_FROM:
        return serial_call(matrix, qubits, dtype)
    return kernel_call(FusedGate(qubits, matrix, classify(matrix)), dtype)


def _unitary_calls(u: np.ndarray, qubits: tuple[int, ...], n: int, dtype: np.dtype) -> list:
    rows = tuple(q + n for q in qubits)
    calls = [_call(u, rows, n, dtype), _call(u.conj(), qubits, n, dtype)]
    return [c for c in calls if c is not None]


def _channel_calls(op: Op, n: int, dtype: np.dtype) -> list:
    if op.mixture is not None and len(op.mixture) == 1:
        return _unitary_calls(op.mixture[0][1], op.qubits, n, dtype)
    superop = sum(np.kron(k, k.conj()) for k in op.matrices)
    call = _call(superop, op.qubits + tuple(q + n for q in op.qubits), n, dtype)
    return [] if call is None else [call]


def _blocks(rho: np.ndarray, q: int, n: int) -> np.ndarray:
    """rho as a 6-d view (row high, row bit q, row low, col high, col bit q, col low)."""
    hi, lo = 2 ** (n - 1 - q), 2**q
    return rho.reshape(hi, 2, lo, hi, 2, lo)


def _project(rho: np.ndarray, q: int, n: int, outcome: int) -> np.ndarray:
    out = np.zeros_like(rho)
    src, dst = _blocks(rho, q, n), _blocks(out, q, n)
    dst[:, outcome, :, :, outcome, :] = src[:, outcome, :, :, outcome, :]
    return out


def _reset(rho: np.ndarray, q: int, n: int) -> None:
    view = _blocks(rho, q, n)
    view[:, 0, :, :, 0, :] += view[:, 1, :, :, 1, :]
    view[:, 1, :, :, :, :] = 0
    view[:, :, :, :, 1, :] = 0


def _measure(op: Op, branches: Branches, active: set[bytes], n: int) -> Branches:
    q, c = op.qubits[0], op.clbit
    out: Branches = {}
    for key, rho in branches.items():
        if key not in active:
            _merge(out, key, rho)
            continue
        parts = [_project(rho, q, n, 0), _project(rho, q, n, 1)]
        for read in (0, 1):
            if op.readout is None:
                rho_read = parts[read]
            else:
                a = op.readout.matrix
                rho_read = (a[0, read] * parts[0] + a[1, read] * parts[1]).astype(
                    rho.dtype, copy=False)
            if not rho_read[:: 2**n + 1].real.sum() > 1e-15:
                continue
            bits = bytearray(key)
            bits[c] = read
            _merge(out, bytes(bits), rho_read)
    return out


def _merge(branches: Branches, key: bytes, rho: np.ndarray) -> None:
    if key in branches:
        branches[key] = branches[key] + rho
    else:
        branches[key] = rho


# ----- sampling --------------------------------------------------------------------------
def _sample(program: Program, branches: Branches, shots: int,
            rng: np.random.Generator) -> np.ndarray:
    dim = 2**program.num_qubits
    keys = list(branches)
    diags = np.stack([np.real(branches[k][:: dim + 1]).clip(min=0) for k in keys])
    flat = diags.reshape(-1)
    flat = flat / flat.sum()
    picks = rng.choice(flat.size, size=shots, p=flat)
    branch, index = np.divmod(picks, dim)
    base = np.stack([np.frombuffer(k, dtype=np.uint8) for k in keys])
    bits = base[branch].copy() if program.num_clbits else np.zeros((shots, 0), np.uint8)
    write_terminal(bits, index, program.terminal, rng)
    return bits
