"""Quantum trajectories: noisy circuits too wide for a density matrix, on the statevector kernels.

Each shot follows one pure-state trajectory: at every channel it applies one Kraus operator,
drawn with its Born probability. Two strategies, both exact in distribution:

* **Pre-sampled** (noise made of unitary mixtures, e.g. Pauli channels, and only terminal
  measurements). The unitary each shot picks at each channel does not depend on the state,
  so all choices are drawn first. At each channel the most likely unitary is the *main*
  choice (the identity for weak noise); a shot that deviates somewhere has an *event*
  there. Shots with identical events share one run, and shots with no event share the
  noiseless *main* trajectory. Shots with events are sorted by their first event and run in
  batches of rows, copied from the main state at the batch's first event: the long common
  prefix before any error runs once.
* **Branching per shot** (amplitude damping, thermal relaxation, mid-circuit measurement,
  reset, conditions). Every shot is a row from the start; channels draw per row from
  ||K_i psi||^2 (computed from the reduced density matrix of the channel's qubits).

Rows of a batch sit in one contiguous (rows, 2**n) array. With a power-of-two number of
rows it is a statevector of n + log2(rows) qubits, so a gate applied to every row is one
call of the ordinary statevector kernel on the flattened array. States are not normalised
after a Kraus operator: probabilities divide by the norm and sampling does not need it.
Readout errors flip the sampled bits.
"""

from __future__ import annotations

import functools
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numba
import numpy as np
from numba import prange

from ..circuit import QuantumCircuit
from ..errors import InsufficientMemoryError
from .fusion import FusedGate, classify
from .noise import NoiseModel, Op, Program, compile_program
from .result import apply_readout, write_terminal
from .sampling import sample_indices
from .statevector import KernelCall, kernel_call, memory_budget

__all__ = ["run_trajectories", "trajectory_required_bytes"]

_DTYPES = {"double": np.dtype(np.complex128), "single": np.dtype(np.complex64)}
_jit = functools.partial(numba.njit, cache=True, nogil=True, fastmath=True)
_pjit = functools.partial(numba.njit, cache=True, nogil=True, fastmath=True, parallel=True)
BATCH_BYTES = 1 << 23
"""Target size of one batch of rows: well inside a last-level cache."""


def trajectory_required_bytes(num_qubits: int, precision: str = "double") -> int:
    """Least memory trajectories need: the main state and one row."""
    return 2 * (_DTYPES[precision].itemsize << num_qubits)


