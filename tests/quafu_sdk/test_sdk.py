"""quafu-sdk 0.2.7, unmodified, against a live Kuafu server on SQLite and PostgreSQL:
the documented workflow in one subprocess (sdk_workflow.py), then the paths that need
the server arranged (a held queue, an offline chip, a revoked key, a client that dies)."""

from __future__ import annotations

import hashlib
import signal
from pathlib import Path

import httpx
import pytest

from kuafu.server.core.db import Database
from kuafu.server.models import ApiToken, User, utcnow

from .conftest import Stack, last_json, run_sdk

WORKFLOW = Path(__file__).with_name("sdk_workflow.py")
H = 'OPENQASM 2.0;\\ninclude "qelib1.inc";\\n'
BELL = H + "qreg q[2];\\ncreg c[2];\\nh q[0];\\ncx q[0],q[1];\\nmeasure q -> c;\\n"
RX = H + "qreg q[1];\\ncreg c[1];\\nrx({{t}}) q[0];\\nmeasure q[0] -> c[0];\\n"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def seen(sdk_python, stack: Stack, tmp_path_factory) -> dict:
    """Everything the workflow printed."""
    home = tmp_path_factory.mktemp("home")
    done = run_sdk(sdk_python, stack.url, stack.key, WORKFLOW.read_text(), home, timeout=900)
    return last_json(done)


def test_key_and_whoami(seen, stack):
    who = seen["whoami"]
    assert stack.key.startswith("qf_")
    assert who["kind"] == "api_key" and who["source"] == "env"
    assert who["name"].startswith("user-") and who["public_id"]
    assert who["credential"] == stack.key[:11] + "..."


def test_devices_list_chips_their_sims_and_sim(seen):
    devices = seen["devices"]
    assert set(devices) == {"ScQ-P10", "ScQ-P18", "ScQ-P136", "ScQ-P10-sim", "ScQ-P18-sim",
                            "ScQ-P136-sim", "sim"}
    p10 = devices["ScQ-P10"]
    assert (p10["kind"], p10["status"], p10["n_qubits"]) == ("real", "online", 10)
    assert p10["queue"] >= 0
    assert devices["ScQ-P10-sim"]["kind"] == "sim" and devices["sim"]["kind"] == "sim"
    for row in devices.values():
        limits = row["limits"]
        assert limits["min_shots"] == 1 and limits["max_shots"] >= 100_000
        assert limits["shots_step"] == 1 and limits["max_qubits"] >= row["n_qubits"]
    assert devices["ScQ-P136"]["limits"]["max_qubits"] == 136


def test_device_and_calibration_in_quafus_schema(seen):
    device, cal = seen["device"], seen["calibration"]
    assert device["name"] == "ScQ-P10" and device["calibration_id"] == cal["id"]
    assert cal["id"].startswith("ScQ-P10-") and cal["chip"] == "ScQ-P10"
    assert cal["calibrated_at"].startswith("20")
    assert (cal["n_qubits"], cal["n_couplers"]) == (10, 9)
    q0 = cal["qubit0"]
    assert q0["index"] == 0 and 1 < q0["t1_us"] < 1000 and 1 < q0["t2_us"] < 1000
    assert 0.99 < q0["fidelity_1q"] < 1 and 0.9 < q0["readout_fidelity"] < 1
    assert 0.9 < cal["coupler01"]["cz_fidelity"] < 1 and cal["coupler01"]["qubits"] == [0, 1]
    assert cal["grid"] == {"rows": 1, "cols": 10}
    assert seen["calibration_136_grid"]["rows"] > 1
    assert seen["calibration_by_id"] is True


