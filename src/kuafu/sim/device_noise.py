"""The noise model of a chip, derived from its calibration data.

Each physical gate is followed by thermal relaxation over its duration (T1, T2 of each
qubit it touches) and then by a depolarizing channel whose strength is chosen so that
the whole gate's average fidelity equals the calibrated figure exactly. The algebra: for
a channel E of process fidelity F_E, depolarizing with parameter p gives process
fidelity (1 - p) F_E + p / d^2; the target process fidelity is ((d + 1) F_avg - 1) / d.
Virtual gates (`rz`, `z`: zero duration) are noiseless. Measurements get the calibrated
assignment errors p(1|0) = 1 - p00 and p(0|1) = 1 - p11; `delay` relaxes with T1/T2.

With `pauli=True` thermal relaxation is replaced by its Pauli twirl, which has the same
average fidelity; that model is a Pauli channel, so the stabilizer engine can run it at
full chip width and randomized benchmarking measures the same figures.
"""

from __future__ import annotations

import functools
import threading
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from types import MappingProxyType

import numpy as np

from ..devices import Device
from .channels import (
    Channel,
    ReadoutError,
    depolarizing,
    pauli_channel,
    pauli_labels,
    pauli_matrix,
    readout_error,
    thermal_relaxation,
)
from .noise import NoiseModel

ONE_QUBIT_PULSES = ("rx", "ry", "x", "y", "h", "sx", "sy", "id")
"""Single-qubit natives that are physical pulses (rz and z are frame changes)."""


def process_fidelity(channel: Channel) -> float:
    """Process (entanglement) fidelity of a channel with the identity."""
    d = channel.kraus[0].shape[0]
    return float(sum(abs(np.trace(k)) ** 2 for k in channel.kraus) / d**2)


def pauli_twirl(channel: Channel) -> Channel:
    """The Pauli-twirled channel: same process fidelity, Pauli errors only."""
    n = channel.num_qubits
    d = 2**n
    probs = {}
    for label in pauli_labels(n)[1:]:
        p = pauli_matrix(label)
        probs[label] = float(sum(abs(np.trace(p.conj().T @ k)) ** 2
                                 for k in channel.kraus) / d**2)
    return pauli_channel(probs, name=f"twirl({channel.name})")


def matched_gate_error(relaxation: Channel, fidelity: float) -> Channel:
    """`relaxation` then depolarizing, with the depolarizing chosen to hit `fidelity`.

    When relaxation alone is already worse than `fidelity`, relaxation alone is used.
    """
    d = relaxation.kraus[0].shape[0]
    f_relax = process_fidelity(relaxation)
    f_target = ((d + 1) * fidelity - 1) / d
    p = (f_relax - f_target) / (f_relax - 1 / d**2)
    if p <= 0:
        return relaxation
    return relaxation.compose(depolarizing(p, relaxation.num_qubits))


def noise_model_from_device(device: Device, qubits: Sequence[int] | None = None, *,
                            pauli: bool = False) -> NoiseModel:
    """The calibrated noise model of `device`, over a subset of its physical qubits.

    Models are cached per device object (a `Device` is immutable: a new calibration is a
    new object, so a cached model never outlives the calibration it was built from), and
    every channel is cached by the calibration figures it depends on, so a job on a chip
    costs a dictionary lookup, not the seconds a full model of a large chip takes.

    Args:
        device: the chip.
        qubits: physical qubit indices to model; the model's qubit i is `qubits[i]`
            (default: all of them, in order). Couplers between them keep their errors.
        pauli: replace thermal relaxation by its Pauli twirl (for the stabilizer engine).

    Returns:
        A `NoiseModel` whose gate errors reproduce each calibrated average gate fidelity.
    """
    phys = tuple(range(device.num_qubits)) if qubits is None else tuple(int(q) for q in qubits)
    key = (phys, bool(pauli))
    with _MODELS_LOCK:
        models = _MODELS.setdefault(device, OrderedDict())
        model = models.get(key)
        if model is not None:
            models.move_to_end(key)
            return model
    model = _build_model(device, phys, bool(pauli))
    with _MODELS_LOCK:
        models[key] = model
        while len(models) > MODELS_PER_DEVICE:
            models.popitem(last=False)
    return model


MODELS_PER_DEVICE = 256
"""Noise models kept per device (one per distinct set of active qubits and engine kind)."""

_MODELS: weakref.WeakKeyDictionary[Device, OrderedDict] = weakref.WeakKeyDictionary()
_MODELS_LOCK = threading.Lock()


def _build_model(device: Device, phys: tuple[int, ...], pauli: bool) -> NoiseModel:
    """The model of `noise_model_from_device`, from cached channels."""
    local = {p: i for i, p in enumerate(phys)}
    gate_errors: dict[tuple[str, tuple[int, ...] | None], Channel] = {}
    readout: dict[int, ReadoutError] = {}
    idle: dict[int, tuple[float, float]] = {}
    pulses = [g for g in ONE_QUBIT_PULSES if g in device.native_gates]
    pulse_time = device.duration("rx")
    for p, i in local.items():
        cal = device.qubit_calibration[p]
        channel = _one_qubit_error(cal.t1_us * 1e3, cal.t2_us * 1e3, pulse_time,
                                   cal.fidelity_1q, pauli)
        for gate in pulses:
            gate_errors[(gate, (i,))] = channel
        readout[i] = _readout(1 - cal.readout_p00, 1 - cal.readout_p11)
        if not pauli:
            idle[i] = (float(cal.t1_us * 1e3), float(cal.t2_us * 1e3))
    cz_time = device.duration("cz")
    for a, b in device.couplers:
        if a not in local or b not in local:
            continue
        fidelity = device.coupler_fidelity(a, b)
        for x, y in ((a, b), (b, a)):
            cx, cy = device.qubit_calibration[x], device.qubit_calibration[y]
            channel = _two_qubit_error(cx.t1_us * 1e3, cx.t2_us * 1e3, cy.t1_us * 1e3,
                                       cy.t2_us * 1e3, cz_time, fidelity, pauli)
            for gate in ("cz", "cx"):
                gate_errors[(gate, (local[x], local[y]))] = channel
    return NoiseModel(gate_errors=MappingProxyType(gate_errors),
                      readout_errors=MappingProxyType(readout),
                      idle_relaxation=MappingProxyType(idle))


def _relaxation(t1: float, t2: float, duration: float, pauli: bool) -> Channel:
    channel = thermal_relaxation(t1, t2, duration)
    return pauli_twirl(channel) if pauli else channel


@functools.lru_cache(maxsize=4096)
def _one_qubit_error(t1: float, t2: float, duration: float, fidelity: float,
                     pauli: bool) -> Channel:
    """The error after a single-qubit pulse, keyed by the figures it depends on."""
    return matched_gate_error(_relaxation(t1, t2, duration, pauli), fidelity)


@functools.lru_cache(maxsize=8192)
def _two_qubit_error(t1x: float, t2x: float, t1y: float, t2y: float, duration: float,
                     fidelity: float, pauli: bool) -> Channel:
    """The error after a CZ on (x, y), keyed by the figures it depends on."""
    relax = _relaxation(t1x, t2x, duration, pauli).tensor(
        _relaxation(t1y, t2y, duration, pauli))
    return matched_gate_error(relax, fidelity)


@functools.lru_cache(maxsize=4096)
def _readout(p01: float, p10: float) -> ReadoutError:
    return readout_error(p01, p10)
