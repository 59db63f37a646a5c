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
    assert data["role"] == "admin" and data["token"].startswith("kf_")
    monkeypatch.setenv("KUAFU_URL", cli_live.url)
    monkeypatch.setenv("KUAFU_TOKEN", data["token"])
    assert run("backends").exit_code == 0
    again = CliRunner().invoke(main, ["admin", "create-user", "carol", "--database", cli_store])
    assert again.exit_code != 0 and "exists" in again.output
