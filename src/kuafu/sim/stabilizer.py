"""The stabilizer engine: Clifford circuits with Pauli noise at any width, through `stim`.

A circuit runs here when every gate is Clifford (checked on its matrix, so rotations by
multiples of pi/2 and `u3` with Clifford angles qualify), every channel of the noise model
is a Pauli channel, and every condition is one stim can express: one classical bit, last
written by a measurement, controlling a Pauli gate (stim's `CX rec[-k] q` feedback).
Anything else raises `NotStabilizerError`, and `simulate(method="auto")` picks another engine.

Symmetric readout errors become stim's noisy measurements `M(p)`; asymmetric ones flip the
sampled records afterwards (refused when the record feeds a condition).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import stim

from ..circuit import Instruction, QuantumCircuit, gate_matrix
from ..circuit.gates import embed
from ..errors import SimulationError
from .channels import Channel, ReadoutError, pauli_labels
from .noise import NoiseModel
from .result import apply_readout

__all__ = ["NotStabilizerError", "StimProgram", "is_clifford", "run_stabilizer", "to_stim"]

_NAMED = {"id": "I", "x": "X", "y": "Y", "z": "Z", "h": "H", "s": "S", "sdg": "S_DAG",
          "cx": "CX", "cy": "CY", "cz": "CZ", "swap": "SWAP"}
_TWO_QUBIT = frozenset({"cx", "cy", "cz", "swap"})
_PAULI_NAMES = {"x": "X", "y": "Y", "z": "Z"}
_ATOL = 1e-10
_STIM_TO_KUAFU_1Q = {"I": "id", "X": "x", "Y": "y", "Z": "z", "H": "h", "S": "s",
                     "S_DAG": "sdg", "SQRT_X": "sx", "SQRT_X_DAG": "sxdg", "SQRT_Y": "sy",
                     "SQRT_Y_DAG": "sydg"}
_STIM_TO_KUAFU_2Q = {"CX": "cx", "CNOT": "cx", "CY": "cy", "CZ": "cz", "SWAP": "swap"}


class NotStabilizerError(SimulationError):
    """The circuit or its noise is outside what the stabilizer engine can run."""


@dataclass
class StimProgram:
    """A circuit translated to stim.

    Attributes:
        circuit: the stim circuit.
        clbit_records: for each classical bit, the index of the measurement record that
            holds its final value, or -1 when it is never written.
        asymmetric_readout: record index -> readout error to apply after sampling.
    """

    circuit: stim.Circuit
    clbit_records: list[int]
    asymmetric_readout: dict[int, ReadoutError] = field(default_factory=dict)


def is_clifford(circuit: QuantumCircuit) -> bool:
    """Whether every gate of `circuit` is a Clifford gate (conditions not considered)."""
    try:
        for inst in circuit.instructions:
            if inst.is_gate:
                _gate_ops(inst.name, _param_key(inst))
    except NotStabilizerError:
        return False
    return True


def to_stim(circuit: QuantumCircuit, noise: NoiseModel | None = None) -> StimProgram:
    """Translate `circuit` and `noise` to a stim circuit.

    Raises:
        NotStabilizerError: for non-Clifford gates, non-Pauli channels, or conditions stim
            cannot express.
    """
    noise = noise or NoiseModel()
    builder = _Builder(_StimText(), [-1] * circuit.num_clbits)
    for inst in circuit.instructions:
        builder.add(inst, noise)
    return StimProgram(stim.Circuit("\n".join(builder.out.lines)), builder.clbit_records,
                       builder.asymmetric)


class _StimText:
    """stim circuit text, parsed once at the end: stim's `Circuit.append` costs ~100 us
    a call from Python, parsing ~0.3 us a line."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def append(self, name: str, targets, arg=None) -> None:
        values = [] if arg is None else arg if isinstance(arg, (list, tuple)) else [arg]
        args = "(" + ",".join(repr(float(v)) for v in values) + ")" if values else ""
        self.lines.append(f"{name}{args} {' '.join(map(str, targets))}")


