"""The one front door of `kuafu.sim`: `simulate`, `statevector`, `density_matrix`, `expectation`.

`simulate(method="auto")` first splits the circuit into independent parts (qubits no
operation ever joins: `kuafu.sim.partition`) and drops qubits nothing touches; each part
then runs on the method its estimated cost favours (`kuafu.sim.cost`):

1. **stabilizer** (stim) when every gate is Clifford, the noise is Pauli and stim can
   express every condition, and there is noise or the part is too wide for a statevector.
2. **statevector** (noiseless), **trajectories** or **density_matrix** (noisy) while they
   fit in memory, whichever is estimated fastest;
3. **mps** (matrix product states) when its estimated bond dimension fits and it is faster,
   which is how wide, weakly entangled circuits run;
4. otherwise a truncated MPS when the caller capped the bond dimension (the result states
   its fidelity estimate), else `CircuitTooCostlyError` naming the estimate: qubits,
   entangling depth, bond dimension, memory and time.

The decision allocates nothing and simulates nothing; `plan_simulation` returns it alone.
The samples of the parts are joined shot by shot (`SimResult.method_details["parts"]`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from ..circuit import QuantumCircuit
from ..errors import SimulationError
from . import cost
from . import density_matrix as dm
from . import statevector as sv
from .cost import Estimate
from .noise import NoiseModel
from .partition import Part, join, restrict_noise, split
from .result import SimResult, bits_to_strings, counts_from_bits
from .stabilizer import run_stabilizer
from .trajectories import run_trajectories

if TYPE_CHECKING:
    from .mps import MPSOptions

__all__ = ["DEFAULT_MAX_SECONDS", "METHODS", "PlannedPart", "SimulationPlan", "density_matrix",
           "expectation", "plan_simulation", "simulate", "statevector"]

METHODS = ("auto", "statevector", "density_matrix", "trajectories", "stabilizer", "mps")
DEFAULT_MAX_SECONDS = 600.0
"""Longest estimated run `method="auto"` starts unless told otherwise (`max_seconds`)."""

PauliSum = str | Mapping[str, complex] | Sequence[tuple[complex, str]]


@dataclass(frozen=True)
class PlannedPart:
    """One independent part of a circuit and the method chosen for it."""

    part: Part
    estimate: Estimate


@dataclass(frozen=True)
class SimulationPlan:
    """What `simulate(method="auto")` will do, decided from cost estimates alone.

    Attributes:
        num_qubits: width of the circuit.
        parts: the parts that will run (those that write no classical bit do not).
        whole: True when the only part is the circuit itself (nothing split or dropped).
    """

    num_qubits: int
    parts: tuple[PlannedPart, ...]
    whole: bool

    @property
    def method(self) -> str:
        """The method, or the methods of the parts joined by "+" (in order of use)."""
        names = dict.fromkeys(p.estimate.method for p in self.parts)
        return "+".join(names) or "none"

    @property
    def seconds(self) -> float:
        """Estimated run time of all parts."""
        return sum(p.estimate.seconds for p in self.parts)

    @property
    def memory_bytes(self) -> int:
        """Estimated peak memory (parts run one after another)."""
        return max((p.estimate.memory_bytes for p in self.parts), default=0)

    @property
    def simulated_qubits(self) -> int:
        return sum(len(p.part.qubits) for p in self.parts)


def plan_simulation(
    circuit: QuantumCircuit,
    shots: int = 1024,
    *,
    noise: NoiseModel | None = None,
    precision: str = "double",
    max_memory_bytes: int | None = None,
    max_seconds: float | None = DEFAULT_MAX_SECONDS,
    max_dense_qubits: int | None = None,
    mps_options: MPSOptions | None = None,
) -> SimulationPlan:
    """The parts of `circuit` and the method each would run on (see the module doc).

    Raises:
        CircuitTooCostlyError: when some part fits no method, or all parts together take
            longer than `max_seconds`; with the estimate of the costliest part.
    """
    noise = None if noise is None or noise.is_empty else noise
    budget = sv.memory_budget() if max_memory_bytes is None else max_memory_bytes
    parts = split(circuit)
    whole = len(parts) == 1 and parts[0].circuit is circuit
    planned = []
    for part in parts:
        if not part.observed:
            continue
        local = noise if whole else restrict_noise(noise, part.qubits)
        choice = cost.choose(part.circuit, shots, local, precision=precision,
                             max_memory_bytes=budget, max_seconds=max_seconds,
                             max_dense_qubits=max_dense_qubits,
                             mps_options=_part_options(mps_options, part, whole))
        planned.append(PlannedPart(part, choice))
    whole = whole and len(planned) == 1
    plan = SimulationPlan(circuit.num_qubits, tuple(planned), whole)
    if max_seconds is not None and plan.seconds > max_seconds and len(planned) > 1:
        worst = max(planned, key=lambda p: p.estimate.seconds)
        err = cost.refusal(worst.part.circuit, [worst.estimate], budget, max_seconds,
                           precision)
        raise type(err)(
            f"this circuit is too costly to simulate: its {len(planned)} independent parts "
            f"together need an estimated {plan.seconds:.3g} s and the limit is "
            f"{max_seconds:g} s; the costliest part: {err}",
            num_qubits=err.num_qubits, entangling_depth=err.entangling_depth,
            bond_dimension=err.bond_dimension, memory_bytes=err.memory_bytes,
            seconds=plan.seconds, method=err.method)
    return plan


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
    max_seconds: float | None = DEFAULT_MAX_SECONDS,
    max_dense_qubits: int | None = None,
    mps_options: MPSOptions | None = None,
) -> SimResult:
    """Run `circuit` for `shots` shots and count the classical register's values.

    Args:
        circuit: the circuit, parameters bound.
        shots: number of shots.
        noise: the noise model; None for an ideal machine.
        method: "auto" or one engine of `METHODS` (a named engine runs the whole circuit,
            unsplit, without a cost check).
        seed: makes the run reproducible; when None one is drawn and reported in the result.
        memory: also return every shot's bitstring, in shot order.
        precision: "double" (complex128) or "single" (complex64) for the statevector,
            trajectory and density-matrix engines; MPS always computes in double.
        max_memory_bytes: memory the engines may use; default 80 % of physical memory.
        max_seconds: longest estimated run "auto" starts (None: no limit on time).
        max_dense_qubits: widest part "auto" gives a dense engine (statevector,
            trajectories, density matrix); None: as wide as memory allows.
        mps_options: options of the MPS engine (`max_bond_dimension` caps the bond: "auto"
            then answers circuits too entangled to run exactly, with a fidelity estimate;
            "auto" takes `qubit_order` as a candidate and keeps it when its estimate is
            no worse than the engine's own order).

    Returns:
        A `SimResult`; counts are keyed with classical bit 0 rightmost; `metadata` holds
        the method's details (parts, and for MPS the bond dimension reached and the
        fidelity estimate).

    Raises:
        ValueError: for an unknown method or precision, or negative shots.
        CircuitTooCostlyError: when "auto" finds no method within the limits.
        InsufficientMemoryError: when a named method does not fit in memory.
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
    metadata: dict[str, Any] = {}
    if method == "auto":
        plan = plan_simulation(circuit, shots, noise=noise, precision=precision,
                               max_memory_bytes=budget, max_seconds=max_seconds,
                               max_dense_qubits=max_dense_qubits, mps_options=mps_options)
        chosen = plan.method
        if plan.whole:
            method = chosen
            mps_options = plan.parts[0].estimate.mps_options
            metadata["estimated_seconds"] = plan.seconds
        else:
            bits, timings, metadata = _run_parts(plan, circuit, shots, noise, rng, precision,
                                                 budget)
            return _result(bits, timings, metadata, chosen, circuit, shots, seed, memory,
                           start)
    if method == "statevector":  # the noiseless engine formats its own counts
        if noise is not None:
            raise SimulationError("the statevector method is noiseless; use trajectories or "
                                  "density_matrix (or method='auto') with a noise model")
        result = sv.run_statevector(circuit, shots, precision=precision,  # type: ignore[arg-type]
                                    seed=rng, memory=memory, max_memory_bytes=budget)
        return SimResult(counts=result.counts, shots=shots, method=method, seed=seed,
                         memory=result.memory, time_taken=time.perf_counter() - start,
                         timings=MappingProxyType(dict(result.timings)),
                         num_qubits=circuit.num_qubits,
                         method_details=MappingProxyType(metadata))
    bits, timings, details = _run(method, circuit, shots, noise, rng, precision, budget,
                                  mps_options)
    metadata.update(details)
    return _result(bits, timings, metadata, method, circuit, shots, seed, memory, start)


