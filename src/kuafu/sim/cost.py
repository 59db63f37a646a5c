"""What each engine would cost on a circuit, and the choice `simulate(method="auto")` makes.

The estimates are rough (a factor of a few) but cheap: no state is allocated and nothing is
simulated, so a decision on a 136-qubit circuit of thousands of gates takes milliseconds.
Exact methods are preferred: a truncated MPS (a bond-dimension cap the caller sets) is
chosen only when no exact method fits the limits, and its result states its estimated
fidelity. When nothing fits, `CircuitTooCostlyError` names the cheapest estimate.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..circuit import Instruction, QuantumCircuit
from ..errors import CircuitTooCostlyError
from . import density_matrix as dm
from . import statevector as sv
from .noise import NoiseModel
from .stabilizer import NotStabilizerError, is_clifford, to_stim
from .trajectories import BATCH_BYTES, trajectory_required_bytes

if TYPE_CHECKING:
    from .mps import MPSOptions

__all__ = ["Estimate", "choose", "entangling_depth", "entangling_skeleton", "estimates"]

STABILIZER_FIRST_WIDTH = 24
"""Noiseless Clifford circuits at least this wide go to stim rather than a statevector."""
DENSITY_MATRIX_MAX_QUBITS = 14
"""Widest circuit the density matrix is considered for."""

_CALL_SECONDS = 2e-5
"""Rough cost of one kernel call's Python and thread start-up."""
_AMPLITUDE_SECONDS = 1.5e-9
"""Rough cost of updating one amplitude in one pass (two cores)."""
_FUSION = 3.0
"""Gates per statevector pass after fusion, roughly."""
_PLAN_SECONDS = 1e-4
"""Fusion and lowering per gate, in Python, before the statevector's first pass."""


@dataclass(frozen=True)
class Estimate:
    """The estimated cost of one method on one circuit.

    Attributes:
        method: the engine.
        seconds: estimated run time.
        memory_bytes: estimated peak memory.
        bond_dimension: for "mps", the largest bond dimension expected (after any cap).
        truncated: for "mps", whether the cap will truncate (the result is approximate).
        mps_options: for "mps", the options to run with (the chain order estimated best).
    """

    method: str
    seconds: float
    memory_bytes: int
    bond_dimension: int | None = None
    truncated: bool = False
    mps_options: MPSOptions | None = None

    @property
    def exact(self) -> bool:
        return not self.truncated


def entangling_depth(circuit: QuantumCircuit) -> int:
    """Layers of multi-qubit gates (single-qubit gates, measurements and barriers free)."""
    level = [0] * circuit.num_qubits
    depth = 0
    for inst in circuit.instructions:
        if len(inst.qubits) < 2 or inst.name == "barrier":
            continue
        d = 1 + max(level[q] for q in inst.qubits)
        for q in inst.qubits:
            level[q] = d
        depth = max(depth, d)
    return depth


