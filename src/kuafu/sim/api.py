"""The one front door of `kuafu.sim`: `simulate`, `statevector`, `density_matrix`, `expectation`.

`simulate(method="auto")` tries the engines in this order and says which one ran:

1. **stabilizer** (stim) when every gate is Clifford, the noise is Pauli and there is noise
   or the circuit is too wide for a statevector; it runs at any width.
2. **statevector** when there is no noise at all.
3. **density_matrix** or **trajectories** for noisy circuits, whichever its cost estimate
   says is cheaper (a density matrix costs 4**n per operation; trajectories cost 2**n per
   operation for each distinct trajectory, and weak unitary noise makes most shots share
   the noiseless one), among those that fit in memory.

When nothing fits, `InsufficientMemoryError` states the bytes the cheapest method needs.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from types import MappingProxyType

import numpy as np

from ..circuit import QuantumCircuit
from ..errors import InsufficientMemoryError, SimulationError
from . import density_matrix as dm
from . import engine as sv
from .noise import NoiseModel, compile_program
from .result import SimResult, bits_to_strings, counts_from_bits
from .stabilizer import NotStabilizerError, is_clifford, run_stabilizer, to_stim
from .trajectories import BATCH_BYTES, run_trajectories, trajectory_required_bytes

__all__ = ["METHODS", "density_matrix", "expectation", "simulate", "statevector"]

METHODS = ("auto", "statevector", "density_matrix", "trajectories", "stabilizer")
_STABILIZER_FIRST_WIDTH = 24
"""Noiseless Clifford circuits at least this wide go to stim rather than a statevector."""

PauliSum = str | Mapping[str, complex] | Sequence[tuple[complex, str]]


def simulate(
    circuit: QuantumCircuit,
    shots: int = 1024,
    *,
    noise: NoiseModel | None = None,
    method: str = "auto",
    seed: int | None = None,
    memory: bool = False,
    precision: str = "double",
    max_memory_bytes: int | None = None,
) -> SimResult:
    """Run `circuit` for `shots` shots and count the classical register's values.

    Args:
        circuit: the circuit, parameters bound.
        shots: number of shots.
        noise: the noise model; None for an ideal machine.
        method: "auto" or one engine of `METHODS`.
        seed: makes the run reproducible; when None one is drawn and reported in the result.
        memory: also return every shot's bitstring, in shot order.
        precision: "double" (complex128) or "single" (complex64) for the statevector and
            trajectory engines; the density matrix always computes in double.
        max_memory_bytes: memory the engines may use; default 80 % of physical memory.

    Returns:
        A `SimResult`; counts are keyed with classical bit 0 rightmost.

    Raises:
        ValueError: for an unknown method or precision, or negative shots.
        InsufficientMemoryError: when no method fits in memory (with the bytes needed).
        SimulationError: when the named method cannot run the circuit.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if precision not in ("double", "single"):
        raise ValueError(f"precision must be 'double' or 'single', got {precision!r}")
    if shots < 0:
        raise ValueError(f"shots must be >= 0, got {shots}")
    start = time.perf_counter()
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> 1)
    rng = np.random.default_rng(seed)
    noise = None if noise is None or noise.is_empty else noise
    budget = sv.memory_budget() if max_memory_bytes is None else max_memory_bytes
    chosen = _choose(circuit, shots, noise, budget, precision) if method == "auto" else method
    if chosen == "statevector":  # the noiseless engine formats its own counts
        if noise is not None:
            raise SimulationError("the statevector method is noiseless; use trajectories or "
                                  "density_matrix (or method='auto') with a noise model")
        result = sv.run_statevector(circuit, shots, precision=precision,  # type: ignore[arg-type]
                                    seed=rng, memory=memory, max_memory_bytes=budget)
        return SimResult(counts=result.counts, shots=shots, method=chosen, seed=seed,
                         memory=result.memory, time_taken=time.perf_counter() - start,
                         timings=MappingProxyType(dict(result.timings)),
                         num_qubits=circuit.num_qubits)
    bits, timings = _run(chosen, circuit, shots, noise, rng, precision, budget)
    t = time.perf_counter()
    counts = counts_from_bits(bits)
    listed = bits_to_strings(bits).tolist() if memory else None
    timings["format"] = time.perf_counter() - t
    return SimResult(counts=counts, shots=shots, method=chosen, seed=seed, memory=listed,
                     time_taken=time.perf_counter() - start,
                     timings=MappingProxyType(timings), num_qubits=circuit.num_qubits)