def _result(bits, timings, metadata, method, circuit, shots, seed, memory, start) -> SimResult:
    t = time.perf_counter()
    counts = counts_from_bits(bits)
    listed = bits_to_strings(bits).tolist() if memory else None
    timings["format"] = time.perf_counter() - t
    return SimResult(counts=counts, shots=shots, method=method, seed=seed, memory=listed,
                     time_taken=time.perf_counter() - start,
                     timings=MappingProxyType(timings), num_qubits=circuit.num_qubits,
                     method_details=MappingProxyType(metadata))


def _run(method, circuit, shots, noise, rng, precision, budget, mps_options
         ) -> tuple[np.ndarray, dict[str, float], dict[str, Any]]:
    """(bits, timings, method details) of one engine on the whole of `circuit`."""
    if method == "stabilizer":
        return (*run_stabilizer(circuit, shots, noise, rng), {})
    if method == "density_matrix":
        return (*dm.run_density_matrix(circuit, shots, noise, rng, max_memory_bytes=budget,
                                        precision=precision), {})
    if method == "mps":
        from .mps import MPSOptions, run_mps

        bits, timings, info = run_mps(circuit, shots, noise, rng,
                                      options=mps_options or MPSOptions())
        return bits, dict(timings), _mps_details(info)
    if method == "statevector":
        result = sv.run_statevector(circuit, shots, precision=precision, seed=rng,
                                    memory=True, max_memory_bytes=budget)
        return _bits_of(result.memory, circuit.num_clbits, shots), dict(result.timings), {}
    return (*run_trajectories(circuit, shots, noise, rng, precision=precision,
                              max_memory_bytes=budget), {})