def estimates(circuit: QuantumCircuit, shots: int, noise: NoiseModel | None, *,
              precision: str = "double", max_memory_bytes: int,
              max_dense_qubits: int | None = None,
              mps_options: MPSOptions | None = None) -> list[Estimate]:
    """The estimate of every method that can run `circuit` within `max_memory_bytes`
    (only stabilizer when it applies); the MPS estimate is included even when it does
    not fit, so a refusal can name it. Dense engines (statevector, trajectories, density
    matrix) are considered up to `max_dense_qubits` qubits."""
    found: list[Estimate] = []
    n = circuit.num_qubits
    dense = max_dense_qubits is None or n <= max_dense_qubits
    stim_ok = (noise is None or noise.is_pauli) and is_clifford(circuit)
    if stim_ok:
        try:
            to_stim(circuit, noise)
        except NotStabilizerError:
            stim_ok = False
    sv_bytes = sv.required_bytes(n, precision)  # type: ignore[arg-type]
    if stim_ok and (noise is not None or n >= STABILIZER_FIRST_WIDTH
                    or sv_bytes > max_memory_bytes):
        ops = len(circuit.instructions)
        return [Estimate("stabilizer", 1e-3 + ops * (1e-6 + shots * 2e-10), 64 * n * n)]
    if noise is None and dense and sv_bytes <= max_memory_bytes:
        found.append(Estimate("statevector", _statevector_seconds(circuit, shots), sv_bytes))
    if noise is not None and dense:
        traj_bytes = trajectory_required_bytes(n, precision)
        if traj_bytes <= max_memory_bytes:
            found.append(Estimate("trajectories", _trajectory_seconds(circuit, noise, shots),
                                  traj_bytes))
        dm_bytes = dm.dm_required_bytes(n)
        if n <= DENSITY_MATRIX_MAX_QUBITS and dm_bytes <= max_memory_bytes:
            found.append(Estimate("density_matrix", _density_matrix_seconds(circuit, noise),
                                  dm_bytes))
    mps = _mps_estimate(circuit, shots, noise, mps_options, max_memory_bytes)
    if mps is not None:
        found.append(mps)
    return found


def choose(circuit: QuantumCircuit, shots: int, noise: NoiseModel | None, *,
           precision: str = "double", max_memory_bytes: int,
           max_seconds: float | None = None, max_dense_qubits: int | None = None,
           mps_options: MPSOptions | None = None) -> Estimate:
    """The fastest exact method within the limits, else a truncated MPS within them.

    Raises:
        CircuitTooCostlyError: when no method fits, with the cheapest estimate.
    """
    found = estimates(circuit, shots, noise, precision=precision,
                      max_memory_bytes=max_memory_bytes, max_dense_qubits=max_dense_qubits,
                      mps_options=mps_options)
    fits = [e for e in found if e.memory_bytes <= max_memory_bytes
            and (max_seconds is None or e.seconds <= max_seconds)]
    exact = [e for e in fits if e.exact]
    if exact:
        return min(exact, key=lambda e: e.seconds)
    if fits:
        return min(fits, key=lambda e: e.seconds)
    raise refusal(circuit, found, max_memory_bytes, max_seconds, precision)


def refusal(circuit: QuantumCircuit, found: list[Estimate], max_memory_bytes: int,
            max_seconds: float | None, precision: str = "double") -> CircuitTooCostlyError:
    """The error that says why nothing runs `circuit`, naming the cheapest estimate."""
    n = circuit.num_qubits
    depth = entangling_depth(circuit)
    best = min(found, key=lambda e: (e.memory_bytes > max_memory_bytes, e.seconds),
               default=None)
    if best is None:  # no MPS engine: the statevector is the figure to quote
        need = sv.required_bytes(n, precision)  # type: ignore[arg-type]
        best = Estimate("statevector", math.inf, need)
    bond = best.bond_dimension
    bond_text = f", bond dimension {_bond_text(bond)}" if bond else ""
    limit = f"{_bytes_text(max_memory_bytes)} of memory"
    if max_seconds is not None:
        limit += f" and {max_seconds:g} s"
    message = (
        f"this circuit is too costly to simulate: {n} qubits, entangling depth {depth}; "
        f"the cheapest method, {best.method}, needs an estimated "
        f"{_bytes_text(best.memory_bytes)} and {_seconds_text(best.seconds)}{bond_text}; "
        f"the limits are {limit}. Fewer qubits or less entangling depth would fit"
        + ("; a bond-dimension cap (max_bond_dimension) gives an approximate answer with "
           "a fidelity estimate" if best.method == "mps" and not best.truncated else ""))
    return CircuitTooCostlyError(message, num_qubits=n, entangling_depth=depth,
                                 bond_dimension=bond, memory_bytes=best.memory_bytes,
                                 seconds=best.seconds, method=best.method)