@dataclass
class _Builder:
    out: _StimText
    clbit_records: list[int]
    asymmetric: dict[int, ReadoutError] = field(default_factory=dict)
    num_records: int = 0

    def add(self, inst: Instruction, noise: NoiseModel) -> None:
        name = inst.name
        if name == "barrier":
            return
        if name == "delay":
            if any(q in noise.idle_relaxation for q in inst.qubits):
                raise NotStabilizerError("idle relaxation during delay is not a Pauli channel")
            return
        channel = noise.channel_for(name, inst.qubits)
        if inst.condition is not None:
            if channel is not None:
                raise NotStabilizerError("stim cannot condition noise on a classical bit")
            self._conditioned(inst)
            return
        if name == "measure":
            if channel is not None:
                self._channel(channel, inst.qubits)
            self._measure(inst.qubits[0], inst.clbits[0], noise.readout_for(inst.qubits[0]))
            return
        if name == "reset":
            self.out.append("R", list(inst.qubits))
        elif inst.is_gate:
            for gate, positions in _gate_ops(name, _param_key(inst)):
                self.out.append(gate, [inst.qubits[p] for p in positions])
        else:
            raise NotStabilizerError(f"cannot simulate opaque gate {name!r}")
        if channel is not None:
            self._channel(channel, inst.qubits)

    def _measure(self, q: int, c: int, readout: ReadoutError | None) -> None:
        p01, p10 = readout.flip_probabilities if readout else (0.0, 0.0)
        if p01 == p10:
            self.out.append("M", [q], p01) if p01 > 0 else self.out.append("M", [q])
        else:
            self.out.append("M", [q])
            self.asymmetric[self.num_records] = readout  # type: ignore[assignment]
        self.clbit_records[c] = self.num_records
        self.num_records += 1

    def _channel(self, channel: Channel, qubits: tuple[int, ...]) -> None:
        if channel.pauli is None:
            raise NotStabilizerError(f"channel {channel.name} is not a Pauli channel")
        k = len(qubits)
        if k > 2:
            raise NotStabilizerError("stim has no Pauli channel on more than two qubits")
        probs = [channel.pauli.get(label, 0.0) for label in pauli_labels(k)[1:]]
        if any(p > 0 for p in probs):
            self.out.append("PAULI_CHANNEL_1" if k == 1 else "PAULI_CHANNEL_2",
                            list(qubits), probs)

    def _conditioned(self, inst: Instruction) -> None:
        cond = inst.condition
        assert cond is not None
        if inst.name not in _PAULI_NAMES or len(cond.clbits) != 1:
            raise NotStabilizerError(
                "stim can only condition a Pauli gate (x, y, z) on one classical bit")
        record = self.clbit_records[cond.clbits[0]]
        gate, q = _PAULI_NAMES[inst.name], inst.qubits[0]
        if record < 0:  # the bit is still 0
            if cond.value == 0:
                self.out.append(gate, [q])
            return
        if record in self.asymmetric:
            raise NotStabilizerError("an asymmetric readout error feeds a condition")
        if cond.value == 0:  # P if bit == 0  ==  P, then P if bit == 1
            self.out.append(gate, [q])
        self.out.append("C" + gate, [f"rec[{record - self.num_records}]", q])


def _param_key(inst: Instruction) -> tuple[float, ...]:
    try:
        return tuple(round(float(p), 12) for p in inst.params)
    except TypeError:
        raise NotStabilizerError(f"{inst.name} has an unbound parameter") from None


@lru_cache(maxsize=4096)
def _gate_ops(name: str, params: tuple[float, ...]) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """stim gates (name, argument positions) equal to the gate up to a global phase."""
    if name in _NAMED:
        return ((_NAMED[name], (0, 1) if name in _TWO_QUBIT else (0,)),)
    matrix = gate_matrix(name, params)
    try:
        tableau = stim.Tableau.from_unitary_matrix(matrix, endian="big")
    except ValueError:
        raise NotStabilizerError(f"gate {name}{params or ''} is not Clifford") from None
    ops = []
    for op in tableau.to_circuit("elimination"):
        targets = [t.value for t in op.targets_copy()]
        width = 2 if op.name in _STIM_TO_KUAFU_2Q else 1
        for i in range(0, len(targets), width):
            ops.append((op.name, tuple(targets[i:i + width])))
    # stim rounds; accept only gates that equal the Clifford to _ATOL, up to a global phase.
    k = len(tableau)
    back = np.eye(2**k, dtype=complex)
    for op_name, positions in ops:
        kuafu_name = _STIM_TO_KUAFU_2Q.get(op_name) or _STIM_TO_KUAFU_1Q[op_name]
        back = embed(gate_matrix(kuafu_name), positions, k) @ back
    phase = np.vdot(back.reshape(-1), matrix.reshape(-1))
    if abs(phase) < 1e-6 or not np.allclose(back * (phase / abs(phase)), matrix, rtol=0,
                                            atol=_ATOL):
        raise NotStabilizerError(f"gate {name}{params or ''} is not exactly Clifford")
    return tuple(ops)


def run_stabilizer(
    circuit: QuantumCircuit,
    shots: int,
    noise: NoiseModel | None,
    rng: np.random.Generator,
) -> tuple[np.ndarray, dict[str, float]]:
    """Sample `shots` with stim.

    Returns:
        ((shots, num_clbits) uint8 bits, timings in seconds).

    Raises:
        NotStabilizerError: when the circuit or noise is outside the engine (see module doc).
    """
    t0 = time.perf_counter()
    program = to_stim(circuit, noise)
    sampler = program.circuit.compile_sampler(seed=int(rng.integers(2**62)))
    t1 = time.perf_counter()
    records = sampler.sample(shots).astype(np.uint8)
    for index, readout in program.asymmetric_readout.items():
        records[:, index] = apply_readout(records[:, index], readout, rng)
    t2 = time.perf_counter()
    bits = np.zeros((shots, circuit.num_clbits), dtype=np.uint8)
    for c, r in enumerate(program.clbit_records):
        if r >= 0:
            bits[:, c] = records[:, r]
    t3 = time.perf_counter()
    return bits, {"prepare": t1 - t0, "run": t2 - t1, "sample": t3 - t2}
