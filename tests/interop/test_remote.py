"""The primitives and the Qiskit backend against a live Kuafu server (SQLite store).

A sweep or an observable's settings must reach the server as ONE batch submission; the
test counts `POST /jobs` requests with an httpx event hook.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
import qiskit
from qiskit import transpile

from kuafu import Parameter, QuantumCircuit
from kuafu.client.backend import RemoteBackend
from kuafu.interop.qiskit import KuafuBackend
from kuafu.primitives import Estimator, Sampler
from kuafu.server.testing import LiveServer, create_user


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[tuple[LiveServer, str]]:
    store = f"sqlite:///{tmp_path_factory.mktemp('store') / 'kuafu.db'}"
    log = tmp_path_factory.mktemp("logs") / "interop-server.log"
    with LiveServer(store, workers=1, log=log) as live:
        yield live, store


@pytest.fixture()
def client(server):
    from kuafu import Client

    live, store = server
    with Client(url=live.url, token=create_user(store), max_retries=2) as c:
        posts: list[str] = []
        c._http._client.event_hooks["request"].append(
            lambda request: posts.append(request.url.path) if request.method == "POST"
            else None)
        c.posts = posts
        yield c


def test_estimator_sweep_over_the_server_is_one_request(client):
    theta = Parameter("theta")
    qc = QuantumCircuit(2)
    qc.ry(theta, 0)
    qc.cx(0, 1)
    angles = [0.0, np.pi / 2, np.pi]
    backend = RemoteBackend(client, "ScQ-P10")
    res = Estimator(backend, shots=4000, seed=3, readout_mitigation="calibration").run(
        qc, ["ZZ", "ZI", "XX"], [[a] for a in angles])
    assert client.posts.count("/api/v1/jobs") == 1  # 3 parameter sets x 2 settings
    exact = np.array([[1, np.cos(a), np.sin(a)] for a in angles])
    assert np.all(np.abs(res.values - exact) < 0.12)
    assert res.metadata["circuits"] == 6


def test_sampler_and_readout_calibration_from_the_server(client):
    backend = RemoteBackend(client, "ScQ-P18")
    errors = backend.readout_errors()
    assert len(errors) == 18 and all(0 < e0 < 0.1 and 0 < e1 < 0.1 for e0, e1 in
                                     errors.values())
    qc = QuantumCircuit(2, 2)
    qc.x(0)
    qc.measure([0, 1], [0, 1])
    before = client.posts.count("/api/v1/jobs")
    res = Sampler(backend, shots=2000, seed=1, readout_mitigation="circuits").run(qc)
    assert client.posts.count("/api/v1/jobs") - before == 2  # the run, then 2 calibrations
    assert max(res.counts[0], key=res.counts[0].get) == "01"
    assert res.quasi_dists[0]["01"] > res.counts[0]["01"] / 2000


def test_qiskit_backend_on_the_server(client):
    backend = KuafuBackend.remote(client, "ScQ-P10")
    assert backend.target.num_qubits == 10
    qc = qiskit.QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    circuits = [transpile(qc, backend, seed_transpiler=2), qc]
    before = client.posts.count("/api/v1/jobs")
    result = backend.run(circuits, shots=500, seed=4).result(timeout=120)
    assert client.posts.count("/api/v1/jobs") - before == 2  # one per compile setting
    for i in range(2):
        counts = result.get_counts(i)
        assert sum(counts.values()) == 500 and counts["00"] + counts["11"] > 420
