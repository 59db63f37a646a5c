"""What a new user tripped over in the console (issue 21), each in a real browser against
a real server: the API docs offline, the histogram of many outcomes, circuit labels and
conditions, tokens shown once after a redirect, signing out by revoking, confirmations,
a 404 page, the icon, times in UTC, previous pages, the quota bar, CRLF programs, and a
chip's maintenance reason wherever one picks a chip or waits on it."""

from __future__ import annotations

import itertools
import re

import httpx
import pytest

from kuafu.server.testing import create_user

from .test_console import DESKTOP, sign_in

pytestmark = pytest.mark.slow

MANY_OUTCOMES = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[8];
creg c[8];
h q;
measure q -> c;
"""
CONDITIONAL = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[3];
creg c[1];
u3(0.134364244112,1.2345678901,pi/2) q[0];
rz(0.2345678901234) q[1];
measure q[0] -> c[0];
if(c==1) x q[2];
"""


def _api(server, token: str) -> httpx.Client:
    return httpx.Client(base_url=f"{server.url}/api/v1", timeout=60,
                        headers={"Authorization": f"Bearer {token}"})


@pytest.fixture()
def user_page(browser, console_live, console_store):
    """A fresh user (their own tokens and jobs) signed in; yields (page, token)."""
    token = create_user(console_store)
    page = sign_in(browser, console_live, token)
    yield page, token
    page.context.close()


# ----- item 5: the API docs without internet ----------------------------------------------
def test_api_docs_render_operations_offline(browser, console_live):
    context = browser.new_context(viewport=DESKTOP)
    outside: list[str] = []

    def only_the_server(route):
        if route.request.url.startswith(console_live.url):
            route.continue_()
        else:  # no network: anything from elsewhere (a CDN) fails
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_server)
    page = context.new_page()
    try:
        page.goto(f"{console_live.url}/console/login")
        page.get_by_role("link", name="API").click()  # the footer of every console page
        page.wait_for_url(re.compile(r"/api/v1/docs$"))
        page.locator(".opblock").first.wait_for(timeout=20_000)
        assert page.locator(".opblock").count() > 5
        assert page.locator(".opblock-summary-path", has_text="/jobs").count() >= 1
        assert outside == []
    finally:
        context.close()


# ----- item 6 and 16: the histogram of many outcomes, its labels, the counts table ---------
def test_histogram_shows_the_top_outcomes_and_says_what_is_left_out(user_page, console_live):
    page, token = user_page
    with _api(console_live, token) as api:
        job = api.post("/jobs", json={"qasm": MANY_OUTCOMES, "backend": "simulator",
                                      "shots": 3000, "seed": 7}).json()["ids"][0]
        counts = api.get(f"/jobs/{job}", params={"wait": 60}).json()["result"]["counts"]
    assert len(counts) > 40
    page.goto(f"{console_live.url}/console/jobs/{job}")
    bars = page.locator("#histogram g.bar").evaluate_all(
        "bars => bars.map(b => [b.dataset.label, Number(b.dataset.value)])")
    assert len(bars) == 32
    top = sorted(counts.values(), reverse=True)[:32]
    assert [v for _, v in bars] == top  # the most frequent, most frequent first
    left_out = page.locator("#left-out").inner_text()
    assert f"{len(counts) - 32} less frequent outcomes" in left_out
    assert str(sum(counts.values()) - sum(top)) in left_out
    # the table has every outcome, by count
    values = [int(v) for v in page.locator("#counts-table tbody td:nth-child(2)")
              .all_inner_texts()]
    assert len(values) == len(counts) and values == sorted(values, reverse=True)
    # labels upright and readable: no rotation, at least 11 px on the screen
    label = page.locator("#histogram .bar-label").first
    assert label.get_attribute("transform") is None
    assert label.bounding_box()["height"] >= 11
    assert label.bounding_box()["width"] >= 8 * 6  # 8 bits side by side, not squeezed


def test_chip_histograms_have_upright_readable_labels(alice_page, console_live):
    page = alice_page
    page.goto(f"{console_live.url}/console/backends/ScQ-P18")
    labels = page.locator(".charts svg.chart .bar-label")
    assert labels.count() == 50
    assert all(t is None for t in labels.evaluate_all(
        "ls => ls.map(l => l.getAttribute('transform'))"))
    boxes = [labels.nth(i).bounding_box() for i in range(10)]  # the first chart's bins
    assert min(b["height"] for b in boxes) >= 9
    assert all(a["x"] + a["width"] <= b["x"] + 1 for a, b in itertools.pairwise(boxes))