def _bond_text(bond: int) -> str:
    if bond >= 1 << 20:
        return f"about 2^{math.log2(bond):.0f}"
    return f"{bond:,}"


def _bytes_text(b: float) -> str:
    for unit, size in (("EiB", 2**60), ("PiB", 2**50), ("TiB", 2**40), ("GiB", 2**30),
                       ("MiB", 2**20)):
        if b >= size:
            return f"{b / size:,.1f} {unit}"
    return f"{int(b):,} bytes"


def _seconds_text(s: float) -> str:
    if not math.isfinite(s):
        return "unbounded time"
    if s >= 86400 * 365:
        return f"{s / (86400 * 365):.1e} years"
    if s >= 3600:
        return f"{s / 3600:,.1f} hours"
    return f"{s:.3g} s"


def entangling_skeleton(circuit: QuantumCircuit) -> QuantumCircuit:
    """The circuit as the MPS estimate should see it: each run of gates on one pair of
    qubits (single-qubit gates between them included) fused into one two-qubit block,
    written as a gate of the same operator Schmidt rank: none for a product of local
    gates (rank 1), `cz` for rank 2 (one bit of bond dimension across a cut: CX, CZ,
    RZZ, CX-RZ-CX), `swap` for rank 4 (two bits). Other instructions are kept as they
    are. A two-qubit gate adds at most log2 of its Schmidt rank to the bond of a cut, so
    the bound the estimate derives stays an upper bound, and a tighter one than counting
    gates: a compiled RZZ is two CZs and Hadamards, one bit, not two.
    """
    out = QuantumCircuit(*circuit.qregs, *circuit.cregs, name=circuit.name)
    emit = out.instructions.append
    # an open block: [a, b, ops]; ops are its gates in order, single-qubit gates only
    # between two of its two-qubit gates matter (local gates outside keep the rank)
    block_of: dict[int, list] = {}

    def close(q: int) -> None:
        block = block_of.pop(q, None)
        if block is None:
            return
        a, b, ops = block
        block_of.pop(b if q == a else a, None)
        rank = _block_rank(a, ops)
        if rank > 1:
            emit(Instruction("cz" if rank == 2 else "swap", (a, b)))

    for inst in circuit.instructions:
        qs = inst.qubits
        if inst.is_gate and inst.condition is None and len(qs) == 1:
            block = block_of.get(qs[0])
            if block is not None:
                block[2].append(inst)
            continue
        if inst.is_gate and inst.condition is None and len(qs) == 2:
            a, b = sorted(qs)
            block = block_of.get(a)
            if block is not None and block is block_of.get(b):
                block[2].append(inst)
                continue
            close(a)
            close(b)
            block_of[a] = block_of[b] = [a, b, [inst]]
            continue
        for q in qs:
            close(q)
        emit(inst)
    for q in list(block_of):
        close(q)
    return out


_RANK_OF = {"cx": 2, "cy": 2, "cz": 2, "ch": 2, "crx": 2, "cry": 2, "crz": 2, "cp": 2,
            "cu1": 2, "cu3": 2, "cu": 2, "rzz": 2, "rxx": 2, "ryy": 2, "swap": 4}
"""Operator Schmidt rank of two-qubit gates by name (a controlled gate or an Ising
coupling is rank 2; rotations by a multiple of 2 pi are rank 1, counted as 2)."""


_SWAP4 = np.eye(4, dtype=complex)[[0, 2, 1, 3]]


