"""The emulated chips reproduce their calibration when measured like a real chip."""

import numpy as np
import pytest

from kuafu import backends, devices
from kuafu.backends.benchmarking import (
    fit_decay,
    interleaved_rb_cz,
    randomized_benchmarking_1q,
    readout_calibration,
)
from kuafu.sim.device_noise import noise_model_from_device, process_fidelity

TOLERANCE = 0.005  # 0.5 percentage points


def average_fidelity(channel) -> float:
    d = channel.kraus[0].shape[0]
    return (d * process_fidelity(channel) + 1) / (d + 1)


@pytest.mark.parametrize("pauli", [False, True])
def test_noise_model_gate_fidelities_equal_calibration(pauli):
    device = devices.get("ScQ-P18")
    qubits = list(range(6, 12))
    model = noise_model_from_device(device, qubits, pauli=pauli)
    assert model.is_pauli == pauli
    for i, p in enumerate(qubits):
        cal = device.qubit_calibration[p]
        for gate in ("rx", "ry", "x", "h", "sx"):
            assert average_fidelity(model.channel_for(gate, (i,))) == pytest.approx(
                cal.fidelity_1q, abs=1e-9)
        assert model.channel_for("rz", (i,)) is None  # virtual
        p01, p10 = model.readout_for(i).flip_probabilities
        assert (1 - p01, 1 - p10) == pytest.approx((cal.readout_p00, cal.readout_p11))
    for i in range(len(qubits) - 1):
        f = device.coupler_fidelity(qubits[i], qubits[i + 1])
        for pair in ((i, i + 1), (i + 1, i)):
            assert average_fidelity(model.channel_for("cz", pair)) == pytest.approx(f, abs=1e-9)


def test_fit_recovers_a_known_decay():
    m = np.array([1, 20, 60, 150, 300])
    a, p, b = fit_decay(m, 0.6 * 0.995**m + 0.3)
    assert (a, p, b) == pytest.approx((0.6, 0.995, 0.3), abs=1e-6)


def test_readout_calibration_reproduces_the_data():
    backend = backends.get("ScQ-P18")
    measured = readout_calibration(backend, list(range(18)), shots=20000, seed=4)
    for q, (p00, p11) in measured.items():
        cal = backend.device.qubit_calibration[q]
        assert (p00 + p11) / 2 == pytest.approx(cal.readout_fidelity, abs=TOLERANCE)


def test_single_qubit_rb_reproduces_the_gate_fidelity():
    backend = backends.get("ScQ-P10")
    result = randomized_benchmarking_1q(backend, 2, lengths=(1, 200, 500, 800), sequences=6,
                                        shots=300, seed=7)
    assert result.fidelity == pytest.approx(
        backend.device.qubit_calibration[2].fidelity_1q, abs=TOLERANCE)


def rb_lengths(fidelity: float) -> tuple[int, ...]:
    """Sequence lengths that sample the decay well for a CZ of about this fidelity (as a
    lab picks them from the previous calibration): a weak coupler decays within ~20."""
    top = int(min(50, max(16, 0.6 / (1 - fidelity))))
    return tuple(sorted({1, top // 8 or 2, top // 4, top // 2, 3 * top // 4, top}))


@pytest.mark.slow
@pytest.mark.parametrize("chip", ["ScQ-P10", "ScQ-P18", "ScQ-P136"])
def test_chip_benchmarks_match_calibration(chip):
    """1q RB on three qubits (the weakest among them) and readout on every qubit, each
    within 0.5 pp of the data; CZ interleaved RB on two couplers (one the weakest), each
    within 0.5 pp; the chip's measured 1q and readout averages above 98 %."""
    backend = backends.get(chip)
    device = backend.device
    cal = device.qubit_calibration
    weakest_q = min(range(device.num_qubits), key=lambda q: cal[q].fidelity_1q)
    qubits = sorted({0, device.num_qubits // 2, weakest_q})
    for q in qubits:
        rb = randomized_benchmarking_1q(backend, q, seed=q)
        assert rb.fidelity == pytest.approx(cal[q].fidelity_1q, abs=TOLERANCE)
        assert rb.fidelity > 0.98
    weakest_c = min(device.couplers, key=lambda c: device.coupler_fidelity(*c))
    measured, calibrated = [], []
    for pair in (device.couplers[0], weakest_c):
        expected = device.coupler_fidelity(*pair)
        # 100 random sequences; with the fewest-CZ Cliffords the estimate's bias on a
        # 96 % coupler is ~0.05 pp, and these land within 0.2 pp (docs/devices.md)
        _, irb = interleaved_rb_cz(backend, pair, lengths=rb_lengths(expected),
                                   sequences=100, seed=sum(pair))
        assert irb.fidelity == pytest.approx(expected, abs=TOLERANCE)
        measured.append(irb.fidelity)
        calibrated.append(expected)
    assert np.mean(measured) == pytest.approx(np.mean(calibrated), abs=TOLERANCE)
    readout = readout_calibration(backend, list(range(device.num_qubits)), seed=1)
    fids = [(p00 + p11) / 2 for p00, p11 in readout.values()]
    assert np.mean(fids) == pytest.approx(device.averages()["readout_fidelity"], abs=TOLERANCE)
    assert np.mean(fids) > 0.98


@pytest.mark.slow
def test_every_coupler_of_scq_p10_matches_its_calibration():
    """CZ interleaved RB on all nine couplers of ScQ-P10: each within 0.5 pp of its
    calibrated fidelity, and the chip's mean within 0.2 pp."""
    backend = backends.get("ScQ-P10")
    device = backend.device
    measured, calibrated = [], []
    for pair in device.couplers:
        expected = device.coupler_fidelity(*pair)
        _, irb = interleaved_rb_cz(backend, pair, lengths=rb_lengths(expected),
                                   sequences=100, seed=sum(pair))
        assert irb.fidelity == pytest.approx(expected, abs=TOLERANCE), pair
        measured.append(irb.fidelity)
        calibrated.append(expected)
    assert np.mean(measured) == pytest.approx(np.mean(calibrated), abs=0.002)
    assert np.mean(measured) > 0.98
