"""`NoiseModel`: which channel follows which gate on which qubits, and readout errors.

A noise model is an immutable value. Build one with the `with_*` methods, each of which
returns a new model:

    noise = (NoiseModel()
             .with_gate_error(depolarizing(0.001), num_qubits=1)      # every 1q gate
             .with_gate_error(depolarizing(0.01, 2), num_qubits=2)    # every 2q gate
             .with_gate_error(thermal, gates=["sx"], qubits=[3])       # sx on qubit 3 only
             .with_readout_error(readout_error(0.02)))                 # every qubit

Lookup order for an instruction (name, qubits), most specific first: (name, these qubits),
(name, any qubits), (any gate, these qubits), (any gate of this arity). Only the first match
applies; compose channels (`Channel.compose`) to stack effects. Channels act after the gate,
except on `measure`, where a channel acts just before the measurement. `delay` on a qubit
with `with_idle_relaxation` gets thermal relaxation for its duration (in ns).

`compile_program` turns a circuit plus a noise model into the flat list of operations the
density-matrix and trajectory engines run, with terminal measurements split off.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from ..circuit import Condition, QuantumCircuit
from ..circuit.gates import GATES
from ..devices import Device
from ..errors import SimulationError
from .channels import Channel, ReadoutError, thermal_relaxation
from .fusion import to_little_endian

ANY = "*"
"""Wildcard gate name: the channel applies to every gate of the right arity."""


def _frozen(mapping: Mapping) -> Mapping:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class NoiseModel:
    """Noise channels per gate name and qubits, and readout errors per qubit.

    Attributes:
        gate_errors: (gate name or ANY, qubit tuple or None for all) -> channel.
        default_errors: arity -> channel for every gate of that arity without a better match.
        readout_errors: qubit -> readout error.
        default_readout: readout error of qubits not in `readout_errors`.
        idle_relaxation: qubit -> (T1, T2) in ns, turning `delay` into thermal relaxation.
    """

    gate_errors: Mapping[tuple[str, tuple[int, ...] | None], Channel] = field(
        default_factory=lambda: _frozen({}))
    default_errors: Mapping[int, Channel] = field(default_factory=lambda: _frozen({}))
    readout_errors: Mapping[int, ReadoutError] = field(default_factory=lambda: _frozen({}))
    default_readout: ReadoutError | None = None
    idle_relaxation: Mapping[int, tuple[float, float]] = field(
        default_factory=lambda: _frozen({}))

    # ----- building ----------------------------------------------------------------------
    @classmethod
    def from_device(cls, device: Device, qubits: Iterable[int] | None = None, *,
                    pauli: bool = False) -> NoiseModel:
        """The calibrated noise model of a chip (see `kuafu.sim.device_noise`; cached per
        device, so calling this per job costs a lookup)."""
        from .device_noise import noise_model_from_device

        return noise_model_from_device(device, None if qubits is None else list(qubits),
                                       pauli=pauli)

    def with_gate_error(
        self,
        channel: Channel,
        gates: Iterable[str] | str | None = None,
        qubits: Iterable[int] | None = None,
        *,
        num_qubits: int | None = None,
    ) -> NoiseModel:
        """A copy with `channel` after the given gates on the given qubits.

        Args:
            channel: the channel; its width must match the gates it follows.
            gates: gate names; None for every gate of width `channel.num_qubits`.
            qubits: the exact qubit tuple (in argument order); None for any qubits.
            num_qubits: optional check that the channel has this width.

        Raises:
            ValueError: for a channel whose width does not fit the gates or qubits.
        """
        width = channel.num_qubits
        if num_qubits is not None and num_qubits != width:
            raise ValueError(f"channel acts on {width} qubits, not {num_qubits}")
        names = [gates] if isinstance(gates, str) else list(gates or [ANY])
        key_qubits = None if qubits is None else tuple(int(q) for q in qubits)
        if key_qubits is not None and len(key_qubits) != width:
            raise ValueError(f"channel on {width} qubits attached to qubits {key_qubits}")
        for name in names:
            spec = GATES.get(name)
            if spec is not None and spec.num_qubits != width:
                raise ValueError(f"{name} acts on {spec.num_qubits} qubits, channel on {width}")
        if names == [ANY] and key_qubits is None:
            defaults = dict(self.default_errors)
            defaults[width] = channel
            return self._replace(default_errors=_frozen(defaults))
        errors = dict(self.gate_errors)
        for name in names:
            errors[(name, key_qubits)] = channel
        return self._replace(gate_errors=_frozen(errors))

    def with_readout_error(self, error: ReadoutError,
                           qubits: Iterable[int] | None = None) -> NoiseModel:
        """A copy with `error` on the given qubits (all qubits when None)."""
        if qubits is None:
            return self._replace(default_readout=error)
        readout = dict(self.readout_errors)
        readout.update({int(q): error for q in qubits})
        return self._replace(readout_errors=_frozen(readout))

    def with_idle_relaxation(self, qubit: int, t1: float, t2: float) -> NoiseModel:
        """A copy where `delay` on `qubit` relaxes with T1 and T2 (ns)."""
        idle = dict(self.idle_relaxation)
        idle[int(qubit)] = (float(t1), float(t2))
        return self._replace(idle_relaxation=_frozen(idle))

    def _replace(self, **changes) -> NoiseModel:
        values = {f: getattr(self, f) for f in self.__dataclass_fields__}
        values.update(changes)
        return NoiseModel(**values)

    # ----- querying ----------------------------------------------------------------------
    def channel_for(self, name: str, qubits: tuple[int, ...]) -> Channel | None:
        """The channel that follows gate `name` on `qubits`, or None."""
        errors = self.gate_errors
        for key in ((name, qubits), (name, None), (ANY, qubits)):
            if key in errors:
                return errors[key]
        if name in ("measure", "reset", "barrier", "delay"):
            return None
        return self.default_errors.get(len(qubits))

    def readout_for(self, qubit: int) -> ReadoutError | None:
        """The readout error of measurements of `qubit`, or None."""
        return self.readout_errors.get(qubit, self.default_readout)

    @property
    def channels(self) -> list[Channel]:
        """Every channel in the model."""
        return [*self.gate_errors.values(), *self.default_errors.values()]

    @property
    def is_pauli(self) -> bool:
        """Whether every channel is a Pauli channel (so the stabilizer engine can run it).

        Idle relaxation is not Pauli; readout errors do not matter.
        """
        return all(c.is_pauli for c in self.channels) and not self.idle_relaxation

    @property
    def is_unitary_mixture(self) -> bool:
        """Whether every channel picks a unitary with fixed odds (trajectories pre-sample)."""
        return all(c.is_unitary_mixture for c in self.channels) and not self.idle_relaxation

    @property
    def is_empty(self) -> bool:
        """Whether the model adds no noise at all."""
        return not (self.gate_errors or self.default_errors or self.readout_errors
                    or self.default_readout or self.idle_relaxation)


# ----- the program the noisy engines run -------------------------------------------------
@dataclass(frozen=True)
class Op:
    """One step of a noisy program.

    Attributes:
        kind: "gate", "kraus" (a channel), "measure" or "reset".
        qubits: ascending qubits for gate/kraus; (qubit,) for measure and reset.
        matrices: gate: (unitary,); kraus: Kraus operators; little-endian over `qubits`.
        channel: the channel a kraus step came from (for its Pauli data).
        mixture: a unitary-mixture channel's (probability, unitary), little-endian.
        clbit: the classical bit a measurement writes.
        readout: the readout error of a measurement.
        condition: run only when this condition holds.
        index: position of the circuit instruction this step comes from.
    """

    kind: str
    qubits: tuple[int, ...]
    matrices: tuple[np.ndarray, ...] = ()
    channel: Channel | None = None
    mixture: tuple[tuple[float, np.ndarray], ...] | None = None
    clbit: int = -1
    readout: ReadoutError | None = None
    condition: Condition | None = None
    index: int = -1


@dataclass(frozen=True)
class Program:
    """A circuit with its noise attached, ready for an engine.

    Attributes:
        num_qubits, num_clbits: sizes of the circuit.
        ops: the steps before the terminal measurements.
        terminal: (qubit, clbit, readout) of measurements that nothing depends on, in order:
            they can be sampled from the final state.
    """

    num_qubits: int
    num_clbits: int
    ops: tuple[Op, ...]
    terminal: tuple[tuple[int, int, ReadoutError | None], ...]

    @property
    def has_midcircuit(self) -> bool:
        """Whether some step needs the state to branch (measure, reset or condition)."""
        return any(op.kind in ("measure", "reset") or op.condition for op in self.ops)


def compile_program(circuit: QuantumCircuit, noise: NoiseModel | None) -> Program:
    """Flatten `circuit` with `noise` into engine steps, splitting off terminal measurements.

    Raises:
        SimulationError: for opaque gates.
        TypeError: for unbound parameters.
    """
    noise = noise or NoiseModel()
    terminal_at = _terminal_measurements(circuit)
    ops: list[Op] = []
    terminal = []
    for index, inst in enumerate(circuit.instructions):
        name, cond = inst.name, inst.condition
        if name == "barrier":
            continue
        if name == "measure":
            q, c = inst.qubits[0], inst.clbits[0]
            before = noise.channel_for("measure", inst.qubits)
            if before is not None:
                ops.append(_kraus_op(before, inst.qubits, cond, index))
            if index in terminal_at:
                terminal.append((q, c, noise.readout_for(q)))
            else:
                ops.append(Op("measure", (q,), clbit=c, readout=noise.readout_for(q),
                              condition=cond, index=index))
            continue
        if name == "reset":
            ops.append(Op("reset", inst.qubits, condition=cond, index=index))
        elif name == "delay":
            q = inst.qubits[0]
            if q in noise.idle_relaxation:
                t1, t2 = noise.idle_relaxation[q]
                relax = thermal_relaxation(t1, t2, float(inst.params[0]))
                ops.append(_kraus_op(relax, inst.qubits, cond, index))
        elif inst.is_gate:
            qubits, matrix = to_little_endian(inst.matrix(), inst.qubits)
            ops.append(Op("gate", qubits, (matrix,), condition=cond, index=index))
        else:
            raise SimulationError(f"cannot simulate opaque gate {name!r}")
        channel = noise.channel_for(name, inst.qubits)
        if channel is not None and name != "measure":
            ops.append(_kraus_op(channel, inst.qubits, cond, index))
    return Program(circuit.num_qubits, circuit.num_clbits, tuple(ops), tuple(terminal))


def _kraus_op(channel: Channel, qubits: tuple[int, ...], cond, index: int) -> Op:
    if channel.num_qubits != len(qubits):
        raise SimulationError(
            f"a {channel.num_qubits}-qubit channel cannot follow an instruction on {qubits}")
    mats = []
    asc: tuple[int, ...] = ()
    for k in channel.kraus:
        asc, m = to_little_endian(k, qubits)
        mats.append(m)
    mixture = None
    if channel.mixture is not None:
        mixture = tuple((p, to_little_endian(u, qubits)[1]) for p, u in channel.mixture)
    return Op("kraus", asc, tuple(mats), channel=channel, mixture=mixture, condition=cond,
              index=index)


def _terminal_measurements(circuit: QuantumCircuit) -> set[int]:
    """Indices of measurements that nothing later touches: no gate on the qubit, no
    condition on or overwrite of the clbit, and no condition on the measurement itself."""
    busy_qubits: set[int] = set()
    busy_clbits: set[int] = set()
    terminal = set()
    for index in range(len(circuit.instructions) - 1, -1, -1):
        inst = circuit.instructions[index]
        if inst.name == "barrier":
            continue
        if inst.name == "measure" and inst.condition is None:
            q, c = inst.qubits[0], inst.clbits[0]
            if q not in busy_qubits and c not in busy_clbits:
                terminal.add(index)
                busy_clbits.add(c)
                busy_qubits.add(q)  # an earlier measurement of q stays mid-circuit
                continue
        busy_qubits.update(inst.qubits)
        busy_clbits.update(inst.clbits)
        if inst.condition is not None:
            busy_clbits.update(inst.condition.clbits)
    return terminal
