"""Webhooks: a user's (or a project's) events POSTed to a URL, signed, retried.

Events: `job.ended` (a job of the user, or of the project, is done, failed or
cancelled) and `backend.status` (a chip's status changed; every webhook that asks for
it). Each event for each webhook is a `WebhookDelivery` row (an outbox): a chip's status
change writes its rows in the transaction of the change; a job's end is written by the
dispatcher when the scheduler reports it. The dispatcher (`Dispatcher`, one thread per
server) POSTs the due rows and records each answer; a failure (no answer, or not 2xx)
is retried after 1, 2, 4, ... `retry_base` seconds (at most `MAX_ATTEMPTS` tries, each
delay at most an hour), then the delivery is `failed`. Deliveries are listed in the
console and the API.

Each request carries:

    X-Kuafu-Event: job.ended
    X-Kuafu-Delivery: 42
    X-Kuafu-Timestamp: 1764950400
    X-Kuafu-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" under the secret>

The receiver recomputes the HMAC with the secret it was shown when it made the
webhook (`verify`), and refuses old timestamps to stop replays. The server must keep the
secret to sign with: it is stored as given, shown to its owner once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import queue
import secrets
import threading
import time
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ...schemas.projects import DeliveryPublic, WebhookCreate, WebhookPublic
from ..errors import InvalidRequest, NotFound, QuotaExceeded
from ..models import Job, User, Webhook, WebhookDelivery, utcnow
from . import projects

logger = logging.getLogger(__name__)

EVENTS = ("job.ended", "backend.status")
MAX_ATTEMPTS = 6
MAX_PER_USER = 20
TIMEOUT = 5.0


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The `X-Kuafu-Signature` value of a delivery."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str,
           max_age: float = 300.0, now: float | None = None) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    now = time.time() if now is None else now
    try:
        fresh = abs(now - int(timestamp)) <= max_age
    except ValueError:
        return False
    return fresh and hmac.compare_digest(sign(secret, timestamp, body), signature)


def retry_delay(base: float, tries: int) -> float:
    """Seconds before the next try after `tries` failed ones: base, 2 base, 4 base, ...
    at most an hour."""
    return min(base * 2 ** (tries - 1), 3600.0)


# ----- managing webhooks ---------------------------------------------------------------
def create(session: Session, user: User, body: WebhookCreate,
           *, commit: bool = True) -> tuple[Webhook, str]:
    """A new webhook of `user` (for a project: its owners and administrators); returns
    it and its secret, shown this once."""
    unknown = [e for e in body.events if e not in EVENTS]
    if unknown or not body.events:
        raise InvalidRequest(f"unknown event(s) {unknown}; known: {', '.join(EVENTS)}")
    url = str(body.url)
    if not url.startswith(("http://", "https://")):
        raise InvalidRequest("a webhook URL must be http:// or https://")
    project_id = None
    if body.project is not None:
        project = projects.visible_project(session, user, body.project)
        projects.require_owner(session, user, project)
        project_id = project.id
    count = session.query(Webhook).filter(Webhook.user_id == user.id).count()
    if count >= MAX_PER_USER:
        raise QuotaExceeded(f"you have {count} webhooks; the limit is {MAX_PER_USER}")
    secret = "whsec_" + secrets.token_urlsafe(32)
    row = Webhook(user_id=user.id, project_id=project_id, url=url, secret=secret,
                  events=sorted(set(body.events)), created_at=utcnow())
    session.add(row)
    session.flush()
    if commit:
        session.commit()
    return row, secret


def get(session: Session, user: User, webhook_id: int) -> Webhook:
    row = session.get(Webhook, webhook_id)
    if row is None or (row.user_id != user.id and not user.is_admin):
        raise NotFound(f"no webhook {webhook_id}")
    return row


def listing(session: Session, user: User) -> list[Webhook]:
    return list(session.scalars(select(Webhook).where(Webhook.user_id == user.id)
                                .order_by(Webhook.id)))


def delete(session: Session, user: User, webhook_id: int, *, commit: bool = True) -> Webhook:
    row = get(session, user, webhook_id)
    session.delete(row)
    session.flush()
    if commit:
        session.commit()
    return row


def to_public(session: Session, row: Webhook) -> WebhookPublic:
    return WebhookPublic(id=row.id, url=row.url, events=row.events, created_at=row.created_at,
                         project=projects.name_of(session, row.project_id))


def deliveries(session: Session, user: User, webhook_id: int | None = None,
               limit: int = 100) -> list[DeliveryPublic]:
    """The newest deliveries of one webhook of the user's, or of all of them."""
    stmt = (select(WebhookDelivery).join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
            .where(Webhook.user_id == user.id))
    if webhook_id is not None:
        get(session, user, webhook_id)
        stmt = stmt.where(WebhookDelivery.webhook_id == webhook_id)
    rows = session.scalars(stmt.order_by(WebhookDelivery.id.desc()).limit(limit))
    return [DeliveryPublic(id=d.id, webhook_id=d.webhook_id, event=d.event, status=d.status,
                           attempts=d.attempts, last_status=d.last_status,
                           last_error=d.last_error, created_at=d.created_at,
                           delivered_at=d.delivered_at) for d in rows]


