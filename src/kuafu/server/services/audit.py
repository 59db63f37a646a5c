"""The audit log: who signed in (or failed to), made or revoked a key, changed a role,
a chip's status, an allocation or a reservation — one `AuditEvent` row each.

Callers write an event in the same transaction as the change it describes
(`record_event` adds the row and does not commit), so the log holds exactly the changes
that happened. Administrators read it with filters (`list_events`: the console's audit
page and `GET /api/v1/admin/audit`) and export it as CSV (`to_csv`).

Actions are dotted names, the first part the thing acted on (`ACTIONS` lists the known
ones; others are accepted, so a new feature needs no change here). Details are small
JSON objects; never put a secret in them (a key's prefix, not the key).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import InvalidRequest
from ..models import AuditEvent, User, utcnow

#: Actions written by Kuafu, with what each means (the console's filter lists them).
ACTIONS = {
    "sign_in.ok": "signed in to the console",
    "sign_in.failed": "a console sign-in was refused",
    "sign_in.throttled": "a console sign-in was refused: too many tries",
    "sign_out": "signed out of the console",
    "password.change": "changed their password",
    "password.reset_link": "issued a password reset link",
    "password.reset": "set a new password with a reset link",
    "invitation.create": "issued an invitation link",
    "invitation.accept": "created an account with an invitation",
    "invitation.revoke": "revoked an invitation link",
    "signup.request": "asked for an account (self sign-up)",
    "signup.approve": "approved a self sign-up",
    "signup.reject": "turned down a self sign-up",
    "user.create": "created a user",
    "user.role": "changed a user's role",
    "user.email": "changed their e-mail address",
    "user.oidc_link": "linked an account to the single sign-on provider",
    "user.disable": "disabled a user",
    "user.enable": "enabled a user",
    "token.create": "created an API key",
    "token.revoke": "revoked an API key",
    "backend.status": "changed a chip's status",
    "allocation.change": "changed a project's allocation",
    "reservation.create": "reserved a chip",
    "reservation.cancel": "cancelled a reservation",
}

MAX_SUBJECT = 300
MAX_ACTION = 64


def record_event(session: Session, *, actor_id: int | None, action: str, subject: str,
                 details: dict | None = None, commit: bool = False) -> None:
    """Add one event to the log; the caller's transaction commits it with its change
    (`commit`: commit now, for an event that is the whole unit of work, such as a
    refused sign-in).

    Args:
        actor_id: the user who acted; None for the system or an unknown caller (a failed
            sign-in under a name that may not exist).
        action: a dotted name, e.g. "token.create" (`ACTIONS`).
        subject: what was acted on, e.g. "user alice", "backend ScQ-P10".
        details: small JSON-able facts (never a secret).
    """
    actor_name = session.get(User, actor_id).name if actor_id is not None else None
    session.add(AuditEvent(at=utcnow(), actor_id=actor_id, actor_name=actor_name,
                           action=action[:MAX_ACTION], subject=subject[:MAX_SUBJECT],
                           details=details or None))
    if commit:
        session.commit()


def list_events(session: Session, *, action: str | None = None, actor: str | None = None,
                subject: str | None = None, since: datetime | None = None,
                until: datetime | None = None, before_id: int | None = None,
                limit: int = 100) -> list[AuditEvent]:
    """Events newest first, filtered.

    Args:
        action: an exact action, or a prefix ending in "." ("sign_in." for all sign-ins).
        actor: the acting user's name.
        subject: text the subject contains.
        since, until: a time window (`until` excluded).
        before_id: events older than this one (the next page after a page's last id).
        limit: at most this many (1-10 000).

    Raises:
        InvalidRequest: a limit out of range.
    """
    if not 1 <= limit <= 10_000:
        raise InvalidRequest(f"limit {limit} is out of range: 1 to 10000")
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEvent.action.startswith(action, autoescape=True)
                            if action.endswith(".") else AuditEvent.action == action)
    if actor:
        query = query.where(AuditEvent.actor_name == actor)
    if subject:
        query = query.where(AuditEvent.subject.contains(subject, autoescape=True))
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    if until is not None:
        query = query.where(AuditEvent.at < until)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    return list(session.scalars(query))


CSV_COLUMNS = ("id", "at", "actor", "action", "subject", "details")


def to_csv(events: Iterable[AuditEvent]) -> str:
    """The events as CSV (UTC ISO times, details as JSON), for spreadsheets and archives.
    Cells that a spreadsheet would run as a formula are prefixed with a quote."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for e in events:
        writer.writerow([e.id, e.at.isoformat(), _cell(e.actor_name or ""), _cell(e.action),
                         _cell(e.subject), _cell(json.dumps(e.details, sort_keys=True)
                                                  if e.details else "")])
    return out.getvalue()


def _cell(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def event_public(e: AuditEvent) -> dict[str, Any]:
    return {"id": e.id, "at": e.at, "actor": e.actor_name, "actor_id": e.actor_id,
            "action": e.action, "subject": e.subject, "details": e.details or {}}
