"""Disabling an account cancels its unfinished jobs, saying why, and frees their workers:
through the API (the scheduler stops them at once) and through `kuafu admin
disable-user` on the store (the running server notices within seconds). Real servers,
on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

from click.testing import CliRunner

from kuafu.cli.main import main
from kuafu.server.testing import create_user

from .conftest import BELL
from .test_api import api, wait_done
from .test_cancel import long_program, wait_status


def _long_jobs(c, n: int) -> list[str]:
    return c.post("/jobs", json={"qasm": [long_program()] * n, "backend": "ScQ-P18",
                                 "shots": 20_000}).json()["ids"]


def _a_bell_finishes(live, store) -> None:
    """Another user's Bell runs: the disabled user's work no longer holds the workers
    (each long job would hold one for minutes)."""
    with api(live, create_user(store)) as other:
        (bell,) = other.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10",
                                            "shots": 100}).json()["ids"]
        assert wait_done(other, bell, timeout=90)["status"] == "done"


def test_disabling_a_user_through_the_api_cancels_their_jobs(live, store, admin_token):
    name = f"gone-{uuid.uuid4().hex[:8]}"
    token = create_user(store, name)
    with api(live, token) as user, api(live, admin_token) as admin:
        ids = _long_jobs(user, 4)  # two workers: two run, two wait
        wait_status(user, ids[:2], "running")
        assert admin.post(f"/users/{name}/disable").json()["disabled"] is True
        assert user.get(f"/jobs/{ids[0]}").status_code == 401  # refused from now on

        _a_bell_finishes(live, store)
        (event,) = admin.get("/admin/audit", params={"action": "user.disable",
                                                     "subject": f"user {name}"}).json()
        assert event["details"]["jobs_cancelled"] == {"running": 2, "queued": 2}

        assert admin.post(f"/users/{name}/enable").json()["disabled"] is False
        jobs = [user.get(f"/jobs/{i}").json() for i in ids]
    assert [j["status"] for j in jobs] == ["cancelled"] * 4
    assert [j["error"] for j in jobs] == (
        ["account disabled: cancelled while running"] * 2
        + ["account disabled: cancelled before it started"] * 2)


def test_kuafu_admin_disable_user_cancels_their_jobs_on_a_running_server(
        live, store, admin_token):
    name = f"gone-{uuid.uuid4().hex[:8]}"
    token = create_user(store, name)
    with api(live, token) as user:
        ids = _long_jobs(user, 2)
        wait_status(user, ids, "running")
        out = CliRunner().invoke(main, ["admin", "disable-user", name, "--database", store])
        assert out.exit_code == 0, out.output
        assert "2 unfinished job(s) cancelled (account disabled)" in out.output
        _a_bell_finishes(live, store)  # the server stopped their computations

        CliRunner().invoke(main, ["admin", "disable-user", name, "--enable",
                                  "--database", store])
        jobs = [user.get(f"/jobs/{i}").json() for i in ids]
    assert [(j["status"], j["error"]) for j in jobs] == [
        ("cancelled", "account disabled: cancelled while running")] * 2
