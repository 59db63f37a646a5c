"""The density-matrix engine: exact noisy simulation of small circuits.

A density matrix rho of n qubits (little-endian, as Qiskit's `DensityMatrix`) is stored as a
flat vector of 4**n amplitudes, index = row * 2**n + column. Read that way it is a "state" of
2n qubits: qubit q of the row is bit q + n, of the column bit q. So U rho U^dag is U on bits
q + n followed by conj(U) on bits q, and a channel is its superoperator sum_k K (x) conj(K)
on both sets at once; both run on the statevector kernels (`_kernels`), unchanged.

Mid-circuit measurements make the state classical-quantum: a dict from the classical
register's bits to the unnormalised rho of that branch. Measurements split a branch (with
readout errors mixing the two projections into what the register records), conditions
apply an operation in the branches whose bits satisfy them, and branches with the same bits
merge. Terminal measurements are not applied: shots are sampled from the diagonal at the end.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import numpy as np

from ..circuit import QuantumCircuit
from ..errors import InsufficientMemoryError
from .engine import kernel_call, memory_budget
from .fusion import FusedGate, classify
from .noise import NoiseModel, Op, Program, compile_program
from .result import write_terminal
from .trajectories import serial_call

__all__ = ["density_matrix", "dm_required_bytes", "outcome_probabilities", "run_density_matrix"]

Branches = dict[bytes, np.ndarray]


def dm_required_bytes(num_qubits: int) -> int:
    """Bytes of one density matrix (complex128) plus the engine's working copy."""
    return 2 * 16 * 4**num_qubits


def density_matrix(circuit: QuantumCircuit, noise: NoiseModel | None = None, *,
                   max_memory_bytes: int | None = None) -> np.ndarray:
    """The circuit's final density matrix under `noise`, little-endian (2**n x 2**n).

    Terminal measurements are left out (this is the state they would measure); mid-circuit
    measurements are applied and their outcomes forgotten (the branches are summed).

    Raises:
        InsufficientMemoryError: when the density matrix does not fit in the memory budget.
    """
    program = compile_program(circuit, noise)
    branches = _evolve(program, max_memory_bytes)
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
) -> tuple[np.ndarray, dict[str, float]]:
    """Sample `shots` from the exact noisy distribution.

    Returns:
        ((shots, num_clbits) uint8 bits in random shot order, timings in seconds).
    """
    t0 = time.perf_counter()
    program = compile_program(circuit, noise)
    t1 = time.perf_counter()
    branches = _evolve(program, max_memory_bytes)
    t2 = time.perf_counter()
    bits = _sample(program, branches, shots, rng)
    t3 = time.perf_counter()
    return bits, {"prepare": t1 - t0, "run": t2 - t1, "sample": t3 - t2}


def outcome_probabilities(circuit: QuantumCircuit, noise: NoiseModel | None = None
                          ) -> dict[str, float]:
    """Exact probability of each classical register value, readout errors included.

    Keys are bitstrings with classical bit 0 rightmost (as counts). Meant for tests and
    for small circuits: the cost is 2**num_clbits per branch.
    """
    program = compile_program(circuit, noise)
    branches = _evolve(program, None)
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
def _evolve(program: Program, max_memory_bytes: int | None) -> Branches:
    n = program.num_qubits
    need = dm_required_bytes(n)
    budget = memory_budget() if max_memory_bytes is None else max_memory_bytes
    if need > budget:
        raise InsufficientMemoryError(
            f"a {n}-qubit density matrix needs {need:,} bytes ({need / 2**30:.1f} GiB); "
            f"{budget:,} bytes are available", need, budget)
    rho = np.zeros(4**n, dtype=np.complex128)
    rho[0] = 1
    branches: Branches = {bytes(program.num_clbits): rho}
    cache: dict = {}  # channel calls, per (channel, qubits); channels outlive the run
    for op in program.ops:
        branches = _step(op, branches, n, cache)
    return branches


def _step(op: Op, branches: Branches, n: int, cache: dict) -> Branches:
    active = [key for key in branches
              if op.condition is None or op.condition.holds(np.frombuffer(key, np.uint8))]
    if op.kind == "gate":
        calls = _unitary_calls(op.matrices[0], op.qubits, n)
        for key in active:
            _run(branches[key], calls)
    elif op.kind == "kraus":
        # the qubit order is in the matrices (to_little_endian), so they are the key
        key_ = (op.qubits, b"".join(m.tobytes() for m in op.matrices))
        if key_ not in cache:
            cache[key_] = _channel_calls(op, n)
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


def _call(matrix: np.ndarray, qubits: tuple[int, ...], n: int):
    if 4**n < _PARALLEL_FROM:
        return serial_call(matrix, qubits, np.dtype(np.complex128))
    return kernel_call(FusedGate(qubits, matrix, classify(matrix)), np.dtype(np.complex128))


def _unitary_calls(u: np.ndarray, qubits: tuple[int, ...], n: int) -> list:
    rows = tuple(q + n for q in qubits)
    calls = [_call(u, rows, n), _call(u.conj(), qubits, n)]
    return [c for c in calls if c is not None]


def _channel_calls(op: Op, n: int) -> list:
    if op.mixture is not None and len(op.mixture) == 1:
        return _unitary_calls(op.mixture[0][1], op.qubits, n)
    superop = sum(np.kron(k, k.conj()) for k in op.matrices)
    call = _call(superop, op.qubits + tuple(q + n for q in op.qubits), n)
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
                rho_read = a[0, read] * parts[0] + a[1, read] * parts[1]
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
