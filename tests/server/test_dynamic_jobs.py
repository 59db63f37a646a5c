"""Dynamic circuits through the server: a conditioned job on a noisy chip finishes done."""

from __future__ import annotations

from .test_api import api, wait_done

CONDITIONED = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c[2];
h q[0];
t q[0];
measure q[0] -> c[0];
if(c==1) x q[1];
reset q[0];
measure q[1] -> c[1];
"""


def test_a_conditioned_job_on_scq_p10_finishes_done(live, token):
    with api(live, token) as c:
        r = c.post("/jobs", json={"qasm": CONDITIONED, "backend": "ScQ-P10", "shots": 1000})
        assert r.status_code == 201, r.text
        (job_id,) = r.json()["ids"]
        job = wait_done(c, job_id)
        assert job["status"] == "done", job
        counts = job["result"]["counts"]
        assert sum(counts.values()) == 1000
        assert counts.get("00", 0) + counts.get("11", 0) > 850, counts
        assert job["result"]["method"] != "stabilizer"