def _run(method, circuit, shots, noise, rng, precision, budget):
    if method == "stabilizer":
        return run_stabilizer(circuit, shots, noise, rng)
    if method == "density_matrix":
        return dm.run_density_matrix(circuit, shots, noise, rng, max_memory_bytes=budget)
    return run_trajectories(circuit, shots, noise, rng, precision=precision,
                            max_memory_bytes=budget)


def _choose(circuit: QuantumCircuit, shots: int, noise: NoiseModel | None, budget: int,
            precision: str) -> str:
    n = circuit.num_qubits
    sv_bytes = sv.required_bytes(n, precision)  # type: ignore[arg-type]
    wants_stim = noise is not None or n >= _STABILIZER_FIRST_WIDTH or sv_bytes > budget
    if wants_stim and (noise is None or noise.is_pauli) and is_clifford(circuit):
        try:
            to_stim(circuit, noise)
            return "stabilizer"
        except NotStabilizerError:
            pass
    if noise is None:
        if sv_bytes > budget:
            raise _refuse(n, sv_bytes, budget, "statevector")
        return "statevector"
    costs = {}
    traj_bytes = trajectory_required_bytes(n, precision)
    if traj_bytes <= budget:
        costs["trajectories"] = _trajectory_cost(circuit, noise, shots)
    if dm.dm_required_bytes(n) <= budget and n <= 14:
        costs["density_matrix"] = _density_matrix_cost(circuit, noise)
    if not costs:
        raise _refuse(n, traj_bytes, budget, "trajectories")
    return min(costs, key=costs.__getitem__)


def _refuse(n: int, need: int, budget: int, method: str) -> InsufficientMemoryError:
    return InsufficientMemoryError(
        f"no simulation method fits: {n} qubits need at least {need:,} bytes "
        f"({need / 2**30:.1f} GiB, {method}) and {budget:,} bytes are available; "
        "Clifford circuits with Pauli noise run at any width on the stabilizer method",
        need, budget)


_CALL_SECONDS = 2e-5
"""Rough cost of one kernel call's Python and thread start-up."""
_AMPLITUDE_SECONDS = 1.5e-9
"""Rough cost of updating one amplitude in one pass (two cores)."""


def _trajectory_cost(circuit: QuantumCircuit, noise: NoiseModel, shots: int) -> float:
    """Seconds trajectories will take, roughly."""
    program = compile_program(circuit, noise)
    steps = len(program.ops)
    if program.has_midcircuit or not noise.is_unitary_mixture:
        runs = shots
        # a general channel per shot: reduced density matrix, draw, apply (~4 passes)
        steps += 3 * sum(op.kind == "kraus" and op.mixture is None for op in program.ops)
    else:
        p_clean = 1.0
        for op in program.ops:
            if op.kind == "kraus" and op.channel is not None and op.channel.mixture:
                p_clean *= max(p for p, _ in op.channel.mixture)
        runs = 1 + shots * (1 - p_clean) * 0.6  # deviating shots start part-way through
    dim = 2.0**circuit.num_qubits
    batches = 1 + runs * dim * 16 / BATCH_BYTES
    return steps * (batches * _CALL_SECONDS + dim * runs * _AMPLITUDE_SECONDS) + shots * 2e-6


def _density_matrix_cost(circuit: QuantumCircuit, noise: NoiseModel) -> float:
    """Seconds the density matrix will take, roughly (a k-qubit channel: 2 * 4**k passes)."""
    program = compile_program(circuit, noise)
    passes = sum(2 if op.kind == "gate" else 2 * 4 ** len(op.qubits) for op in program.ops)
    return len(program.ops) * 2 * _CALL_SECONDS + 4.0**circuit.num_qubits * passes * (
        _AMPLITUDE_SECONDS)