@pytest.fixture(scope="module")
def alice_page(browser, console_live, alice):
    page = sign_in(browser, console_live, alice)
    yield page
    page.context.close()


# ----- item 7: labels rounded, conditions drawn after their measurement ---------------------
def test_circuit_drawing_rounds_parameters_and_draws_conditions(alice_page, console_live):
    page = alice_page
    page.goto(f"{console_live.url}/console/composer")
    page.get_by_label("OpenQASM 2.0 program").fill(CONDITIONAL)
    page.locator("#qasm-status", has_text="3 qubits").wait_for()
    svg = page.locator("#circuit svg.circuit")
    params = svg.locator(".gate-param").all_text_contents()
    assert "0.1344,1.235,π/2" in params and "0.2346" in params
    assert "0.13436" not in svg.inner_html()
    # every label fits its box, and no box runs into another
    ops = svg.locator("g.op")
    boxes = []
    for i in range(ops.count()):
        rect = ops.nth(i).locator("rect")
        if rect.count():
            box = rect.first.bounding_box()
            for text in ops.nth(i).locator("text").all():
                t = text.bounding_box()
                assert box["x"] - 1 <= t["x"] and t["x"] + t["width"] <= box["x"] + box["width"] + 1
            boxes.append(box)
    for a in boxes:
        for b in boxes:
            if a is not b and abs(a["y"] - b["y"]) < 1:
                assert a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
    conditional = svg.locator("g.op.conditional")
    assert conditional.locator(".gate-cond").text_content() == "c==1"
    measure = svg.locator("g.op[data-name='measure'] rect").bounding_box()
    assert conditional.locator("rect").bounding_box()["x"] > measure["x"] + measure["width"]


# ----- item 8: tokens after a redirect, revoking one's own, confirmations -----------------
def test_a_new_token_is_shown_once_and_a_reload_creates_no_other(user_page, console_live):
    page, token = user_page
    page.goto(f"{console_live.url}/console/account")
    page.get_by_label("Name", exact=True).fill("reload-me")
    page.get_by_role("button", name="Create token").click()
    page.wait_for_url(re.compile(r"/console/account(#tokens)?$"))  # redirected, no secret
    secret = page.locator("#new-token").inner_text()
    assert secret.startswith("qf_") and secret not in page.url
    page.reload()
    assert page.locator("#new-token").count() == 0 and secret not in page.content()
    assert page.locator("#token-table tbody tr", has_text="reload-me").count() == 1
    with _api(console_live, token) as api:
        assert [t["name"] for t in api.get("/tokens").json()].count("reload-me") == 1


def test_revoking_the_sessions_own_token_signs_out_and_says_why(user_page, console_live):
    page, token = user_page
    page.goto(f"{console_live.url}/console/account")
    own = page.locator("#token-table tbody tr", has_text="this session")
    asked: list[str] = []

    def answer(dialog, accept: bool):
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda d: answer(d, False))
    own.get_by_role("button", name=re.compile("Revoke")).click()
    assert "this session signs out" in asked[0]
    assert "/console/account" in page.url  # dismissed: nothing happened
    with _api(console_live, token) as api:
        assert api.get("/me").status_code == 200
    page.once("dialog", lambda d: answer(d, True))
    own.get_by_role("button", name=re.compile("Revoke")).click()
    page.wait_for_url(re.compile(r"/console/login"))
    assert "you were signed out" in page.locator("#signed-out-why").inner_text()
    assert "revoked" in page.locator("#signed-out-why").inner_text()
    assert "/console/login" in page.goto(f"{console_live.url}/console/account").url


def test_a_session_whose_token_was_revoked_elsewhere_is_told_why(user_page, console_live):
    page, token = user_page
    with _api(console_live, token) as api:
        own = api.get("/tokens").json()[0]["id"]
        api.delete(f"/tokens/{own}")
    page.goto(f"{console_live.url}/console/jobs")
    assert "/console/login" in page.url
    assert "has been revoked" in page.locator("#signed-out-why").inner_text()


# ----- item 16: 404 page, icon, UTC, previous page, quota bar, CRLF ------------------------
def test_unknown_console_addresses_answer_a_page(browser, console_live, alice_page):
    answer = alice_page.goto(f"{console_live.url}/console/no/such/page")
    assert answer.status == 404 and "text/html" in answer.headers["content-type"]
    assert alice_page.get_by_role("heading", name="Not found").count() == 1
    assert alice_page.get_by_role("link", name="Jobs").count() == 1  # signed in: the menu
    stranger = httpx.get(f"{console_live.url}/console/nope")
    assert stranger.status_code == 404 and stranger.text.lstrip().startswith("<!doctype")


