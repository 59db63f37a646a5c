"""The ideal simulator takes wide programs: the cost estimate decides, under an absolute
width cap that every view of the backend states (Kuafu's catalog, pyquafu's backend
list, quafu-sdk's devices). Real servers, on SQLite and PostgreSQL."""

from __future__ import annotations

import httpx

from kuafu.backends.simulator import MAX_QUBITS

from .test_api import api, wait_done
from .test_wide_jobs import HEADER, deep_random_program


def ghz_program(n: int) -> str:
    """GHZ with a T on the first qubit and a phase on each: not Clifford."""
    lines = [f"qreg q[{n}];", f"creg c[{n}];", "h q[0];", "t q[0];"]
    lines += [f"cx q[{q}],q[{q + 1}];" for q in range(n - 1)]
    lines += [f"rz(0.3) q[{q}];" for q in range(n)]
    lines.append("measure q -> c;")
    return HEADER + "\n".join(lines) + "\n"


def test_a_40_qubit_ghz_with_a_phase_runs_on_the_simulator(live, token):
    with api(live, token) as c:
        r = c.post("/jobs", json={"qasm": ghz_program(40), "backend": "simulator",
                                  "shots": 500, "seed": 3})
        assert r.status_code == 201, r.text
        job = wait_done(c, r.json()["ids"][0], timeout=120)
    assert job["status"] == "done", job
    counts = job["result"]["counts"]
    assert set(counts) == {"0" * 40, "1" * 40} and sum(counts.values()) == 500
    assert job["result"]["method"] == "mps"


def test_a_deep_random_40_qubit_circuit_is_refused_with_its_estimate(live, token):
    with api(live, token) as c:
        r = c.post("/jobs", json={"qasm": deep_random_program(40, 40), "backend": "simulator",
                                  "shots": 100})
        assert r.status_code == 400, r.text
        assert r.json()["code"] == "circuit_too_costly"
        assert "40 qubits" in r.json()["detail"] and "estimated" in r.json()["detail"]
        wide = c.post("/jobs", json={"qasm": ghz_program(MAX_QUBITS + 1),
                                     "backend": "simulator", "shots": 10})
        assert wide.status_code == 400 and wide.json()["code"] == "circuit_too_wide"
        assert f"simulates at most {MAX_QUBITS} qubits" in wide.json()["detail"]
        assert c.get("/jobs").json()["items"] == []  # nothing was queued


def test_every_view_of_the_simulator_states_its_width(live, token):
    assert MAX_QUBITS >= 136  # the widest chip's programs can be checked on it
    with api(live, token) as c:
        listed = {b["name"]: b for b in c.get("/backends").json()}
        assert listed["simulator"]["qubits"] == MAX_QUBITS
        sdk = c.get("/devices").json()
    assert sdk["simulator"]["max_qubits"] == MAX_QUBITS
    pyquafu = httpx.post(f"{live.url}/qbackend/get_backends/", data={},
                         headers={"api_token": token}, timeout=30).json()
    (simulator,) = [b for b in pyquafu["data"] if b["system_name"] == "simulator"]
    assert simulator["qubits"] == MAX_QUBITS