def test_bell_result_as_quafu_gives_it(seen):
    bell = seen["bell"]
    assert bell["n_tasks"] == 1 and bell["status"] == "Finished"
    assert bell["task_id"] == bell["job_id"] + "-0" and bell["job_id"].startswith("qj")
    counts = bell["counts"]
    assert sum(counts.values()) == 1000 == bell["shots_returned"] == bell["shots_requested"]
    assert (counts.get("00", 0) + counts.get("11", 0)) / 1000 > 0.9
    assert bell["bit_order"] == "c0_rightmost" and bell["n_clbits"] == 2
    assert [m["cbit"] for m in bell["measurements"]] == [0, 1]
    assert [m["virtual_qubit"] for m in bell["measurements"]] == [0, 1]
    physical = [m["physical_qubit"] for m in bell["measurements"]]
    assert all(0 <= p < 10 for p in physical) and physical[0] != physical[1]
    assert "cz" in bell["executed"] and "qreg q[10]" in bell["executed"]
    assert bell["compiler"]["name"] == "kuafu" and bell["compiler"]["seed"] is not None
    assert bell["calibration_id"] == seen["calibration"]["id"]
    assert seen["calibration_of_result"] == bell["calibration_id"]
    assert bell["backend"] == "ScQ-P10" and bell["z0z1"] > 0.8
    assert sum(bell["by_qubit"].values()) == 1000


def test_collection_keeps_order_and_bit_order(seen):
    c = seen["collection"]
    assert c["n_tasks"] == 3 and c["status"] == "Finished"
    assert [t.rsplit("-", 1)[1] for t in c["task_ids"]] == ["0", "1", "2"]
    x0, swapped, bell = c["counts"]
    assert x0 == {"001": 100}  # X on qubit 0 of three: c[0] is the rightmost character
    assert swapped == {"01": 100}  # q[1] -> c[0]
    assert set(bell) <= {"00", "11"}
    assert c["calibration_ids"] == [None, None, None]  # the ideal simulator has none
    assert c["n_clbits"] == [3, 2, 2]
    assert max(seen["noisy_sim"], key=seen["noisy_sim"].get) == "001"


def test_sweep_substitutes_on_the_server(seen):
    s = seen["sweep"]
    assert s["rows"] == 4 and s["complete"] and s["status"] == ["Finished"] * 4
    assert s["theta"] == [0.0, 1.5707963267948966, 3.141592653589793, -3.141592653589793]
    zero, half, one, minus = s["counts"]
    assert zero == {"0": 400} and one == {"1": 400} and minus == {"1": 400}
    assert 100 < half.get("1", 0) < 300
    assert s["parameter_values"][2] == {"theta": 3.141592653589793}
    assert s["bit_order"] == "c0_rightmost" and s["n_clbits"] == [1] * 4


def test_table_pages(seen):
    assert seen["paged"] == {"rows": 205, "seq_last": 204, "finished": 205}


def test_iterative_job(seen):
    assert seen["iterative_open"] == {"open": True, "n_tasks": 0}
    it = seen["iterative"]
    assert [t.rsplit("-", 1)[1] for t in it["first"] + it["second"]] == ["0", "1", "2"]
    assert it["counts"] == [{"0": 50}, {"1": 50}, {"001": 50}]
    assert it["iterations"] == [0, 0, 1]
    assert it["closed"]["open"] is False and it["closed"]["status"] == "Finished"
    closed = it["append_after_close"]
    assert closed["type"] == "JobClosed" and closed["code"] == "job_closed"


def test_reattach_and_stats(seen):
    assert seen["reattach"] == {"status": "Finished", "n_tasks": 1, "counts": True}
    stats = seen["stats"]
    assert stats["tasks"]["finished"] >= 1 + 3 + 1 + 4 + 205 + 3
    assert stats["jobs"] >= 6 and stats["shots"]["requested"] > 0
    assert stats["quota"]["sim"]["remaining"] <= stats["quota"]["sim"]["limit"]
    assert len(stats["daily"]) == 1 and stats["daily"][0]["tasks"] == stats["tasks"]["total"]
    assert stats["daily"][0]["date"] == stats["quota"]["date"]


