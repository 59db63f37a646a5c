"""`kuafu projects ...` and `kuafu submit --project` against a live server."""

from __future__ import annotations

import json
import uuid

from click.testing import CliRunner

from kuafu import qasm
from kuafu.cli import main
from kuafu.cli.demo import bell
from kuafu.server.testing import create_user


def run(*args: str, token: str | None = None):
    env = {"KUAFU_TOKEN": token} if token else None
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_projects_administration_submission_usage_and_estimate(cli_env, cli_store, tmp_path):
    admin = create_user(cli_store, admin=True)
    student = f"student-{uuid.uuid4().hex[:6]}"
    student_token = create_user(cli_store, student)
    course = f"qc101-{uuid.uuid4().hex[:4]}"
    out = run("projects", "create", course, "--shots", "2000", "--backend", "ScQ-P10",
              "--title", "Quantum computing 101", token=admin)
    assert out.exit_code == 0 and "2000 shots" in out.output, out.output
    assert run("projects", "add-member", course, student, token=admin).exit_code == 0
    listed = run("projects", "list", token=student_token)
    assert course in listed.output and f"~{student}" in listed.output
    path = tmp_path / "bell.qasm"
    path.write_text(qasm.dumps(bell()))
    estimate = run("projects", "estimate", str(path), "-b", "ScQ-P10", "--shots", "1500",
                   "--project", course, token=student_token)
    assert "shots left after: 500 of 2000" in estimate.output, estimate.output
    out = run("submit", str(path), "-b", "ScQ-P10", "--shots", "1500", "--project", course,
              "--wait", token=student_token)
    assert out.exit_code == 0, out.output
    refused = run("submit", str(path), "-b", "ScQ-P10", "--shots", "1000", "--project",
                  course, token=student_token)
    assert refused.exit_code == 2
    assert "used 1500 of its 2000 shots" in refused.output
    refused = run("submit", str(path), "-b", "ScQ-P18", "--shots", "10", "--project",
                  course, token=student_token)
    assert refused.exit_code == 2 and "may not use ScQ-P18" in refused.output
    # a member may not raise the allocation; the administrator may
    denied = run("projects", "set", course, "--shots", "999999", token=student_token)
    assert denied.exit_code == 2 and "administrator" in denied.output
    assert run("projects", "set", course, "--shots", "none", token=admin).exit_code == 0
    shown = json.loads(run("projects", "show", course, "--json", token=student_token).output)
    assert shown["shots_allocation"] is None and shown["usage"]["shots"] == 1500
    csv = run("projects", "usage", "--project", course, "--csv", token=admin).output
    assert csv.splitlines()[0] == "day,backend,project,user,jobs,shots,chip_seconds"
    assert f",ScQ-P10,{course},{student},1,1500," in csv
    mine = run("projects", "usage", token=student_token)
    assert "total: 1 jobs, 1500 shots" in mine.output


def test_sessions_reservations_and_webhooks_from_the_command_line(cli_env, cli_store,
                                                                  tmp_path):
    admin = create_user(cli_store, admin=True)
    owner = f"own-{uuid.uuid4().hex[:6]}"
    owner_token = create_user(cli_store, owner)
    lab = f"lab-{uuid.uuid4().hex[:4]}"
    assert run("projects", "create", lab, "--owner", owner, token=admin).exit_code == 0
    out = run("reservations", "create", "-b", "ScQ-P18", "--project", lab, "--start",
              "2030-01-07T10:00", "--end", "2030-01-07T12:00", "--reason", "class",
              token=admin)
    assert out.exit_code == 0 and "ScQ-P18 for " + lab in out.output, out.output
    rid = out.output.split()[1].rstrip(":")
    listed = json.loads(run("reservations", "list", "--json", token=owner_token).output)
    assert any(r["project"] == lab and r["reason"] == "class" for r in listed)
    assert run("reservations", "create", "-b", "ScQ-P18", "--project", lab, "--start",
               "2030-01-07T11:00", "--end", "2030-01-07T13:00",
               token=admin).exit_code == 2  # overlaps
    assert run("reservations", "cancel", rid, token=owner_token).exit_code == 2  # admins
    assert run("reservations", "cancel", rid, token=admin).exit_code == 0
    sid = run("sessions", "open", "-b", "ScQ-P10", "--project", lab,
              token=owner_token).output.strip()
    path = tmp_path / "bell.qasm"
    path.write_text(qasm.dumps(bell()))
    out = run("submit", str(path), "-b", "ScQ-P10", "--shots", "100", "--session", sid,
              "--wait", token=owner_token)
    assert out.exit_code == 0, out.output
    shown = run("sessions", "show", sid, token=owner_token).output
    assert f"for {lab}: open; 1 jobs" in shown
    assert "closed" in run("sessions", "close", sid, token=owner_token).output
    out = run("webhooks", "create", "http://127.0.0.1:9/hook", "--event", "job.ended",
              token=owner_token)
    assert "secret (shown once): whsec_" in out.output
    hooks = json.loads(run("webhooks", "list", "--json", token=owner_token).output)
    assert [h["events"] for h in hooks] == [["job.ended"]]
    assert run("webhooks", "delete", str(hooks[0]["id"]), token=owner_token).exit_code == 0
