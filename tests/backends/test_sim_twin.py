"""`<chip>-sim`: the chip's noisy emulator under a name, queue and status of its own."""

import dataclasses

import pytest

from helpers import bell
from kuafu import backends, devices
from kuafu.backends import EmulatedBackend, RemoteDevice, SimTwin
from kuafu.devices import DeviceStatus


def test_each_chip_has_a_twin_listed_after_the_chips():
    names = backends.available()
    chips = devices.available()
    assert names[-len(chips):] == [f"{c}-sim" for c in chips]
    with pytest.raises(ValueError, match="unknown backend 'ScQ-P999-sim'"):
        backends.get("ScQ-P999-sim")
    with pytest.raises(ValueError, match="unknown backend"):
        backends.get("ScQ-P10-sim-sim")


def test_twin_runs_the_chips_emulator_under_its_own_name():
    twin, chip = backends.get("ScQ-P10-sim"), backends.get("ScQ-P10")
    assert isinstance(twin, SimTwin) and twin.name == "ScQ-P10-sim" and twin.chip == "ScQ-P10"
    assert twin.device is chip.device and twin.num_qubits == 10
    ours, theirs = twin.run(bell(), shots=500, seed=11), chip.run(bell(), shots=500, seed=11)
    assert ours.backend == "ScQ-P10-sim" and theirs.backend == "ScQ-P10"
    assert ours.counts == theirs.counts  # same compiler, noise and seed
    assert ours.compiled_qasm == theirs.compiled_qasm
    assert twin.estimate(bell(), 500).method == chip.estimate(bell(), 500).method


def test_twin_is_online_whatever_the_chips_status():
    down = dataclasses.replace(devices.get("ScQ-P18"), status=DeviceStatus.MAINTENANCE)
    twin = SimTwin(EmulatedBackend(down))
    assert twin.status().status is DeviceStatus.ONLINE and twin.status().operational
    assert "ScQ-P18" in twin.status().message


def test_twin_of_a_remote_chip_emulates_its_device():
    remote = RemoteDevice(dataclasses.replace(devices.get("ScQ-P10"), name="Lab-R10"),
                          system_id=77)
    twin = SimTwin(remote)
    assert twin.name == "Lab-R10-sim"
    assert sum(twin.run(bell(), shots=100, seed=1).counts.values()) == 100
    with pytest.raises(ValueError, match="not a chip"):
        SimTwin(backends.get("simulator"))
