"""Quantum trajectories: noisy circuits too wide for a density matrix.

Each shot follows one pure-state trajectory: at every channel it applies one Kraus operator,
drawn with its Born probability. Two strategies, both exact in distribution:

* **Pre-sampled** (noise made of unitary mixtures, e.g. Pauli channels, and only terminal
  measurements). The unitary each shot picks at each channel does not depend on the state,
  so all choices are drawn first. At each channel the most likely unitary is the *main*
  choice (the identity for weak noise); a shot that deviates somewhere has an *event*
  there. Shots with identical events share one run, and shots with no event share the
  noiseless *main* trajectory, computed once. Shots with events are sorted by their first
  event and cut into batches; a batch starts from a snapshot of the main state and each of
  its rows joins, as a copy of the (batch's own) main state, exactly at its first event: the
  noiseless prefix of every shot runs once, and no row runs a step it shares with main.
* **Branching per shot** (amplitude damping, thermal relaxation, mid-circuit measurement,
  reset, conditions). Every shot is a row from the start; channels draw per row from
  ||K_i psi||^2 (computed from the reduced density matrix of the channel's qubits).

Rows of a batch sit in one contiguous (rows, 2**n) array, so a gate applied to every row is
one kernel call on the flattened array. Batches are independent: they run on a thread pool
(one thread per numba thread), each with single-threaded kernels (`nogil`) on data that stays
in its core's cache, which also keeps a loaded machine from stalling parallel barriers. All
random numbers come from the caller's generator (per batch, in batch order), so a seed gives
the same result whatever the scheduling. States are not normalised after a Kraus operator:
probabilities divide by the norm. Readout errors flip the sampled bits.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numba
import numpy as np

from ..circuit import QuantumCircuit
from ..errors import InsufficientMemoryError
from ._jit import jit
from .fusion import GateKind, classify, controlled_parts
from .noise import NoiseModel, Op, Program, compile_program
from .result import apply_readout, write_terminal
from .statevector import memory_budget

__all__ = ["BATCH_BYTES", "run_trajectories", "serial_call", "trajectory_required_bytes"]

_DTYPES = {"double": np.dtype(np.complex128), "single": np.dtype(np.complex64)}
BATCH_BYTES = 1 << 18
"""Target size of one batch of rows: inside one core's L2 cache."""

KernelCall = tuple  # (serial kernel, extra arguments)


