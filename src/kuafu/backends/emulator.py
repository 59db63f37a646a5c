"""`EmulatedBackend`: a chip emulated from its data file (device + compiler + noisy sim).

A run compiles the circuit for the chip (or checks that it is already native and mapped),
keeps only the physical qubits the compiled circuit touches, attaches the chip's
calibrated noise to them, and samples through `kuafu.sim`. Noisy Clifford circuits run
on the stabilizer engine at any width, with thermal relaxation replaced by its Pauli
twirl (which keeps every gate's average fidelity, so benchmarks measure the same
figures); other circuits run on the statevector, density-matrix or trajectory engines,
which limits them to `MAX_DENSE_QUBITS` active qubits.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from .. import devices
from ..circuit import Instruction, QuantumCircuit
from ..compiler import check_native, compile
from ..devices import Device
from ..errors import SimulationError
from ._execution import fresh_seed, simulate_counts
from .base import Backend, BackendResult, check_run_arguments
from .qasm_text import to_qasm

MAX_DENSE_QUBITS = 28
"""Most active qubits a non-Clifford circuit may touch (a 2^28 statevector is 4 GiB)."""

CLIFFORD_1Q = frozenset({"x", "y", "z", "h", "s", "sdg", "sx", "sxdg", "sy", "sydg", "id"})
CLIFFORD_2Q = frozenset({"cx", "cz", "cy", "swap"})
_ROTATIONS = frozenset({"rx", "ry", "rz", "p", "u1"})


def is_clifford(circuit: QuantumCircuit, atol: float = 1e-9) -> bool:
    """Whether every gate is Clifford (rotations by multiples of pi/2 count)."""
    import math

    for inst in circuit.instructions:
        name = inst.name
        if name in CLIFFORD_1Q or name in CLIFFORD_2Q or not inst.is_gate:
            continue
        if name in _ROTATIONS and not inst.is_parameterized:
            quarter = float(inst.params[0]) / (math.pi / 2)
            if abs(quarter - round(quarter)) < atol:
                continue
        return False
    return True


class EmulatedBackend(Backend):
    """A calibrated noisy emulator of one chip.

    Args:
        device: the chip.
        noisy: attach the calibrated noise (False gives an ideal run with the chip's
            connectivity, useful to tell compilation from noise).
        twirl_cliffords: run noisy Clifford circuits on the stabilizer engine with
            thermal relaxation replaced by its Pauli twirl (same gate fidelities; fast at
            any width). False sends them to the dense engines like any other circuit,
            which limits them to `MAX_DENSE_QUBITS` active qubits.
    """

    def __init__(self, device: Device, *, noisy: bool = True,
                 twirl_cliffords: bool = True) -> None:
        self._device = device
        self.name = device.name
        self.noisy = noisy
        self.twirl_cliffords = twirl_cliffords
        self._cache: OrderedDict[tuple, _Prepared] = OrderedDict()

    @property
    def device(self) -> Device:
        return self._device

    def run(self, circuit: QuantumCircuit, shots: int = 1024, *, compile: bool = True,
            seed: int | None = None, optimization_level: int = 1) -> BackendResult:
        """Compile (optionally), emulate with the chip's noise, and count (see `Backend.run`).

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
        counts, used = self._simulate(prepared, shots, seed)
        done = time.perf_counter()
        names = self._device.qubits
        return BackendResult(
            backend=self.name, shots=shots, counts=counts, compiled_qasm=prepared.qasm,
            initial_mapping=dict(prepared.initial), final_mapping=dict(prepared.final),
            physical_qubits=names, method=used,
            timings={"compile": compiled_at - start, "simulate": done - compiled_at,
                     "total": done - start},
            seed=seed,
            metadata={"compiler": dict(prepared.stats),
                      "active_qubits": [names[q] for q in prepared.active],
                      "noisy": self.noisy},
        )

    def _simulate(self, prepared: _Prepared, shots: int, seed: int) -> tuple[dict[str, int], str]:
        """Counts and method: noisy Clifford circuits on stim with the twirled noise when
        stim can express them (it cannot condition a gate's noise on a classical bit),
        everything else with the full noise on the method `kuafu.sim` chooses."""
        if not self.noisy:
            return simulate_counts(prepared.small, shots, seed=seed)
        from ..sim.device_noise import noise_model_from_device
        from ..sim.stabilizer import NotStabilizerError

        if prepared.clifford and self.twirl_cliffords:
            twirled = noise_model_from_device(self._device, prepared.active, pauli=True)
            try:
                return simulate_counts(prepared.small, shots, noise=twirled, seed=seed,
                                       method="stabilizer")
            except NotStabilizerError:
                pass
        noise = noise_model_from_device(self._device, prepared.active)
        return simulate_counts(prepared.small, shots, noise=noise, seed=seed)

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
        if compile_it:
            compiled = compile(circuit, self._device, optimization_level=level,
                               seed=COMPILE_SEED)
            native, initial, final, stats = (compiled.circuit, dict(compiled.initial_mapping),
                                             dict(compiled.final_mapping),
                                             dict(compiled.stats))
        else:
            check_native(circuit, self._device)
            native, stats = circuit, {}
            initial = final = {q: q for q in range(circuit.num_qubits)}
        active = tuple(sorted({q for inst in native.instructions if inst.name != "barrier"
                               for q in inst.qubits}))
        small = _restrict(native, list(active))
        clifford = is_clifford(small)
        if len(active) > MAX_DENSE_QUBITS and not (clifford and self.twirl_cliffords):
            raise SimulationError(
                f"the compiled circuit touches {len(active)} qubits of {self.name} and is not "
                f"Clifford; the emulator simulates at most {MAX_DENSE_QUBITS} qubits unless "
                "every gate is Clifford (then the stabilizer engine runs any width)")
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
