"""The console's side of issue 18 in Chromium: tags and date filters, export of a filter
result, delete with confirmation, exact replay, the retention note; a chip's unusable
parts and its 30-day calibration history (screenshot docs/screenshots/calibration-history.png)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from helpers import BELL
from kuafu.server.core.config import Settings
from kuafu.server.core.db import Database
from kuafu.server.services import calibration
from kuafu.server.testing import LiveServer, create_user, store_url

from .test_console import shoot, sign_in

pytestmark = pytest.mark.slow



@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A server of its own (its chips get recalibrations and marks), a user, an admin."""
    gen = store_url("sqlite", tmp_path_factory)
    url = next(gen)
    log = tmp_path_factory.mktemp("logs") / "jobdata-console.log"
    with LiveServer(url, workers=1, log=log) as server:
        yield server, url, create_user(url, "carol"), create_user(url, "root18", admin=True)
    next(gen, None)


def api(server, token) -> httpx.Client:
    return httpx.Client(base_url=f"{server.url}/api/v1", timeout=60,
                        headers={"Authorization": f"Bearer {token}"})


def finish(http: httpx.Client, job_id: str) -> dict:
    for _ in range(120):
        job = http.get(f"/jobs/{job_id}", params={"wait": 5}).json()
        if job["status"] in ("done", "failed", "cancelled"):
            return job
    raise AssertionError(job_id)


def test_filter_export_delete_and_replay(browser, world):
    server, _url, carol, _root = world
    with api(server, carol) as http:
        ids = [http.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10", "shots": 100,
                                        "tags": ["paper", f"run{i}"], "name": f"bell-{i}"})
               .json()["ids"][0] for i in range(3)]
        for i in ids:
            finish(http, i)
    page = sign_in(browser, server, carol)
    today = datetime.now(UTC).date()
    page.goto(f"{server.url}/console/jobs?tag=paper&since={today}")
    assert page.locator("#jobs tbody tr").count() == 3
    assert page.locator("#jobs tbody tr .tag", has_text="run1").count() == 1
    href = page.locator("#export-link").get_attribute("href")
    assert "tag=paper" in href
    archive = page.request.get(server.url + href)
    assert archive.status == 200 and archive.body()[:2] == b"PK"
    page.goto(f"{server.url}/console/jobs?tag=paper&until={today - timedelta(days=1)}")
    assert page.locator("#jobs tbody tr").count() == 0
    # delete one, confirming the dialog
    page.goto(f"{server.url}/console/jobs?tag=paper")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"tr[data-job='{ids[0]}'] input[type=checkbox]").check()
    page.locator("#delete-selected").click()
    page.wait_for_url(re.compile(r"/console/jobs$"))
    assert page.locator(f"tr[data-job='{ids[0]}']").count() == 0
    # dismissing the dialog deletes nothing
    page.goto(f"{server.url}/console/jobs/{ids[1]}")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.locator("#delete-button").click()
    assert page.url.endswith(f"/console/jobs/{ids[1]}")
    # replay
    page.locator("#replay-button").click()
    page.wait_for_url(re.compile(r"/console/jobs/[0-9a-f]{32}$"))
    assert ids[1][:12] in page.locator("#replay-of").inner_text()
    page.wait_for_selector("#job-status:text('done')", timeout=60000)
    page.reload()
    assert page.locator("#replay-verdict").inner_text() == "Bit-identical counts."
    shoot(page, "job-replay")
    page.context.close()


def test_unusable_parts_and_calibration_history(browser, world):
    server, url, carol, root = world
    db = Database(url)
    settings = Settings(database_url=url)
    now = datetime.now(UTC)
    with db.transaction() as session:  # a month of daily recalibrations at 06:00
        for d in range(30, 0, -1):
            start = (now - timedelta(days=d)).replace(hour=6, minute=0, second=0,
                                                       microsecond=0)
            calibration._record(session, settings, "ScQ-P10", start,
                                start + timedelta(minutes=10), "scheduled", None)
    db.dispose()
    with api(server, root) as ops:
        r = ops.put("/backends/ScQ-P10/faults", json={"qubits": ["Q4"],
                                                      "couplers": [["Q7", "Q8"]]})
        assert r.status_code == 200, r.text
    page = sign_in(browser, server, carol)
    page.goto(f"{server.url}/console/backends/ScQ-P10")
    assert page.locator("svg.chip .qubit.unusable").count() == 1
    assert page.locator("svg.chip line.unusable").count() == 1
    assert "Q4" in page.locator("#unusable-note").inner_text()
    page.locator("#history-link").click()
    page.wait_for_url(re.compile(r"/history$"))
    assert page.locator("svg.timeline").count() == 5
    assert page.locator("svg.timeline").first.locator("line.recal").count() >= 29
    assert page.locator("#snapshot-table tbody tr").count() == 20
    page.select_option("#h-qubit", "Q3")
    page.get_by_role("button", name="Draw").click()
    page.wait_for_url(re.compile(r"qubit=Q3"))
    time.sleep(0.2)
    shoot(page, "calibration-history")
    page.context.close()
    with api(server, root) as ops:
        ops.put("/backends/ScQ-P10/faults", json={})
