"""Project administration, the reservation calendar and the usage page in a real browser
(issue 17), with their screenshots in docs/screenshots/."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from helpers import BELL

from .test_console import shoot, sign_in

pytestmark = pytest.mark.slow  # a server and a browser


@pytest.fixture(scope="module")
def course(console_live, root, alice) -> str:
    return f"qc101-{uuid.uuid4().hex[:4]}"


def test_an_administrator_creates_a_project_and_its_owner_adds_a_member(
        browser, console_live, root, alice, bob, course):
    page = sign_in(browser, console_live, root)
    page.goto(f"{console_live.url}/console/projects")
    form = page.locator("#project-form")
    form.get_by_label("Name (letters, digits, . _ -)").fill(course)
    form.get_by_label("Title").fill("Quantum computing 101")
    form.get_by_label("Shots per 28 days (empty: unlimited)").fill("50000")
    form.get_by_label("Owner (a user name)").fill("alice")
    form.get_by_label("ScQ-P10", exact=True).check()
    form.get_by_label("ScQ-P18", exact=True).check()
    form.get_by_role("button", name="Create project").click()
    page.wait_for_url(re.compile(rf"/console/projects/{course}$"))
    assert f"Project {course} created." in page.locator("#project-notice").inner_text()
    assert page.locator("#project-backends").inner_text() == "ScQ-P10, ScQ-P18"
    # the administrator raises the allocation
    page.get_by_label("Shots per 28 days (empty: unlimited)").fill("80000")
    page.get_by_role("button", name="Save allocation").click()
    assert "of 80000" in page.locator("#shots-used").inner_text()
    page.context.close()
    # the owner adds bob; the owner sees no allocation form
    page = sign_in(browser, console_live, alice)
    page.goto(f"{console_live.url}/console/projects/{course}")
    assert page.locator("#allocation-form").count() == 0
    page.get_by_label("User", exact=True).fill("bob")
    page.get_by_role("button", name="Add member").click()
    assert "bob is now member" in page.locator("#project-notice").inner_text()
    assert page.locator("tr[data-member=bob]").count() == 1
    page.get_by_role("button", name="Make invitation link").click()
    assert "/console/invite?code=" in page.locator("#invite-link").inner_text()
    shoot(page, "project")
    page.goto(f"{console_live.url}/console/projects")
    assert page.locator(f"tr[data-project={course}]").count() == 1
    shoot(page, "projects")
    page.context.close()


def test_a_member_cannot_change_the_allocation(browser, console_live, bob, course):
    page = sign_in(browser, console_live, bob)
    page.goto(f"{console_live.url}/console/projects/{course}")
    assert page.locator("#allocation-form").count() == 0
    assert page.locator("#member-form").count() == 0
    csrf = page.locator("meta[name=csrf-token]").get_attribute("content")
    status = page.evaluate("""async ([url, csrf]) => {
        const body = new URLSearchParams({shots: "999999999", csrf_token: csrf});
        const r = await fetch(url, {method: "POST", body});
        return r.status; }""", [f"/console/projects/{course}/allocation", csrf])
    assert status == 403
    no_csrf = page.evaluate("""async (url) => {
        const r = await fetch(url, {method: "POST", body: new URLSearchParams({user: "x"})});
        return r.status; }""", f"/console/projects/{course}/members")
    assert no_csrf == 403
    answer = page.goto(f"{console_live.url}/console/projects/~alice")
    assert answer.status == 404  # another user's project: not found
    page.context.close()


def test_the_calendar_shows_reservations_and_maintenance(browser, console_live, root, course):
    page = sign_in(browser, console_live, root)
    page.goto(f"{console_live.url}/console/calendar")
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date()
    form = page.locator("#reservation-form")
    form.get_by_label("Chip").select_option("ScQ-P18")
    form.get_by_label("Project").select_option(course)
    form.get_by_label("From (UTC)").fill(f"{tomorrow}T10:00")
    form.get_by_label("To (UTC)").fill(f"{tomorrow}T12:00")
    form.get_by_label("Reason").fill("lab class")
    form.get_by_role("button", name="Reserve").click()
    page.wait_for_url(re.compile(r"/console/calendar$"))
    assert "ScQ-P18 reserved for" in page.locator("#calendar-notice").inner_text()
    row = page.locator("#calendar tbody tr", has=page.get_by_role("rowheader",
                                                                   name="ScQ-P18", exact=True))
    assert course in row.inner_text()
    # an overlapping booking is refused with the reason
    form = page.locator("#reservation-form")
    form.get_by_label("Chip").select_option("ScQ-P18")
    form.get_by_label("Project").select_option(course)
    form.get_by_label("From (UTC)").fill(f"{tomorrow}T11:00")
    form.get_by_label("To (UTC)").fill(f"{tomorrow}T13:00")
    form.get_by_role("button", name="Reserve").click()
    assert "is reserved already" in page.locator("#calendar-error").inner_text()
    with httpx.Client(base_url=f"{console_live.url}/api/v1",
                      headers={"Authorization": f"Bearer {root}"}) as api:
        api.put("/backends/ScQ-P136/status", json={
            "status": "maintenance", "reason": "recalibrating couplers",
            "until": (datetime.now(UTC) + timedelta(days=2)).isoformat()})
        try:
            page.goto(f"{console_live.url}/console/calendar")
            assert "recalibrating couplers" in page.locator("#maintenance-list").inner_text()
            shoot(page, "calendar")
        finally:
            api.put("/backends/ScQ-P136/status", json={"status": "online"})
    page.context.close()


def test_the_usage_page_reports_by_day_backend_and_project(browser, console_live, alice,
                                                           course):
    with httpx.Client(base_url=f"{console_live.url}/api/v1", timeout=60,
                      headers={"Authorization": f"Bearer {alice}"}) as api:
        ids = api.post("/jobs", json={"qasm": [BELL] * 2, "backend": "ScQ-P10",
                                      "shots": 500, "project": course}).json()["ids"]
        for job_id in ids:
            api.get(f"/jobs/{job_id}", params={"wait": 30})
    page = sign_in(browser, console_live, alice)
    page.goto(f"{console_live.url}/console/usage?project={course}")
    total = page.locator("#usage-total").inner_text()
    assert "2 jobs, 1000 shots" in total
    rows = page.locator("#usage-table tbody tr")
    assert course in rows.first.inner_text() and "ScQ-P10" in rows.first.inner_text()
    shoot(page, "usage")
    with page.expect_download() as download:
        page.locator("#usage-csv").click()
    text = Path(download.value.path()).read_text()
    assert text.splitlines()[0] == "day,backend,project,user,jobs,shots,chip_seconds"
    assert f",ScQ-P10,{course},alice,2,1000," in text
    page.context.close()


def test_webhooks_page_shows_the_secret_once_and_the_deliveries(browser, console_live, bob):
    from server.test_webhooks import Receiver

    with Receiver() as receiver:
        page = sign_in(browser, console_live, bob)
        page.goto(f"{console_live.url}/console/webhooks")
        page.get_by_label("URL (http or https)").fill(receiver.url)
        page.get_by_role("button", name="Add webhook").click()
        page.wait_for_url(re.compile(r"/console/webhooks$"))
        assert page.locator("#webhook-secret").inner_text().startswith("whsec_")
        with httpx.Client(base_url=f"{console_live.url}/api/v1", timeout=60,
                          headers={"Authorization": f"Bearer {bob}"}) as api:
            job_id = api.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10",
                                             "shots": 10}).json()["ids"][0]
            api.get(f"/jobs/{job_id}", params={"wait": 30})
            for _ in range(100):
                if receiver.requests:
                    break
                page.wait_for_timeout(100)
        for _ in range(60):  # the page shows what the store holds when it is read
            page.reload()
            row = page.locator("#delivery-table tbody tr").first
            if "delivered" in row.inner_text():
                break
            page.wait_for_timeout(250)
        assert page.locator("#webhook-secret").count() == 0  # shown once
        assert "job.ended" in row.inner_text() and "delivered" in row.inner_text()
        shoot(page, "webhooks")
        page.context.close()