def test_the_icon_is_served(alice_page, console_live):
    page = alice_page
    page.goto(f"{console_live.url}/console/backends")
    href = page.locator("link[rel=icon]").get_attribute("href")
    icon = page.request.get(console_live.url + href)
    assert icon.status == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert page.request.get(f"{console_live.url}/favicon.ico").status == 200


def test_jobs_list_pages_back_and_says_utc(user_page, console_live):
    page, token = user_page
    program = 'OPENQASM 2.0;\nqreg q[1];\ncreg c[1];\nmeasure q -> c;\n'
    with _api(console_live, token) as api:
        ids = api.post("/jobs", json={"qasm": [program] * 45, "backend": "simulator",
                                      "shots": 1}).json()["ids"]
    assert len(ids) == 45
    page.goto(f"{console_live.url}/console/jobs")
    first = page.locator("#jobs tbody tr").first.get_attribute("data-job")
    assert page.get_by_role("link", name="Previous page").count() == 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC",
                        page.locator("#jobs tbody tr time").first.inner_text())
    page.get_by_role("link", name="Next page").click()
    second = page.locator("#jobs tbody tr").first.get_attribute("data-job")
    page.get_by_role("link", name="Next page").click()
    third = page.locator("#jobs tbody tr").first.get_attribute("data-job")
    assert len({first, second, third}) == 3
    page.get_by_role("link", name="Previous page").click()
    assert page.locator("#jobs tbody tr").first.get_attribute("data-job") == second
    page.get_by_role("link", name="Previous page").click()
    assert page.locator("#jobs tbody tr").first.get_attribute("data-job") == first
    assert page.get_by_role("link", name="Previous page").count() == 0


def test_account_quota_bar_is_labelled(alice_page, console_live):
    page = alice_page
    page.goto(f"{console_live.url}/console/account")
    meter = page.get_by_label(re.compile(r"Shots used today \(UTC\): \d+ of \d+"))
    assert meter.evaluate("m => m.tagName") == "METER"


def test_composer_programs_are_stored_with_newlines_not_crlf(user_page, console_live):
    page, token = user_page
    page.goto(f"{console_live.url}/console/composer")
    page.get_by_role("button", name="Submit").click()  # the browser sends CRLF
    page.wait_for_url(re.compile(r"/console/jobs/[0-9a-f]{32}$"))
    job = page.url.rsplit("/", 1)[1]
    with _api(console_live, token) as api:
        qasm = api.get(f"/jobs/{job}", params={"include_qasm": True}).json()["qasm"]
    assert "\r" not in qasm and qasm.count("\n") >= 5


# ----- item 4: a chip's maintenance reason wherever one picks it or waits on it -----------
def test_maintenance_reason_shows_where_a_chip_is_picked_and_waited_on(
        user_page, console_live, root):
    page, _token = user_page
    reason = "recalibrating couplers until 14:00"
    with _api(console_live, root) as admin:
        assert admin.put("/backends/ScQ-P18/status",
                         json={"status": "maintenance", "reason": reason}).status_code == 200
        try:
            page.goto(f"{console_live.url}/console/backends")
            row = page.locator("tr[data-backend='ScQ-P18']")
            assert row.locator(".status").inner_text() == "maintenance"
            assert reason in row.locator(".status-reason").inner_text()
            assert page.locator("tr[data-backend='ScQ-P10'] .status-reason").count() == 0
            page.get_by_role("link", name="ScQ-P18", exact=True).click()
            assert reason in page.locator("#chip-status-notice").inner_text()
            page.goto(f"{console_live.url}/console/composer")
            assert page.locator("#backend-note").is_hidden()
            option = page.locator("#backend option[value='ScQ-P18']").inner_text()
            assert "maintenance" in option and reason in option
            page.get_by_label("Backend").select_option("ScQ-P18")
            assert reason in page.locator("#backend-note").inner_text()
            page.get_by_role("button", name="Submit").click()
            page.wait_for_url(re.compile(r"/console/jobs/[0-9a-f]{32}$"))
            assert page.locator("#job-status").inner_text() == "queued"
            assert reason in page.locator("#job-notice").inner_text()
            page.once("dialog", lambda dialog: dialog.dismiss())  # asked first: keep it
            page.get_by_role("button", name="Cancel job").click()
            page.wait_for_timeout(500)
            assert page.locator("#job-status").inner_text() == "queued"
            page.once("dialog", lambda dialog: dialog.accept())
            page.get_by_role("button", name="Cancel job").click()
            page.locator("#job-status", has_text="cancelled").wait_for()
            assert page.locator("#job-notice").count() == 0
        finally:
            admin.put("/backends/ScQ-P18/status", json={"status": "online"})
