import json

import pytest

from kuafu import devices
from kuafu.devices import Device, DeviceStatus
from kuafu.devices.generate import builtin_chips


def test_builtin_devices_listed_by_size():
    assert devices.available() == ["ScQ-P10", "ScQ-P18", "ScQ-P136"]


@pytest.mark.parametrize("name,n", [("ScQ-P10", 10), ("ScQ-P18", 18), ("ScQ-P136", 136)])
def test_topology_and_names(name, n):
    dev = devices.get(name)
    assert dev.num_qubits == n
    assert dev.qubits[0] == "Q1" and dev.qubits[-1] == f"Q{n}"
    assert max(len(nb) for nb in dev.neighbors) <= 4
    assert (dev.distance >= 0).all()  # connected
    assert "cz" in dev.native_gates and "rz" in dev.native_gates
    assert dev.status is DeviceStatus.ONLINE
    assert dev.calibrated_at is not None


def test_chains_and_lattice():
    p18 = devices.get("ScQ-P18")
    assert p18.couplers == tuple((i, i + 1) for i in range(17))
    p136 = devices.get("ScQ-P136")
    assert len(p136.couplers) == 8 * 16 + 7 * 17
    assert p136.has_coupler(0, 17) and p136.has_coupler(17, 0) and not p136.has_coupler(0, 18)


@pytest.mark.parametrize("name", ["ScQ-P10", "ScQ-P18", "ScQ-P136"])
def test_calibration_meets_the_chip_targets(name):
    dev = devices.get(name)
    avg = dev.averages()
    assert avg["fidelity_1q"] >= 0.995
    assert avg["fidelity_2q"] >= 0.98
    assert avg["readout_fidelity"] >= 0.98
    # a few weaker qubits and couplers, as on a real chip
    assert min(c.fidelity_2q for c in dev.coupler_calibration.values()) < 0.975
    assert min(c.readout_p11 for c in dev.qubit_calibration) < 0.965
    for c in dev.qubit_calibration:
        assert c.t2_us <= 2 * c.t1_us


def test_committed_data_matches_the_seeded_generator():
    for name, data in builtin_chips().items():
        expected = Device.from_dict(json.loads(json.dumps(data)))
        assert devices.get(name).to_dict() == expected.to_dict()


def test_round_trip_through_json():
    dev = devices.get("ScQ-P10")
    again = devices.from_json(json.dumps(dev.to_dict()))
    assert again.to_dict() == dev.to_dict()
    assert again.coupler_fidelity(1, 0) == dev.coupler_fidelity(0, 1)


def test_operator_adds_a_chip_as_data():
    data = devices.get("ScQ-P10").to_dict()
    data["name"] = "Lab-3"
    data["status"] = "maintenance"
    dev = Device.from_dict(data)
    assert dev.name == "Lab-3" and dev.status is DeviceStatus.MAINTENANCE


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"unknown device .nope.*ScQ-P18"):
        devices.get("nope")
    data = devices.get("ScQ-P10").to_dict()
    del data["couplers"]
    with pytest.raises(ValueError, match="couplers"):
        Device.from_dict(data)
    data = devices.get("ScQ-P10").to_dict()
    data["couplers"].append(["Q1", "Q99"])
    with pytest.raises(ValueError, match="Q99"):
        Device.from_dict(data)
    with pytest.raises(ValueError, match="no coupler"):
        devices.get("ScQ-P10").coupler_fidelity(0, 5)