def statevector(circuit: QuantumCircuit, *, precision: str = "double",
                max_memory_bytes: int | None = None) -> np.ndarray:
    """The state `circuit` prepares from |0...0>, little-endian; terminal measurements ignored.

    Raises:
        SimulationError: for mid-circuit measurements, resets or conditions.
        InsufficientMemoryError: when the state does not fit.
    """
    return sv.final_state(circuit, precision=precision,  # type: ignore[arg-type]
                          max_memory_bytes=max_memory_bytes)


def density_matrix(circuit: QuantumCircuit, noise: NoiseModel | None = None, *,
                   max_memory_bytes: int | None = None) -> np.ndarray:
    """The circuit's final density matrix under `noise` (see `density_matrix.density_matrix`)."""
    return dm.density_matrix(circuit, noise, max_memory_bytes=max_memory_bytes)


def expectation(circuit: QuantumCircuit, pauli_sum: PauliSum,
                noise: NoiseModel | None = None) -> float | complex:
    """<O> = sum_k c_k <P_k> in the state the circuit prepares (terminal measurements ignored).

    Args:
        circuit: the circuit.
        pauli_sum: a Pauli string ("XZI", qubit 0 rightmost as in counts), a dict
            {string: coefficient}, or a list of (coefficient, string) pairs. Strings shorter
            than the circuit act as identity on the higher qubits.
        noise: when given, the exact noisy value from the density matrix.

    Returns:
        The expectation value: a float when every coefficient is real.

    Raises:
        ValueError: for a malformed Pauli string or one longer than the circuit.
    """
    terms = _terms(pauli_sum, circuit.num_qubits)
    if noise is None or noise.is_empty:
        state = statevector(circuit)
        value = sum(c * _pauli_expectation_state(state, label) for c, label in terms)
    else:
        rho = density_matrix(circuit, noise)
        value = sum(c * _pauli_expectation_rho(rho, label) for c, label in terms)
    value = complex(value)
    return value.real if all(np.isreal(c) for c, _ in terms) else value


def _terms(pauli_sum: PauliSum, n: int) -> list[tuple[complex, str]]:
    if isinstance(pauli_sum, str):
        items = [(1.0, pauli_sum)]
    elif isinstance(pauli_sum, Mapping):
        items = [(c, label) for label, c in pauli_sum.items()]
    else:
        items = list(pauli_sum)
    out = []
    for c, label in items:
        label = label.upper()
        if len(label) > n or set(label) - set("IXYZ"):
            raise ValueError(f"Pauli string {label!r} is not IXYZ over at most {n} qubits")
        out.append((c, label.rjust(n, "I")))
    return out


def pauli_masks(label: str) -> tuple[int, int, int]:
    """(x mask, z mask, number of Y) of a label with qubit 0 rightmost."""
    x = z = ny = 0
    for q, ch in enumerate(reversed(label)):
        if ch in "XY":
            x |= 1 << q
        if ch in "ZY":
            z |= 1 << q
        ny += ch == "Y"
    return x, z, ny


def _signs(dim: int, z: int) -> np.ndarray:
    index = np.arange(dim, dtype=np.uint64)
    return 1 - 2 * (np.bitwise_count(index & np.uint64(z)) & 1).astype(np.int8)


def _pauli_expectation_state(state: np.ndarray, label: str) -> complex:
    # P|j> = i^ny (-1)^|j & z| |j ^ x>, so <psi|P|psi> = i^ny sum_j s_j conj(psi[j^x]) psi[j]
    x, z, ny = pauli_masks(label)
    index = np.arange(state.size) ^ x
    return 1j**ny * np.sum(_signs(state.size, z) * np.conj(state[index]) * state)


def _pauli_expectation_rho(rho: np.ndarray, label: str) -> complex:
    x, z, ny = pauli_masks(label)
    dim = rho.shape[0]
    j = np.arange(dim)
    return 1j**ny * np.sum(_signs(dim, z) * rho[j, j ^ x])
