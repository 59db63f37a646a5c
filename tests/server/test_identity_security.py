"""Security of sign-in (issue 17), over HTTP on SQLite and PostgreSQL: brute force is
throttled per account and per address, answers do not tell whether an account exists,
a sign-in rotates the session, and every form needs its CSRF token."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from kuafu.server.testing import LiveServer, create_user, store_url

from .test_identity import PASSWORD, Visitor, accept, audit, bearer, error_of, invite

SETTINGS = {"KUAFU_SELF_SIGNUP": "true", "KUAFU_SIGN_IN_BURST": "3",
            "KUAFU_SIGN_IN_EVERY": "3600", "KUAFU_SIGN_IN_ADDRESS_BURST": "20",
            "KUAFU_SIGN_IN_ADDRESS_EVERY": "3600"}


@pytest.fixture(scope="module")
def sec_store(store_kind, tmp_path_factory) -> Iterator[str]:
    yield from store_url(store_kind, tmp_path_factory)


@pytest.fixture(scope="module")
def server(sec_store, tmp_path_factory) -> Iterator[LiveServer]:
    log = tmp_path_factory.mktemp("logs") / "identity-security.log"
    with LiveServer(sec_store, workers=1, env=SETTINGS, log=log) as live:
        yield live


@pytest.fixture(scope="module")
def root(sec_store) -> str:
    return create_user(sec_store, "root", admin=True)


def page_without_secrets(page: httpx.Response) -> str:
    """The page with the parts that differ on every load (CSRF values) blanked."""
    return re.sub(r'value="[A-Za-z0-9_\-]{30,}"', 'value=""', page.text)


def test_no_account_enumeration(server, root):
    """An unknown account, a wrong password, and an account without a password get the
    same status and the same page; reset and invitation links likewise; sign-up answers
    alike for a taken and a free name. (6 of the address's 20 tries.)"""
    accept(server, invite(server, root), "known", email="known@lab.example")
    answers = [Visitor(server).sign_in(login, "not the password")
               for login in ("known", "nobody-at-all", "root")]  # root: token only
    assert {a.status_code for a in answers} == {401}
    assert {error_of(a) for a in answers} == {"wrong user name, e-mail or password"}
    pages = {page_without_secrets(a).replace('value="known"', 'value="X"')
             .replace('value="nobody-at-all"', 'value="X"').replace('value="root"', 'value="X"')
             for a in answers}
    assert len(pages) == 1

    link = httpx.post(f"{server.url}/api/v1/users/known/reset-link", headers=bearer(root))
    used = link.json()["url"].removeprefix(server.url)
    code = used.split("code=")[1]
    visitor = Visitor(server)
    visitor.get(used)
    visitor.post("/console/reset", {"code": code, "password": "another passphrase",
                                    "confirm": "another passphrase"})
    links = [Visitor(server).get(path) for path in (
        used, "/console/reset?code=qf_unknown", "/console/invite?code=" + code)]
    assert {a.status_code for a in links} == {404}
    assert len({re.search(r"<main.*</main>", a.text, re.S).group(0) for a in links}) == 1

    def sign_up(name: str, email: str) -> httpx.Response:
        visitor = Visitor(server)
        visitor.get("/console/signup")
        return visitor.post("/console/signup", {"name": name, "email": email,
                                                "password": PASSWORD, "confirm": PASSWORD})

    taken, free = sign_up("known", "other@lab.example"), sign_up("newbie", "n@lab.example")
    assert (taken.status_code, taken.headers["location"]) \
        == (free.status_code, free.headers["location"])
    taken_email = sign_up("someone", "known@lab.example")
    assert taken_email.headers["location"] == free.headers["location"]
    names = {u["name"] for u in httpx.get(f"{server.url}/api/v1/users",
                                          headers=bearer(root)).json()}
    assert "newbie" in names and "someone" not in names


def test_unknown_accounts_cost_an_argon2_verification_too(monkeypatch):
    """Similar timing: a sign-in for an unknown account verifies against a dummy hash."""
    from argon2 import PasswordHasher

    from kuafu.server.services import identity

    calls = []

    class Spy(PasswordHasher):
        def verify(self, stored, password):
            calls.append(stored)
            return super().verify(stored, password)

    monkeypatch.setattr(identity, "_HASHER", Spy())
    assert not identity.verify_password(None, "whatever it is")
    assert calls == [identity._dummy_hash()] and calls[0].startswith("$argon2id$")


def test_brute_force_is_throttled_per_account(server, root):
    """3 tries per account (this server's setting), then 429 — even with the right
    password, and alike for an account that does not exist. (6 address tries.)"""
    accept(server, invite(server, root), "target")
    for login in ("target", "ghost"):
        for _ in range(3):
            assert Visitor(server).sign_in(login, "guess guess guess").status_code == 401
    right = Visitor(server).sign_in("target", PASSWORD)
    ghost = Visitor(server).sign_in("ghost", PASSWORD)
    assert right.status_code == ghost.status_code == 429
    assert error_of(right).startswith("too many sign-in attempts; try again in")
    assert re.sub(r"\d+ s", "N s", error_of(right)) == re.sub(r"\d+ s", "N s", error_of(ghost))
    throttled = audit(server, root, action="sign_in.throttled")
    assert {e["subject"] for e in throttled} >= {"user target", "unknown account"}
    failed = audit(server, root, action="sign_in.failed", subject="user target")
    assert len(failed) == 3 and all(e["details"]["address"] == "127.0.0.1" for e in failed)


def test_sign_in_rotates_the_session(server, root, sec_store):
    """A session id never survives a sign-in: the cookie the browser had before (say, one
    an attacker planted, or a previous user's) stops working; the new one differs."""
    token = create_user(sec_store, "lee")
    browser = Visitor(server)
    browser.get("/console/login")
    browser.post("/console/login", {"token": token})
    before = browser.client.cookies.get("kuafu_session", path="/console")
    assert before and browser.signed_in()
    browser.get("/console/login")
    browser.post("/console/login", {"token": token})
    after = browser.client.cookies.get("kuafu_session", path="/console")
    assert after and after != before and browser.signed_in()
    planted = httpx.Client(base_url=server.url, cookies={"kuafu_session": before})
    assert planted.get("/console/account").status_code == 303  # to the sign-in form
    # a made-up cookie is no session, and signing in replaces it
    fixed = Visitor(server)
    fixed.client.cookies.set("kuafu_session", "attacker-chosen", domain="127.0.0.1",
                             path="/console")
    fixed.get("/console/login")
    fixed.post("/console/login", {"token": token})
    assert fixed.client.cookies.get("kuafu_session", path="/console") != "attacker-chosen"


def test_every_identity_form_needs_its_csrf_token(server, root, sec_store):
    invitation = invite(server, root)
    code = invitation.split("code=")[1]
    stranger = Visitor(server)
    for path, data in [("/console/login", {"login": "root", "password": PASSWORD}),
                       ("/console/signup", {"name": "x1", "password": PASSWORD,
                                            "confirm": PASSWORD}),
                       ("/console/invite", {"code": code, "name": "x2",
                                            "password": PASSWORD, "confirm": PASSWORD}),
                       ("/console/reset", {"code": "qf_x", "password": PASSWORD,
                                           "confirm": PASSWORD})]:
        stranger.get("/console/login")  # the double-submit cookie is there; the field not
        assert stranger.post(path, data, csrf=False).status_code == 403, path
        forged = stranger.client.post(path, data={**data, "csrf_token": "guess"})
        assert forged.status_code == 403, path
    assert Visitor(server).get(invitation.removeprefix(server.url)).status_code == 200

    admin = Visitor(server)
    admin.get("/console/login")
    admin.post("/console/login", {"token": root})
    for path, data in [("/console/account/password", {"password": "x" * 12,
                                                      "confirm": "x" * 12}),
                       ("/console/account/email", {"email": "x@y.example"}),
                       ("/console/admin/invitations", {"email": "a@b.example"}),
                       ("/console/admin/users/root/reset-link", {}),
                       ("/console/admin/users/root/role", {"role": "user"}),
                       ("/console/admin/users/root/approve", {}),
                       ("/console/admin/invitations/1/revoke", {}),
                       ("/console/admin/users/root/reject", {})]:
        assert admin.post(path, data, csrf=False).status_code == 403, path
        assert admin.client.post(path, data={**data, "csrf_token": "guess"}
                                 ).status_code == 403, path
    # what was typed for an unknown account (a password in the wrong field?) is not kept
    assert not [e for e in audit(server, root) if "nobody-at-all" in str(e)]
    assert not [e for e in audit(server, root, action="invitation.create")
                if e["details"].get("email") == "a@b.example"]


def test_members_cannot_use_the_admin_pages(server, root, sec_store):
    token = create_user(sec_store, "mo")
    member = Visitor(server)
    member.get("/console/login")
    member.post("/console/login", {"token": token})
    member.get("/console/account")
    for path in ("/console/admin/people", "/console/admin/audit"):
        assert member.client.get(path).status_code == 403
    for path, data in [("/console/admin/invitations", {}),
                       ("/console/admin/users/mo/role", {"role": "admin"}),
                       ("/console/admin/users/root/reset-link", {})]:
        assert member.post(path, data).status_code == 403, path
    for method, path in [("POST", "/api/v1/invitations"), ("PUT", "/api/v1/users/mo/role"),
                         ("POST", "/api/v1/users/root/reset-link")]:
        answer = httpx.request(method, f"{server.url}{path}", json={"admin": True},
                               headers=bearer(token))
        assert answer.status_code == 403, path


def test_brute_force_is_throttled_per_address(server, root):
    """20 failed tries per address in all (this server's setting): spreading guesses over many
    names does not help. Each name below is new, so its own bucket is full: the 429
    comes from the address's. Last in this module: after it, this address is refused."""
    answers = []
    for i in range(21):
        answers.append(Visitor(server).sign_in(f"spray-{i}", "guess guess guess"))
        if answers[-1].status_code == 429:
            break
    assert answers[-1].status_code == 429
    assert set(a.status_code for a in answers[:-1]) <= {401}
    assert error_of(answers[-1]).startswith("too many sign-in attempts")
