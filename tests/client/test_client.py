"""`kuafu.Client` against a live server, and its retry and error behaviour."""

from __future__ import annotations

import httpx
import pytest

import kuafu
from kuafu.cli.demo import bell, ghz
from kuafu.client import APIError, ClientError, JobFailedError, Result
from kuafu.client.config import load_config, save_config
from kuafu.schemas import JobStatus
from kuafu.server.testing import create_user, free_port


def test_submit_a_circuit_and_read_counts(client):
    job = client.submit(bell(), backend="ScQ-P10", shots=500, name="bell")
    result = job.result(timeout=120, progress=False)
    assert isinstance(result, Result) and result.shots == 500
    assert sum(result.counts.values()) == 500
    assert max(result.counts, key=result.counts.get) in ("00", "11")
    assert abs(sum(result.probabilities.values()) - 1) < 1e-9
    assert result.calibration_id.startswith("ScQ-P10-")
    assert job.status() is JobStatus.DONE


def test_batch_jobs_listing_and_statuses(client):
    jobs = client.submit_batch([bell(), ghz(3)], backend="ScQ-P18", shots=100, group="g1")
    assert len(jobs) == 2
    for job in jobs:
        job.result(timeout=120, progress=False)
    listed = list(client.jobs(group="g1", page_size=1))
    assert sorted(j.id for j in listed) == sorted(j.id for j in jobs)
    assert [s.status for s in client.statuses([j.id for j in jobs])] == [JobStatus.DONE] * 2
    assert client.job(jobs[0].id).id == jobs[0].id


def test_backends_and_backend_detail(client):
    names = [b.name for b in client.backends()]
    assert {"ScQ-P10", "ScQ-P18", "ScQ-P136"} <= set(names)
    detail = client.backend("ScQ-P136")
    assert detail.qubits == 136 and detail.coupling_map


