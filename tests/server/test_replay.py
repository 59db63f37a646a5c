"""Exact replay (issue 18): 50 random jobs across every simulation method (statevector,
density matrix, trajectories, stabilizer, MPS) replay with bit-identical counts, over
HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import random_layers
from kuafu import qasm
from kuafu.circuit import QuantumCircuit

from .test_calibration import client, wait_done


def clifford(rng: np.random.Generator, n: int) -> QuantumCircuit:
    qc = QuantumCircuit(n, n)
    for _ in range(3 * n):
        kind = rng.integers(3)
        a = int(rng.integers(n))
        if kind == 0:
            qc.h(a)
        else:
            b = int((a + 1 + rng.integers(n - 1)) % n)
            qc.cx(a, b)
    qc.measure(range(n), range(n))
    return qc


def rotations(rng: np.random.Generator, n: int, wide_chain: bool = False) -> QuantumCircuit:
    qc = QuantumCircuit(n, n)
    qc.h(0)
    for i in range(n - 1):
        if wide_chain or rng.random() < 0.7:
            qc.cx(i, i + 1)
    for q in range(n):
        qc.rz(float(rng.uniform(0, 3)), q)
        qc.rx(float(rng.uniform(0, 3)), q)
    qc.measure(range(n), range(n))
    return qc


def jobs_for(seed: int = 18) -> list[tuple[str, str, int, str]]:
    """(backend, program, shots, the method it is meant for) for 50 random jobs."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(12):
        out.append(("simulator", rotations(rng, int(rng.integers(2, 6))), 300, "statevector"))
    for _ in range(12):
        chip = ["ScQ-P10", "ScQ-P18", "ScQ-P10-sim"][int(rng.integers(3))]
        out.append((chip, clifford(rng, int(rng.integers(2, 6))), 300, "stabilizer"))
    for _ in range(12):
        out.append(("ScQ-P10", rotations(rng, int(rng.integers(2, 5))), 500, "density_matrix"))
    for _ in range(8):  # at 8 qubits the density matrix is the faster one even for 10 shots
        out.append(("ScQ-P18", random_layers(10, 6, seed=int(rng.integers(1000))), 10,
                    "trajectories"))
    for _ in range(6):
        out.append(("ScQ-P136", rotations(rng, 30, wide_chain=True), 50, "mps"))
    return [(b, qasm.dumps(c), shots, m) for b, c, shots, m in out]


@pytest.mark.slow
def test_fifty_random_jobs_replay_bit_identically(live, token):
    cases = jobs_for()
    assert len(cases) == 50
    with client(live, token) as http:
        ids = []
        for backend, program, shots, _ in cases:
            r = http.post("/jobs", json={"qasm": program, "backend": backend, "shots": shots})
            assert r.status_code == 201, r.text
            ids.append(r.json()["ids"][0])
        originals = [wait_done(http, i, timeout=600) for i in ids]
        methods = set()
        for job in originals:
            assert job["status"] == "done", job
            methods.add(job["result"]["method"])
        assert methods == {"statevector", "stabilizer", "density_matrix", "trajectories",
                           "mps"}
        replays = [http.post(f"/jobs/{j['id']}/replay").json()["ids"][0] for j in originals]
        for job, new_id in zip(originals, replays, strict=True):
            new = wait_done(http, new_id, timeout=600)
            assert new["status"] == "done", new
            assert new["result"]["counts"] == job["result"]["counts"], job["id"]
            assert new["result"]["method"] == job["result"]["method"]
            report = http.get(f"/jobs/{new_id}/replay").json()
            assert report["counts_identical"] is True