# ----- events into the outbox -----------------------------------------------------------
def enqueue_backend_status(session: Session, backend: str, status: str,
                           reason: str | None, until: datetime | None) -> int:
    """A delivery of `backend.status` for every webhook that asks for it, in the
    caller's transaction (the change and its deliveries commit together)."""
    payload = {"event": "backend.status", "backend": backend, "status": status,
               "reason": reason, "until": until.isoformat() if until else None,
               "at": utcnow().isoformat()}
    hooks = [h for h in session.scalars(select(Webhook)) if "backend.status" in h.events]
    for hook in hooks:
        session.add(WebhookDelivery(webhook_id=hook.id, event="backend.status",
                                    payload=payload, status="pending", attempts=0,
                                    next_attempt_at=utcnow(), created_at=utcnow()))
    return len(hooks)


def enqueue_job_ended(session: Session, jobs: list[Any]) -> int:
    """Deliveries of `job.ended` for ended jobs (rows with id, user_id, project_id,
    status, backend, shots, error, finished_at): their user's webhooks and their
    project's."""
    if not jobs:
        return 0
    users = {j.user_id for j in jobs}
    project_ids = {j.project_id for j in jobs if getattr(j, "project_id", None) is not None}
    hooks = list(session.scalars(select(Webhook).where(or_(
        Webhook.user_id.in_(users) & Webhook.project_id.is_(None),
        Webhook.project_id.in_(project_ids)))))
    now = utcnow()
    n = 0
    for job in jobs:
        payload = {"event": "job.ended", "job": {
            "id": job.id, "status": job.status, "backend": job.backend, "shots": job.shots,
            "project": projects.name_of(session, getattr(job, "project_id", None)),
            "error": job.error,
            "finished_at": job.finished_at.isoformat() if job.finished_at else None},
            "at": now.isoformat()}
        for hook in hooks:
            if "job.ended" not in hook.events:
                continue
            if hook.project_id is None and hook.user_id != job.user_id:
                continue
            if hook.project_id is not None and hook.project_id != job.project_id:
                continue
            session.add(WebhookDelivery(webhook_id=hook.id, event="job.ended",
                                        payload=payload, status="pending", attempts=0,
                                        next_attempt_at=now, created_at=now))
            n += 1
    return n