def _block_rank(a: int, ops: list) -> int:
    """Schmidt rank of a block's product; one named gate by the table, else computed."""
    while ops and len(ops[-1].qubits) == 1:  # local gates after the last coupling
        ops.pop()
    couplings = sum(len(inst.qubits) == 2 for inst in ops)
    if couplings == 1:
        rank = _RANK_OF.get(ops[0].name)
        if rank is not None:
            return rank
    elif couplings >= 3:  # the most any two-qubit operator has (a SWAP is three CXs)
        return 4
    u = np.eye(4, dtype=complex).reshape(2, 2, 4)
    first = second = None  # single-qubit gates waiting, on a and on the other qubit
    for inst in ops:
        m = _matrix(inst)
        if len(inst.qubits) == 1:
            if inst.qubits[0] == a:
                first = m if first is None else m @ first
            else:
                second = m if second is None else m @ second
            continue
        if first is not None:
            u = np.tensordot(first, u, axes=(1, 0))
        if second is not None:
            u = np.matmul(second, u)
        first = second = None
        if inst.qubits[0] != a:
            m = _SWAP4 @ m @ _SWAP4
        u = (m @ u.reshape(4, 4)).reshape(2, 2, 4)
    return _schmidt_rank(u.reshape(4, 4))


def _matrix(inst: Any) -> np.ndarray:
    try:
        return inst.matrix()
    except (TypeError, ValueError):  # unbound parameters: the engines refuse them later
        return np.eye(2 ** len(inst.qubits), dtype=complex)


def _schmidt_rank(u: np.ndarray) -> int:
    """Operator Schmidt rank of a two-qubit operator (big-endian 4 x 4)."""
    realigned = u.reshape(2, 2, 2, 2).transpose(0, 2, 1, 3).reshape(4, 4)
    s = np.linalg.svd(realigned, compute_uv=False)
    return int(np.sum(s > 1e-9 * s[0]))


# ----- dense engines ----------------------------------------------------------------------
def _branches(circuit: QuantumCircuit, shots: int) -> float:
    """Distinct measurement histories a branching engine may follow, at most."""
    random_steps = sum(inst.name in ("measure", "reset") for inst in circuit.instructions)
    has_mid = any(inst.condition is not None or inst.name == "reset"
                  for inst in circuit.instructions)
    if not has_mid and not _has_midcircuit_measure(circuit):
        return 1.0
    return float(min(max(shots, 1), 2.0 ** min(random_steps, 60)))


def _has_midcircuit_measure(circuit: QuantumCircuit) -> bool:
    measured: set[int] = set()
    for inst in circuit.instructions:
        if inst.name == "barrier":
            continue
        if inst.name == "measure":
            measured.add(inst.qubits[0])
        elif measured.intersection(inst.qubits):
            return True
    return False


def _statevector_seconds(circuit: QuantumCircuit, shots: int) -> float:
    gates = sum(inst.is_gate for inst in circuit.instructions)
    dim = 2.0**circuit.num_qubits
    passes = gates / _FUSION + 1
    return _PLAN_SECONDS * gates + _branches(circuit, shots) * passes * (
        _CALL_SECONDS + dim * _AMPLITUDE_SECONDS) + shots * 1e-6


@dataclass(frozen=True)
class _NoiseSteps:
    """What the noise adds to a circuit, counted from the model without building the
    engines' program (which would cost seconds on circuits of thousands of gates).

    Attributes:
        ops: gates, measurements, resets and channel steps, as the engines count them.
        channels: channel steps; general: those that are not unitary mixtures.
        passes_4k: sum over steps of 2 * 4**k (gates: 2), the density matrix's passes.
        p_mixture: probability of drawing the most likely unitary at every unitary mixture.
        p_main: the same over every channel, general ones by tr(K^dag K) / d.
    """

    ops: int
    channels: int
    general: int
    passes_4k: int
    p_mixture: float
    p_main: float