def test_errors_land_in_the_sdks_classes(seen):
    e = seen["errors"]
    syntax = e["syntax"]
    assert syntax["type"] == "PrecheckError" and syntax["category"] == "precheck.qasmSyntax"
    assert syntax["vars"]["line"] == 6 and "line 6" in syntax["text"]
    second = e["syntax_in_collection"]
    assert second["type"] == "PrecheckError" and second["vars"]["task_index"] == 1
    assert e["unknown_device"]["type"] == "BadRequest"
    assert e["unknown_device"]["code"] == "unknown_device"
    assert "ScQ-P10" in e["unknown_device"]["text"]
    assert e["unknown_device_lookup"]["code"] == "unknown_device"
    wide = e["too_wide_local"]  # refused by the SDK from our metadata's limits
    assert wide["type"] == "PrecheckError" and wide["vars"]["limit_qubits"] == 10
    assert e["shots_local"]["category"] == "precheck.shotsOutOfRange"
    assert e["no_measurement"]["category"] == "precheck.noMeasurement"
    assert e["undeclared_parameter"]["vars"]["undeclared"] == ["theta"]
    assert e["unknown_calibration"]["type"] == "BadRequest"
    assert e["job_not_found"]["type"] == "JobNotFound"
    assert e["not_iterative"]["type"] == "JobClosed"
    assert e["not_iterative"]["code"] == "job_not_iterative"
    assert e["wrong_key"]["type"] == "LoginRevoked" and e["wrong_key"]["status"] == 401


def test_server_side_checks_behind_the_sdks(stack):
    """What the SDK checks locally, the server refuses too (a client that skips them)."""
    headers = {"Authorization": f"Bearer {stack.key}", "User-Agent": "quafu-sdk/0.2.7"}
    body = {"mode": "single", "target": "ScQ-P10", "shots": 10**7,
            "circuits": [{"qasm": BELL.replace("\\n", "\n")}]}
    shots = httpx.post(f"{stack.url}/api/v1/jobs", json=body, headers=headers)
    assert shots.status_code == 422 and shots.json()["code"] == "precheck.shotsOutOfRange"
    wide = dict(body, shots=10, circuits=[{"qasm": BELL.replace("\\n", "\n").replace(
        "[2]", "[11]")}])
    answer = httpx.post(f"{stack.url}/api/v1/jobs", json=wide, headers=headers)
    assert answer.status_code == 422 and answer.json()["code"] == "precheck.simTooLarge"


def test_native_api_unchanged_on_shared_paths(stack):
    """POST /api/v1/jobs and /jobs/<id>/cancel stay Kuafu's for Kuafu's clients."""
    import kuafu

    with kuafu.Client(url=stack.url, token=stack.key) as client:
        job = client.submit(BELL.replace("\\n", "\n"), backend="simulator",
                            shots=100)
        assert sum(job.result(timeout=120).counts.values()) == 100
    headers = {"Authorization": f"Bearer {stack.key}"}
    native = httpx.post(f"{stack.url}/api/v1/jobs", headers=headers, json={
        "qasm": BELL.replace("\\n", "\n"), "backend": "simulator", "shots": 10})
    assert native.status_code == 201 and len(native.json()["ids"][0]) == 32
    cancel = httpx.post(f"{stack.url}/api/v1/jobs/{native.json()['ids'][0]}/cancel",
                        headers=headers)
    assert cancel.status_code == 200 and "cancelled" in cancel.json()


def _set_status(stack: Stack, backend: str, status: str) -> None:
    answer = httpx.put(f"{stack.url}/api/v1/backends/{backend}/status",
                       headers={"Authorization": f"Bearer {stack.admin_key}"},
                       json={"status": status, "reason": "test"})
    assert answer.status_code == 200, answer.text


