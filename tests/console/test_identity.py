"""The identity pages in a real browser (headless Chromium via Playwright) against a real
server (issue 17): an administrator invites someone, the invitee makes their account,
changes their password, signs in with name or e-mail and password, manages API keys;
the audit page shows it. Screenshots under docs/screenshots/ (identity-*.png)."""

from __future__ import annotations

import re

import pytest

from .test_console import DESKTOP, SCREENSHOTS, shoot, sign_in

pytestmark = pytest.mark.slow  # a server and a browser

FIRST, SECOND = "first passphrase 1", "second passphrase 2"


def password_sign_in(browser, server, login: str, password: str):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{server.url}/console/login")
    page.get_by_label("User name or e-mail").fill(login)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    return page


@pytest.fixture(scope="module")
def invitation(browser, console_live, root) -> str:
    """An invitation link, made on the People page by an administrator."""
    page = sign_in(browser, console_live, root)
    try:
        page.goto(f"{console_live.url}/console/admin")
        page.click("#people-link")
        page.get_by_label("E-mail (optional)").fill("pat@lab.example")
        page.get_by_role("button", name="Create invitation link").click()
        page.wait_for_url(re.compile(r"/console/admin/people(#invite)?$"))
        link = page.locator("#link-url").inner_text()
        shoot(page, "identity-people")
        page.reload()
        assert page.locator("#link-url").count() == 0  # shown once
        return link
    finally:
        page.context.close()


def test_invitation_acceptance_and_password_sign_in(browser, console_live, invitation):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(invitation)
    assert page.get_by_label("E-mail").input_value() == "pat@lab.example"
    page.get_by_label("User name (letters, digits, . _ -)").fill("pat")
    page.get_by_label("Password (at least 10 characters)").fill(FIRST)
    page.get_by_label("Password again").fill(FIRST)
    shoot(page, "identity-invitation")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(re.compile(r"/console/account$"))
    assert "pat" in page.locator(".who").inner_text()
    page.goto(invitation)  # used: refused
    assert "unknown, used already or expired" in page.locator("main").inner_text()
    context.close()

    wrong = password_sign_in(browser, console_live, "pat", "not the password")
    assert wrong.locator("#login-error").inner_text() == "wrong user name, e-mail or password"
    assert wrong.get_by_label("User name or e-mail").input_value() == "pat"
    shoot(wrong, "identity-sign-in")
    wrong.context.close()
    right = password_sign_in(browser, console_live, "PAT@lab.example", FIRST)
    right.wait_for_url(re.compile(r"/console/backends$"))
    right.context.close()


def test_password_change(browser, console_live, invitation):
    page = password_sign_in(browser, console_live, "pat", FIRST)
    page.wait_for_url(re.compile(r"/console/backends$"))
    other = password_sign_in(browser, console_live, "pat", FIRST)  # a second browser
    other.wait_for_url(re.compile(r"/console/backends$"))
    page.goto(f"{console_live.url}/console/account#password")
    page.get_by_label("Current password").fill(FIRST)
    page.get_by_label("New password (at least 10 characters)").fill(SECOND)
    page.get_by_label("New password again").fill(SECOND)
    page.get_by_role("button", name="Change password").click()
    page.wait_for_url(re.compile(r"/console/account#password$"))
    assert "Password changed" in page.locator("#password-notice").inner_text()
    page.locator("#password").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "identity-password.png"))
    other.goto(f"{console_live.url}/console/jobs")
    assert "/console/login" in other.url  # the other session ended
    other.context.close()
    page.context.close()
    old = password_sign_in(browser, console_live, "pat", FIRST)
    assert old.locator("#login-error").is_visible()
    old.context.close()


def test_keys_page(browser, console_live, invitation):
    page = password_sign_in(browser, console_live, "pat", SECOND)
    page.wait_for_url(re.compile(r"/console/backends$"))
    page.goto(f"{console_live.url}/console/keys")
    assert page.url.endswith("/console/account#tokens")
    page.get_by_label("Name", exact=True).fill("lab-laptop")
    page.get_by_label("Expires after (days, optional)").fill("30")
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("#new-token").inner_text()
    assert secret.startswith("qf_")
    row = page.locator("#token-table tbody tr", has_text="lab-laptop")
    assert "UTC" in row.locator("td").nth(2).inner_text()  # expires
    assert page.locator("#oauth-table").is_visible()
    page.locator("#tokens").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "identity-keys.png"))
    page.reload()
    assert secret not in page.content()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#token-table tbody tr", has_text="lab-laptop").get_by_role(
        "button", name=re.compile("Revoke")).click()
    page.wait_for_url(re.compile(r"/console/account#tokens$"))
    assert "revoked" in page.locator("#token-table tbody tr",
                                     has_text="lab-laptop").inner_text()
    page.context.close()


def test_audit_page(browser, console_live, root, invitation):
    page = sign_in(browser, console_live, root)
    page.goto(f"{console_live.url}/console/admin/audit")
    table = page.locator("#audit-table").inner_text()
    for action in ("invitation.create", "invitation.accept", "sign_in.ok", "sign_in.failed",
                   "password.change", "token.create"):
        assert action in table, action
    page.get_by_label("Action").select_option("sign_in.failed")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("#audit-table tbody tr")
    assert rows.count() >= 1 and all("sign_in.failed" in rows.nth(i).inner_text()
                                     for i in range(rows.count()))
    page.get_by_label("Action").select_option("")
    page.get_by_role("button", name="Filter").click()
    shoot(page, "identity-audit")
    with page.expect_download() as download:
        page.click("#audit-csv")
    assert download.value.suggested_filename == "kuafu-audit.csv"
    page.context.close()


def test_self_sign_up_and_approval(browser, tmp_path):
    """On a server that takes sign-ups: the request, the refusal until approved, the
    administrator's approval on the People page, then a sign-in."""
    from kuafu.server.testing import LiveServer, create_user

    store = f"sqlite:///{tmp_path / 'signup.db'}"
    admin = create_user(store, "boss", admin=True)
    with LiveServer(store, workers=1, env={"KUAFU_SELF_SIGNUP": "true"},
                    log=tmp_path / "server.log") as server:
        context = browser.new_context(viewport=DESKTOP)
        page = context.new_page()
        page.goto(f"{server.url}/console/login")
        page.click("#signup-link")
        page.get_by_label("User name (letters, digits, . _ -)").fill("una")
        page.get_by_label("E-mail").fill("una@lab.example")
        page.get_by_label("Password (at least 10 characters)").fill(FIRST)
        page.get_by_label("Password again").fill(FIRST)
        shoot(page, "identity-signup")
        page.get_by_role("button", name="Ask for an account").click()
        page.wait_for_url(re.compile(r"/console/login\?done=signup$"))
        assert "administrator will look" in page.locator("#login-done").inner_text()
        page.get_by_label("User name or e-mail").fill("una")
        page.get_by_label("Password", exact=True).fill(FIRST)
        page.get_by_role("button", name="Sign in").click()
        assert "approval" in page.locator("#login-error").inner_text()
        context.close()

        boss = sign_in(browser, server, admin)
        boss.goto(f"{server.url}/console/admin/people")
        boss.get_by_role("button", name="Approve una").click()
        boss.wait_for_url(re.compile(r"/console/admin/people#pending$"))
        assert "una approved" in boss.locator("#people-notice").inner_text()
        boss.context.close()

        una = password_sign_in(browser, server, "una@lab.example", FIRST)
        una.wait_for_url(re.compile(r"/console/backends$"))
        una.context.close()
