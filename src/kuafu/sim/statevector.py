"""The noiseless statevector engine: exact states, sampled counts, mid-circuit measurement.

Conventions: the state is little-endian (qubit k is bit k of the index, as Qiskit's
`Statevector`); counts are keyed by the classical register with clbit 0 rightmost.

How a circuit runs:

1. `compile_statevector` splits the instructions into unitary segments (fused by
   `fusion.fuse` and turned into kernel calls once), measurements, resets and conditioned gates.
   Measurements that nothing later depends on (no later operation on their qubit, no later
   condition on their clbit) are *terminal*: they are taken out and sampled at the end.
2. With only terminal measurements, the circuit runs once and all shots are sampled from the
   final state. Otherwise shots are *branched*: at each measurement or reset the shots of a
   branch split binomially between the two outcomes, so identical branches are never
   simulated twice; a branch is copied only while the copies fit in the memory budget and is
   otherwise replayed from the start with its recorded outcomes.

The public functions below are the building blocks the noise and trajectory engines use.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numba
import numpy as np

from ..circuit import GATES, Instruction, QuantumCircuit
from ..errors import InsufficientMemoryError, SimulationError
from . import _kernels as k
from .fusion import (
    BlockProgram,
    CostModel,
    FusedGate,
    GateKind,
    PhaseProgram,
    compile_block,
    controlled_parts,
    fuse,
    fuse_pair_runs,
    partition,
    phase_program,
    to_little_endian,
)
from .sampling import clbit_values, counts_from_values, memory_from_values, sample_indices

__all__ = [
    "Precision",
    "StatevectorResult",
    "allocate_state",
    "apply_fused",
    "apply_matrix",
    "compile_gates",
    "default_cost_model",
    "final_state",
    "measure_qubit",
    "memory_budget",
    "required_bytes",
    "reset_qubit",
    "run_statevector",
]

Precision = Literal["double", "single"]
Fusion = bool | Literal["blocks", "matrix"] | CostModel
"""How gates are fused: True or "blocks" (cache-blocked gate sequences, the default),
"matrix" or a `CostModel` (multiply gates into matrices of a few qubits), False (none)."""
_DTYPES = {"double": np.dtype(np.complex128), "single": np.dtype(np.complex64)}
_IGNORED = frozenset({"barrier", "delay", "id"})

KernelCall = tuple[Callable[..., object], tuple]
_CONTROLLED_MIN_QUBIT = 4  # below this the controlled kernel's runs are too short to pay


def _dtype(precision: str) -> np.dtype:
    try:
        return _DTYPES[precision]
    except KeyError:
        raise ValueError(f"precision must be 'double' or 'single', got {precision!r}") from None


def required_bytes(num_qubits: int, precision: Precision = "double") -> int:
    """Bytes of one statevector of `num_qubits` qubits."""
    return _dtype(precision).itemsize << num_qubits


def memory_budget() -> int:
    """Default memory the engine may use: 80 % of this machine's physical memory."""
    try:
        return int(0.8 * os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 8 << 30


def allocate_state(
    num_qubits: int, precision: Precision = "double", *, max_memory_bytes: int | None = None
) -> np.ndarray:
    """|0...0> as a fresh array.

    Raises:
        InsufficientMemoryError: when 2**num_qubits amplitudes exceed the memory budget.
    """
    need = required_bytes(num_qubits, precision)
    budget = memory_budget() if max_memory_bytes is None else max_memory_bytes
    if need > budget:
        raise InsufficientMemoryError(
            f"a {num_qubits}-qubit statevector in {precision} precision needs "
            f"{need:,} bytes ({need / 2**30:.1f} GiB); {budget:,} bytes are available",
            need,
            budget,
        )
    state = np.zeros(1 << num_qubits, dtype=_dtype(precision))
    state[0] = 1
    return state


def default_cost_model(num_qubits: int, precision: Precision = "double") -> CostModel:
    """The fusion cost model for a state of this size (small states: Python overhead rules)."""
    if num_qubits <= 12:
        return CostModel(dense=(0.0, 1.0, 1.0, 1.05, 1.2, 1.6), max_qubits=5)
    if precision == "single":
        return CostModel(dense=(0.0, 1.0, 1.05, 1.2, 1.8, 3.2), max_qubits=5)
    return CostModel()


_BATCHES = 8  # batches per block call at least, so every thread gets work


def _batches() -> int:
    """Batches (and chunks of batches, each with its own buffers) per block call: at least
    `_BATCHES`, and two per numba thread."""
    return max(_BATCHES, 2 * numba.get_num_threads())


def _apply_block(state: np.ndarray, *args) -> None:
    k.apply_block(state.view(state.real.dtype), *args)


_PERMUTE_MIN_QUBIT = 4  # runs of 16 amplitudes and more; shorter ones gather and scatter


def _permute_groups(state: np.ndarray, *args) -> None:
    k.permute_groups(state.view(state.real.dtype), *args)


_TINY = 1e-14
"""Matrix entries and parameters below this (rounding residue: cos(pi/2) is 6e-17) become 0.

Left in, they multiply into amplitudes that should be exactly 0 and, a few gates later,
make them subnormal floats, which the CPU handles in microcode: a single-precision
qsim-20 circuit ran its second block 12x slower than in double precision."""


def _snap(x: np.ndarray, dtype) -> np.ndarray:
    """`x` as `dtype`, C-contiguous, with entries (real and imaginary parts) below `_TINY`
    set to 0."""
    y = np.array(x, dtype=dtype, order="C")
    parts = y.view(y.real.dtype) if np.iscomplexobj(y) else y
    parts[np.abs(parts) < _TINY] = 0
    return y


def kernel_call(
    gate: FusedGate | BlockProgram | PhaseProgram, dtype: np.dtype
) -> KernelCall | None:
    """The kernel and its arguments that apply `gate` to a state of `dtype` (None: identity)."""
    if isinstance(gate, PhaseProgram):
        return k.apply_phase_gates, (gate.low, gate.high, _snap(gate.diag, dtype))
    if isinstance(gate, BlockProgram):
        identity = np.arange(gate.final_rows.size)
        if gate.kinds.size == 0 and np.array_equal(gate.final_rows, identity):
            return None
        if gate.kinds.size == 0 and gate.qubits[0] >= _PERMUTE_MIN_QUBIT:
            return _permute_groups, (np.asarray(gate.qubits, dtype=np.int64),
                                     *k.permutation_cycles(gate.final_rows))
        ft = np.dtype(np.float32 if dtype == np.complex64 else np.float64)
        args = (np.asarray(gate.qubits, dtype=np.int64), gate.kinds, gate.row_start,
                gate.row_count, gate.rows, gate.par_start, _snap(gate.par_re, ft),
                _snap(gate.par_im, ft), gate.aux, gate.final_rows, _batches())
        return _apply_block, args
    m = gate.matrix
    qubits = np.asarray(gate.qubits, dtype=np.int64)
    if gate.kind is GateKind.IDENTITY:
        return None
    if gate.kind is GateKind.DIAGONAL:
        return k.apply_diagonal, (qubits, _snap(np.diag(m), dtype))
    if gate.kind is GateKind.MONOMIAL:
        perm = np.argmax(np.abs(m), axis=0).astype(np.int64)
        phases = _snap(m[perm, np.arange(m.shape[0])], dtype)
        return k.apply_monomial, (qubits, perm, phases)
    if gate.kind is GateKind.CONTROLLED and gate.qubits[0] >= _CONTROLLED_MIN_QUBIT:
        parts = controlled_parts(m)
        if parts is not None:
            local_mask, target, sub = parts
            mask = sum(1 << gate.qubits[j] for j in range(len(gate.qubits)) if local_mask >> j & 1)
            sub = _snap(sub, dtype)
            return k.apply_controlled_1q, (qubits, mask, gate.qubits[target], sub)
    m = _snap(m, dtype)
    if len(gate.qubits) == 1:
        return k.apply_1q, (gate.qubits[0], m)
    return k.apply_dense, (qubits, m)


def apply_fused(state: np.ndarray, gate: FusedGate | BlockProgram | PhaseProgram) -> None:
    """Apply one fused gate to `state` in place."""
    call = kernel_call(gate, state.dtype)
    if call is not None:
        call[0](state, *call[1])


def apply_matrix(state: np.ndarray, matrix: np.ndarray, qubits: Sequence[int]) -> None:
    """Apply a unitary (or any) matrix, big-endian over `qubits`, to `state` in place.

    The structure of the matrix (diagonal, permutation, controlled) picks the kernel.
    """
    from .fusion import classify

    order, m = to_little_endian(np.asarray(matrix, dtype=complex), list(qubits))
    apply_fused(state, FusedGate(order, m, classify(m)))


def block_width(num_qubits: int, precision: Precision = "double") -> int:
    """Qubits per cache block: wide enough to hold many gates, small enough that a batch of
    2**width rows (several amplitudes each) stays in the L2 cache.

    10 in both precisions: in double, 10 against 9 measured QFT-20 27 vs 39 ms, GHZ-20 5 vs
    8 ms, QFT-24 0.50 vs 0.61 s and QFT-26 2.0 vs 2.5 s, random brickwork equal or better
    (one thread). `precision` is kept so the two may differ again."""
    return max(1, min(num_qubits, 10))


_SEEDS = 16
"""Front gates `partition` tries as a block's first gate (Quantum Volume at 24 qubits: 45
blocks from the first gate alone, 33 from the best of 16: 8 % less CPU time)."""


def compile_gates(
    instructions: Iterable[Instruction],
    *,
    fusion: Fusion = True,
    num_qubits: int = 0,
    precision: Precision = "double",
) -> list[FusedGate | BlockProgram | PhaseProgram]:
    """Fuse unconditioned gates (barriers, delays and `id` are dropped).

    Args:
        instructions: gates only (no measure/reset/condition).
        fusion: see `Fusion`.
        num_qubits: the state's width, which picks block width and cost model.
        precision: the precision, which also picks them.

    Returns:
        `BlockProgram`s and `PhaseProgram`s (block fusion) or `FusedGate`s (matrix fusion
        or none), in order.
    """
    gates = [(_matrix(inst), inst.qubits) for inst in instructions if inst.name not in _IGNORED]
    if fusion is True or fusion == "blocks":
        width = block_width(num_qubits, precision)
        split = width if num_qubits > width else 0
        blocks = partition(fuse_pair_runs(gates), width, split=split, seeds=_SEEDS)
        # A block on qubits 0..m-1 gathers each group as one contiguous run; one on, say,
        # qubits 1..8 would transpose runs of 2 amplitudes (about 2x the cost): widen it.
        blocks = [(tuple(range(qubits[-1] + 1)) if split and qubits[-1] < split else qubits, ops)
                  for qubits, ops in blocks]
        return _lower_blocks(blocks)
    if fusion is False:
        cost = CostModel(max_qubits=0)
    elif fusion == "matrix":
        cost = default_cost_model(num_qubits, precision)
    else:
        cost = fusion
    return fuse(gates, cost)


def _lower_blocks(blocks) -> list[BlockProgram | PhaseProgram]:
    """Compile each block; consecutive blocks of one- and two-qubit diagonal gates only (the
    controlled phases between the halves of a QFT) become one `PhaseProgram`: one streaming
    pass instead of a gather and scatter per block."""
    out: list[BlockProgram | PhaseProgram] = []
    pending: list = []
    for qubits, ops in blocks:
        if phase_program(ops) is not None:
            pending.extend(ops)
            continue
        if pending:
            out.append(phase_program(pending))
            pending = []
        out.append(compile_block(qubits, ops))
    if pending:
        out.append(phase_program(pending))
    return out


def _matrix(inst: Instruction) -> np.ndarray:
    if inst.name not in GATES:
        raise SimulationError(f"cannot simulate {inst.name!r}: it is not a library gate")
    return inst.matrix()


def measure_qubit(state: np.ndarray, qubit: int, rng: np.random.Generator) -> int:
    """Measure `qubit`, collapse `state` in place and return the outcome (0 or 1)."""
    p1 = _p1(state, qubit)
    outcome = int(rng.random() < p1)
    _collapse(state, qubit, outcome, p1)
    return outcome


def reset_qubit(state: np.ndarray, qubit: int, rng: np.random.Generator) -> None:
    """Reset `qubit` to |0> in place (measure, then flip it if it was 1)."""
    if measure_qubit(state, qubit, rng):
        _flip(state, qubit)


def _p1(state: np.ndarray, qubit: int) -> float:
    return min(max(float(k.probability_of_one(state, qubit)), 0.0), 1.0)


def _collapse(state: np.ndarray, qubit: int, outcome: int, p1: float) -> None:
    p = p1 if outcome else 1.0 - p1
    if p == 1.0:
        return
    k.collapse(state, qubit, outcome, state.dtype.type(1.0 / math.sqrt(p)))


def _flip(state: np.ndarray, qubit: int) -> None:
    x = np.array([[0, 1], [1, 0]], dtype=state.dtype)
    k.apply_1q(state, qubit, x)


# ----------------------------------------------------------------------------- programs


@dataclass(frozen=True)
class _Gates:
    calls: tuple[KernelCall, ...]


@dataclass(frozen=True)
class _Measure:
    qubit: int
    clbit: int
    condition: tuple[tuple[int, ...], int] | None = None


@dataclass(frozen=True)
class _Reset:
    qubit: int
    condition: tuple[tuple[int, ...], int] | None = None


@dataclass(frozen=True)
class _Conditional:
    clbits: tuple[int, ...]
    value: int
    calls: tuple[KernelCall, ...]


_Step = _Gates | _Measure | _Reset | _Conditional


@dataclass(frozen=True)
class StatevectorProgram:
    """A circuit prepared for the statevector engine: kernel calls, random steps, terminal
    measurements (not `noise.Program`, the noisy engines' flat list of operations)."""

    num_qubits: int
    num_clbits: int
    dtype: np.dtype
    steps: tuple[_Step, ...]
    terminal: tuple[tuple[int, int], ...]
    num_gates: int
    num_fused: int

    @property
    def branching(self) -> bool:
        """Whether shots must be branched (mid-circuit measurement, reset or condition)."""
        return any(not isinstance(s, _Gates) for s in self.steps)


def compile_statevector(
    circuit: QuantumCircuit, *, precision: Precision = "double", fusion: Fusion = True
) -> StatevectorProgram:
    """Prepare `circuit` for `run_statevector`: fuse its unitary segments, find the terminal
    measurements, drop resets of qubits still in |0> and identities."""
    dtype = _dtype(precision)
    n = circuit.num_qubits
    insts = [i for i in circuit.instructions if i.name not in _IGNORED or i.condition]
    terminal_at = _terminal_measurements(insts)
    steps: list[_Step] = []
    segment: list[Instruction] = []
    touched: set[int] = set()
    counts = [0, 0]

    def flush() -> None:
        if segment:
            calls = _calls(segment, fusion, n, precision, dtype, counts)
            if calls:
                steps.append(_Gates(calls))
            segment.clear()

    for pos, inst in enumerate(insts):
        if pos in terminal_at:
            continue
        if inst.name == "reset" and inst.condition is None and inst.qubits[0] not in touched:
            continue
        touched.update(inst.qubits)
        if inst.name in ("measure", "reset") or inst.condition is not None:
            flush()
            cond = inst.condition and (tuple(inst.condition.clbits), inst.condition.value)
            if inst.name == "measure":
                steps.append(_Measure(inst.qubits[0], inst.clbits[0], cond))
            elif inst.name == "reset":
                steps.append(_Reset(inst.qubits[0], cond))
            else:
                calls = _calls([inst], False, n, precision, dtype, counts)
                steps.append(_Conditional(cond[0], cond[1], calls))
        else:
            segment.append(inst)
    flush()
    terminal = tuple((insts[p].qubits[0], insts[p].clbits[0]) for p in sorted(terminal_at))
    return StatevectorProgram(n, circuit.num_clbits, dtype, tuple(steps), terminal,
                              counts[0], counts[1])


def _calls(segment, fusion, n, precision, dtype, counts) -> tuple[KernelCall, ...]:
    fused = compile_gates(segment, fusion=fusion, num_qubits=n, precision=precision)
    counts[0] += sum(g.num_gates for g in fused)
    counts[1] += len(fused)
    return tuple(c for c in (kernel_call(g, dtype) for g in fused) if c is not None)


def _terminal_measurements(insts: Sequence[Instruction]) -> set[int]:
    """Positions of measurements that no later operation depends on."""
    later_qubits: set[int] = set()
    later_read: set[int] = set()
    terminal: set[int] = set()
    for pos in range(len(insts) - 1, -1, -1):
        inst = insts[pos]
        if inst.name == "measure" and inst.condition is None:
            q, c = inst.qubits[0], inst.clbits[0]
            if q not in later_qubits and c not in later_read:
                terminal.add(pos)
        if inst.name not in _IGNORED:
            later_qubits.update(inst.qubits)
        if inst.condition is not None:
            later_read.update(inst.condition.clbits)
            later_read.update(inst.clbits)  # a conditioned write: order matters
    return terminal


# ----------------------------------------------------------------------------- running


@dataclass(frozen=True)
class StatevectorResult:
    """What `run_statevector` returns.

    Attributes:
        counts: bitstring -> number of shots, classical bit 0 rightmost ({} when shots=0).
        memory: one bitstring per shot in shot order, when asked for.
        statevector: the final state, before terminal measurements. For circuits that
            branch (mid-circuit measurement, reset, condition) it is the state of the last
            branch simulated, i.e. one sampled trajectory.
        shots: number of shots.
        precision: "double" or "single".
        num_gates: gates in the circuit (barriers, delays and identities excluded).
        num_fused_gates: kernel passes after fusion.
        branches: distinct measurement branches simulated (1 without mid-circuit randomness).
        timings: seconds per phase, named as every engine names them (`SimResult.timings`):
            "prepare" (compiling the program), "run" (evolving and sampling: the
            statevector engine samples as it goes) and "format".
    """

    counts: dict[str, int]
    memory: list[str] | None
    statevector: np.ndarray = field(repr=False)
    shots: int
    precision: str
    num_gates: int
    num_fused_gates: int
    branches: int
    timings: dict[str, float]


def final_state(
    circuit: QuantumCircuit,
    *,
    precision: Precision = "double",
    fusion: Fusion = True,
    max_memory_bytes: int | None = None,
) -> np.ndarray:
    """The state `circuit` prepares from |0...0>, ignoring terminal measurements.

    Raises:
        SimulationError: when the circuit has mid-circuit measurements, resets or conditions
            (use `run_statevector`, which samples them).
        InsufficientMemoryError: when the state does not fit in memory.
    """
    program = compile_statevector(circuit, precision=precision, fusion=fusion)
    if program.branching:
        raise SimulationError(
            "the circuit has mid-circuit measurements, resets or conditions; "
            "its final state is random (use run_statevector)"
        )
    state = allocate_state(circuit.num_qubits, precision, max_memory_bytes=max_memory_bytes)
    for step in program.steps:
        _run_calls(state, step.calls)
    return state


def run_statevector(
    circuit: QuantumCircuit,
    shots: int = 1024,
    *,
    precision: Precision = "double",
    seed: int | np.random.Generator | np.random.SeedSequence | None = None,
    fusion: Fusion = True,
    memory: bool = False,
    max_memory_bytes: int | None = None,
) -> StatevectorResult:
    """Simulate `circuit` exactly and sample `shots` outcomes of its measurements.

    Args:
        circuit: the circuit; parameters must be bound.
        shots: number of shots (0: only the final state).
        precision: "double" (complex128) or "single" (complex64).
        seed: seed or generator for every random choice; same seed, same result.
        fusion: True or "blocks" (cache-blocked gate sequences), "matrix" or a `CostModel`
            (gates multiplied into matrices of a few qubits), False (one pass per gate).
        memory: also return each shot's bitstring.
        max_memory_bytes: memory budget; defaults to 80 % of physical memory.

    Returns:
        A `StatevectorResult`.

    Raises:
        InsufficientMemoryError: when the state does not fit in the budget.
        SimulationError: for opaque gates.
    """
    if shots < 0:
        raise ValueError(f"shots must be >= 0, got {shots}")
    rng = np.random.default_rng(seed)
    budget = memory_budget() if max_memory_bytes is None else max_memory_bytes
    t0 = time.perf_counter()
    program = compile_statevector(circuit, precision=precision, fusion=fusion)
    t1 = time.perf_counter()
    runner = _Runner(program, rng, budget)
    leaves = runner.run(shots)
    t2 = time.perf_counter()
    values = [clbit_values(idx, program.terminal, register) for idx, register in leaves]
    t3 = time.perf_counter()
    values = np.concatenate(values)
    if len(leaves) > 1:
        values = values[rng.permutation(values.size)]
    counts = counts_from_values(values, program.num_clbits) if shots else {}
    return StatevectorResult(
        counts=counts,
        memory=memory_from_values(values, program.num_clbits) if memory else None,
        statevector=runner.last_state,
        shots=shots,
        precision=precision,
        num_gates=program.num_gates,
        num_fused_gates=program.num_fused,
        branches=len(leaves),
        timings={"prepare": t1 - t0, "run": t2 - t1, "format": t3 - t2},
    )


def _run_calls(state: np.ndarray, calls: Iterable[KernelCall]) -> None:
    for kernel, args in calls:
        kernel(state, *args)


@dataclass
class _Branch:
    pos: int
    state: np.ndarray | None  # None: replay from the start following `history`
    shots: int
    register: int
    history: tuple[int, ...]


class _Runner:
    """Runs a program's branches depth first; see the module docstring."""

    def __init__(self, program: StatevectorProgram, rng: np.random.Generator, budget: int) -> None:
        self.program = program
        self.rng = rng
        self.budget = budget
        self.state_bytes = program.dtype.itemsize << program.num_qubits
        self.live = 0
        self.last_state: np.ndarray | None = None

    def run(self, shots: int) -> list[tuple[np.ndarray, int]]:
        """Simulate every branch; return (sampled basis indices, register) per leaf.

        A leaf is sampled as soon as it finishes, so at most one state per pending branch
        is alive; the last one is kept as `last_state`.
        """
        program = self.program
        first = allocate_state(
            program.num_qubits, _precision_of(program.dtype), max_memory_bytes=self.budget
        )
        self.live = 1
        stack = [_Branch(0, first, max(shots, 1), 0, ())]
        leaves = []
        while stack:
            branch = stack.pop()
            if branch.state is None:
                branch.state = self._replay(branch.history, branch.pos)
            self._advance(branch, stack)
            n_shots = branch.shots if shots else 0
            if program.terminal:
                idx = sample_indices(branch.state, n_shots, self.rng)
            else:
                idx = np.zeros(n_shots, dtype=np.int64)
            leaves.append((idx, branch.register))
            self.last_state = branch.state
            self.live -= 1
        return leaves

    def _advance(self, b: _Branch, stack: list[_Branch]) -> None:
        steps = self.program.steps
        while b.pos < len(steps):
            step = steps[b.pos]
            b.pos += 1
            if isinstance(step, _Gates):
                _run_calls(b.state, step.calls)
            elif isinstance(step, _Conditional):
                if _register_bits(b.register, step.clbits) == step.value:
                    _run_calls(b.state, step.calls)
            elif _holds(step.condition, b.register):
                self._random_step(b, step, stack)

    def _random_step(self, b: _Branch, step: _Measure | _Reset, stack: list[_Branch]) -> None:
        p1 = _p1(b.state, step.qubit)
        ones = int(self.rng.binomial(b.shots, p1))
        if 0 < ones < b.shots:
            other = _Branch(b.pos, None, ones, b.register, (*b.history, 1))
            if (self.live + 1) * self.state_bytes <= self.budget:
                other.state = b.state.copy()
                self.live += 1
                _collapse(other.state, step.qubit, 1, p1)
            self._record(other, step, 1)
            stack.append(other)
            outcome = 0
            b.shots -= ones
        else:
            outcome = int(ones > 0)
        b.history = (*b.history, outcome)
        _collapse(b.state, step.qubit, outcome, p1)
        self._record(b, step, outcome)

    def _record(self, b: _Branch, step: _Measure | _Reset, outcome: int) -> None:
        if isinstance(step, _Measure):
            b.register = (b.register & ~(1 << step.clbit)) | (outcome << step.clbit)
        elif outcome and b.state is not None:
            _flip(b.state, step.qubit)

    def _replay(self, history: tuple[int, ...], stop: int) -> np.ndarray:
        """Re-run the program's first `stop` steps, forcing the recorded outcomes."""
        program = self.program
        state = allocate_state(
            program.num_qubits, _precision_of(program.dtype), max_memory_bytes=self.budget
        )
        self.live += 1
        outcomes = iter(history)
        register = 0
        for step in program.steps[:stop]:
            if isinstance(step, _Gates):
                _run_calls(state, step.calls)
            elif isinstance(step, _Conditional):
                if _register_bits(register, step.clbits) == step.value:
                    _run_calls(state, step.calls)
            elif _holds(step.condition, register):
                outcome = next(outcomes)
                _collapse(state, step.qubit, outcome, _p1(state, step.qubit))
                if isinstance(step, _Measure):
                    register = (register & ~(1 << step.clbit)) | (outcome << step.clbit)
                elif outcome:
                    _flip(state, step.qubit)
        return state


def _holds(condition: tuple[tuple[int, ...], int] | None, register: int) -> bool:
    """Whether a measurement's or reset's condition (None: always) holds."""
    return condition is None or _register_bits(register, condition[0]) == condition[1]


def _register_bits(register: int, clbits: Sequence[int]) -> int:
    value = 0
    for pos, c in enumerate(clbits):
        value |= ((register >> c) & 1) << pos
    return value


def _precision_of(dtype: np.dtype) -> Precision:
    return "single" if dtype == np.complex64 else "double"