def test_cancel_and_crash_reattach(sdk_python, stack, tmp_path):
    """A job whose chip is in maintenance waits; the client that submitted it dies;
    another process re-attaches by id, sees it queued, cancels it; an offline chip
    refuses new jobs with DeviceUnavailable."""
    _set_status(stack, "ScQ-P18", "maintenance")
    try:
        code = f"""
            import os, sys, quafu
            job = quafu.submit(['{BELL}', '{BELL}'], target="ScQ-P18", shots=100)
            print(job.id, flush=True)
            os.kill(os.getpid(), 9)  # the client dies with its job still queued
            """
        died = run_sdk(sdk_python, stack.url, stack.key, code, tmp_path, check=False)
        assert died.returncode == -signal.SIGKILL
        job_id = died.stdout.split()[0]
        code = f"""
            import json, quafu
            job = quafu.job("{job_id}")
            before = job.status()
            answer = job.cancel()
            rs = job.results(timeout=60)
            try:
                job.result()
                single = None
            except ValueError as e:
                single = "ValueError"
            print(json.dumps({{"before": before, "n": job.n_tasks, "answer": answer,
                              "after": job.status(), "task": [r.status for r in rs],
                              "errors": [r.raw["error"]["category"] for r in rs],
                              "single": single}}))
            """
        seen = last_json(run_sdk(sdk_python, stack.url, stack.key, code, tmp_path))
    finally:
        _set_status(stack, "ScQ-P18", "online")
    assert seen["before"] == "Queued" and seen["n"] == 2
    assert seen["answer"]["cancelled_now"] == 2 and seen["answer"]["status"] == "Cancelled"
    assert seen["after"] == "Cancelled" and seen["task"] == ["Cancelled"] * 2
    assert seen["errors"] == ["cancelled"] * 2 and seen["single"] == "ValueError"

    _set_status(stack, "ScQ-P136", "offline")
    try:
        code = f"""
            import json, quafu
            try:
                quafu.submit('{BELL}', target="ScQ-P136", shots=100)
            except quafu.DeviceUnavailable as e:
                print(json.dumps({{"type": type(e).__name__, "category": e.category}}))
            """
        seen = last_json(run_sdk(sdk_python, stack.url, stack.key, code, tmp_path))
    finally:
        _set_status(stack, "ScQ-P136", "online")
    assert seen == {"type": "DeviceUnavailable", "category": "runtime.deviceUnavailable"}


def test_chip_sim_runs_while_the_chip_is_in_maintenance(sdk_python, stack, tmp_path):
    """`ScQ-P10-sim` is a backend of its own (the chip's device, its own queue and
    status): the chip's maintenance holds a `ScQ-P10` job, not a `ScQ-P10-sim` one, which
    runs on the chip's emulator with the chip's calibration; the chip offline refuses
    its jobs, not its twin's."""
    _set_status(stack, "ScQ-P10", "maintenance")
    try:
        code = f"""
            import json, quafu
            held = quafu.submit('{BELL}', target="ScQ-P10", shots=100)
            twin = quafu.submit('{BELL}', target="ScQ-P10-sim", shots=100)
            r = twin.result(timeout=240)
            rows = {{d["name"]: d for d in quafu.devices()}}
            print(json.dumps({{
                "held": held.status(), "twin": twin.status(), "counts": r.counts,
                "target": r.target, "chip": r.chip, "backend": r.raw["backend"],
                "kind": r.raw["kind"], "executed": r.executed_qasm,
                "calibration_id": r.calibration_id,
                "chip_calibration_id": quafu.device("ScQ-P10").calibration_id,
                "status": {{n: rows[n]["status"] for n in ("ScQ-P10", "ScQ-P10-sim")}},
                "cancelled": held.cancel()["cancelled_now"]}}))
            """
        seen = last_json(run_sdk(sdk_python, stack.url, stack.key, code, tmp_path))
        native = httpx.get(f"{stack.url}/api/v1/backends", headers={
            "Authorization": f"Bearer {stack.key}"}).json()
    finally:
        _set_status(stack, "ScQ-P10", "online")
    assert seen["held"] == "Queued" and seen["cancelled"] == 1
    assert seen["twin"] == "Finished" and sum(seen["counts"].values()) == 100
    assert seen["target"] == "ScQ-P10-sim" and seen["kind"] == "sim"
    assert seen["chip"] == "ScQ-P10" and seen["backend"] == "ScQ-P10-sim"
    assert "qreg q[10]" in seen["executed"] and "cz" in seen["executed"]
    assert seen["calibration_id"] == seen["chip_calibration_id"]
    assert seen["status"] == {"ScQ-P10": "maintenance", "ScQ-P10-sim": "online"}
    listed = {b["name"]: b["status"] for b in native}
    assert listed["ScQ-P10"] == "maintenance" and listed["ScQ-P10-sim"] == "online"

    _set_status(stack, "ScQ-P10", "offline")
    try:
        headers = {"Authorization": f"Bearer {stack.key}"}
        answers = {b: httpx.post(f"{stack.url}/api/v1/jobs", headers=headers, json={
            "qasm": BELL.replace("\\n", "\n"), "backend": b, "shots": 10}).status_code
            for b in ("ScQ-P10", "ScQ-P10-sim")}
    finally:
        _set_status(stack, "ScQ-P10", "online")
    assert answers == {"ScQ-P10": 409, "ScQ-P10-sim": 201}


