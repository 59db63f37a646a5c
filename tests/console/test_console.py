"""The web console in a real browser (headless Debian Chromium via Playwright) against a
real server: sign in, read the chips, compose and submit, follow a job to its result;
and the fences: other users' jobs, CSRF, admin pages.

Each page's screenshot is kept under docs/screenshots/ (desktop width, and the composer
at phone width).
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow  # a server and a browser: about half a minute together

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}

BELL_WITH_ERROR = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c[2];
h q[0];
cx q[0] q[1];
measure q -> c;
"""


def shoot(page, name: str) -> None:
    """Keep a screenshot of the page for the docs and the README."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def sign_in(browser, server, token: str, viewport=DESKTOP):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(f"{server.url}/console/login")
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/console/backends$"))
    return page


@pytest.fixture(scope="module")
def alice_page(browser, console_live, alice):
    page = sign_in(browser, console_live, alice)
    yield page
    page.context.close()


def test_sign_in_page_and_a_wrong_token(browser, console_live):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{console_live.url}/console/jobs")  # not signed in: sent to sign in
    assert "/console/login" in page.url
    shoot(page, "sign-in")
    page.get_by_label("API token").fill("kf_not-a-token")
    page.get_by_role("button", name="Sign in").click()
    assert "no such token" in page.locator("#login-error").inner_text()
    context.close()


@pytest.mark.parametrize("width", [1280, 1024, 390])
def test_the_backends_table_fits_the_page(browser, console_live, alice, width):
    """Seven backends and ten columns, no sideways scrolling: headings and times wrap;
    on a phone each backend is a card of labelled figures, the secondary ones (1q
    fidelity, readout, T1) left to the chip's page."""
    page = sign_in(browser, console_live, alice, viewport={"width": width, "height": 860})
    try:
        assert page.locator("#backends tbody tr").count() >= 7
        box = page.locator("#backends .scroll")
        overflow = box.evaluate("el => el.scrollWidth - el.clientWidth")
        assert overflow <= 0, f"the table is {overflow} px wider than the page at {width} px"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        compose = page.locator("tr[data-backend='ScQ-P136-sim'] a", has_text="Compose")
        assert compose.is_visible()
        assert page.locator("#backends th", has_text="T1").is_visible() == (width > 760)
        if width == 390:
            label = page.locator("tr[data-backend='ScQ-P10'] td:nth-of-type(5)").evaluate(
                "td => getComputedStyle(td, '::before').content")
            assert label == '"Median 2q fidelity: "'  # each figure labelled in its card
            shoot(page, "backends-phone")
    finally:
        page.context.close()


def test_backends_and_the_136_qubit_chip(alice_page, console_live):
    page = alice_page
    page.goto(f"{console_live.url}/console/backends")
    rows = page.locator("#backends tbody tr")
    # the ideal simulator, the three chips and each chip's emulator twin (`<chip>-sim`)
    assert rows.count() == 7
    assert page.locator("tr[data-backend='ScQ-P136'] .status").inner_text() == "online"
    shoot(page, "backends")
    page.get_by_role("link", name="ScQ-P136", exact=True).click()
    page.wait_for_url(re.compile(r"/console/backends/ScQ-P136$"))
    assert page.locator("svg.chip .qubit").count() == 136
    assert page.locator("svg.chip .coupler").count() == 247
    page.locator("svg.chip .qubit").nth(17).hover()
    detail = page.locator("#chip-detail").inner_text()
    assert "Q18" in detail and "T1" in detail and "Readout fidelity" in detail
    shoot(page, "chip")
    # sort the qubit table by T1, descending: the first row has the largest T1
    t1 = page.locator("#qubit-table thead button", has_text="T1")
    t1.click()
    t1.click()
    values = [float(v) for v in page.locator("#qubit-table tbody tr td:nth-child(2)")
              .evaluate_all("cells => cells.map(c => c.dataset.value)")]
    assert values == sorted(values, reverse=True) and len(values) == 136
    assert page.locator(".charts svg.chart").count() == 5


