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

from collections.abc import Sequence

import numpy as np

from ..devices import Device
from .channels import (
    Channel,
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

    Args:
        device: the chip.
        qubits: physical qubit indices to model; the model's qubit i is `qubits[i]`
            (default: all of them, in order). Couplers between them keep their errors.
        pauli: replace thermal relaxation by its Pauli twirl (for the stabilizer engine).

    Returns:
        A `NoiseModel` whose gate errors reproduce each calibrated average gate fidelity.
    """
    phys = list(range(device.num_qubits)) if qubits is None else [int(q) for q in qubits]
    local = {p: i for i, p in enumerate(phys)}
    model = NoiseModel()

    def relax(p: int, duration: float) -> Channel:
        cal = device.qubit_calibration[p]
        channel = thermal_relaxation(cal.t1_us * 1e3, cal.t2_us * 1e3, duration)
        return pauli_twirl(channel) if pauli else channel

    pulses = [g for g in ONE_QUBIT_PULSES if g in device.native_gates]
    for p, i in local.items():
        cal = device.qubit_calibration[p]
        duration = device.duration("rx")
        model = model.with_gate_error(
            matched_gate_error(relax(p, duration), cal.fidelity_1q), gates=pulses, qubits=[i])
        model = model.with_readout_error(
            readout_error(1 - cal.readout_p00, 1 - cal.readout_p11), qubits=[i])
        if not pauli:
            model = model.with_idle_relaxation(i, cal.t1_us * 1e3, cal.t2_us * 1e3)
    cz_time = device.duration("cz")
    for a, b in device.couplers:
        if a not in local or b not in local:
            continue
        fidelity = device.coupler_fidelity(a, b)
        for x, y in ((a, b), (b, a)):
            channel = matched_gate_error(relax(x, cz_time).tensor(relax(y, cz_time)),
                                         fidelity)
            model = model.with_gate_error(channel, gates=["cz", "cx"],
                                          qubits=[local[x], local[y]])
    return model