# ----- delivering ------------------------------------------------------------------------
class Dispatcher:
    """One thread that writes job-end deliveries and POSTs the due ones."""

    def __init__(self, db: Any, retry_base: float = 1.0, poll: float = 0.5) -> None:
        self.db = db
        self.retry_base = retry_base
        self.poll = poll
        self._ended: queue.SimpleQueue[list[str]] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="kuafu-webhooks",
                                        daemon=True)
        self._client: httpx.Client | None = None
        self._any: bool | None = None  # whether any webhook exists (checked now and then)
        self._checked = 0.0

    def start(self) -> None:
        self._client = httpx.Client(timeout=TIMEOUT, follow_redirects=False)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        if self._client is not None:
            self._client.close()

    def wake(self) -> None:
        self._any = None
        self._wake.set()

    def jobs_ended(self, job_ids: list[str]) -> None:
        """Called from the scheduler's thread with the jobs that just ended."""
        if job_ids:
            self._ended.put(list(job_ids))
            self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(timeout=self.poll)
            self._wake.clear()
            try:
                if self._has_hooks():
                    self._write_ended()
                    self._deliver_due()
                else:
                    self._drain()
            except Exception:
                logger.exception("webhook pass failed; retrying")
                time.sleep(1.0)

    def _has_hooks(self) -> bool:
        now = time.monotonic()
        if self._any is None or now - self._checked > 5.0:
            with self.db.engine.connect() as conn:
                self._any = conn.execute(select(Webhook.id).limit(1)).first() is not None
            self._checked = now
        return bool(self._any)

    def _drain(self) -> None:
        while True:
            try:
                self._ended.get_nowait()
            except queue.Empty:
                return

    def _write_ended(self) -> None:
        ids: list[str] = []
        while True:
            try:
                ids += self._ended.get_nowait()
            except queue.Empty:
                break
        if not ids:
            return
        with self.db.session_factory() as session:
            rows = list(session.scalars(select(Job).where(Job.id.in_(ids))))
            ended = [r for r in rows if r.status in ("done", "failed", "cancelled")]
            session.commit()  # the reading ends before the writing starts
            with self.db.writing():
                if enqueue_job_ended(session, ended):
                    session.commit()

    def _deliver_due(self) -> None:
        now = utcnow()
        with self.db.session_factory() as session:
            due = session.execute(
                select(WebhookDelivery, Webhook.url, Webhook.secret)
                .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
                .where(WebhookDelivery.status == "pending",
                       WebhookDelivery.next_attempt_at <= now)
                .order_by(WebhookDelivery.id).limit(50)).all()
            session.commit()  # no transaction held open while the receivers answer
            results = [(d.id, d.attempts, self._send(d, url, secret)) for d, url, secret in due]
            if not results:
                return
            with self.db.writing():
                for delivery_id, attempts, (code, error) in results:
                    ok = code is not None and 200 <= code < 300
                    tries = attempts + 1
                    values: dict[str, Any] = {"attempts": tries, "last_status": code,
                                              "last_error": error}
                    if ok:
                        values.update(status="delivered", delivered_at=utcnow())
                    elif tries >= MAX_ATTEMPTS:
                        values["status"] = "failed"
                    else:
                        values["next_attempt_at"] = utcnow() + timedelta(
                            seconds=retry_delay(self.retry_base, tries))
                    session.execute(update(WebhookDelivery).where(
                        WebhookDelivery.id == delivery_id,
                        WebhookDelivery.attempts == attempts).values(**values))
                session.commit()
            if any(code is None or not 200 <= code < 300 for _, _, (code, _e) in results):
                self._wake.clear()

    def _send(self, delivery: WebhookDelivery, url: str,
              secret: str) -> tuple[int | None, str | None]:
        body = json.dumps(delivery.payload, separators=(",", ":")).encode()
        stamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", "User-Agent": "Kuafu-Webhooks",
                   "X-Kuafu-Event": delivery.event, "X-Kuafu-Delivery": str(delivery.id),
                   "X-Kuafu-Timestamp": stamp, "X-Kuafu-Signature": sign(secret, stamp, body)}
        try:
            answer = self._client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"[:500]
        error = None if answer.is_success else f"HTTP {answer.status_code}"
        return answer.status_code, error