def _run_parts(plan: SimulationPlan, circuit: QuantumCircuit, shots: int,
               noise: NoiseModel | None, rng: np.random.Generator, precision: str,
               budget: int):
    """Each planned part on its method with its own generator, then the shots joined."""
    rngs = rng.spawn(len(plan.parts))
    timings: dict[str, float] = {}
    samples, described = [], []
    for planned, part_rng in zip(plan.parts, rngs, strict=True):
        part = planned.part
        t = time.perf_counter()
        bits, _, details = _run(planned.estimate.method, part.circuit, shots,
                                restrict_noise(noise, part.qubits), part_rng, precision,
                                budget, planned.estimate.mps_options)
        samples.append(bits)
        described.append({"qubits": list(part.qubits), "method": planned.estimate.method,
                          "seconds": time.perf_counter() - t, **details})
    t = time.perf_counter()
    bits = join([p.part for p in plan.parts], samples, shots, circuit.num_clbits, rng)
    timings["run"] = sum(d["seconds"] for d in described)
    timings["join"] = time.perf_counter() - t
    metadata: dict[str, Any] = {"parts": described, "simulated_qubits": plan.simulated_qubits,
                                "estimated_seconds": plan.seconds}
    mps = [d for d in described if d["method"] == "mps"]
    if mps:
        metadata["bond_dimension"] = max(d["bond_dimension"] for d in mps)
        metadata["discarded_weight"] = sum(d["discarded_weight"] for d in mps)
        metadata["fidelity_estimate"] = float(np.prod([d["fidelity_estimate"] for d in mps]))
    return bits, timings, metadata


def _part_options(options: MPSOptions | None, part: Part, whole: bool) -> MPSOptions | None:
    """MPS options for a part: a qubit order given for the whole circuit, restricted to
    the part's qubits and renumbered."""
    if options is None or whole or options.qubit_order is None:
        return options
    import dataclasses

    local = {q: i for i, q in enumerate(part.qubits)}
    order = tuple(local[q] for q in options.qubit_order if q in local)
    if len(order) != len(part.qubits):
        order = None  # the order did not name every qubit of the part: let the engine choose
    return dataclasses.replace(options, qubit_order=order)


def _mps_details(info: Any) -> dict[str, Any]:
    return {"bond_dimension": int(info.max_bond), "discarded_weight": float(info.discarded_weight),
            "fidelity_estimate": float(info.fidelity_estimate),
            "trajectories": int(info.trajectories),
            "shots_per_trajectory": float(info.shots_per_trajectory)}


def _bits_of(memory: list[str] | None, num_clbits: int, shots: int) -> np.ndarray:
    """(shots, num_clbits) bits from bitstrings with classical bit 0 rightmost."""
    if not num_clbits or not memory:
        return np.zeros((shots, num_clbits), dtype=np.uint8)
    chars = np.frombuffer("".join(memory).encode("ascii"), dtype=np.uint8)
    return (chars.reshape(len(memory), num_clbits)[:, ::-1] - ord("0")).astype(np.uint8)


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
                   max_memory_bytes: int | None = None, precision: str = "double"
                   ) -> np.ndarray:
    """The circuit's final density matrix under `noise` (see `density_matrix.density_matrix`;
    `precision="single"` computes and returns complex64)."""
    return dm.density_matrix(circuit, noise, max_memory_bytes=max_memory_bytes,
                             precision=precision)


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
