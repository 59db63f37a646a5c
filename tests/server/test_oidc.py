"""Single sign-on with OpenID Connect (issue 17), against a small provider run here on
loopback (FastAPI + uvicorn: discovery, JWKS, authorize, token; ID tokens signed RS256
with joserfc), over HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from joserfc import jwt
from joserfc.jwk import RSAKey

from kuafu.server.testing import LiveServer, create_user, free_port, store_url

from .test_identity import Visitor, audit, bearer, error_of

CLIENT_ID, CLIENT_SECRET = "kuafu-test", "s3cret-of-the-client"


@dataclass
class Provider:
    """The identity provider: who signs in next (`person`), what it answers."""

    url: str
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(
        2048, parameters={"kid": "k1", "use": "sig", "alg": "RS256"}, private=True))
    person: dict = field(default_factory=dict)
    codes: dict = field(default_factory=dict)
    tamper: str = ""  # "nonce", "audience", "key": a bad ID token of that kind

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/.well-known/openid-configuration")
        def discovery() -> dict:
            return {"issuer": self.url, "authorization_endpoint": f"{self.url}/authorize",
                    "token_endpoint": f"{self.url}/token", "jwks_uri": f"{self.url}/jwks",
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"]}

        @app.get("/jwks")
        def jwks() -> dict:
            return {"keys": [self.key.as_dict(private=False)]}

        @app.get("/authorize")
        def authorize(request: Request) -> RedirectResponse:
            q = request.query_params
            assert q["client_id"] == CLIENT_ID and q["response_type"] == "code"
            assert "openid" in q["scope"].split() and q["code_challenge_method"] == "S256"
            code = secrets.token_urlsafe(16)
            self.codes[code] = {"nonce": q["nonce"], "challenge": q["code_challenge"],
                                "redirect_uri": q["redirect_uri"], "person": dict(self.person)}
            answer = urlencode({"code": code, "state": q["state"]})
            return RedirectResponse(f"{q['redirect_uri']}?{answer}")

        @app.post("/token")
        def token(request: Request, code: str = Form(), code_verifier: str = Form(),
                  redirect_uri: str = Form(), grant_type: str = Form()) -> dict:
            basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if request.headers.get("authorization") != f"Basic {basic}":
                raise HTTPException(401, "bad client")
            grant = self.codes.pop(code, None)
            challenge = base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode())
                                                 .digest()).rstrip(b"=").decode()
            if grant is None or grant["challenge"] != challenge \
                    or grant["redirect_uri"] != redirect_uri:
                raise HTTPException(400, "invalid_grant")
            now = int(time.time())
            claims = {"iss": self.url, "aud": CLIENT_ID, "iat": now, "exp": now + 300,
                      "nonce": grant["nonce"], **grant["person"]}
            key = self.key
            if self.tamper == "nonce":
                claims["nonce"] = "another"
            elif self.tamper == "audience":
                claims["aud"] = "someone-else"
            elif self.tamper == "key":
                key = RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True)
            id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)
            return {"access_token": "at", "token_type": "Bearer", "expires_in": 300,
                    "id_token": id_token}

        return app


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    port = free_port()
    idp = Provider(f"http://127.0.0.1:{port}")
    server = uvicorn.Server(uvicorn.Config(idp.app(), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield idp
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def oidc_store(store_kind, tmp_path_factory) -> Iterator[str]:
    yield from store_url(store_kind, tmp_path_factory)


@pytest.fixture(scope="module")
def server(oidc_store, provider, tmp_path_factory) -> Iterator[LiveServer]:
    env = {"KUAFU_OIDC_ISSUER": provider.url, "KUAFU_OIDC_CLIENT_ID": CLIENT_ID,
           "KUAFU_OIDC_CLIENT_SECRET": CLIENT_SECRET, "KUAFU_OIDC_NAME": "Lab ID"}
    log = tmp_path_factory.mktemp("logs") / "oidc-server.log"
    with LiveServer(oidc_store, workers=1, env=env, log=log) as live:
        yield live


@pytest.fixture(scope="module")
def root(oidc_store) -> str:
    return create_user(oidc_store, "root", admin=True)


def sso(server: LiveServer, provider: Provider, person: dict, tamper: str = "") -> Visitor:
    provider.person, provider.tamper = person, tamper
    visitor = Visitor(server)
    login = visitor.get("/console/login")
    assert "Continue with Lab ID" in login.text
    visitor.answer = visitor.client.get("/console/oidc/start?next=/console/jobs",
                                        follow_redirects=True)
    return visitor


def test_first_sign_in_waits_for_approval_then_signs_in(server, provider, root):
    person = {"sub": "u-1001", "preferred_username": "nina", "email": "nina@uni.example",
              "email_verified": True}
    first = sso(server, provider, person)
    assert first.answer.status_code == 403 and "approval" in error_of(first.answer)
    assert not first.signed_in()
    users = {u["name"]: u for u in httpx.get(f"{server.url}/api/v1/users",
                                             headers=bearer(root)).json()}
    assert "nina" in users
    httpx.post(f"{server.url}/api/v1/users/nina/approve", headers=bearer(root)
               ).raise_for_status()
    again = sso(server, provider, person)
    assert again.answer.status_code == 200 and str(again.answer.url).endswith("/console/jobs")
    assert again.signed_in() and "nina" in again.client.get("/console/account").text
    [ok] = audit(server, root, action="sign_in.ok", actor="nina")
    assert ok["details"]["method"] == "oidc"


def test_same_subject_same_account_and_names_made_unique(server, provider, root):
    person = {"sub": "u-2002", "preferred_username": "root", "email": "x@uni.example"}
    sso(server, provider, person)  # "root" is taken: the new account is root-2
    names = {u["name"] for u in httpx.get(f"{server.url}/api/v1/users",
                                          headers=bearer(root)).json()}
    assert "root-2" in names
    httpx.post(f"{server.url}/api/v1/users/root-2/approve", headers=bearer(root)
               ).raise_for_status()
    visitor = sso(server, provider, {**person, "preferred_username": "renamed"})
    assert visitor.signed_in() and "root-2" in visitor.client.get("/console/account").text
    assert "renamed" not in {u["name"] for u in httpx.get(
        f"{server.url}/api/v1/users", headers=bearer(root)).json()}


def test_verified_email_links_an_existing_account_unverified_does_not(server, provider, root):
    invitation = httpx.post(f"{server.url}/api/v1/invitations",
                            json={"email": "olga@uni.example"}, headers=bearer(root)).json()
    visitor = Visitor(server)
    visitor.get(invitation["url"].removeprefix(server.url))
    visitor.post("/console/invite", {"code": invitation["url"].split("code=")[1],
                                     "name": "olga", "password": "olga's passphrase",
                                     "confirm": "olga's passphrase"})
    unverified = sso(server, provider, {"sub": "u-3003", "email": "olga@uni.example",
                                        "preferred_username": "olga"})
    assert unverified.answer.status_code == 403  # a new account, waiting: not olga's
    verified = sso(server, provider, {"sub": "u-3004", "email": "olga@uni.example",
                                      "email_verified": True})
    assert verified.signed_in()
    assert "olga@uni.example" in verified.client.get("/console/account").text
    assert audit(server, root, action="user.oidc_link", subject="user olga")


@pytest.mark.parametrize("tamper", ["nonce", "audience", "key"])
def test_id_tokens_that_do_not_verify_are_refused(server, provider, root, tamper):
    visitor = sso(server, provider, {"sub": "u-1001"}, tamper=tamper)
    assert visitor.answer.status_code == 401
    assert "does not verify" in error_of(visitor.answer)
    assert not visitor.signed_in()


def test_an_answer_for_another_browser_is_refused(server, provider):
    provider.person, provider.tamper = {"sub": "u-1001"}, ""
    victim = Visitor(server)
    start = victim.client.get("/console/oidc/start")
    answer = httpx.get(start.headers["location"])  # the provider's redirect, not followed
    attacker = Visitor(server)
    landed = attacker.client.get(answer.headers["location"].removeprefix(server.url))
    assert landed.status_code == 401 and "state mismatch" in error_of(landed)
