"""Every example script runs, with small shot counts, and says what it should.

The scripts are imported from `examples/` and their `main` called; the slow ones (full
depth, full width under noise) are marked `slow`. One test runs a script as a user does.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture()
def example(monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLES))

    def load(name: str):
        return importlib.import_module(name)

    return load


def test_vqe_h2_mitigation_brings_the_energy_closer(example):
    out = example("vqe_h2").main(num_shots=40000)
    assert out["exact"] == pytest.approx(-1.13731, abs=1e-4)
    assert out["noiseless"] == pytest.approx(out["exact"], abs=1e-6)
    noisy = abs(out["noisy"] - out["exact"])
    readout = abs(out["readout mitigated"] - out["exact"])
    zne = abs(out["readout + ZNE"] - out["exact"])
    assert noisy > 0.02  # the chip's noise is visible...
    assert readout < noisy - 4 * out["readout mitigated std"]  # ...each step removes some
    assert zne < readout and zne < 4 * out["readout + ZNE std"] + 0.005


def test_qaoa_on_the_chips_noiseless_twin(example):
    """Depth 1, compiled for ScQ-P18 (layout, routing) but without noise: fast."""
    from kuafu import backends
    from kuafu.backends import EmulatedBackend

    twin = EmulatedBackend(backends.get("ScQ-P18").device, noisy=False)
    out = example("qaoa_maxcut").main(num_shots=2000, depth=1, chip=twin)
    assert out["max_cut"] == 10
    assert out["exact_expected"] == pytest.approx(8.31, abs=0.02)
    assert out["mean_cut"] == pytest.approx(out["exact_expected"], abs=0.15)
    assert out["sweep"][1] == pytest.approx(out["exact_expected"], abs=0.15)
    assert out["settings"] == 1 and out["circuits"] == 2


@pytest.mark.slow
def test_qaoa_quick_on_the_noisy_chip(example, monkeypatch):
    monkeypatch.setenv("KUAFU_EXAMPLE_QUICK", "1")
    out = example("qaoa_maxcut").main(num_shots=500)
    assert 6 < out["mean_cut"] <= out["exact_expected"] + 0.3  # beats random guessing


@pytest.mark.slow
def test_qaoa_full_depth(example):
    out = example("qaoa_maxcut").main(num_shots=2000, depth=2)
    assert out["exact_expected"] > 9
    assert out["mean_cut"] > 7 and out["best_sampled"] == 10


def test_ghz_136_ideal_chip_has_perfect_parity(example):
    mod = example("ghz_136")
    from kuafu import backends
    from kuafu.backends import EmulatedBackend

    device = backends.get("ScQ-P136").device
    circuit = mod.ghz_on_chip(device)
    assert circuit.num_qubits == 136 and circuit.num_nonlocal_gates() == 135
    r = mod.measure(EmulatedBackend(device, noisy=False), circuit, 200, seed=1)
    assert r["method"] == "stabilizer"
    assert r["parity"] == 1 and r["p_ends"] == 1
    assert r["x_parity"] == pytest.approx(1)


@pytest.mark.slow
def test_ghz_136_noisy(example):
    out = example("ghz_136").main(num_shots=500)
    assert out["ideal"]["parity"] == 1
    assert out["noisy"]["method"] == "stabilizer"
    assert abs(out["noisy"]["parity"]) < 0.3 and out["noisy"]["near_ends"] > 0.2


def test_qiskit_users_script_runs_unchanged(example):
    mod = example("qiskit_user")
    out = mod.run_script(mod.kuafu_backend(), num_shots=1000)
    assert out["bell"].get("00", 0) + out["bell"].get("11", 0) > 900
    top = sorted(out["ghz"], key=out["ghz"].get)[-2:]
    assert sorted(top) == ["0000", "1111"]
    assert out["p_one"] == pytest.approx(out["expected_p_one"], abs=0.06)


@pytest.mark.slow
def test_qiskit_users_script_gives_what_aer_gives(example):
    from qiskit_aer import AerSimulator

    mod = example("qiskit_user")
    aer = mod.run_script(AerSimulator(seed_simulator=1), num_shots=2000)
    ours = mod.run_script(mod.kuafu_backend(), num_shots=2000)
    assert ours["p_one"] == pytest.approx(aer["p_one"], abs=0.06)


@pytest.mark.slow
def test_scripts_run_from_the_command_line():
    env = {**os.environ, "KUAFU_EXAMPLE_SHOTS": "300", "KUAFU_EXAMPLE_QUICK": "1"}
    for script in ("vqe_h2.py", "qiskit_user.py"):
        out = subprocess.run([sys.executable, str(EXAMPLES / script)], env=env,
                             capture_output=True, text=True, timeout=600, check=True)
        assert "ScQ" in out.stdout or "backend" in out.stdout