def test_compose_bell_fix_error_submit_and_read_histogram(alice_page, console_live):
    page = alice_page
    page.goto(f"{console_live.url}/console/composer")
    editor = page.get_by_label("OpenQASM 2.0 program")
    editor.fill(BELL_WITH_ERROR)  # `cx q[0] q[1]` lacks its comma
    status = page.locator("#qasm-status")
    status.filter(has_text="Line 6").wait_for()
    assert status.get_attribute("data-line") == "6"
    assert page.locator("#gutter .bad").inner_text() == "6"
    shoot(page, "composer-error")
    editor.fill(BELL_WITH_ERROR.replace("q[0] q[1]", "q[0],q[1]"))
    status.filter(has_text="2 qubits").wait_for()
    assert page.locator("#gutter .bad").count() == 0
    assert page.locator("#circuit svg.circuit .op").count() == 4  # h, cx, 2 measures
    page.get_by_label("Backend").select_option("ScQ-P10")
    page.get_by_label("Shots").fill("2000")
    page.get_by_label("Name (optional)").fill("bell-console")
    shoot(page, "composer")
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(re.compile(r"/console/jobs/[0-9a-f]{32}$"))
    page.locator("#job-status", has_text="done").wait_for(timeout=60_000)
    bars = page.locator("#histogram g.bar").evaluate_all(
        "bars => bars.map(b => [b.dataset.label, Number(b.dataset.value)])")
    ranked = sorted(bars, key=lambda bar: -bar[1])
    assert {ranked[0][0], ranked[1][0]} == {"00", "11"}
    assert sum(v for _, v in bars) == 2000
    assert page.locator("svg.chip .qubit.mapped").count() == 2
    shoot(page, "job")
    job_url = page.url

    csv = page.request.get(job_url + "/result.csv")
    assert csv.status == 200 and csv.text().startswith("bitstring,count,probability\n00,")
    data = page.request.get(job_url + "/result.json").json()
    assert data["status"] == "done" and sum(data["result"]["counts"].values()) == 2000

    page.goto(f"{console_live.url}/console/jobs?name=bell-console")
    assert page.locator("#jobs tbody tr").count() == 1
    assert page.locator("#jobs tbody .status").inner_text() == "done"
    shoot(page, "jobs")


def test_another_user_cannot_open_the_job(browser, console_live, alice, bob):
    # a job of alice's own (tests may run apart from the one that composes hers)
    answer = httpx.post(f"{console_live.url}/api/v1/jobs", timeout=60,
                        headers={"Authorization": f"Bearer {alice}"},
                        json={"qasm": 'OPENQASM 2.0;\nqreg q[1];\ncreg c[1];\n'
                                      'measure q -> c;\n', "backend": "ScQ-P10",
                              "shots": 10, "name": "alice-private"})
    assert answer.status_code == 201, answer.text
    job_url = f"{console_live.url}/console/jobs/{answer.json()['ids'][0]}"
    bob_page = sign_in(browser, console_live, bob)
    try:
        for url in (job_url, job_url + "/result.json", job_url + "/result.csv"):
            answer = bob_page.goto(url)
            assert answer.status == 404, url
        assert "no job" in bob_page.locator(".error").inner_text()
        # nor cancel it by form, even with bob's own CSRF token
        csrf = bob_page.locator('meta[name="csrf-token"]').get_attribute("content")
        posted = bob_page.request.post(job_url + "/cancel", form={"csrf_token": csrf},
                                       max_redirects=0)
        assert posted.status == 404
    finally:
        bob_page.context.close()


def test_forms_without_the_csrf_token_are_refused(alice_page, console_live):
    page = alice_page
    request = page.request  # carries alice's session cookie
    refused = request.post(f"{console_live.url}/console/account/tokens",
                           form={"name": "sneaky"}, max_redirects=0)
    assert refused.status == 403 and "CSRF" in refused.text()
    wrong = request.post(f"{console_live.url}/console/account/tokens",
                         form={"name": "sneaky", "csrf_token": "guess"}, max_redirects=0)
    assert wrong.status == 403
    sign_out = request.post(f"{console_live.url}/console/logout", max_redirects=0)
    assert sign_out.status == 403
    page.goto(f"{console_live.url}/console/account")
    assert "sneaky" not in page.locator("#token-table").inner_text()
    # the sign-in form too (login CSRF): a bare POST with a valid token is refused
    bare = httpx.post(f"{console_live.url}/console/login", data={"token": "kf_x"})
    assert bare.status_code == 403


