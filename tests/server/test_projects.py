"""Projects over HTTP (SQLite and PostgreSQL): personal projects, charging, allocation
and backend refusals, roles, who may read and change what, usage and estimates."""

from __future__ import annotations

import uuid

from kuafu.server.testing import create_user

from .conftest import BELL
from .test_api import api, wait_done


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def _users(store, *prefixes):
    names = [_name(p) for p in prefixes]
    return names, [create_user(store, n) for n in names]


def test_every_user_has_a_personal_default_project_and_jobs_are_charged_to_it(live, store):
    (name,), (token,) = _users(store, "solo")
    with api(live, token) as c:
        mine = c.get("/projects").json()
        assert [(p["name"], p["personal"], p["role"], p["default"]) for p in mine] == [
            (f"~{name}", True, "owner", True)]
        job_id = c.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10",
                                       "shots": 1000}).json()["ids"][0]
        job = wait_done(c, job_id)
        assert job["project"] == f"~{name}"
        usage = c.get(f"/projects/~{name}").json()["usage"]
        assert usage["jobs"] == 1 and usage["shots"] == 1000
        assert 0.1 < usage["chip_seconds"] < 0.11  # 100 us repetition + circuit + readout


def test_allocation_and_backends_refuse_with_a_clear_4xx(live, store, admin_token):
    (owner, member), (owner_token, member_token) = _users(store, "own", "mem")
    project = _name("course")
    with api(live, admin_token) as admin, api(live, member_token) as m:
        r = admin.post("/projects", json={"name": project, "shots_allocation": 1500,
                                          "backends": ["ScQ-P10", "ScQ-P18"],
                                          "owner": owner})
        assert r.status_code == 201, r.text
        with api(live, owner_token) as o:
            assert o.post(f"/projects/{project}/members",
                          json={"user": member}).status_code == 201
        job = {"qasm": BELL, "backend": "ScQ-P10", "shots": 1000, "project": project}
        assert m.post("/jobs", json=job).status_code == 201
        r = m.post("/jobs", json=job)
        assert r.status_code == 429 and r.json()["code"] == "allocation_exceeded"
        assert "used 1000 of its 1500 shots in the last 28 days" in r.json()["detail"]
        r = m.post("/jobs", json={**job, "shots": 10, "backend": "ScQ-P136"})
        assert r.status_code == 403 and r.json()["code"] == "backend_not_allowed"
        assert "may use ScQ-P10, ScQ-P18" in r.json()["detail"]
        # the estimate says the same before submitting
        e = m.post("/estimate", json=job).json()
        assert e["allowed"] is False and e["shots_left_after"] == -500
        assert "1500 shots" in e["reason"]
        ok = m.post("/estimate", json={**job, "shots": 400}).json()
        assert ok["allowed"] and ok["shots_left_after"] == 100 and ok["chip_seconds"] > 0.04
        # a project that is not yours
        r = m.post("/jobs", json={**job, "project": "nope"})
        assert r.status_code == 404 and r.json()["code"] == "unknown_project"
        # the admin raises the allocation: the job is taken
        assert admin.patch(f"/projects/{project}",
                           json={"shots_allocation": 5000}).status_code == 200
        assert m.post("/jobs", json=job).status_code == 201


def test_default_project_is_used_when_none_is_named(live, store, admin_token):
    (user,), (token,) = _users(store, "def")
    project = _name("group")
    with api(live, admin_token) as admin, api(live, token) as c:
        admin.post("/projects", json={"name": project})
        admin.post(f"/projects/{project}/members", json={"user": user})
        assert c.post(f"/projects/{project}/default").status_code == 200
        job_id = c.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10",
                                       "shots": 10}).json()["ids"][0]
        assert c.get(f"/jobs/{job_id}").json()["project"] == project
        defaults = {p["name"]: p["default"] for p in c.get("/projects").json()}
        assert defaults == {project: True, f"~{user}": False}
        wait_done(c, job_id)


def test_members_cannot_change_allocations_or_read_other_projects(live, store, admin_token):
    (owner, member, outsider), tokens = _users(store, "o", "m", "x")
    owner_token, member_token, outsider_token = tokens
    project, other = _name("lab"), _name("other")
    with api(live, admin_token) as admin:
        admin.post("/projects", json={"name": project, "owner": owner,
                                      "shots_allocation": 100000})
        admin.post("/projects", json={"name": other, "owner": outsider})
    with api(live, owner_token) as o, api(live, member_token) as m, \
            api(live, outsider_token) as x:
        o.post(f"/projects/{project}/members", json={"user": member})
        job_id = m.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10", "shots": 10,
                                       "project": project}).json()["ids"][0]
        # a member cannot change an allocation; an owner neither (administrators do)
        for client in (m, o):
            r = client.patch(f"/projects/{project}", json={"shots_allocation": 10**9})
            assert r.status_code == 403, r.text
        assert m.post(f"/projects/{project}/members",
                      json={"user": outsider}).status_code == 403
        assert o.patch(f"/projects/{project}", json={"title": "Lab"}).status_code == 200
        # another project's members see neither the project, its jobs, nor the job
        assert x.get(f"/projects/{project}").status_code == 404
        assert x.get(f"/projects/{project}/jobs").status_code == 404
        assert x.get(f"/projects/{project}/usage").status_code == 404
        assert x.get(f"/jobs/{job_id}").status_code == 404
        assert x.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10", "shots": 10,
                                     "project": project}).status_code == 404
        # the owner sees every member's jobs, a member their own
        assert [j["id"] for j in o.get(f"/projects/{project}/jobs").json()["items"]] == [
            job_id]
        assert [j["id"] for j in m.get(f"/projects/{project}/jobs").json()["items"]] == [
            job_id]
        assert m.get(f"/projects/{other}").status_code == 404
        # only administrators create projects or read everyone's usage
        assert m.post("/projects", json={"name": _name("mine")}).status_code == 403
        assert m.get("/usage", params={"all": True}).status_code == 403
        wait_done(m, job_id)