def trajectory_required_bytes(num_qubits: int, precision: str = "double") -> int:
    """Least memory trajectories need: the main state and one row per thread, plus snapshots."""
    return (2 + 3 * numba.config.NUMBA_NUM_THREADS) * (_DTYPES[precision].itemsize << num_qubits)


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
        InsufficientMemoryError: when the states the engine keeps at once do not fit.
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
    max_rows = max(1, batch_bytes // state_bytes)
    t0 = time.perf_counter()
    program = compile_program(circuit, noise)
    steps = [_Step.of(op, dtype) for op in program.ops]
    t1 = time.perf_counter()
    runner = _Runner(program, steps, dtype, rng, max_rows, numba.get_num_threads())
    if not program.has_midcircuit and all(s.mixture is not None for s in steps if s.is_channel):
        bits = runner.presampled(shots)
    else:
        bits = runner.per_shot(shots)
    t2 = time.perf_counter()
    bits = bits[rng.permutation(shots)]
    return bits, {"prepare": t1 - t0, "run": t2 - t1, "sample": time.perf_counter() - t2}


# ----- single-threaded kernels (rows are the parallelism) --------------------------------
@jit
def _bit_offsets(qubits):
    k = qubits.size
    offs = np.zeros(1 << k, dtype=np.int64)
    for a in range(1 << k):
        for j in range(k):
            if (a >> j) & 1:
                offs[a] |= 1 << qubits[j]
    return offs


@jit
def _group_base(g, qubits):
    for q in qubits:
        g = ((g >> q) << (q + 1)) | (g & ((1 << q) - 1))
    return g


@jit
def _s_1q(state, q, m):
    m00, m01, m10, m11 = m[0, 0], m[0, 1], m[1, 0], m[1, 1]
    half = 1 << q
    for b in range(0, state.size, 2 * half):
        for j in range(b, b + half):
            a = state[j]
            c = state[j + half]
            state[j] = m00 * a + m01 * c
            state[j + half] = m10 * a + m11 * c


@jit
def _s_diagonal(state, qubits, diag):
    k = qubits.size
    run = 1 << qubits[0]  # amplitudes in a run share their local index
    for s in range(0, state.size, run):
        idx = 0
        for j in range(k):
            idx |= ((s >> qubits[j]) & 1) << j
        d = diag[idx]
        if d != 1:
            for i in range(s, s + run):
                state[i] *= d


@jit
def _s_controlled(state, positions, ctrl_mask, target, m):
    """The 2x2 `m` on `target` where all `ctrl_mask` bits are set (`positions` ascending)."""
    m00, m01, m10, m11 = m[0, 0], m[0, 1], m[1, 0], m[1, 1]
    tbit = 1 << target
    run = 1 << positions[0]
    if run < 8:  # short runs: test each index instead of spreading group numbers
        want = ctrl_mask
        both = ctrl_mask | tbit
        for i0 in range(state.size):
            if (i0 & both) == want:
                i1 = i0 | tbit
                a = state[i0]
                c = state[i1]
                state[i0] = m00 * a + m01 * c
                state[i1] = m10 * a + m11 * c
        return
    for g in range(0, state.size >> positions.size, run):
        i0 = _group_base(g, positions) | ctrl_mask
        i1 = i0 | tbit
        for r in range(run):
            a = state[i0 + r]
            c = state[i1 + r]
            state[i0 + r] = m00 * a + m01 * c
            state[i1 + r] = m10 * a + m11 * c


@jit
def _s_monomial(state, qubits, perm, phases):
    k = qubits.size
    dim = 1 << k
    offs = _bit_offsets(qubits)
    buf = np.empty(dim, dtype=state.dtype)
    for g in range(state.size >> k):
        base = _group_base(g, qubits)
        for a in range(dim):
            buf[a] = state[base + offs[a]]
        for a in range(dim):
            state[base + offs[perm[a]]] = phases[a] * buf[a]


@jit
def _s_dense(state, qubits, m):
    k = qubits.size
    dim = 1 << k
    offs = _bit_offsets(qubits)
    buf = np.empty(dim, dtype=state.dtype)
    for g in range(state.size >> k):
        base = _group_base(g, qubits)
        for a in range(dim):
            buf[a] = state[base + offs[a]]
        for b in range(dim):
            acc = m[b, 0] * buf[0]
            for a in range(1, dim):
                acc += m[b, a] * buf[a]
            state[base + offs[b]] = acc


@jit
def _rows_apply(states, rows, which, mats, qubits):
    """states[rows[t]] <- mats[which[t]] on `qubits` (little-endian matrix), for every t."""
    for t in range(rows.size):
        row = states[rows[t]]
        m = mats[which[t]]
        if qubits.size == 1:
            _s_1q(row, qubits[0], m)
        else:
            _s_dense(row, qubits, m)


def serial_call(matrix: np.ndarray, qubits: Sequence[int], dtype: np.dtype
                ) -> KernelCall | None:
    """The single-threaded kernel call applying `matrix` (little-endian, ascending `qubits`).

    Any matrix works (Kraus operators too); its structure picks the kernel. None: identity.
    """
    m = np.asarray(matrix, dtype=complex)
    kind = classify(m, atol=1e-14)
    q = np.asarray(qubits, dtype=np.int64)
    if kind is GateKind.IDENTITY:
        return None
    if kind is GateKind.DIAGONAL:
        return _s_diagonal, (q, np.ascontiguousarray(np.diag(m), dtype=dtype))
    parts = controlled_parts(m) if len(q) > 1 else None
    if parts is not None:
        local_mask, target, sub = parts
        mask = sum(1 << int(q[j]) for j in range(len(q)) if local_mask >> j & 1)
        return _s_controlled, (q, mask, int(q[target]), np.ascontiguousarray(sub, dtype=dtype))
    if kind is GateKind.MONOMIAL:
        perm = np.argmax(np.abs(m), axis=0).astype(np.int64)
        phases = np.ascontiguousarray(m[perm, np.arange(m.shape[0])], dtype=dtype)
        return _s_monomial, (q, perm, phases)
    if len(q) == 1:
        return _s_1q, (int(q[0]), np.ascontiguousarray(m, dtype=dtype))
    return _s_dense, (q, np.ascontiguousarray(m, dtype=dtype))


def _apply(state: np.ndarray, call: KernelCall | None) -> None:
    if call is not None:
        call[0](state, *call[1])


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
            return _Step(op, qubits, main=serial_call(m, op.qubits, dtype),
                         mats=_stack([m], dtype))
        if op.kind != "kraus":
            return _Step(op, qubits)
        if op.mixture is not None:
            probs = np.array([p for p, _ in op.mixture])
            unitaries = [u for _, u in op.mixture]
            best = int(np.argmax(probs))
            fixes = [u @ unitaries[best].conj().T for u in unitaries]
            return _Step(op, qubits, main=serial_call(unitaries[best], op.qubits, dtype),
                         mats=_stack(fixes, dtype), mixture=probs / probs.sum(),
                         main_choice=best)
        calls = tuple(serial_call(k, op.qubits, dtype) for k in op.matrices)
        return _Step(op, qubits, mats=_stack(op.matrices, dtype), calls=calls)


def _stack(matrices: Sequence[np.ndarray], dtype: np.dtype) -> np.ndarray:
    return np.ascontiguousarray(np.stack(matrices), dtype=dtype)


# ----- running ---------------------------------------------------------------------------
class _Runner:
    def __init__(self, program: Program, steps: list[_Step], dtype: np.dtype,
                 rng: np.random.Generator, max_rows: int, threads: int) -> None:
        self.program = program
        self.steps = steps
        self.dtype = dtype
        self.rng = rng
        self.max_rows = max_rows
        self.threads = max(1, threads)
        self.dim = 1 << program.num_qubits

    # --- pre-sampled unitary mixtures ---
    def presampled(self, shots: int) -> np.ndarray:
        groups = Counter(self._sample_events(shots))
        main_count = groups.pop((), 0)
        unique = sorted(groups)
        main = np.zeros(self.dim, dtype=self.dtype)
        main[0] = 1
        position = 0
        futures: list[Future] = []
        with ThreadPoolExecutor(self.threads) as pool:
            for start in range(0, len(unique), self.max_rows):
                batch = unique[start:start + self.max_rows]
                first = batch[0][0][0]
                position = self._advance(main, position, first)
                counts = np.array([groups[p] for p in batch])
                draws = self.rng.random(int(counts.sum()))
                futures.append(pool.submit(self._run_batch, main.copy(), batch, counts, draws))
                if len(futures) > 2 * self.threads:  # bound the snapshots held at once
                    futures[-2 * self.threads - 1].result()
            self._advance(main, position, len(self.steps))
            indices = [f.result() for f in futures]
        indices.append(_sample_rows(main[None, :], np.array([main_count]),
                                    self.rng.random(main_count)))
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

    def _advance(self, state: np.ndarray, start: int, stop: int) -> int:
        for step in self.steps[start:stop]:
            _apply(state, step.main)
        return max(start, stop)

    def _run_batch(self, main: np.ndarray, batch: Sequence[tuple], counts: np.ndarray,
                   draws: np.ndarray) -> np.ndarray:
        """Run `batch` (sorted by first event) from `main`, a snapshot at its first event.

        Row r joins as a copy of `main` at its first event; `main` is advanced only until
        the last row has joined. Returns the sampled basis indices.
        """
        at: dict[int, tuple[list[int], list[int]]] = {}
        for r, pattern in enumerate(batch):
            for j, c in pattern:
                rows, which = at.setdefault(j, ([], []))
                rows.append(r)
                which.append(c)
        firsts = [pattern[0][0] for pattern in batch]
        states = np.empty((len(batch), self.dim), dtype=self.dtype)
        joined = 0
        for j in range(firsts[0], len(self.steps)):
            while joined < len(batch) and firsts[joined] == j:
                states[joined] = main
                joined += 1
            step = self.steps[j]
            _apply(states[:joined].reshape(-1), step.main)
            if j < firsts[-1]:
                _apply(main, step.main)
            if j in at:
                rows, which = at[j]
                _rows_apply(states, np.array(rows, dtype=np.int64),
                            np.array(which, dtype=np.int64), step.mats, step.qubits)
        return _sample_rows(states, counts, draws)

    # --- one row per shot ---
    def per_shot(self, shots: int) -> np.ndarray:
        sizes = [min(self.max_rows, shots - s) for s in range(0, shots, self.max_rows)]
        rngs = self.rng.spawn(len(sizes))
        with ThreadPoolExecutor(self.threads) as pool:
            parts = list(pool.map(self._run_rows, sizes, rngs))
        return np.concatenate(parts) if parts else np.zeros((0, self.program.num_clbits),
                                                            np.uint8)

    def _run_rows(self, rows: int, rng: np.random.Generator) -> np.ndarray:
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
                self._channel(states, step, active, rng)
            else:
                self._measure(states, bits, op, active, rng)
        indices = _sample_rows(states, np.ones(rows, dtype=np.int64), rng.random(rows))
        write_terminal(bits, indices, self.program.terminal, rng)
        return bits

    def _gate(self, states: np.ndarray, step: _Step, active: np.ndarray) -> None:
        if active.all():
            _apply(states.reshape(-1), step.main)
        else:
            rows = np.nonzero(active)[0]
            _rows_apply(states, rows, np.zeros_like(rows), step.mats, step.qubits)

    def _channel(self, states: np.ndarray, step: _Step, active: np.ndarray,
                 rng: np.random.Generator) -> None:
        rows = np.nonzero(active)[0]
        if step.mixture is not None:
            choices = rng.choice(step.mixture.size, size=rows.size, p=step.mixture)
            if step.main is not None:
                self._gate(states, step, active)
            odd = choices != step.main_choice
            _rows_apply(states, rows[odd], choices[odd], step.mats, step.qubits)
            return
        probs = _kraus_probabilities(states[rows], step.mats, step.op.qubits)
        cum = np.cumsum(probs, axis=1)
        u = rng.random(rows.size) * cum[:, -1]
        choices = np.minimum((cum <= u[:, None]).sum(axis=1), len(step.mats) - 1)
        majority = int(np.bincount(choices).argmax())
        if active.all():
            odd = choices != majority
            saved = states[rows[odd]].copy()
            _apply(states.reshape(-1), step.calls[majority])
            states[rows[odd]] = saved
            rows, choices = rows[odd], choices[odd]
        _rows_apply(states, rows, choices, step.mats, step.qubits)

    def _measure(self, states: np.ndarray, bits: np.ndarray, op: Op, active: np.ndarray,
                 rng: np.random.Generator) -> None:
        q = op.qubits[0]
        n = self.program.num_qubits
        view = states.reshape(states.shape[0], 1 << (n - 1 - q), 2, 1 << q)
        p = (np.abs(view) ** 2).sum(axis=(1, 3))
        ones = rng.random(states.shape[0]) * p.sum(axis=1) < p[:, 1]
        for r in np.nonzero(active)[0]:
            outcome = int(ones[r])
            view[r, :, outcome, :] *= 1 / np.sqrt(p[r, outcome])  # renormalise here
            if op.kind == "reset" and outcome:
                view[r, :, 0, :] = view[r, :, 1, :]
            view[r, :, 1 - outcome if op.kind == "measure" else 1, :] = 0
            if op.kind == "measure":
                read = apply_readout(np.array([outcome], np.uint8), op.readout, rng)
                bits[r, op.clbit] = read[0]


def _sample_rows(states: np.ndarray, counts: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """counts[r] basis indices from each row r (not necessarily normalised), using `draws`."""
    rows, dim = states.shape
    if not counts.sum():
        return np.empty(0, dtype=np.int64)
    cum = np.cumsum((np.abs(states) ** 2).astype(np.float64), axis=1)
    cum /= cum[:, -1:]
    cum += np.arange(rows)[:, None]
    owner = np.repeat(np.arange(rows), counts)
    found = np.searchsorted(cum.reshape(-1), owner + draws[:owner.size], "right")
    return np.clip(found - owner * dim, 0, dim - 1)


def _kraus_probabilities(states: np.ndarray, kraus: np.ndarray,
                         qubits: tuple[int, ...]) -> np.ndarray:
    """(rows, len(kraus)) of ||K psi||^2 per row, from each row's reduced density matrix."""
    rho = np.zeros((states.shape[0], 1 << len(qubits), 1 << len(qubits)), dtype=np.complex128)
    _reduced_rho(states, np.asarray(qubits, dtype=np.int64), rho)
    out = np.empty((states.shape[0], len(kraus)))
    for i, k in enumerate(kraus):
        k = k.astype(np.complex128)
        out[:, i] = np.einsum("ab,rba->r", k.conj().T @ k, rho).real
    return out.clip(min=0)


@jit
def _reduced_rho(states, qubits, rho):
    """rho[r] += the reduced density matrix of row r on `qubits` (little-endian), one pass."""
    k = qubits.size
    dim = 1 << k
    offs = _bit_offsets(qubits)
    buf = np.empty(dim, dtype=np.complex128)
    for r in range(states.shape[0]):
        row = states[r]
        acc = rho[r]
        for g in range(row.size >> k):
            base = _group_base(g, qubits)
            for a in range(dim):
                buf[a] = row[base + offs[a]]
            for a in range(dim):
                for b in range(dim):
                    acc[a, b] += buf[a] * np.conj(buf[b])