def test_running_job_survives_client_crash(sdk_python, stack, tmp_path):
    """The client dies while its sweep runs; a new process re-attaches and gets every
    result, each task run once."""
    code = f"""
        import os, quafu
        job = quafu.sweep('{RX}',
                          [("t", "rad")], [[0.0], [3.141592653589793]] * 10, target="sim",
                          shots=64)
        print(job.id, flush=True)
        os._exit(3)
        """
    died = run_sdk(sdk_python, stack.url, stack.key, code, tmp_path, check=False)
    assert died.returncode == 3, died.stderr
    job_id = died.stdout.split()[0]
    code = f"""
        import json, quafu
        t = quafu.job("{job_id}").table(timeout=240)
        print(json.dumps({{"counts": t.counts, "status": t.status}}))
        """
    seen = last_json(run_sdk(sdk_python, stack.url, stack.key, code, tmp_path))
    assert seen["status"] == ["Finished"] * 20
    assert seen["counts"] == [{"0": 64}, {"1": 64}] * 10


def test_client_ref_makes_submission_idempotent(stack):
    headers = {"Authorization": f"Bearer {stack.key}", "User-Agent": "quafu-sdk/0.2.7"}
    body = {"mode": "collection", "target": "sim", "shots": 10, "client_ref": "retry-1",
            "circuits": [{"qasm": BELL.replace("\\n", "\n")}] * 2}
    first = httpx.post(f"{stack.url}/api/v1/jobs", json=body, headers=headers).json()
    again = httpx.post(f"{stack.url}/api/v1/jobs", json=body, headers=headers).json()
    assert first["job_id"] == again["job_id"] and first["task_ids"] == again["task_ids"]
    assert len(first["task_ids"]) == 2
    native = httpx.get(f"{stack.url}/api/v1/jobs", params={"group": first["job_id"]},
                       headers={"Authorization": f"Bearer {stack.key}"}).json()
    assert len(native["items"]) == 2  # the same rows, seen by the native API


