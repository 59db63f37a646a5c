"""The `kuafu` command line against a live server."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from kuafu import qasm
from kuafu.cli import main
from kuafu.cli.demo import bell


def run(*args: str, input: str | None = None):
    result = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
    return result


def test_backends_table_and_json(cli_env):
    out = run("backends")
    assert out.exit_code == 0 and "ScQ-P136" in out.output
    data = json.loads(run("backends", "--json").output)
    assert {b["name"] for b in data} >= {"ScQ-P10", "ScQ-P136"}
    detail = run("backends", "ScQ-P10")
    assert "10 qubits" in detail.output


def test_submit_wait_jobs_result_cancel(cli_env, tmp_path):
    path = tmp_path / "bell.qasm"
    path.write_text(qasm.dumps(bell()))
    out = run("submit", str(path), "--backend", "ScQ-P10", "--shots", "300", "--wait")
    assert out.exit_code == 0, out.output
    assert "00" in out.output and "█" in out.output
    ids = json.loads(run("submit", str(path), "-b", "ScQ-P10", "--json").output)["ids"]
    listed = json.loads(run("jobs", "--json").output)
    assert ids[0] in [j["id"] for j in listed]
    result = json.loads(run("result", ids[0], "--json").output)
    assert sum(result["counts"].values()) == 1000
    cancel = run("cancel", ids[0])
    assert "already done" in cancel.output
    table = run("jobs", "--limit", "5")
    assert table.exit_code == 0 and ids[0][:8] in table.output


def test_bad_program_exits_2_with_line_and_column(cli_env, tmp_path):
    path = tmp_path / "bad.qasm"
    path.write_text("OPENQASM 2.0;\nqreg q[2];\nfoo q[0];\n")
    out = CliRunner().invoke(main, ["submit", str(path), "-b", "ScQ-P10"])
    assert out.exit_code == 2
    assert "line 3, column 1" in out.output


def test_token_create_list_revoke_and_login(cli_env, cli_live):
    created = json.loads(run("token", "create", "--name", "ci", "--json").output)
    listed = json.loads(run("token", "list", "--json").output)
    assert created["id"] in [t["id"] for t in listed]
    assert all("token" not in t for t in listed)
    out = run("login", "--url", cli_live.url, "--token", created["token"])
    assert out.exit_code == 0
    saved = json.loads(Path(cli_env["KUAFU_CONFIG"]).read_text())
    assert saved == {"url": cli_live.url, "token": created["token"]}
    assert "revoked" in run("token", "revoke", str(created["id"])).output
    out = CliRunner().invoke(main, ["backends", "--token", created["token"]])
    assert out.exit_code == 2 and "revoked" in out.output


def test_admin_create_user_prints_a_working_token(cli_store, cli_live, monkeypatch):
    out = run("admin", "create-user", "carol", "--admin", "--database", cli_store, "--json")
    data = json.loads(out.output)
    assert data["role"] == "admin" and data["token"].startswith("qf_")
    monkeypatch.setenv("KUAFU_URL", cli_live.url)
    monkeypatch.setenv("KUAFU_TOKEN", data["token"])
    assert run("backends").exit_code == 0
    again = CliRunner().invoke(main, ["admin", "create-user", "carol", "--database", cli_store])
    assert again.exit_code != 0 and "exists" in again.output


BELL_FILE = Path(__file__).resolve().parents[2] / "examples" / "bell.qasm"
REASON = "recalibrating couplers"


def test_examples_bell_qasm_runs_as_the_readme_says(cli_env):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert "kuafu submit examples/bell.qasm" in readme and BELL_FILE.exists()
    out = run("submit", str(BELL_FILE), "--backend", "ScQ-P10", "--shots", "200", "--wait")
    assert out.exit_code == 0, out.output
    (job_id,) = [line.split()[2] for line in out.stderr.splitlines()
                 if line.startswith("submitted job")]
    # the id comes first (stderr), before any waiting, then the histogram
    assert out.output.index(f"submitted job {job_id}") < out.output.index("█")
    assert f"{job_id}: 200 shots" in out.stdout


def test_backends_show_simulator_width_status_and_one_labelled_figure(cli_env):
    out = run("backends")
    assert out.exit_code == 0
    line = next(row for row in out.output.splitlines() if "simulator" in row)
    assert "│ 256 " in line
    assert "median 2q fidelity" in out.output and " %" in out.output
    detail = run("backends", "ScQ-P10").output
    assert "median 2q fidelity: 9" in detail and "status: online" in detail
    assert "mean readout fidelity:" in detail  # averages labelled too


def test_maintenance_is_said_in_backends_submit_and_result(cli_env, cli_store, tmp_path):
    path = tmp_path / "bell.qasm"
    path.write_text(qasm.dumps(bell()))
    out = run("admin", "set-status", "ScQ-P18", "maintenance", "--reason", REASON,
              "--database", cli_store)
    assert out.exit_code == 0, out.output
    try:
        table = run("backends").output
        assert "maintenance: recalibrating" in " ".join(table.split())
        assert REASON in run("backends", "ScQ-P18").output
        out = run("submit", str(path), "-b", "ScQ-P18", "--shots", "10")
        assert out.exit_code == 0
        job_id = out.stdout.strip()
        assert "maintenance" in out.stderr and REASON in out.stderr and "wait" in out.stderr
        waiting = run("result", job_id, "--no-wait")
        assert waiting.exit_code == 3  # not finished: no error, a status scripts can test
        assert "queued on ScQ-P18" in waiting.stdout and REASON in waiting.stdout
        assert "None" not in waiting.output and "Error" not in waiting.output
        waiting = run("result", job_id, "--no-wait", "--json")
        assert waiting.exit_code == 3 and json.loads(waiting.stdout)["status"] == "queued"
        out = run("admin", "set-status", "ScQ-P18", "offline", "--reason", "cryostat warm",
                  "--database", cli_store)
        refused = run("submit", str(path), "-b", "ScQ-P18")
        assert refused.exit_code == 2 and "cryostat warm" in refused.output
        assert "offline" in refused.output
    finally:
        run("admin", "set-status", "ScQ-P18", "online", "--database", cli_store)
    done = run("result", job_id)
    assert done.exit_code == 0 and "10 shots" in done.output


def test_ctrl_c_while_waiting_leaves_the_job_and_says_how_to_find_it(cli_env, cli_store):
    """The job waits on a chip in maintenance; SIGINT stops the waiting, not the job."""
    import os
    import signal
    import subprocess
    import sys

    run("admin", "set-status", "ScQ-P18", "maintenance", "--database", cli_store)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kuafu.cli", "submit", str(BELL_FILE), "-b", "ScQ-P18",
             "--wait"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=os.environ.copy())
        first = proc.stderr.readline()
        while not first.startswith("submitted job"):
            assert first, proc.stderr.read()
            first = proc.stderr.readline()
        job_id = first.split()[2]
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
        assert proc.returncode == 130
        assert f"kuafu result {job_id}" in err and "Traceback" not in err
        assert json.loads(run("jobs", "--json").output)[0]["status"] == "queued"
    finally:
        run("admin", "set-status", "ScQ-P18", "online", "--database", cli_store)


def test_no_wait_on_a_job_says_where_it_is_never_none(cli_env, tmp_path):
    ids = json.loads(run("submit", str(BELL_FILE), "-b", "ScQ-P136", "--json").output)["ids"]
    out = run("result", ids[0], "--no-wait")
    assert "None" not in out.output
    assert out.exit_code == 0 or (out.exit_code == 3 and ("queued on" in out.stdout
                                                          or "running on" in out.stdout))
    assert "exit status is 3" in " ".join(run("result", "--help").output.split())


def test_compile_off_errors_name_the_chips_qubits(cli_env, tmp_path):
    path = tmp_path / "far.qasm"
    path.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[6];\ncreg c[6];\n'
                    "cz q[0],q[5];\nmeasure q -> c;\n")
    out = run("submit", str(path), "-b", "ScQ-P10", "--no-compile")
    assert out.exit_code == 2 and "Q1 and Q6" in out.output


def test_whoami_logout_and_the_hint_to_log_in(cli_env, cli_live, monkeypatch):
    me = run("whoami")
    assert me.exit_code == 0 and " (user) on " + cli_live.url in me.output
    token = cli_env["KUAFU_TOKEN"]
    monkeypatch.delenv("KUAFU_TOKEN")
    assert run("login", "--url", cli_live.url, "--token", token).exit_code == 0
    assert run("whoami").exit_code == 0
    out = run("logout")
    assert out.exit_code == 0 and "logged out" in out.output
    assert json.loads(Path(cli_env["KUAFU_CONFIG"]).read_text()) == {"url": cli_live.url}
    out = run("backends")
    assert out.exit_code == 2 and "kuafu login" in out.output
    assert "not logged in" in run("logout").output


def test_a_piped_token_logs_in_without_a_getpass_warning(cli_env, cli_live):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "KUAFU_TOKEN"}
    done = subprocess.run([sys.executable, "-m", "kuafu.cli", "login", "--url", cli_live.url],
                          input=cli_env["KUAFU_TOKEN"] + "\n", capture_output=True, text=True,
                          env=env, start_new_session=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr and "logged in" in done.stderr
    assert json.loads(Path(cli_env["KUAFU_CONFIG"]).read_text())["token"] == cli_env[
        "KUAFU_TOKEN"]


def test_admin_lists_disables_users_and_refuses_bad_names(cli_store, cli_live, monkeypatch):
    bad = CliRunner().invoke(main, ["admin", "create-user", "bad name!", "--database",
                                    cli_store])
    assert bad.exit_code != 0 and "invalid user name" in bad.output
    data = json.loads(run("admin", "create-user", "erin", "--database", cli_store,
                          "--json").output)
    listed = json.loads(run("admin", "list-users", "--database", cli_store, "--json").output)
    assert "bad name!" not in [u["name"] for u in listed]
    assert {u["name"]: u["disabled_at"] for u in listed}["erin"] is None
    assert "erin" in run("admin", "list-users", "--database", cli_store).output
    monkeypatch.setenv("KUAFU_URL", cli_live.url)
    monkeypatch.setenv("KUAFU_TOKEN", data["token"])
    assert run("whoami").exit_code == 0
    assert run("admin", "disable-user", "erin", "--database", cli_store).exit_code == 0
    import time

    time.sleep(2.1)  # another process changed the store: the server sees it within 2 s
    out = run("whoami")
    assert out.exit_code == 2 and "disabled" in out.output
    assert run("admin", "disable-user", "erin", "--enable", "--database",
               cli_store).exit_code == 0
    assert run("whoami").exit_code == 0


def test_serve_banner_names_the_console(cli_live):
    text = cli_live.log.read_text()
    assert f"{cli_live.url}/console" in text


def test_jobs_of_a_group_in_order_under_its_summary(cli_env, cli_live):
    """`kuafu jobs --group` shows a quafu-sdk job's tasks in their order, under what the
    group is and how far it has come."""
    import httpx

    rx = ('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ncreg c[1];\nrx({{t}}) q[0];\n'
          "measure q[0] -> c[0];\n")
    made = httpx.post(f"{cli_live.url}/api/v1/jobs", headers={
        "Authorization": f"Bearer {cli_env['KUAFU_TOKEN']}",
        "User-Agent": "quafu-sdk/0.2.7"}, json={
        "mode": "sweep", "target": "ScQ-P10-sim", "shots": 10, "template_qasm": rx,
        "parameters": [{"name": "t", "unit": "rad"}], "points": [[0.0], [1.0], [2.0]]})
    gid = made.json()["job_id"]
    listed = json.loads(run("jobs", "--group", gid, "--json").output)
    assert sorted(j["group_seq"] for j in listed) == [0, 1, 2]
    for job in listed:
        assert run("result", job["id"], "--json").exit_code == 0
    out = run("jobs", "--group", gid)
    assert out.exit_code == 0, out.output
    assert f"Group {gid}: sweep on ScQ-P10-sim" in out.output
    assert "done · 3 jobs: 3 done" in out.output
    rows = [line for line in out.output.splitlines() if "ScQ-P10-sim" in line
            and "│" in line]
    assert [row.split("│")[6].strip() for row in rows] == ["0", "1", "2"]
    assert "no jobs" in run("jobs", "--group", "nothing-here").output