def test_account_creates_a_token_shown_once_and_revokes_it(alice_page, console_live):
    page = alice_page
    page.goto(f"{console_live.url}/console/account")
    page.get_by_label("Name", exact=True).fill("laptop")
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("#new-token").inner_text()
    assert secret.startswith("qf_")
    api = httpx.get(f"{console_live.url}/api/v1/me",
                    headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200 and api.json()["name"] == "alice"
    shoot(page, "account")
    page.goto(f"{console_live.url}/console/account")
    assert secret not in page.content()  # shown once only
    row = page.locator("#token-table tr", has_text="laptop")
    page.once("dialog", lambda dialog: dialog.accept())  # "Revoke the token laptop?"
    row.get_by_role("button", name=re.compile("Revoke")).click()
    assert "revoked" in page.locator("#token-table tr", has_text="laptop").inner_text()
    api = httpx.get(f"{console_live.url}/api/v1/me",
                    headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 401


def test_non_admin_cannot_reach_admin_pages(alice_page, console_live):
    page = alice_page
    answer = page.goto(f"{console_live.url}/console/admin")
    assert answer.status == 403
    assert page.get_by_role("link", name="Admin").count() == 0
    posted = page.request.post(
        f"{console_live.url}/console/admin/backends/ScQ-P18/status", max_redirects=0,
        form={"status": "offline",
              "csrf_token": page.locator('meta[name="csrf-token"]').get_attribute("content")})
    assert posted.status == 403
    page.goto(f"{console_live.url}/console/backends")
    assert page.locator("tr[data-backend='ScQ-P18'] .status").inner_text() == "online"


def test_admin_sets_a_backend_to_maintenance(browser, console_live, root):
    page = sign_in(browser, console_live, root)
    try:
        page.get_by_role("link", name="Admin").click()
        row = page.locator("#admin-backends tr[data-backend='ScQ-P18']")
        row.get_by_label("New status of ScQ-P18").select_option("maintenance")
        row.get_by_label("Reason").fill("recalibration")
        row.get_by_role("button", name="Set").click()
        page.wait_for_url(re.compile(r"/console/admin$"))
        row = page.locator("#admin-backends tr[data-backend='ScQ-P18']")
        assert row.locator(".status").inner_text() == "maintenance"
        assert "recalibration" in row.inner_text()
        shoot(page, "admin")
        page.goto(f"{console_live.url}/console/backends")
        assert page.locator("tr[data-backend='ScQ-P18'] .status").inner_text() == "maintenance"
        # a job sent there waits in the queue (maintenance holds it) and can be cancelled
        page.goto(f"{console_live.url}/console/composer?backend=ScQ-P18")
        page.get_by_role("button", name="Submit").click()
        page.wait_for_url(re.compile(r"/console/jobs/[0-9a-f]{32}$"))
        assert page.locator("#job-status").inner_text() == "queued"
        page.once("dialog", lambda dialog: dialog.accept())  # "Cancel job …?"
        page.get_by_role("button", name="Cancel job").click()
        page.locator("#job-status", has_text="cancelled").wait_for()
        assert "cancelled by the user before it started" in page.locator("#job-live").inner_text()
        with httpx.Client(base_url=f"{console_live.url}/api/v1",
                          headers={"Authorization": f"Bearer {root}"}) as api:
            assert {b["name"]: b["status"] for b in api.get("/backends").json()}[
                "ScQ-P18"] == "maintenance"
            api.put("/backends/ScQ-P18/status", json={"status": "online"})
    finally:
        page.context.close()


def test_phone_width_composer(browser, console_live, alice):
    page = sign_in(browser, console_live, alice, viewport=PHONE)
    try:
        page.goto(f"{console_live.url}/console/composer?example=GHZ")
        page.locator("#qasm-status", has_text="5 qubits").wait_for()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]  # nothing forces sideways scrolling of the page
        shoot(page, "composer-phone")
    finally:
        page.context.close()
