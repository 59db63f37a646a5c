"""`EmulatedBackend`: a chip emulated from its data file (device + compiler + noisy sim).

A run compiles the circuit for the chip (or checks that it is already native and mapped),
keeps only the physical qubits the compiled circuit touches, attaches the chip's
calibrated noise to them, and samples through `kuafu.sim`. Noisy Clifford circuits run
on the stabilizer engine at any width, with thermal relaxation replaced by its Pauli
twirl (which keeps every gate's average fidelity, so benchmarks measure the same
figures), when stim can express them. Every other circuit (non-Clifford, or dynamic in a
way stim cannot condition) runs with the full noise model on the method `kuafu.sim`
chooses by estimated cost: independent parts apart, dense engines up to
`MAX_DENSE_QUBITS` active qubits, matrix product states (chained along the chip's
coupling graph) beyond, or a `CircuitTooCostlyError` that states the estimate.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .. import devices
from ..circuit import Instruction, QuantumCircuit
from ..devices import Device
from ._execution import fresh_seed
from .base import Backend, BackendResult, check_run_arguments
from .qasm_text import to_qasm

if TYPE_CHECKING:  # kuafu.sim (numba, stim) is imported on the first run, not with backends
    from ..sim import SimResult
    from ..sim.api import SimulationPlan

MAX_SECONDS = 600.0
"""Longest estimated simulation an emulated chip starts by default (`max_seconds`)."""
MAX_DENSE_QUBITS = 28
"""Widest part the dense engines (statevector, trajectories, density matrix) are given (a
2^28 statevector is 4 GiB); wider parts run as matrix product states."""
WIDE_TRAJECTORIES = 256
"""Most noisy trajectories an MPS run of a circuit wider than `MAX_DENSE_QUBITS` simulates
by default; the shots are shared among them (`MPSOptions.max_trajectories`: unbiased
counts, stated in the result as `shots_per_trajectory`). At ScQ-P136's noise a 50-qubit
chain draws about 20 errors a shot, so one trajectory per shot would cost minutes."""


def is_clifford(circuit: QuantumCircuit) -> bool:
    """Whether every gate is Clifford: `kuafu.sim.stabilizer.is_clifford` (any gate whose
    matrix is a Clifford, rotations by multiples of pi/2 among them), imported on first
    use like the rest of `kuafu.sim`."""
    from ..sim.stabilizer import is_clifford as clifford

    return clifford(circuit)


class EmulatedBackend(Backend):
    """A calibrated noisy emulator of one chip.

    Args:
        device: the chip.
        noisy: attach the calibrated noise (False gives an ideal run with the chip's
            connectivity, useful to tell compilation from noise).
        twirl_cliffords: run noisy Clifford circuits on the stabilizer engine with
            thermal relaxation replaced by its Pauli twirl (same gate fidelities; fast at
            any width). False sends them to the other engines like any other circuit.
        max_seconds: longest estimated simulation a run starts; costlier circuits are
            refused with the estimate (`CircuitTooCostlyError`).
        max_memory_bytes: memory a simulation may use (default: 80 % of this machine's).
        max_bond_dimension: a cap on the MPS bond dimension: circuits too entangled to
            run exactly then run truncated, with the fidelity estimate in the result's
            metadata; None (default) runs only what is exact and refuses the rest.
        wide_trajectories: for circuits wider than `MAX_DENSE_QUBITS`, the most noisy
            trajectories simulated, the shots shared among them (`WIDE_TRAJECTORIES`);
            None simulates one trajectory per shot. Narrower circuits always do.
    """

    def __init__(self, device: Device, *, noisy: bool = True,
                 twirl_cliffords: bool = True, max_seconds: float | None = MAX_SECONDS,
                 max_memory_bytes: int | None = None,
                 max_bond_dimension: int | None = None,
                 wide_trajectories: int | None = WIDE_TRAJECTORIES) -> None:
        self._device = device
        self.name = device.name
        self.noisy = noisy
        self.twirl_cliffords = twirl_cliffords
        self.max_seconds = max_seconds
        self.max_memory_bytes = max_memory_bytes
        self.max_bond_dimension = max_bond_dimension
        self.wide_trajectories = wide_trajectories
        self._cache: OrderedDict[tuple, _Prepared] = OrderedDict()

    @property
    def device(self) -> Device:
        return self._device

    def run(self, circuit: QuantumCircuit, shots: int = 1024, *, compile: bool = True,
            seed: int | None = None, optimization_level: int = 1,
            noise_device: Device | None = None) -> BackendResult:
        """Compile (optionally), emulate with the chip's noise, and count (see `Backend.run`).

        `noise_device` is the chip as it is at the moment of the run (its calibration
        drifted since it was published, `kuafu.devices.drift`): the circuit is compiled
        for the published calibration (this backend's device) and simulated with the
        noise of that moment. Default: the backend's device.

        Compilation is seeded with `COMPILE_SEED`, not the run's seed, so the same circuit
        always compiles to the same native circuit: that is what lets the result be
        cached per circuit (a cloud sees the same few circuits again and again), and the
        run's seed alone reproduces the counts.
        """
        check_run_arguments(shots, optimization_level)
        seed = fresh_seed(seed)
        start = time.perf_counter()
        prepared = self._prepared(circuit, compile, optimization_level)
        compiled_at = time.perf_counter()
        result = self._simulate(prepared, shots, seed, noise_device or self._device)
        done = time.perf_counter()
        names = self._device.qubits
        return BackendResult(
            backend=self.name, shots=shots, counts=result.counts, compiled_qasm=prepared.qasm,
            initial_mapping=dict(prepared.initial), final_mapping=dict(prepared.final),
            physical_qubits=names, method=result.method,
            method_details=method_details(result, prepared.active, names),
            timings={**result.timings, "compile": compiled_at - start,
                     "simulate": done - compiled_at, "total": done - start},
            seed=seed, calibration_id=self._device.calibration_id,
            calibrated_at=self._device.calibrated_at,
            metadata={"compiler": dict(prepared.stats),
                      "active_qubits": [names[q] for q in prepared.active],
                      "noisy": self.noisy},
        )

    def estimate(self, circuit: QuantumCircuit, shots: int = 1024, *, compile: bool = True,
                 optimization_level: int = 1,
                 max_memory_bytes: int | None = None) -> SimulationPlan:
        """What a run would simulate, and how, decided without simulating (milliseconds
        after the circuit is compiled; the compiled circuit is kept for the run).
        `max_memory_bytes` lowers the backend's memory limit for this decision (a
        server's per-job limit).

        Raises:
            CompileError: the circuit does not fit or cannot be compiled for the chip.
            CircuitTooCostlyError: no method fits the backend's limits (with the estimate).
        """
        from ..sim.api import plan_simulation

        check_run_arguments(shots, optimization_level)
        prepared = self._prepared(circuit, compile, optimization_level)
        limits = self._limits(prepared)
        if max_memory_bytes is not None:
            own = limits["max_memory_bytes"]
            limits["max_memory_bytes"] = max_memory_bytes if own is None else min(
                own, max_memory_bytes)
        if self.noisy and prepared.clifford and self.twirl_cliffords:
            from ..sim.stabilizer import NotStabilizerError, to_stim

            twirled = self._noise(prepared, pauli=True)
            try:
                to_stim(prepared.small, twirled)
                return plan_simulation(prepared.small, shots, noise=twirled, **limits)
            except NotStabilizerError:
                pass
        noise = self._noise(prepared) if self.noisy else None
        return plan_simulation(prepared.small, shots, noise=noise, **limits)

    def _simulate(self, prepared: _Prepared, shots: int, seed: int,
                  noise_device: Device) -> SimResult:
        """Noisy Clifford circuits on stim with the twirled noise when stim can express
        them (it cannot condition a gate's noise on a classical bit); everything else
        with the full noise on the method `kuafu.sim` chooses within the limits."""
        from ..sim import simulate

        if self.noisy and prepared.clifford and self.twirl_cliffords:
            from ..sim.stabilizer import NotStabilizerError

            try:
                return simulate(prepared.small, shots,
                                noise=self._noise(prepared, pauli=True, device=noise_device),
                                seed=seed, method="stabilizer")
            except NotStabilizerError:
                pass
        noise = self._noise(prepared, device=noise_device) if self.noisy else None
        return simulate(prepared.small, shots, noise=noise, seed=seed,
                        **self._limits(prepared))

    def _noise(self, prepared: _Prepared, *, pauli: bool = False,
               device: Device | None = None):
        from ..sim.device_noise import noise_model_from_device

        return noise_model_from_device(device or self._device, prepared.active, pauli=pauli)

    def _limits(self, prepared: _Prepared) -> dict[str, Any]:
        """The cost limits and MPS options of `simulate` for this chip and circuit."""
        limits: dict[str, Any] = {"max_seconds": self.max_seconds,
                                  "max_memory_bytes": self.max_memory_bytes,
                                  "max_dense_qubits": MAX_DENSE_QUBITS}
        try:
            from ..sim.mps import MPSOptions
        except ImportError:  # an installation without the MPS engine: dense and stim only
            return limits
        order = chain_order(self._device, prepared.active)
        wide = len(prepared.active) > MAX_DENSE_QUBITS
        limits["mps_options"] = MPSOptions(
            max_bond_dimension=self.max_bond_dimension, qubit_order=order,
            max_trajectories=self.wide_trajectories if wide else None)
        return limits

    def _prepared(self, circuit: QuantumCircuit, compile_it: bool, level: int) -> _Prepared:
        """The compiled, restricted circuit, from the cache when this circuit ran before."""
        key = _circuit_key(circuit, compile_it, level)
        if key is not None and (hit := self._cache.get(key)) is not None:
            self._cache.move_to_end(key)
            return hit
        prepared = self._prepare(circuit, compile_it, level)
        if key is not None:
            self._cache[key] = prepared
            while len(self._cache) > PREPARED_CACHE_SIZE:
                self._cache.popitem(last=False)
        return prepared

    def _prepare(self, circuit: QuantumCircuit, compile_it: bool, level: int) -> _Prepared:
        self.check(circuit, compile=compile_it)
        if compile_it:
            from ..compiler import compile  # the router (numba) loads on first use

            compiled = compile(circuit, self._device, optimization_level=level,
                               seed=COMPILE_SEED)
            native, initial, final, stats = (compiled.circuit, dict(compiled.initial_mapping),
                                             dict(compiled.final_mapping),
                                             dict(compiled.stats))
        else:
            native, stats = circuit, {}
            initial = final = {q: q for q in range(circuit.num_qubits)}
        active = tuple(sorted({q for inst in native.instructions if inst.name != "barrier"
                               for q in inst.qubits}))
        small = _restrict(native, list(active))
        clifford = is_clifford(small)
        return _Prepared(small, active, clifford, to_qasm(native), MappingProxyType(initial),
                         MappingProxyType(final), MappingProxyType(stats))


COMPILE_SEED = 0
"""Seed of the compiler's layout and routing trials (see `EmulatedBackend.run`)."""

PREPARED_CACHE_SIZE = 512
"""Distinct circuits whose compiled form each backend keeps."""


@dataclass(frozen=True)
class _Prepared:
    """What a run needs that depends on the circuit and the chip, not on shots or seed."""

    small: QuantumCircuit
    active: tuple[int, ...]
    clifford: bool
    qasm: str | None
    initial: Mapping[int, int]
    final: Mapping[int, int]
    stats: Mapping[str, Any]


def chain_order(device: Device, qubits: tuple[int, ...]) -> tuple[int, ...]:
    """An order of `qubits` (as positions 0..len-1 into it) along the chip: a snake
    through its lattice along the shorter side (lines of a grid's columns when it has
    fewer rows), so chip neighbours sit close on an MPS chain and a cut crosses at most
    one line's worth of couplers; without coordinates, a breadth-first walk of the
    coupling graph from a least-connected qubit."""
    if not qubits:
        return ()
    if device.coordinates is not None:
        coords = [device.coordinates[q] for q in qubits]
        rows = sorted({r for r, _ in coords})
        cols = sorted({c for _, c in coords})
        if len(rows) <= len(cols):  # walk column by column, up and down the short side
            rank = {c: i for i, c in enumerate(cols)}
            keys = [(rank[c], r if rank[c] % 2 == 0 else -r) for r, c in coords]
        else:
            rank = {r: i for i, r in enumerate(rows)}
            keys = [(rank[r], c if rank[r] % 2 == 0 else -c) for r, c in coords]
        return tuple(sorted(range(len(qubits)), key=keys.__getitem__))
    local = {q: i for i, q in enumerate(qubits)}
    near: list[list[int]] = [[] for _ in qubits]
    for a, b in device.couplers:
        if a in local and b in local:
            near[local[a]].append(local[b])
            near[local[b]].append(local[a])
    order: list[int] = []
    seen = [False] * len(qubits)
    for start in sorted(range(len(qubits)), key=lambda i: (len(near[i]), i)):
        if seen[start]:
            continue
        seen[start] = True
        queue = [start]
        while queue:
            i = queue.pop(0)
            order.append(i)
            for j in sorted(near[i], key=lambda j: (len(near[j]), j)):
                if not seen[j]:
                    seen[j] = True
                    queue.append(j)
    return tuple(order)


def method_details(result: SimResult, active: tuple[int, ...],
                   names: tuple[str, ...]) -> dict[str, Any]:
    """How a run was simulated, for `BackendResult.method_details`: the method,
    for MPS the bond dimension reached and the fidelity estimate, and each independent
    part's physical qubits and method when the circuit was split."""
    meta = dict(result.method_details)
    details: dict[str, Any] = {"method": result.method}
    for key in ("bond_dimension", "fidelity_estimate", "discarded_weight", "trajectories",
                "shots_per_trajectory", "simulated_qubits", "estimated_seconds"):
        if key in meta:
            details[key] = meta[key]
    if "parts" in meta:
        details["parts"] = [
            {**{k: v for k, v in part.items() if k != "qubits"},
             "qubits": [names[active[q]] for q in part["qubits"]]}
            for part in meta["parts"]]
    return details


def _circuit_key(circuit: QuantumCircuit, compile_it: bool, level: int) -> tuple | None:
    """A hashable value equal for circuits that compile alike; None when there is none
    (symbolic parameters: such a circuit is refused by the compiler anyway)."""
    key = (tuple(circuit.qregs), tuple(circuit.cregs), tuple(circuit.instructions),
           compile_it, level)
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _restrict(circuit: QuantumCircuit, active: list[int]) -> QuantumCircuit:
    """The circuit on its active qubits only, renumbered 0..len(active)-1 in order."""
    from ..circuit import QuantumRegister

    compact = {p: i for i, p in enumerate(active)}
    small = QuantumCircuit(QuantumRegister("q", max(1, len(active))), *circuit.cregs,
                           name=circuit.name)
    for inst in circuit.instructions:
        qubits = tuple(compact[q] for q in inst.qubits if q in compact)
        if not qubits:
            continue
        small.instructions.append(Instruction(inst.name, qubits, inst.clbits, inst.params,
                                              inst.condition))
    return small


def scq_p10() -> EmulatedBackend:
    """The emulated ScQ-P10 chip."""
    return EmulatedBackend(devices.get("ScQ-P10"))


def scq_p18() -> EmulatedBackend:
    """The emulated ScQ-P18 chip."""
    return EmulatedBackend(devices.get("ScQ-P18"))


def scq_p136() -> EmulatedBackend:
    """The emulated ScQ-P136 chip."""
    return EmulatedBackend(devices.get("ScQ-P136"))