def test_plots(client, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from kuafu.client.plots import topology

    ax = topology(client.backend("ScQ-P10"))
    ax.figure.savefig(tmp_path / "topology.png")
    res = client.submit(bell(), backend="ScQ-P10", shots=100).result(progress=False)
    res.plot().figure.savefig(tmp_path / "hist.png")
    assert (tmp_path / "hist.png").stat().st_size > 0


def test_4xx_raise_api_error_with_the_servers_message(client):
    with pytest.raises(APIError) as info:
        client.submit("OPENQASM 2.0;\nqreg q[2];\nnope q[0];\n", backend="ScQ-P10")
    assert info.value.status == 400 and "line 3" in info.value.message
    assert info.value.request_id
    with pytest.raises(APIError) as info:
        client.job("0" * 32)
    assert info.value.status == 404


def test_cancelled_job_result_raises_job_failed(client):
    job = client.submit(bell(), backend="ScQ-P10", shots=100)
    job.cancel()
    try:
        job.result(timeout=60, progress=False)
    except JobFailedError as exc:
        assert exc.job_id == job.id and "cancel" in exc.reason
    # (if it finished before the cancel arrived, the result is simply there)


def test_bad_token_is_a_clear_401(live):
    with kuafu.Client(url=live.url, token="kf_wrong") as c, pytest.raises(APIError) as info:
        c.backends()
    assert info.value.status == 401 and "invalid API token" in str(info.value)


def test_unreachable_server_retries_then_raises_status_0():
    url = f"http://127.0.0.1:{free_port()}"
    with kuafu.Client(url=url, token="x", max_retries=2) as c, pytest.raises(APIError) as info:
        c.backends()
    assert info.value.status == 0 and "cannot reach" in info.value.message
    assert isinstance(info.value, ClientError)


def test_5xx_is_retried_with_backoff_and_4xx_is_not():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if len(calls) < 3:
            return httpx.Response(503, json={"detail": "busy", "code": "unavailable"})
        return httpx.Response(200, json=[])

    transport = httpx.MockTransport(handler)
    with kuafu.Client(url="http://test", token="t", transport=transport) as c:
        c._http.backoff = 0.001
        assert c.backends() == []
    assert len(calls) == 3
    calls.clear()
    transport = httpx.MockTransport(lambda r: (calls.append(1), httpx.Response(
        409, json={"detail": "no", "code": "conflict", "request_id": "r1"}))[1])
    with kuafu.Client(url="http://test", token="t", transport=transport) as c, \
            pytest.raises(APIError) as info:
        c.backends()
    assert len(calls) == 1 and info.value.request_id == "r1"


def test_config_file_and_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("KUAFU_CONFIG", str(tmp_path / "config.json"))
    monkeypatch.delenv("KUAFU_URL", raising=False)
    monkeypatch.delenv("KUAFU_TOKEN", raising=False)
    save_config("http://example:1", "kf_saved")
    assert load_config() == {"url": "http://example:1", "token": "kf_saved"}
    assert (tmp_path / "config.json").stat().st_mode & 0o777 == 0o600
    c = kuafu.Client()
    assert (c.url, c.token) == ("http://example:1", "kf_saved")
    monkeypatch.setenv("KUAFU_TOKEN", "kf_env")
    assert kuafu.Client().token == "kf_env"
    assert kuafu.Client(token="kf_arg").token == "kf_arg"


def test_timeout_waiting_raises_client_error(client):
    job = client.submit(ghz(5), backend="ScQ-P136", shots=100)
    try:
        job.result(timeout=0.001, progress=False)
    except ClientError as exc:
        assert "still" in str(exc)
    finally:
        job.cancel()


def test_bad_options_raise_a_kuafu_value_error_before_sending(client):
    from kuafu.client import InvalidJobError

    with pytest.raises(InvalidJobError) as info:
        client.submit(bell(), backend="ScQ-P10", shots=0)
    assert isinstance(info.value, kuafu.KuafuError) and isinstance(info.value, ValueError)
    assert "shots" in str(info.value)
    with pytest.raises(InvalidJobError, match="priority"):
        client.submit_batch([bell()], backend="ScQ-P10", priority=10)


def test_api_error_keeps_line_column_and_code(client):
    with pytest.raises(APIError) as info:
        client.submit("OPENQASM 2.0;\nqreg q[2];\nnope q[0];\n", backend="ScQ-P10")
    assert (info.value.line, info.value.column) == (3, 1)
    assert info.value.code == "invalid_request"
    wide = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[12];\ncreg c[12];\nmeasure q -> c;\n'
    with pytest.raises(APIError) as info:
        client.submit(wide, backend="ScQ-P10")
    assert info.value.code == "circuit_too_wide" and info.value.line is None
    assert "ScQ-P10 has 10 qubits" in info.value.message
    with pytest.raises(APIError, match="program #2 of 2") as info:
        client.submit_batch([bell(), "OPENQASM 2.0;\nqreg q[1];\nbad;\n"], backend="ScQ-P10")
    assert info.value.line == 3


def test_a_chip_in_maintenance_warns_at_submission_and_says_why_the_job_waits(
        client, live, store):
    from kuafu.client import KuafuWarning

    reason = "recalibrating couplers"
    with kuafu.Client(url=live.url, token=create_user(store, admin=True)) as admin:
        admin.set_backend_status("ScQ-P18", "maintenance", reason=reason)
        try:
            assert {b.name: b.status_reason for b in client.backends()}["ScQ-P18"] == reason
            with pytest.warns(KuafuWarning, match=reason):
                job = client.submit(bell(), backend="ScQ-P18", shots=10)
            assert reason in job.notice and "wait" in job.notice
            info = job.info()
            assert info.status is JobStatus.QUEUED and reason in info.notice
            assert info.estimated_start is None
            seen = []
            with pytest.raises(ClientError):
                job.result(timeout=1.5, progress=False, on_update=seen.append)
            assert seen and all(reason in i.notice for i in seen)
        finally:
            admin.set_backend_status("ScQ-P18", "online")
    assert job.result(timeout=120, progress=False).shots == 10
    assert job.notice is None


def test_plot_without_matplotlib_says_how_to_install_it(monkeypatch):
    import sys
    import tomllib
    from pathlib import Path

    from kuafu.schemas import JobResult

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    result = Result("0" * 32, JobResult(counts={"00": 3, "11": 2}, shots=5))
    with pytest.raises(ImportError, match=r"kuafu-cloud\[plot\]"):
        result.plot()
    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    assert any(d.startswith("matplotlib") for d in
               project["project"]["optional-dependencies"]["plot"])


def test_a_result_prints_in_one_short_line():
    from kuafu.schemas import JobResult

    counts = {format(i, "05b"): 10 + i for i in range(32)}
    data = JobResult(counts=counts, shots=sum(counts.values()), method="statevector",
                     compiled_qasm="OPENQASM 2.0;\n" * 100)
    text = repr(Result("f" * 32, data, backend="simulator"))
    assert text == (f"<Result ffffffff simulator shots={data.shots} method=statevector "
                    "counts={'11111': 41, '11110': 40, '11101': 39, '11100': 38, … 28 more}>")
