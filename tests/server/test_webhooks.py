"""Webhooks against a real HTTP receiver on loopback: signed with HMAC-SHA256, retried
with backoff after failures, deliveries listed; job end and chip status events; a
project's webhook; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kuafu.server.services.webhooks import retry_delay, sign, verify
from kuafu.server.testing import LiveServer, create_user

from .conftest import BELL
from .test_api import api, wait_done


class Receiver:
    """A loopback HTTP server that records what it is sent and answers 500 to the
    first `fail_first` requests."""

    def __init__(self, fail_first: int = 0) -> None:
        self.requests: list[dict] = []
        self.fail_first = fail_first
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append({"headers": dict(self.headers), "body": body,
                                       "at": time.monotonic()})
                failing = len(outer.requests) <= outer.fail_first
                self.send_response(500 if failing else 204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def events(self, kind: str) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests
                if r["headers"]["X-Kuafu-Event"] == kind]


def _until(predicate, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


@pytest.fixture(scope="module")
def hook_live(store_kind, tmp_path_factory) -> Iterator[tuple[LiveServer, str]]:
    """A server whose failed deliveries are retried after 0.2, 0.4, 0.8... s."""
    from kuafu.server.testing import store_url

    stores = store_url(store_kind, tmp_path_factory)
    url = next(stores)
    try:
        with LiveServer(url, workers=1, env={"KUAFU_WEBHOOK_RETRY_BASE": "0.2"}) as server:
            yield server, url
    finally:
        stores.close()


def test_retries_back_off_exponentially_to_an_hour():
    assert [retry_delay(1.0, n) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    assert retry_delay(1.0, 30) == 3600.0


def test_signature_helpers():
    body = b'{"event":"job.ended"}'
    signature = sign("s3cret", "1764950400", body)
    assert verify("s3cret", "1764950400", body, signature, now=1764950400)
    assert not verify("other", "1764950400", body, signature, now=1764950400)
    assert not verify("s3cret", "1764950400", body + b" ", signature, now=1764950400)
    assert not verify("s3cret", "1764950400", body, signature, now=1764950400 + 3600)


def test_job_end_is_posted_signed_and_retried_with_backoff(hook_live):
    server, store = hook_live
    token = create_user(store)
    with Receiver(fail_first=2) as receiver, api(server, token) as c:
        created = c.post("/webhooks", json={"url": receiver.url, "events": ["job.ended"]})
        assert created.status_code == 201, created.text
        hook = created.json()
        assert hook["secret"].startswith("whsec_")
        assert "secret" not in c.get("/webhooks").json()[0]
        job_id = c.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10",
                                       "shots": 10}).json()["ids"][0]
        wait_done(c, job_id)
        _until(lambda: len(receiver.requests) >= 3)
        first, second, third = receiver.requests[:3]
        assert first["at"] < second["at"] < third["at"]
        for r in (first, second, third):  # the same delivery, each signed
            h = r["headers"]
            assert verify(hook["secret"], h["X-Kuafu-Timestamp"], r["body"],
                          h["X-Kuafu-Signature"])
            assert h["X-Kuafu-Delivery"] == first["headers"]["X-Kuafu-Delivery"]
        payload = json.loads(third["body"])
        assert payload["event"] == "job.ended" and payload["job"]["id"] == job_id
        assert payload["job"]["status"] == "done"
        delivery = _until(lambda: (d := c.get(f"/webhooks/{hook['id']}/deliveries")
                                   .json())[0]["status"] == "delivered" and d)[0]
        assert delivery["attempts"] == 3 and delivery["last_status"] == 204
        # a forged body does not verify
        assert not verify(hook["secret"], third["headers"]["X-Kuafu-Timestamp"],
                          third["body"].replace(b"done", b"fail"),
                          third["headers"]["X-Kuafu-Signature"])
        assert c.delete(f"/webhooks/{hook['id']}").status_code == 200


def test_chip_status_changes_and_project_webhooks(hook_live):
    server, store = hook_live
    admin = create_user(store, f"adm-{uuid.uuid4().hex[:6]}", admin=True)
    owner, member = f"o-{uuid.uuid4().hex[:6]}", f"m-{uuid.uuid4().hex[:6]}"
    owner_token, member_token = create_user(store, owner), create_user(store, member)
    project = f"hooks-{uuid.uuid4().hex[:6]}"
    with Receiver() as receiver, api(server, admin) as a, api(server, owner_token) as o, \
            api(server, member_token) as m:
        a.post("/projects", json={"name": project, "owner": owner})
        o.post(f"/projects/{project}/members", json={"user": member})
        # a member may not watch the whole project; the owner may
        assert m.post("/webhooks", json={"url": receiver.url,
                                         "project": project}).status_code == 403
        hook = o.post("/webhooks", json={"url": receiver.url, "project": project,
                                         "events": ["job.ended", "backend.status"]}).json()
        assert m.post("/webhooks", json={"url": "ftp://x", "events": ["job.ended"]}
                      ).status_code in (400, 422)
        job_id = m.post("/jobs", json={"qasm": BELL, "backend": "ScQ-P10", "shots": 10,
                                       "project": project}).json()["ids"][0]
        wait_done(m, job_id)
        ended = _until(lambda: receiver.events("job.ended"))
        assert ended[0]["job"]["id"] == job_id and ended[0]["job"]["project"] == project
        a.put("/backends/ScQ-P18/status", json={"status": "maintenance",
                                                "reason": "recalibration"})
        a.put("/backends/ScQ-P18/status", json={"status": "online"})
        changes = _until(lambda: len(receiver.events("backend.status")) >= 2
                         and receiver.events("backend.status"))
        assert [(e["backend"], e["status"]) for e in changes] == [
            ("ScQ-P18", "maintenance"), ("ScQ-P18", "online")]
        assert changes[0]["reason"] == "recalibration"
        for r in receiver.requests:
            h = r["headers"]
            assert verify(hook["secret"], h["X-Kuafu-Timestamp"], r["body"],
                          h["X-Kuafu-Signature"])
        # deliveries are the owner's to read, not another user's
        assert m.get(f"/webhooks/{hook['id']}/deliveries").status_code == 404
        assert len(o.get(f"/webhooks/{hook['id']}/deliveries").json()) == 3
