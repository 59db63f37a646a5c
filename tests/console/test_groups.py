"""The console's view of a group (plain HTTP): the jobs list filtered by a quafu-sdk
job's id says what the group is, and a job page links to its group's jobs."""

from __future__ import annotations

import html

import httpx

from .test_access import signed_in

RX = ('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ncreg c[1];\nrx({{t}}) q[0];\n'
      "measure q[0] -> c[0];\n")


def test_group_summary_and_link_from_a_job(console_live, alice):
    made = httpx.post(f"{console_live.url}/api/v1/jobs", headers={
        "Authorization": f"Bearer {alice}", "User-Agent": "quafu-sdk/0.2.7"}, json={
        "mode": "sweep", "target": "sim", "shots": 5, "name": "rabi", "template_qasm": RX,
        "parameters": [{"name": "t", "unit": "rad"}], "points": [[0.0], [1.0]]}).json()
    gid = made["job_id"]
    client = signed_in(console_live, alice)
    page = html.unescape(client.get("/console/jobs", params={"group": gid}).text)
    assert 'id="group-summary"' in page and "sweep on sim (rabi)" in page
    assert "2 jobs:" in page and page.count(f'href="/console/jobs?group={gid}"') == 2
    job_id = httpx.get(f"{console_live.url}/api/v1/jobs", params={"group": gid},
                       headers={"Authorization": f"Bearer {alice}"}).json()["items"][0]["id"]
    job_page = client.get(f"/console/jobs/{job_id}").text
    assert f'href="/console/jobs?group={gid}" id="group-link"' in job_page
    nothing = client.get("/console/jobs", params={"group": "no-such"}).text
    assert 'id="group-summary"' not in nothing
