"""Wide circuits through the server: MPS jobs on ScQ-P136 with their method details, and
refusals with the cost estimate at submission (a 4xx, not a failed job)."""

from __future__ import annotations

import re
import time

import httpx
import numpy as np

from .test_api import api, wait_done

HEADER = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'


def chain_program(n: int) -> str:
    lines = [f"qreg q[{n}];", f"creg c[{n}];"]
    lines += [f"ry(0.3) q[{q}];" for q in range(n)]
    lines += [f"cx q[{q}],q[{q + 1}];" for q in range(n - 1)]
    lines += [f"rx(0.2) q[{q}];" for q in range(n)]
    lines.append("measure q -> c;")
    return HEADER + "\n".join(lines) + "\n"


def deep_random_program(n: int, depth: int, seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    lines = [f"qreg q[{n}];", f"creg c[{n}];"]
    for _ in range(depth):
        for q in range(n):
            a, b, c = rng.uniform(0, 6.28, 3)
            lines.append(f"u3({a:.4f},{b:.4f},{c:.4f}) q[{q}];")
        perm = rng.permutation(n)
        lines += [f"cx q[{a}],q[{b}];" for a, b in zip(perm[::2], perm[1::2], strict=True)]
    lines.append("measure q -> c;")
    return HEADER + "\n".join(lines) + "\n"


def test_a_deep_random_60_qubit_job_is_refused_at_submission_with_the_estimate(live, token):
    with api(live, token) as c:
        start = time.perf_counter()
        r = c.post("/jobs", json={"qasm": deep_random_program(60, 20),
                                  "backend": "ScQ-P136", "shots": 1000})
        elapsed = time.perf_counter() - start
        assert r.status_code == 400, r.text
        body = r.json()
        assert body["code"] == "circuit_too_costly"
        for fragment in ("qubits", "entangling depth", "bond dimension", "limits"):
            assert fragment in body["detail"], body["detail"]
        assert elapsed < 30  # compiling the 60 x 20 circuit included
        assert c.get("/jobs").json()["items"] == []  # nothing was queued


def test_an_ideal_simulator_job_is_refused_the_same_way(live, token):
    with api(live, token) as c:
        r = c.post("/jobs", json={"qasm": deep_random_program(32, 30), "backend": "simulator",
                                  "shots": 100})
        assert r.status_code == 400, r.text
        assert r.json()["code"] == "circuit_too_costly"


def test_a_40_qubit_chain_on_scq_p136_runs_as_an_mps_with_its_details(live, token):
    with api(live, token) as c:
        r = c.post("/jobs", json={"qasm": chain_program(40), "backend": "ScQ-P136",
                                  "shots": 200, "seed": 1})
        assert r.status_code == 201, r.text
        (job_id,) = r.json()["ids"]
        job = wait_done(c, job_id, timeout=300)
        assert job["status"] == "done", job
        result = job["result"]
        assert result["method"] == "mps"
        details = result["method_details"]
        assert details["method"] == "mps" and details["bond_dimension"] >= 2
        assert details["fidelity_estimate"] == 1.0
        assert sum(result["counts"].values()) == 200
    page = _console_page(live, token, f"/console/jobs/{job_id}")
    assert "Bond dimension" in page and "Fidelity estimate" in page and "mps" in page


def _console_page(live, token: str, path: str) -> str:
    with httpx.Client(base_url=live.url, timeout=30) as client:
        form = client.get("/console/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        answer = client.post("/console/login", data={"token": token, "csrf_token": csrf})
        assert answer.status_code == 303, answer.text
        page = client.get(path)
        assert page.status_code == 200
        return page.text