def _noise_steps(circuit: QuantumCircuit, noise: NoiseModel | None) -> _NoiseSteps:
    ops = channels = general = passes = 0
    p_mixture = p_main = 1.0
    seen: dict[int, tuple[bool, float]] = {}
    for inst in circuit.instructions:
        name = inst.name
        if name == "barrier":
            continue
        if name == "delay":  # nothing, or thermal relaxation (a general channel)
            if noise is not None and inst.qubits[0] in noise.idle_relaxation:
                ops, channels, general, passes = ops + 1, channels + 1, general + 1, passes + 8
                p_main *= _IDLE_MAIN
            continue
        ops += 1
        passes += 2
        channel = None if noise is None else noise.channel_for(name, inst.qubits)
        if channel is None:
            continue
        if id(channel) not in seen:
            seen[id(channel)] = _dominant(channel)
        mixture, p = seen[id(channel)]
        ops += 1
        channels += 1
        general += not mixture
        passes += 2 * 4 ** len(inst.qubits)
        p_main *= p
        if mixture:
            p_mixture *= p
    return _NoiseSteps(ops, channels, general, passes, p_mixture, p_main)


_IDLE_MAIN = 0.99
"""Assumed probability that idle relaxation during a delay leaves a trajectory alone."""


def _dominant(channel: Any) -> tuple[bool, float]:
    """(is a unitary mixture, largest average probability of one of its operators)."""
    if channel.mixture:
        return True, max(p for p, _ in channel.mixture)
    d = channel.kraus[0].shape[0]
    return False, max(float(np.real(np.vdot(k, k))) / d for k in channel.kraus)


def _trajectory_seconds(circuit: QuantumCircuit, noise: NoiseModel, shots: int) -> float:
    """Seconds trajectories will take, roughly."""
    counted = _noise_steps(circuit, noise)
    steps = counted.ops
    if _branches(circuit, shots) > 1 or not noise.is_unitary_mixture:
        runs = float(shots)
        # a general channel per shot: reduced density matrix, draw, apply (~4 passes)
        steps += 3 * counted.general
    else:
        runs = 1 + shots * (1 - counted.p_mixture) * _DEVIATING_SHOT_COST
    dim = 2.0**circuit.num_qubits
    batches = 1 + runs * dim * 16 / BATCH_BYTES
    return steps * (batches * _CALL_SECONDS + dim * runs * _AMPLITUDE_SECONDS) + shots * 2e-6


_DEVIATING_SHOT_COST = 0.12
"""Work of one shot that leaves the shared noiseless run (unitary-mixture noise), as a
fraction of a whole run: deviating shots are batched and share their prefix. Fitted to
one-core CPU seconds on random brickwork at 8-11 qubits with depolarizing noise,
1000-10000 shots (`KUAFU_BENCH_THREADS=1 bench_noisy.py --auto-check 8,9,10,11`; the
0.6 before overstated trajectories 3-7x, so `auto` took the density matrix at 10 qubits
and 1000 shots where trajectories ran 1.7x faster; issue 20)."""

_DM_OP_PASSES = 0.13
"""Cost of one gate or channel of the density matrix, in passes over its 4**n amplitudes:
its blocks apply gates and channels to a cache-resident buffer. 0.3 (0.5 ns per operation
and amplitude on one core at 10 qubits) before the explicit vector kernels of `_simd`, which
made the density matrix about twice as fast: refitted to one-core CPU seconds with
`KUAFU_BENCH_THREADS=1 bench_noisy.py --auto-check 8,9,10,11` (estimates were 1.7-2.2x the
measured time at 9-11 qubits; issue 20)."""
_DM_OPS_PER_BLOCK = 25
"""Gates and channels per block (one pass over memory each), random brickwork at 10 qubits."""


def _density_matrix_seconds(circuit: QuantumCircuit, noise: NoiseModel) -> float:
    """Seconds the density matrix will take, roughly: lowering in Python per operation, then
    per block one pass over memory plus the in-cache work of its operations."""
    counted = _noise_steps(circuit, noise)
    passes = counted.ops * (_DM_OP_PASSES + 1 / _DM_OPS_PER_BLOCK)
    blocks = counted.ops / _DM_OPS_PER_BLOCK + 1
    return (counted.ops * _PLAN_SECONDS / 3 + blocks * _CALL_SECONDS
            + 4.0**circuit.num_qubits * passes * _AMPLITUDE_SECONDS)