def test_revoked_and_legacy_keys(sdk_python, stack, tmp_path):
    """A revoked key is LoginRevoked in the SDK; a `kf_` key made before keeps working
    in Kuafu's API (quafu-sdk itself accepts only `qf_` keys)."""
    made = httpx.post(f"{stack.url}/api/v1/tokens", json={"name": "to-revoke"},
                      headers={"Authorization": f"Bearer {stack.key}"}).json()
    assert made["token"].startswith("qf_")
    httpx.delete(f"{stack.url}/api/v1/tokens/{made['id']}",
                 headers={"Authorization": f"Bearer {stack.key}"}).raise_for_status()
    code = """
        import json, quafu
        try:
            quafu.whoami()
        except quafu.LoginRevoked as e:
            print(json.dumps({"type": type(e).__name__, "status": e.status}))
        """
    seen = last_json(run_sdk(sdk_python, stack.url, made["token"], code, tmp_path))
    assert seen == {"type": "LoginRevoked", "status": 401}

    legacy = "kf_" + "L" * 43
    db = Database(stack.database_url)
    try:
        with db.transaction() as session:
            user = session.query(User).filter(User.is_admin.is_(False)).first()
            session.add(ApiToken(user_id=user.id, name="legacy", prefix=legacy[:9],
                                 token_hash=hashlib.sha256(legacy.encode()).hexdigest(),
                                 created_at=utcnow()))
    finally:
        db.engine.dispose()
    for path in ("/api/v1/me", "/api/v1/auth/me"):
        answer = httpx.get(stack.url + path, headers={"Authorization": f"Bearer {legacy}"})
        assert answer.status_code == 200, (path, answer.text)


def test_workflow_runs_unmodified_from_the_users_environment(sdk_python, stack, tmp_path):
    """Nothing but QUAFU_BASE_URL and QUAFU_API_KEY: no saved login, no other settings."""
    env_seen = run_sdk(sdk_python, stack.url, stack.key,
                       "import os, json; print(json.dumps(sorted(k for k in os.environ "
                       "if k.startswith('QUAFU'))))", tmp_path)
    assert last_json(env_seen) == ["QUAFU_API_KEY", "QUAFU_BASE_URL"]
    assert not (tmp_path / ".quafu-sdk").exists()


def test_qiskit_provider(sdk_python, stack, tmp_path):
    """quafu.qiskit's provider: its Target from our metadata (basis gates, coupling map),
    transpile + run on a chip and on `sim`, and a Qiskit parameter sweep."""
    code = """
        import json
        from qiskit import QuantumCircuit, transpile
        from qiskit.circuit import Parameter
        from quafu.qiskit import QuafuProvider, sweep
        qc = QuantumCircuit(2, 2)
        qc.h(0); qc.cx(0, 1); qc.measure([0, 1], [0, 1])
        provider = QuafuProvider()
        chip = provider.get_backend("ScQ-P18")
        target = chip.target
        run = chip.run(transpile(qc, chip), shots=500)
        counts = run.result(timeout=240).get_counts()
        sim = provider.get_backend("sim")
        ideal = sim.run(transpile(qc, sim), shots=100).result(timeout=240).get_counts()
        theta = Parameter("theta")
        rx = QuantumCircuit(1, 1)
        rx.rx(theta, 0); rx.measure(0, 0)
        table = sweep(rx, [[0.0], [3.141592653589793]], "sim", shots=50).table(timeout=240)
        print(json.dumps({"backends": [b.name for b in provider.backends()],
                          "n_qubits": target.num_qubits,
                          "operations": sorted(target.operation_names),
                          "edges": len(target.build_coupling_map().get_edges()),
                          "job_id": run.job_id(), "counts": counts, "ideal": ideal,
                          "sweep": table.counts, "theta": table.column("theta")}))
        """
    seen = last_json(run_sdk(sdk_python, stack.url, stack.key, code, tmp_path))
    assert "ScQ-P18" in seen["backends"] and "sim" in seen["backends"]
    assert seen["n_qubits"] == 18 and {"cz", "rx", "ry", "measure"} <= set(seen["operations"])
    assert seen["edges"] > 0 and seen["job_id"].startswith("qj")
    assert sum(seen["counts"].values()) == 500
    assert (seen["counts"].get("00", 0) + seen["counts"].get("11", 0)) / 500 > 0.9
    assert set(seen["ideal"]) <= {"00", "11"} and sum(seen["ideal"].values()) == 100
    assert seen["sweep"] == [{"0": 50}, {"1": 50}] and seen["theta"] == [0.0, 3.141592653589793]
