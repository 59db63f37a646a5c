"""Identity over HTTP (issue 17), on SQLite and PostgreSQL: password sign-in, invitations,
self sign-up and approval, password change and reset, roles, API keys, the audit log.
The security properties (throttled brute force, no account enumeration, session
rotation, CSRF) are in test_identity_security.py."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import httpx
import pytest

from kuafu.server.testing import LiveServer, create_user, store_url

PASSWORD = "correct horse battery"
SETTINGS = {"KUAFU_SELF_SIGNUP": "true", "KUAFU_SIGN_IN_BURST": "3",
            "KUAFU_SIGN_IN_EVERY": "3600", "KUAFU_SIGN_IN_ADDRESS_BURST": "10000"}


@pytest.fixture(scope="module")
def id_store(store_kind, tmp_path_factory) -> Iterator[str]:
    yield from store_url(store_kind, tmp_path_factory)


@pytest.fixture(scope="module")
def server(id_store, tmp_path_factory) -> Iterator[LiveServer]:
    log = tmp_path_factory.mktemp("logs") / "identity-server.log"
    with LiveServer(id_store, workers=1, env=SETTINGS, log=log) as live:
        yield live


@pytest.fixture(scope="module")
def root(id_store) -> str:
    return create_user(id_store, "root", admin=True)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Visitor:
    """A browser without a browser: cookies, and the CSRF field of the last form."""

    def __init__(self, server: LiveServer) -> None:
        self.client = httpx.Client(base_url=server.url)
        self.csrf = ""

    def get(self, path: str, **kw) -> httpx.Response:
        page = self.client.get(path, **kw)
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        if found:
            self.csrf = found.group(1)
        return page

    def post(self, path: str, data: dict, csrf: bool = True) -> httpx.Response:
        return self.client.post(path, data={**data, **({"csrf_token": self.csrf} if csrf
                                                       else {})})

    def sign_in(self, login: str, password: str) -> httpx.Response:
        self.get("/console/login")
        return self.post("/console/login", {"login": login, "password": password})

    def signed_in(self) -> bool:
        return self.client.get("/console/account").status_code == 200


def error_of(page: httpx.Response, element: str = "login-error") -> str:
    found = re.search(rf'id="{element}">([^<]*)<', page.text)
    return found.group(1) if found else ""


def invite(server: LiveServer, token: str, **body) -> str:
    answer = httpx.post(f"{server.url}/api/v1/invitations", json=body, headers=bearer(token))
    assert answer.status_code == 201, answer.text
    return answer.json()["url"]


def accept(server: LiveServer, url: str, name: str, email: str = "",
           password: str = PASSWORD, confirm: str | None = None) -> Visitor:
    visitor = Visitor(server)
    assert visitor.get(url.removeprefix(server.url)).status_code == 200
    visitor.answer = visitor.post("/console/invite", {
        "code": url.split("code=")[1], "name": name, "email": email, "password": password,
        "confirm": password if confirm is None else confirm})
    return visitor


def audit(server: LiveServer, admin: str, **filters) -> list[dict]:
    answer = httpx.get(f"{server.url}/api/v1/admin/audit", params=filters,
                       headers=bearer(admin))
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_invitation_then_sign_in_by_name_or_email(server, root):
    url = invite(server, root, email="Ann@Lab.example")
    assert "/console/invite?code=qf_" in url
    ann = accept(server, url, "ann")
    assert ann.answer.status_code == 303 and ann.answer.headers["location"] == "/console/account"
    assert ann.signed_in()  # the new account is signed in at once
    account = ann.client.get("/console/account").text
    assert "ann@lab.example" in account and 'id="password"' in account
    # a link works once: the same answer as an unknown one
    assert Visitor(server).get(url.removeprefix(server.url)).status_code == 404

    for login in ("ann", "ann@lab.example", "ANN@lab.EXAMPLE"):
        visitor = Visitor(server)
        answer = visitor.sign_in(login, PASSWORD)
        assert answer.status_code == 303, error_of(answer)
        assert visitor.signed_in()
    events = audit(server, root, actor="ann")
    actions = [e["action"] for e in events]
    assert actions.count("sign_in.ok") == 4 and "invitation.accept" in actions
    assert {e["details"].get("method") for e in events if e["action"] == "sign_in.ok"} \
        == {"invitation", "password"}


def test_invitation_refusals_name_the_problem(server, root):
    url = invite(server, root)
    short = accept(server, url, "carl", password="short", confirm="short")
    assert short.answer.status_code == 400
    assert "at least 10 characters" in error_of(short.answer, "invite-error")
    differ = accept(server, url, "carl", confirm=PASSWORD + "!")
    assert "differ" in error_of(differ.answer, "invite-error")
    taken = accept(server, url, "root")
    assert taken.answer.status_code == 409
    bad = accept(server, url, "bad name!")
    assert bad.answer.status_code == 400 and "invalid user name" in bad.answer.text
    # none of these used the link up
    assert accept(server, url, "carl").answer.status_code == 303


def test_admin_invitation_gives_the_role(server, root):
    dana = accept(server, invite(server, root, admin=True), "dana")
    assert "(admin)" in dana.client.get("/console/account").text
    assert dana.client.get("/console/admin/people").status_code == 200


def test_self_sign_up_waits_for_approval(server, root):
    visitor = Visitor(server)
    visitor.get("/console/signup")
    asked = visitor.post("/console/signup", {"name": "erin", "email": "erin@lab.example",
                                             "password": PASSWORD, "confirm": PASSWORD})
    assert asked.status_code == 303 and asked.headers["location"] == "/console/login?done=signup"
    refused = Visitor(server).sign_in("erin", PASSWORD)
    assert refused.status_code == 403 and "approval" in error_of(refused)
    assert Visitor(server).sign_in("erin", "not her password").status_code == 401
    people = {u["name"]: u for u in httpx.get(f"{server.url}/api/v1/users",
                                              headers=bearer(root)).json()}
    assert people["erin"]["pending"] is True and people["erin"]["email"] == "erin@lab.example"

    approved = httpx.post(f"{server.url}/api/v1/users/erin/approve", headers=bearer(root))
    assert approved.status_code == 200 and approved.json()["pending"] is False
    again = httpx.post(f"{server.url}/api/v1/users/erin/approve", headers=bearer(root))
    assert again.status_code == 409
    erin = Visitor(server)
    assert erin.sign_in("erin@lab.example", PASSWORD).status_code == 303 and erin.signed_in()
    actions = {e["action"] for e in audit(server, root, subject="user erin")}
    assert {"signup.request", "signup.approve", "sign_in.ok"} <= actions

    # another request, turned down: disabled, off the waiting list, its name kept
    visitor.get("/console/signup")
    visitor.post("/console/signup", {"name": "spam", "password": PASSWORD,
                                     "confirm": PASSWORD})
    turned = httpx.post(f"{server.url}/api/v1/users/spam/reject", headers=bearer(root))
    assert turned.status_code == 200 and turned.json()["disabled"] is True
    assert turned.json()["pending"] is False
    refused = Visitor(server).sign_in("spam", PASSWORD)
    assert refused.status_code == 403 and "disabled" in error_of(refused)
    assert httpx.post(f"{server.url}/api/v1/users/spam/reject",
                      headers=bearer(root)).status_code == 409
    assert audit(server, root, action="signup.reject", subject="user spam")


def test_password_change_ends_the_other_sessions(server, root):
    fay = accept(server, invite(server, root), "fay")
    laptop = Visitor(server)
    assert laptop.sign_in("fay", PASSWORD).status_code == 303 and laptop.signed_in()

    fay.get("/console/account")
    wrong = fay.post("/console/account/password", {"current": "not it at all",
                                                   "password": "a new passphrase",
                                                   "confirm": "a new passphrase"})
    assert wrong.status_code == 303
    assert "current password is wrong" in fay.client.get("/console/account").text
    assert laptop.signed_in()

    fay.get("/console/account")
    changed = fay.post("/console/account/password", {"current": PASSWORD,
                                                     "password": "a new passphrase",
                                                     "confirm": "a new passphrase"})
    assert changed.status_code == 303
    assert "Password changed" in fay.client.get("/console/account").text
    assert fay.signed_in() and not laptop.signed_in()
    assert Visitor(server).sign_in("fay", PASSWORD).status_code == 401
    assert Visitor(server).sign_in("fay", "a new passphrase").status_code == 303
    assert "password.change" in {e["action"] for e in audit(server, root, actor="fay")}


def test_reset_link_sets_a_new_password_once(server, root):
    gus = accept(server, invite(server, root), "gus")
    link = httpx.post(f"{server.url}/api/v1/users/gus/reset-link", headers=bearer(root))
    assert link.status_code == 201
    url = link.json()["url"].removeprefix(server.url)
    visitor = Visitor(server)
    form = visitor.get(url)
    assert form.status_code == 200 and "gus" in form.text
    short = visitor.post("/console/reset", {"code": url.split("code=")[1],
                                            "password": "short", "confirm": "short"})
    assert short.status_code == 400 and "at least 10" in error_of(short, "reset-error")
    done = visitor.post("/console/reset", {"code": url.split("code=")[1],
                                           "password": "reset passphrase",
                                           "confirm": "reset passphrase"})
    assert done.headers["location"] == "/console/login?done=reset"
    assert not gus.signed_in()  # every session of the account ended
    assert Visitor(server).get(url).status_code == 404  # used
    assert Visitor(server).sign_in("gus", "reset passphrase").status_code == 303
    actions = [e["action"] for e in audit(server, root, subject="user gus")]
    assert "password.reset_link" in actions and "password.reset" in actions


def test_roles_change_through_the_api_and_are_audited(server, root):
    accept(server, invite(server, root), "hal")
    made = httpx.put(f"{server.url}/api/v1/users/hal/role", json={"admin": True},
                     headers=bearer(root))
    assert made.status_code == 200 and made.json()["admin"] is True
    own = httpx.put(f"{server.url}/api/v1/users/root/role", json={"admin": False},
                    headers=bearer(root))
    assert own.status_code == 409 and "your own" in own.json()["detail"]
    nobody = httpx.put(f"{server.url}/api/v1/users/nobody/role", json={"admin": True},
                       headers=bearer(root))
    assert nobody.status_code == 404
    [event] = audit(server, root, action="user.role", subject="user hal")
    assert event["actor"] == "root" and event["details"] == {"admin": True}
    made = httpx.post(f"{server.url}/api/v1/users", json={"name": "zed", "admin": True},
                      headers=bearer(root))
    assert made.status_code == 201
    [event] = audit(server, root, action="user.create", subject="user zed")
    assert event["actor"] == "root" and event["details"] == {"admin": True}


def test_audit_is_for_admins_filters_and_exports_csv(server, root, id_store):
    user = create_user(id_store, "ivy")
    assert httpx.get(f"{server.url}/api/v1/admin/audit", headers=bearer(user)).status_code == 403
    assert httpx.get(f"{server.url}/api/v1/admin/audit").status_code == 401
    changed = httpx.put(f"{server.url}/api/v1/backends/ScQ-P10/status",
                        json={"status": "maintenance", "reason": "calibration"},
                        headers=bearer(root))
    assert changed.status_code == 200, changed.text
    httpx.put(f"{server.url}/api/v1/backends/ScQ-P10/status", json={"status": "online"},
              headers=bearer(root)).raise_for_status()
    chip = audit(server, root, action="backend.status")
    assert [e["details"]["status"] for e in chip[:2]] == ["online", "maintenance"]
    assert chip[1]["details"]["reason"] == "calibration" and chip[1]["actor"] == "root"

    sign_ins = audit(server, root, action="sign_in.")
    assert sign_ins and all(e["action"].startswith("sign_in.") for e in sign_ins)
    page = audit(server, root, limit=2)
    older = audit(server, root, limit=2, before_id=page[-1]["id"])
    assert len(page) == 2 and older[0]["id"] < page[-1]["id"]
    assert httpx.get(f"{server.url}/api/v1/admin/audit", params={"limit": 0},
                     headers=bearer(root)).status_code == 422

    exported = httpx.get(f"{server.url}/api/v1/admin/audit",
                         params={"format": "csv", "action": "backend.status"},
                         headers=bearer(root))
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["action"] for r in rows][:2] == ["backend.status"] * 2
    assert rows[0]["actor"] == "root" and '"status": "online"' in rows[0]["details"]
    # the console's page and its export, admins only
    admin = Visitor(server)
    admin.get("/console/login")
    admin.post("/console/login", {"token": root})
    page = admin.client.get("/console/admin/audit", params={"action": "backend.status"})
    assert page.status_code == 200 and "calibration" in page.text
    assert admin.client.get("/console/admin/audit.csv").text.startswith("id,at,actor")
    ivy = Visitor(server)
    ivy.get("/console/login")
    ivy.post("/console/login", {"token": user})
    assert ivy.client.get("/console/admin/audit").status_code == 403
    assert ivy.client.get("/console/admin/audit.csv").status_code == 403


def test_api_keys_with_name_expiry_last_use_and_revocation(server, root, id_store):
    jay = accept(server, invite(server, root), "jay")
    jay.get("/console/account")
    made = jay.post("/console/account/tokens", {"name": "laptop", "expires_in_days": "30"})
    assert made.status_code == 303
    page = jay.client.get("/console/account").text
    secret = re.search(r'id="new-token" class="secret">([^<]+)<', page).group(1)
    assert secret.startswith("qf_")
    assert secret not in jay.client.get("/console/account").text  # shown once
    assert httpx.get(f"{server.url}/api/v1/me", headers=bearer(secret)).json()["name"] == "jay"
    [key] = [t for t in httpx.get(f"{server.url}/api/v1/tokens",
                                  headers=bearer(secret)).json() if t["name"] == "laptop"]
    assert key["expires_at"] and key["last_used_at"]
    row = re.search(rf'<tr data-token="{key["id"]}">(.*?)</tr>',
                    jay.client.get("/console/account").text, re.S).group(1)
    assert "laptop" in row and "UTC" in row and "never" not in row

    jay.get("/console/account")
    assert jay.post(f"/console/account/tokens/{key['id']}/revoke", {}).status_code == 303
    assert httpx.get(f"{server.url}/api/v1/me", headers=bearer(secret)).status_code == 401
    events = audit(server, root, actor="jay", action="token.")
    assert [e["action"] for e in events[:2]] == ["token.revoke", "token.create"]
    assert all(secret not in str(e) for e in events)  # the prefix only
    assert events[0]["details"]["prefix"] == key["prefix"]


def test_sdk_browser_logins_are_listed_apart(server, root, id_store):
    from sqlalchemy.orm import Session

    from kuafu.server.core.db import Database
    from kuafu.server.quafu_sdk.oauth import token_name
    from kuafu.server.services import accounts

    kim = accept(server, invite(server, root), "kim")
    db = Database(id_store)
    try:
        with Session(db.engine) as session:
            user = accounts.get_user(session, "kim")
            _row, secret = accounts.create_token(session, user, token_name("kims-laptop"), 90,
                                                 kind="oauth")
            session.commit()
    finally:
        db.dispose()
    page = kim.client.get("/console/account").text
    sdk = re.search(r'id="oauth-table">(.*?)</table>', page, re.S).group(1)
    keys = re.search(r'id="token-table">(.*?)</table>', page, re.S).group(1)
    assert "kims-laptop" in sdk and "kims-laptop" not in keys
    [listed] = httpx.get(f"{server.url}/api/v1/tokens", headers=bearer(secret)).json()
    assert listed["kind"] == "oauth" and listed["name"] == "quafu-sdk login (kims-laptop)"


def test_open_invitations_listed_and_revoked(server, root):
    url = invite(server, root, email="wrong@person.example")
    listed = httpx.get(f"{server.url}/api/v1/invitations", headers=bearer(root)).json()
    [mine] = [i for i in listed if i["email"] == "wrong@person.example"]
    assert mine["created_by"] == "root" and "url" not in mine and "code" not in str(mine)
    gone = httpx.delete(f"{server.url}/api/v1/invitations/{mine['id']}", headers=bearer(root))
    assert gone.status_code == 204
    assert Visitor(server).get(url.removeprefix(server.url)).status_code == 404
    again = httpx.delete(f"{server.url}/api/v1/invitations/{mine['id']}", headers=bearer(root))
    assert again.status_code == 404
    assert mine["id"] not in {i["id"] for i in httpx.get(
        f"{server.url}/api/v1/invitations", headers=bearer(root)).json()}
    [event] = audit(server, root, action="invitation.revoke", subject=f"invitation {mine['id']}")
    assert event["actor"] == "root"
    # the console's People page lists and revokes them too
    url = invite(server, root, email="other@person.example")
    admin = Visitor(server)
    admin.get("/console/login")
    admin.post("/console/login", {"token": root})
    page = admin.get("/console/admin/people")
    link_id = re.search(r'<tr data-invitation="(\d+)"><th scope="row">\d+</th>'
                        r'<td>other@person.example', page.text).group(1)
    assert admin.post(f"/console/admin/invitations/{link_id}/revoke", {}).status_code == 303
    assert Visitor(server).get(url.removeprefix(server.url)).status_code == 404


def test_account_email_can_be_set_and_used_to_sign_in(server, root, id_store):
    token = create_user(id_store, "vic")  # an account from before: a token, no e-mail
    vic = Visitor(server)
    vic.get("/console/login")
    vic.post("/console/login", {"token": token})
    page = vic.get("/console/account")
    assert "<title>Account · Kuafu</title>" in page.text
    vic.post("/console/account/password", {"password": "vic's passphrase",
                                           "confirm": "vic's passphrase"})  # a first one
    vic.get("/console/account")
    assert vic.post("/console/account/email", {"email": "Vic@Lab.example"}).status_code == 303
    assert 'value="vic@lab.example"' in vic.client.get("/console/account").text
    assert Visitor(server).sign_in("vic@lab.example", "vic's passphrase").status_code == 303
    accept(server, invite(server, root, email="taken@lab.example"), "wes")
    vic.get("/console/account")
    vic.post("/console/account/email", {"email": "taken@lab.example"})
    assert "belongs to another account" in vic.client.get("/console/account").text
    vic.get("/console/account")
    vic.post("/console/account/email", {"email": "not an address"})
    assert "is not an e-mail address" in vic.client.get("/console/account").text
    assert [e["details"] for e in audit(server, root, action="user.email", actor="vic")] \
        == [{"email": "vic@lab.example"}]