def run_trajectories(
    circuit: QuantumCircuit,
    shots: int,
    noise: NoiseModel | None,
    rng: np.random.Generator,
    *,
    precision: str = "double",
    max_memory_bytes: int | None = None,
    batch_bytes: int = BATCH_BYTES,
) -> tuple[np.ndarray, dict[str, float]]:
    """Sample `shots` noisy shots by quantum trajectories.

    Returns:
        ((shots, num_clbits) uint8 bits in random shot order, timings in seconds).

    Raises:
        InsufficientMemoryError: when two states of the circuit's width do not fit.
    """
    if precision not in _DTYPES:
        raise ValueError(f"precision must be 'double' or 'single', got {precision!r}")
    dtype = _DTYPES[precision]
    n = circuit.num_qubits
    need = trajectory_required_bytes(n, precision)
    budget = memory_budget() if max_memory_bytes is None else max_memory_bytes
    if need > budget:
        raise InsufficientMemoryError(
            f"trajectories of {n} qubits need {need:,} bytes ({need / 2**30:.1f} GiB); "
            f"{budget:,} bytes are available", need, budget)
    state_bytes = dtype.itemsize << n
    max_rows = max(1, min(batch_bytes, budget - state_bytes) // state_bytes)
    t0 = time.perf_counter()
    program = compile_program(circuit, noise)
    steps = [_Step.of(op, dtype) for op in program.ops]
    t1 = time.perf_counter()
    runner = _Runner(program, steps, dtype, rng, _floor_pow2(max_rows))
    if not program.has_midcircuit and all(s.mixture is not None for s in steps if s.is_channel):
        bits = runner.presampled(shots)
    else:
        bits = runner.per_shot(shots)
    t2 = time.perf_counter()
    bits = bits[rng.permutation(shots)]
    return bits, {"prepare": t1 - t0, "run": t2 - t1, "sample": time.perf_counter() - t2}


@_jit
def _bit_offsets(qubits):
    k = qubits.size
    offs = np.zeros(1 << k, dtype=np.int64)
    for a in range(1 << k):
        for j in range(k):
            if (a >> j) & 1:
                offs[a] |= 1 << qubits[j]
    return offs


@_jit
def _rows_apply_serial(states, rows, which, mats, qubits):
    """states[rows[t]] <- mats[which[t]] on `qubits` (little-endian matrix), one row at a time."""
    k = qubits.size
    dim = 1 << k
    offs = _bit_offsets(qubits)
    ngroups = states.shape[1] >> k
    buf = np.empty(dim, dtype=states.dtype)
    for t in range(rows.size):
        row = states[rows[t]]
        m = mats[which[t]]
        for g in range(ngroups):
            base = g
            for q in qubits:
                base = ((base >> q) << (q + 1)) | (base & ((1 << q) - 1))
            for a in range(dim):
                buf[a] = row[base + offs[a]]
            for b in range(dim):
                acc = m[b, 0] * buf[0]
                for a in range(1, dim):
                    acc += m[b, a] * buf[a]
                row[base + offs[b]] = acc


@_pjit
def _rows_apply_parallel(states, rows, which, mats, qubits):
    """`_rows_apply_serial` with rows spread over the cores."""
    for t in prange(rows.size):
        _rows_apply_serial(states, rows[t:t + 1], which[t:t + 1], mats, qubits)


def _rows_apply(states: np.ndarray, rows: np.ndarray, which: np.ndarray, mats: np.ndarray,
                qubits: np.ndarray) -> None:
    """Apply matrix mats[which[t]] to row rows[t] of `states`, for every t."""
    if rows.size == 0:
        return
    if rows.size > 1 and rows.size * states.shape[1] >= 1 << 14:
        _rows_apply_parallel(states, rows, which, mats, qubits)
    else:
        _rows_apply_serial(states, rows, which, mats, qubits)


def _pow2_chunks(states: np.ndarray, rows: int) -> list[np.ndarray]:
    """The first `rows` rows as flat arrays of power-of-two row counts (kernel-ready)."""
    out = []
    start = 0
    while start < rows:
        size = _floor_pow2(rows - start)
        out.append(states[start:start + size].reshape(-1))
        start += size
    return out


def _floor_pow2(x: int) -> int:
    return 1 << (max(1, int(x)).bit_length() - 1)


# ----- compiled steps --------------------------------------------------------------------
@dataclass
class _Step:
    """One op, with its kernel calls and matrices prepared for its dtype.

    Gate: `main` applies it to whole states, `mats[0]` is its matrix for single rows.
    Unitary-mixture channel: `mixture` holds the probabilities, `main` applies the most
    likely unitary and `mats[c]` turns that into choice c (U_c U_main^dag).
    General channel: `mats` holds the Kraus operators and `calls` their kernel calls.
    """

    op: Op
    qubits: np.ndarray
    main: KernelCall | None = None
    mats: np.ndarray | None = None
    mixture: np.ndarray | None = None
    main_choice: int = 0
    calls: tuple[KernelCall | None, ...] = ()

    @property
    def is_channel(self) -> bool:
        return self.op.kind == "kraus"

    @staticmethod
    def of(op: Op, dtype: np.dtype) -> _Step:
        qubits = np.asarray(op.qubits, dtype=np.int64)
        if op.kind == "gate":
            m = op.matrices[0]
            return _Step(op, qubits, main=_call(m, op.qubits, dtype), mats=_stack([m], dtype))
        if op.kind != "kraus":
            return _Step(op, qubits)
        channel = op.channel
        if channel is not None and channel.mixture is not None:
            probs = np.array([p for p, _ in channel.mixture])
            unitaries = [m / np.sqrt(p) for m, (p, _) in zip(op.matrices, channel.mixture,
                                                            strict=True)]
            best = int(np.argmax(probs))
            fixes = [u @ unitaries[best].conj().T for u in unitaries]
            return _Step(op, qubits, main=_call(unitaries[best], op.qubits, dtype),
                         mats=_stack(fixes, dtype), mixture=probs / probs.sum(),
                         main_choice=best)
        calls = tuple(_call(k, op.qubits, dtype) for k in op.matrices)
        return _Step(op, qubits, mats=_stack(op.matrices, dtype), calls=calls)


def _stack(matrices: Sequence[np.ndarray], dtype: np.dtype) -> np.ndarray:
    return np.ascontiguousarray(np.stack(matrices), dtype=dtype)


def _call(matrix: np.ndarray, qubits: tuple[int, ...], dtype: np.dtype) -> KernelCall | None:
    """The kernel call applying `matrix` (little-endian over ascending `qubits`), or None."""
    m = np.asarray(matrix, dtype=complex)
    return kernel_call(FusedGate(tuple(qubits), m, classify(m, atol=1e-14)), dtype)


_SERIAL_BELOW = 1 << 15
"""Arrays smaller than this run on one thread: waking the others costs more than it saves."""


def _apply(state: np.ndarray, call: KernelCall | None) -> None:
    if call is None:
        return
    if state.size >= _SERIAL_BELOW:
        call[0](state, *call[1])
        return
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        call[0](state, *call[1])
    finally:
        numba.set_num_threads(threads)


# ----- running ---------------------------------------------------------------------------
class _Runner:
    def __init__(self, program: Program, steps: list[_Step], dtype: np.dtype,
                 rng: np.random.Generator, max_rows: int) -> None:
        self.program = program
        self.steps = steps
        self.dtype = dtype
        self.rng = rng
        self.max_rows = max_rows
        self.dim = 1 << program.num_qubits

    # --- pre-sampled unitary mixtures ---
    def presampled(self, shots: int) -> np.ndarray:
        groups = Counter(self._sample_events(shots))
        main_count = groups.pop((), 0)
        unique = sorted(groups)
        main = np.zeros(self.dim, dtype=self.dtype)
        main[0] = 1
        position = 0
        indices: list[np.ndarray] = []
        for start in range(0, len(unique), self.max_rows):
            batch = unique[start:start + self.max_rows]
            following = unique[start + self.max_rows:start + self.max_rows + 1]
            stop_main = following[0][0][0] if following else len(self.steps)
            position = self._advance_main(main, position, batch[0][0][0])
            states = np.empty((len(batch), self.dim), dtype=self.dtype)
            position = self._run_batch(states, batch, main, position, stop_main)
            indices.append(self._sample_rows(states, np.array([groups[p] for p in batch])))
        self._advance_main(main, position, len(self.steps))
        indices.append(sample_indices(main, main_count, self.rng))
        bits = np.zeros((shots, self.program.num_clbits), dtype=np.uint8)
        write_terminal(bits, np.concatenate(indices), self.program.terminal, self.rng)
        return bits

    def _sample_events(self, shots: int) -> list[tuple[tuple[int, int], ...]]:
        """Each shot's deviations from the main choices: ((step index, choice), ...)."""
        events: list[list[tuple[int, int]]] = [[] for _ in range(shots)]
        for j, step in enumerate(self.steps):
            if step.mixture is None:
                continue
            probs = step.mixture
            q = 1.0 - probs[step.main_choice]
            k = int(self.rng.binomial(shots, min(max(q, 0.0), 1.0)))
            if not k:
                continue
            who = self.rng.choice(shots, size=k, replace=False)
            alt = probs.copy()
            alt[step.main_choice] = 0
            choices = self.rng.choice(alt.size, size=k, p=alt / alt.sum())
            for s, c in zip(who.tolist(), choices.tolist(), strict=True):
                events[s].append((j, c))
        return [tuple(e) for e in events]

    def _advance_main(self, main: np.ndarray, start: int, stop: int) -> int:
        for step in self.steps[start:stop]:
            _apply(main, step.main)
        return max(start, stop)

    def _run_batch(self, states: np.ndarray, batch: Sequence[tuple], main: np.ndarray,
                   position: int, stop_main: int) -> int:
        """Run `batch` (sorted by first event) to the end; returns where `main` stopped.

        Row r joins as a copy of `main` just before its first event, so every row starts
        where it leaves the noiseless trajectory. `main` keeps pace until `stop_main`.
        """
        at: dict[int, tuple[list[int], list[int]]] = {}
        for r, pattern in enumerate(batch):
            for j, c in pattern:
                rows, which = at.setdefault(j, ([], []))
                rows.append(r)
                which.append(c)
        firsts = [pattern[0][0] for pattern in batch]
        joined = 0
        for j in range(position, len(self.steps)):
            while joined < len(batch) and firsts[joined] == j:
                states[joined] = main
                joined += 1
            step = self.steps[j]
            if step.main is not None:
                for chunk in _pow2_chunks(states, joined):
                    _apply(chunk, step.main)
                if j < stop_main:
                    _apply(main, step.main)
            if j < stop_main:
                position = j + 1
            if j in at:
                rows, which = at[j]
                _rows_apply(states, np.array(rows, dtype=np.int64),
                            np.array(which, dtype=np.int64), step.mats, step.qubits)
        return position

    def _sample_rows(self, states: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """counts[r] basis indices drawn from each row r (rows need not be normalised)."""
        rows = states.shape[0]
        cum = np.cumsum((np.abs(states) ** 2).astype(np.float64), axis=1)
        cum /= cum[:, -1:]
        cum += np.arange(rows)[:, None]
        owner = np.repeat(np.arange(rows), counts)
        found = np.searchsorted(cum.reshape(-1), owner + self.rng.random(owner.size), "right")
        return np.clip(found - owner * self.dim, 0, self.dim - 1)

    # --- one row per shot ---
    def per_shot(self, shots: int) -> np.ndarray:
        out = []
        done = 0
        while done < shots:
            rows = _floor_pow2(min(self.max_rows, shots - done))
            out.append(self._run_rows(rows))
            done += rows
        return np.concatenate(out) if out else np.zeros((0, self.program.num_clbits), np.uint8)

    def _run_rows(self, rows: int) -> np.ndarray:
        states = np.zeros((rows, self.dim), dtype=self.dtype)
        states[:, 0] = 1
        bits = np.zeros((rows, self.program.num_clbits), dtype=np.uint8)
        for step in self.steps:
            op = step.op
            active = np.ones(rows, dtype=bool) if op.condition is None else np.array(
                [op.condition.holds(b) for b in bits])
            if not active.any():
                continue
            if op.kind == "gate":
                self._gate(states, step, active)
            elif op.kind == "kraus":
                self._channel(states, step, active)
            else:
                self._measure(states, bits, op, active)
        indices = self._sample_rows(states, np.ones(rows, dtype=np.int64))
        write_terminal(bits, indices, self.program.terminal, self.rng)
        return bits

    def _gate(self, states: np.ndarray, step: _Step, active: np.ndarray) -> None:
        if active.all():
            _apply(states.reshape(-1), step.main)
        else:
            rows = np.nonzero(active)[0]
            _rows_apply(states, rows, np.zeros_like(rows), step.mats, step.qubits)

    def _channel(self, states: np.ndarray, step: _Step, active: np.ndarray) -> None:
        rows = np.nonzero(active)[0]
        if step.mixture is not None:
            choices = self.rng.choice(step.mixture.size, size=rows.size, p=step.mixture)
            if step.main is not None:
                self._gate(states, step, active)
            odd = choices != step.main_choice
            _rows_apply(states, rows[odd], choices[odd], step.mats, step.qubits)
            return
        probs = _kraus_probabilities(states[rows], step.mats, step.op.qubits)
        cum = np.cumsum(probs, axis=1)
        u = self.rng.random(rows.size) * cum[:, -1]
        choices = np.minimum((cum <= u[:, None]).sum(axis=1), len(step.mats) - 1)
        majority = int(np.bincount(choices).argmax())
        if active.all():
            odd = choices != majority
            saved = states[rows[odd]].copy()
            _apply(states.reshape(-1), step.calls[majority])
            states[rows[odd]] = saved
            rows, choices = rows[odd], choices[odd]
        _rows_apply(states, rows, choices, step.mats, step.qubits)

    def _measure(self, states: np.ndarray, bits: np.ndarray, op: Op, active: np.ndarray
                 ) -> None:
        q = op.qubits[0]
        n = self.program.num_qubits
        view = states.reshape(states.shape[0], 1 << (n - 1 - q), 2, 1 << q)
        p = (np.abs(view) ** 2).sum(axis=(1, 3))
        ones = self.rng.random(states.shape[0]) * p.sum(axis=1) < p[:, 1]
        for r in np.nonzero(active)[0]:
            outcome = int(ones[r])
            view[r, :, outcome, :] *= 1 / np.sqrt(p[r, outcome])  # renormalise here
            if op.kind == "reset" and outcome:
                view[r, :, 0, :] = view[r, :, 1, :]
            view[r, :, 1 - outcome if op.kind == "measure" else 1, :] = 0
            if op.kind == "measure":
                read = apply_readout(np.array([outcome], np.uint8), op.readout, self.rng)
                bits[r, op.clbit] = read[0]


def _kraus_probabilities(states: np.ndarray, kraus: np.ndarray,
                         qubits: tuple[int, ...]) -> np.ndarray:
    """(rows, len(kraus)) of ||K psi||^2 per row, from each row's reduced density matrix."""
    rows = states.shape[0]
    n = states.shape[1].bit_length() - 1
    tensor = states.reshape((rows,) + (2,) * n)
    # axis 1 + n - 1 - q holds qubit q; put the channel's qubits last, most significant first
    axes = [n - q for q in reversed(qubits)]
    local = np.moveaxis(tensor, axes, range(n - len(qubits) + 1, n + 1))
    local = local.reshape(rows, -1, 1 << len(qubits))
    rho = np.einsum("rsi,rsj->rij", local, local.conj())
    out = np.empty((rows, len(kraus)))
    for i, k in enumerate(kraus):
        out[:, i] = np.einsum("ab,rba->r", k.conj().T @ k, rho).real
    return out.clip(min=0)