def test_usage_report_by_day_backend_project_and_user_as_json_and_csv(live, store,
                                                                      admin_token):
    (owner, member), (owner_token, member_token) = _users(store, "uo", "um")
    project = _name("usage")
    with api(live, admin_token) as admin:
        admin.post("/projects", json={"name": project, "owner": owner})
    with api(live, owner_token) as o, api(live, member_token) as m:
        o.post(f"/projects/{project}/members", json={"user": member})
        ids = [c.post("/jobs", json={"qasm": [BELL] * n, "backend": b, "shots": 100,
                                     "project": project}).json()["ids"]
               for c, n, b in ((o, 2, "ScQ-P10"), (m, 1, "ScQ-P18"))]
        for job_id in ids[0]:
            wait_done(o, job_id)
        wait_done(m, ids[1][0])
        report = o.get(f"/projects/{project}/usage").json()
        rows = {(r["backend"], r["user"]): (r["jobs"], r["shots"]) for r in report["rows"]}
        assert rows == {("ScQ-P10", owner): (2, 200), ("ScQ-P18", member): (1, 100)}
        assert report["total"]["jobs"] == 3
        mine = m.get(f"/projects/{project}/usage").json()  # a member: their own rows
        assert [(r["user"], r["jobs"]) for r in mine["rows"]] == [(member, 1)]
        csv = o.get(f"/projects/{project}/usage", params={"format": "csv"})
        assert csv.headers["content-type"].startswith("text/csv")
        lines = csv.text.strip().splitlines()
        assert lines[0] == "day,backend,project,user,jobs,shots,chip_seconds"
        assert len(lines) == 3 and f",ScQ-P10,{project},{owner},2,200," in lines[1]
        personal = m.get("/usage").json()
        assert {r["project"] for r in personal["rows"]} == {project}
        assert o.get(f"/projects/{project}/usage",
                     params={"start": "2026-02-01", "end": "2026-01-01"}).status_code == 400


def test_an_owner_invites_a_new_user_into_the_project(live, store, admin_token):
    from kuafu.server.core.db import Database
    from kuafu.server.services import accounts, identity

    (owner, member), (owner_token, member_token) = _users(store, "io", "im")
    project = _name("invited")
    with api(live, admin_token) as admin:
        admin.post("/projects", json={"name": project, "owner": owner})
    with api(live, owner_token) as o, api(live, member_token) as m:
        o.post(f"/projects/{project}/members", json={"user": member})
        r = m.post(f"/projects/{project}/invitations", json={})
        assert r.status_code == 403  # members do not invite
        r = o.post(f"/projects/{project}/invitations", json={"email": "new@lab.example"})
        assert r.status_code == 201, r.text
        code = r.json()["url"].split("code=", 1)[1]
    newcomer = _name("new")
    db = Database(store)
    try:
        with db.transaction() as session:
            user = identity.accept_invitation(session, code, newcomer, None,
                                              "a long enough password 1")
            _row, token = accounts.create_token(session, user, "t")
    finally:
        db.dispose()
    with api(live, token) as n:
        mine = {p["name"]: (p["role"], p["default"]) for p in n.get("/projects").json()}
        assert mine == {project: ("member", True), f"~{newcomer}": ("owner", False)}


def test_deleting_a_project_keeps_its_jobs(live, store, admin_token):
    (owner,), (token,) = _users(store, "del")
    project = _name("gone")
    with api(live, admin_token) as admin, api(live, token) as c:
        admin.post("/projects", json={"name": project, "owner": owner})
        assert c.delete(f"/projects/{project}").status_code == 403  # owners do not
        job_id = c.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10", "shots": 10,
                                       "project": project}).json()["ids"][0]
        wait_done(c, job_id)
        assert admin.delete(f"/projects/{project}").status_code == 204
        assert admin.delete(f"/projects/~{owner}").status_code == 409  # personal
        job = c.get(f"/jobs/{job_id}").json()
        assert job["status"] == "done" and job["project"] is None
        assert c.get(f"/projects/{project}").status_code == 404
        later = c.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10",
                                      "shots": 10}).json()["ids"][0]
        assert wait_done(c, later)["project"] == f"~{owner}"


def test_concurrent_submissions_do_not_pass_the_allocation_together(live, store,
                                                                     admin_token):
    from concurrent.futures import ThreadPoolExecutor

    (owner,), (token,) = _users(store, "race")
    project = _name("race")
    with api(live, admin_token) as admin:
        admin.post("/projects", json={"name": project, "owner": owner,
                                      "shots_allocation": 3000})
    job = {"qasm": BELL, "backend": "ScQ-P10", "shots": 1000, "project": project}

    def submit(_):
        with api(live, token) as c:
            return c.post("/jobs", json=job).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(submit, range(8)))
    assert sorted(codes) == [201] * 3 + [429] * 5, codes
    with api(live, token) as c:
        assert c.get(f"/projects/{project}").json()["usage"]["shots"] == 3000
        for j in c.get(f"/projects/{project}/jobs").json()["items"]:
            wait_done(c, j["id"])
