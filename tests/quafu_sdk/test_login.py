"""quafu-sdk's browser login end to end: `quafu.login(open_browser=False)` prints a
link; headless Chromium (Playwright) follows it, signs in to the console, sees which
program asks and authorizes; the SDK receives its key through the loopback redirect,
saves it, and later calls succeed with no QUAFU_API_KEY. Also: deny, the manual code
page, logout revoking the key, a key revoked on the server, PKCE and code misuse."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import Stack, last_json, live_stack, run_sdk, sdk_env

pytestmark = pytest.mark.slow

LINK = re.compile(r"(http://127\.0\.0\.1:\d+/oauth/authorize\?\S+)")
LOGIN = """
    import json, quafu
    try:
        info = quafu.login(open_browser=False, timeout=120)
        print(json.dumps({"ok": True, **{k: info[k] for k in ("kind", "name", "expires_at",
                                                              "saved_to")}}))
    except quafu.LoginFailed as e:
        print(json.dumps({"ok": False, "type": type(e).__name__, "text": str(e)}))
    """


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Stack]:
    yield from live_stack("sqlite", tmp_path_factory)


def _start_login(sdk_python: Path, server: Stack, home: Path) -> tuple[subprocess.Popen, str]:
    """Start `quafu.login()` as a user would (no terminal: it waits for the loopback
    redirect only) and read the link it prints."""
    import textwrap

    process = subprocess.Popen([str(sdk_python), "-c", textwrap.dedent(LOGIN)],
                               env=sdk_env(server.url, home), stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = ""
    for line in process.stdout:
        seen += line
        if (match := LINK.search(line)) is not None:
            return process, match.group(1)
    process.kill()
    raise AssertionError(f"no login link printed: {seen} {process.stderr.read()}")


def _finish(process: subprocess.Popen) -> dict:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def _sign_in_and_decide(browser, link: str, key: str, decision: str) -> dict:
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(link)
        assert "/console/login" in page.url  # not signed in: the console asks first
        page.get_by_label("API token").fill(key)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r".*/console/oauth/authorize\?.*"))
        asked = page.locator("#oauth-ask").inner_text()
        page.click(f"#oauth-{decision}")
        page.wait_for_url(re.compile(r"http://127\.0\.0\.1:\d+/callback\?.*"))
        return {"asked": asked, "landed": page.content()}
    finally:
        context.close()


def test_browser_login_end_to_end(sdk_python, browser, server, tmp_path):
    process, link = _start_login(sdk_python, server, tmp_path)
    assert "client_id=quafu-sdk" in link and "code_challenge_method=S256" in link
    page = _sign_in_and_decide(browser, link, server.key, "allow")
    assert "quafu-sdk" in page["asked"] and "user-" in page["asked"]
    logged = _finish(process)
    assert logged["ok"] and logged["kind"] == "oauth" and logged["name"].startswith("user-")
    saved = json.loads(Path(logged["saved_to"]).read_text())
    token = saved["profiles"][server.url]["token"]
    assert token.startswith("qf_") and token != server.key

    # later scripts: no QUAFU_API_KEY, the saved login is used
    code = """
        import json, quafu
        who = quafu.whoami()
        job = quafu.submit('OPENQASM 2.0;\\ninclude "qelib1.inc";\\nqreg q[1];\\ncreg c[1];\\n'
                           'x q[0];\\nmeasure q[0] -> c[0];\\n', target="sim", shots=10)
        print(json.dumps({"kind": who["kind"], "source": who["source"],
                          "expires_at": who["expires_at"], "counts": job.result(60).counts}))
        """
    seen = last_json(run_sdk(sdk_python, server.url, None, code, tmp_path))
    assert seen["kind"] == "oauth" and seen["source"] == "saved"
    assert seen["counts"] == {"1": 10} and seen["expires_at"]

    # the `quafu` command line reads the same saved login
    cli = subprocess.run([str(sdk_python.with_name("quafu")), "whoami"],
                         env=sdk_env(server.url, tmp_path), capture_output=True, text=True,
                         timeout=60, check=False)
    assert cli.returncode == 0 and logged["name"] in cli.stdout, cli.stderr

    # the login is one of the user's API tokens: 90 days, listed, revocable
    tokens = httpx.get(f"{server.url}/api/v1/tokens",
                       headers={"Authorization": f"Bearer {server.key}"}).json()
    login = [t for t in tokens if t["name"].startswith("quafu-sdk login (")]
    assert len(login) == 1 and login[0]["expires_at"] and login[0]["revoked_at"] is None
    assert token.startswith(login[0]["prefix"])

    # logout revokes it on the server (RFC 7009) and forgets it here
    out = last_json(run_sdk(sdk_python, server.url, None, """
        import json, quafu
        print(json.dumps(quafu.logout()))
        """, tmp_path))
    assert out["removed"] and out["kind"] == "oauth" and out["revoked"] is True
    answer = httpx.get(f"{server.url}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401 and "revoked" in answer.text


def test_denied_login_is_login_failed(sdk_python, browser, server, tmp_path):
    process, link = _start_login(sdk_python, server, tmp_path)
    _sign_in_and_decide(browser, link, server.key, "deny")
    seen = _finish(process)
    assert seen["ok"] is False and seen["type"] == "LoginFailed"


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_manual_code_page_and_code_misuse(browser, server):
    """The manual path shows `code#state` to paste; a code works once, only with its
    verifier and redirect_uri; unknown clients and redirects are refused on the page."""
    verifier, challenge = _pkce()
    manual = server.url + "/oauth/code"
    query = {"response_type": "code", "client_id": "quafu-sdk", "redirect_uri": manual,
             "code_challenge": challenge, "code_challenge_method": "S256",
             "state": "st4te", "device_name": "laptop"}
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{server.url}/oauth/authorize?{httpx.QueryParams(query)}")
        page.get_by_label("API token").fill(server.key)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r".*/console/oauth/authorize\?.*"))
        assert "laptop" in page.locator("#oauth-ask").inner_text()
        page.click("#oauth-allow")
        page.wait_for_url(re.compile(r".*/oauth/code\?.*"))
        pasted = page.locator("#oauth-code").inner_text()
        bad = dict(query, redirect_uri="https://evil.example/callback")
        page.goto(f"{server.url}/oauth/authorize?{httpx.QueryParams(bad)}")
        assert page.url.startswith(server.url)  # refused on the page, never redirected
        refused = page.locator(".error").inner_text()
    finally:
        context.close()
    assert "redirect_uri" in refused
    code, state = pasted.split("#")
    assert state == "st4te"
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": manual,
            "client_id": "quafu-sdk", "code_verifier": _pkce()[0]}
    wrong = httpx.post(f"{server.url}/api/v1/oauth/token", data=form)
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    again = httpx.post(f"{server.url}/api/v1/oauth/token", data=dict(form, code_verifier=verifier))
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"  # used once


def test_revoked_login_is_login_revoked(sdk_python, browser, server, tmp_path):
    process, link = _start_login(sdk_python, server, tmp_path)
    _sign_in_and_decide(browser, link, server.key, "allow")
    assert _finish(process)["ok"]
    headers = {"Authorization": f"Bearer {server.key}"}
    tokens = httpx.get(f"{server.url}/api/v1/tokens", headers=headers).json()
    newest = max((t for t in tokens if t["name"].startswith("quafu-sdk login")),
                 key=lambda t: t["id"])
    httpx.delete(f"{server.url}/api/v1/tokens/{newest['id']}", headers=headers
                 ).raise_for_status()  # as the console's account page does
    seen = last_json(run_sdk(sdk_python, server.url, None, """
        import json, quafu
        try:
            quafu.whoami()
        except quafu.LoginRevoked as e:
            print(json.dumps({"type": type(e).__name__, "status": e.status}))
        """, tmp_path))
    assert seen == {"type": "LoginRevoked", "status": 401}
