"""The drift model: deterministic, bounded between recalibrations, restored by one; and
the emulator measured at any moment stays within 0.5 pp of the snapshot in force."""

import itertools
from datetime import UTC, datetime, time, timedelta

import pytest

from kuafu import devices
from kuafu.backends.benchmarking import (
    interleaved_rb_cz,
    randomized_benchmarking_1q,
    readout_calibration,
)
from kuafu.backends.emulator import EmulatedBackend
from kuafu.circuit import QuantumCircuit
from kuafu.compiler import compile
from kuafu.devices import drift

T0 = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
TOLERANCE = 0.005


def figures(device):
    return device.to_dict()["calibration"]


def test_same_time_and_seed_same_calibration_in_a_fresh_computation():
    base = devices.get("ScQ-P18")
    at = T0 + timedelta(hours=7, minutes=13, seconds=40)
    a = drift.calibration_at(base, seed=5, calibrated_at=T0, at=at)
    drift._calibration_at.cache_clear()
    b = drift.calibration_at(base, seed=5, calibrated_at=T0, at=at)
    assert a is not b and figures(a) == figures(b)
    c = drift.calibration_at(base, seed=6, calibrated_at=T0, at=at)
    assert figures(c) != figures(a)
    # to the minute: seconds do not change the figures
    d = drift.calibration_at(base, seed=5, calibrated_at=T0, at=at.replace(second=0))
    assert figures(d) == figures(a)


def test_snapshot_is_the_calibration_at_its_own_time_and_has_a_stable_id():
    base = devices.get("ScQ-P10")
    snap = drift.snapshot(base, seed=3, calibrated_at=T0)
    assert snap.id == "ScQ-P10-20261201T060000Z-s3"
    assert drift.parse_snapshot_id(snap.id) == ("ScQ-P10", T0, 3)
    assert figures(snap.device) == figures(
        drift.calibration_at(base, seed=3, calibrated_at=T0, at=T0))
    assert snap.device.calibrated_at == T0
    with pytest.raises(ValueError, match="not a calibration snapshot id"):
        drift.parse_snapshot_id("ScQ-P10-yesterday")


def test_errors_creep_up_after_a_calibration_and_a_recalibration_restores_them():
    base = devices.get("ScQ-P136")
    fresh = drift.calibration_at(base, seed=1, calibrated_at=T0, at=T0).averages()
    aged = drift.calibration_at(base, seed=1, calibrated_at=T0,
                                at=T0 + timedelta(hours=23, minutes=50)).averages()
    assert aged["fidelity_2q"] < fresh["fidelity_2q"] - 0.001
    assert aged["readout_fidelity"] < fresh["readout_fidelity"] - 0.001
    assert aged["fidelity_1q"] < fresh["fidelity_1q"]
    # bounded: never more than the creep ceilings (0.4 pp) below the fresh figures
    week = drift.calibration_at(base, seed=1, calibrated_at=T0,
                                at=T0 + timedelta(days=7)).averages()
    assert week["fidelity_2q"] > fresh["fidelity_2q"] - drift.DEFAULT.creep_2q - 1e-9
    t1 = T0 + timedelta(days=1)
    again = drift.calibration_at(base, seed=1, calibrated_at=t1, at=t1).averages()
    assert again["fidelity_2q"] > aged["fidelity_2q"] + 0.001


def test_t1_jumps_like_a_telegraph_and_wanders_slowly():
    base = devices.get("ScQ-P136")
    series = [drift.calibration_at(base, seed=2, calibrated_at=T0,
                                   at=T0 + timedelta(minutes=10 * k)).qubit_calibration
              for k in range(6 * 48)]
    jumps = 0
    for q in range(base.num_qubits):
        t1 = [cal[q].t1_us for cal in series]
        steps = [abs(b / a - 1) for a, b in itertools.pairwise(t1)]
        jumps += sum(s > 0.15 for s in steps)
        assert max(t1) / min(t1) < 4
    assert jumps > 20  # TLS come and go on a 136-qubit chip over two days
    for cal in series[-1]:
        assert 0 < cal.t2_us <= 2 * cal.t1_us + 1e-9