# ----- matrix product states --------------------------------------------------------------
def _mps_estimate(circuit: QuantumCircuit, shots: int, noise: NoiseModel | None,
                  options: MPSOptions | None, max_memory_bytes: int) -> Estimate | None:
    """The MPS engine's own estimate, scaled by the chains noise or branching makes it
    evolve; None while the engine is not installed. A given `qubit_order` is one
    candidate: the engine's own choice is estimated too and the cheaper one kept."""
    try:
        from .mps import MPSOptions, mps_cost
    except ImportError:
        return None
    options = options or MPSOptions()
    candidates = [options]
    if options.qubit_order is not None:
        candidates.append(dataclasses.replace(options, qubit_order=None))
    n = circuit.num_qubits
    prepare = _MPS_PREPARE_SECONDS * len(circuit.instructions)
    skeleton = entangling_skeleton(circuit)
    best = None
    runs = None
    for candidate in candidates:
        found = mps_cost(skeleton, candidate)
        if runs is None:  # a chain beyond memory is refused whatever noise adds
            runs = 1.0 if found.memory_bytes > max_memory_bytes else _mps_runs(
                circuit, shots, noise)
            if candidate.max_trajectories is not None:
                runs = min(runs, float(candidate.max_trajectories))
        chi = float(found.max_bond)
        one = found.two_site_steps * _MPS_STEP_SECONDS + _MPS_FLOP_FACTOR * float(found.seconds)
        evolve = one * (1 + (runs - 1) * _PARTIAL_RUN)
        sample = n * (shots * (_SAMPLE_SITE_SECONDS + chi * _SAMPLE_CHI_SECONDS)
                      + runs * _GROUP_SITE_SECONDS)
        estimate = Estimate("mps", prepare + evolve + sample, int(found.memory_bytes),
                            bond_dimension=int(found.max_bond),
                            truncated=bool(found.truncates), mps_options=candidate)
        if best is None or (estimate.truncated, estimate.seconds) < (best.truncated,
                                                                     best.seconds):
            best = estimate
    return best


# Calibration of the MPS engine's estimate against measured runs (2 cores; 15-50 qubits,
# bond 2-34, 10-4000 shots, noiseless and noisy): the engine's model counts SVD flops at
# the bound on the bond dimension; planning, Python per step and sampling add these terms.
_MPS_PREPARE_SECONDS = 1e-4
"""Planning per instruction (compiling the program, routing, fusion, scheduling)."""
_MPS_STEP_SECONDS = 4e-4
"""Python and small-array overhead of one two-site step, beyond its SVD flops."""
_MPS_FLOP_FACTOR = 10.0
"""Measured SVD-step time over the engine's flop figure at bond dimension 32-64 (a
(2 chi)^3 SVD with its contractions runs well below peak flops at these sizes)."""
_PARTIAL_RUN = 0.7
"""Share of the circuit a deviating trajectory runs (it starts at its first error)."""
_SAMPLE_SITE_SECONDS = 3e-6
"""Sampling one shot at one site, at bond dimension 1."""
_SAMPLE_CHI_SECONDS = 2e-7
"""Sampling one shot at one site, per unit of bond dimension (shots sharing a prefix
share its environment vector, so the cost grows about linearly)."""
_GROUP_SITE_SECONDS = 2e-4
"""Walking one group of shots (one trajectory's chain) over one site."""


def _mps_runs(circuit: QuantumCircuit, shots: int, noise: NoiseModel | None) -> float:
    """Chains the MPS engine evolves: one without noise or branching; with them about one
    per distinct trajectory (the engine splits groups of shots multinomially, so shots
    that draw the dominant operator everywhere share one chain)."""
    branches = _branches(circuit, shots)
    if noise is None:
        return branches
    return min(float(shots), branches + shots * (1 - _noise_steps(circuit, noise).p_main))