def test_some_calibrations_find_bad_qubits_and_couplers():
    base = devices.get("ScQ-P136")
    snaps = [drift.snapshot(base, seed=1, calibrated_at=T0 + timedelta(days=d)).device
             for d in range(10)]
    worst_q = [min(c.fidelity_1q for c in s.qubit_calibration) for s in snaps]
    worst_c = [min(c.fidelity_2q for c in s.coupler_calibration.values()) for s in snaps]
    assert min(worst_q) < min(c.fidelity_1q for c in base.qubit_calibration)
    assert min(worst_c) < min(c.fidelity_2q for c in base.coupler_calibration.values())


def test_schedule_windows():
    sched = drift.Schedule.parse("06:00", minutes=10)
    assert sched.daily_at == time(6, 0)
    at = datetime(2026, 12, 5, 6, 4, tzinfo=UTC)
    assert sched.window_at(at) == (at.replace(minute=0), at.replace(minute=10))
    assert sched.window_at(at.replace(minute=10)) is None
    assert sched.next_start(at) == datetime(2026, 12, 6, 6, 0, tzinfo=UTC)
    assert sched.ends_between(T0, T0 + timedelta(days=2)) == [
        T0 + timedelta(minutes=10), T0 + timedelta(days=1, minutes=10)]
    assert drift.in_force(sched.ends_between(T0, at), at, T0) == at.replace(minute=10) - \
        timedelta(days=1)
    assert drift.Schedule.parse(None).daily_at is None
    with pytest.raises(ValueError, match="HH:MM"):
        drift.Schedule.parse("six")


def test_compiler_avoids_unusable_qubits_and_couplers():
    dev = devices.get("ScQ-P10").with_unusable(["Q3"], [("Q6", "Q7")])
    qc = QuantumCircuit(4, 4)
    qc.h(0)
    for i in range(3):
        qc.cx(i, i + 1)
    qc.measure(range(4), range(4))
    out = compile(qc, dev, seed=0)
    touched = {q for inst in out.circuit.instructions for q in inst.qubits}
    assert 2 not in touched
    assert not any(set(inst.qubits) == {5, 6} for inst in out.circuit.instructions)
    assert out.circuit.num_qubits == 10
    assert devices.Device.from_dict(dev.to_dict()).unusable_qubits == {2}
    with pytest.raises(ValueError, match="no coupler"):
        devices.get("ScQ-P10").with_unusable(couplers=[("Q1", "Q5")])


@pytest.mark.slow
@pytest.mark.parametrize("hours", [0, 9.5, 23.9])
def test_benchmarks_at_a_moment_match_the_snapshot_in_force(hours):
    """RB (1q, CZ) and readout measured on the chip as it is `hours` after its last
    recalibration (23.9: just before the next daily one) are within 0.5 pp of the
    snapshot that recalibration published."""
    base = devices.get("ScQ-P10")
    snap = drift.snapshot(base, seed=11, calibrated_at=T0)
    moment = drift.calibration_at(base, seed=11, calibrated_at=T0,
                                  at=T0 + timedelta(hours=hours))
    backend = EmulatedBackend(moment)
    published = snap.device
    q = 3
    rb = randomized_benchmarking_1q(backend, q, lengths=(1, 200, 500, 800), sequences=6,
                                    shots=300, seed=7)
    assert rb.fidelity == pytest.approx(published.qubit_calibration[q].fidelity_1q,
                                        abs=TOLERANCE)
    pair = (4, 5)
    _, irb = interleaved_rb_cz(backend, pair, lengths=(1, 6, 12, 25, 37, 50), sequences=60,
                               seed=9)
    assert irb.fidelity == pytest.approx(published.coupler_fidelity(*pair), abs=TOLERANCE)
    readout = readout_calibration(backend, list(range(10)), shots=20000, seed=4)
    for k, (p00, p11) in readout.items():
        assert (p00 + p11) / 2 == pytest.approx(
            published.qubit_calibration[k].readout_fidelity, abs=TOLERANCE)
