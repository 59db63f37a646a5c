"""The console's sessions in the store: starting one (sign-in), ending one (sign-out),
and its one-time message (the flash a form's redirect leaves for the next page, sealed
by the console).

Each function commits, unless told `commit=False`: the next request reads what it wrote,
and the browser follows the redirect as soon as the answer goes out (issue 15: the
service that does a unit of work commits it; the console's routes commit nothing).
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ..models import ConsoleSession

__all__ = ["end", "put_flash", "start", "take_flash"]


def start(session: Session, row: ConsoleSession, ended_secret_hash: str | None = None, *,
          commit: bool = True) -> ConsoleSession:
    """Store the new console session `row` (sign-in), ending the one whose secret hashes
    to `ended_secret_hash` (the browser's old cookie) and every expired one."""
    if ended_secret_hash:
        session.execute(delete(ConsoleSession).where(
            ConsoleSession.secret_hash == ended_secret_hash))
    session.add(row)
    session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at < row.created_at))
    session.flush()
    if commit:
        session.commit()
    return row


def end(session: Session, session_id: int, *, commit: bool = True) -> None:
    """End console session `session_id` (sign-out)."""
    session.execute(delete(ConsoleSession).where(ConsoleSession.id == session_id))
    if commit:
        session.commit()


def put_flash(session: Session, session_id: int, sealed: str, *, commit: bool = True) -> None:
    """Keep the sealed message for the next page of console session `session_id`."""
    session.execute(update(ConsoleSession).where(ConsoleSession.id == session_id)
                    .values(flash=sealed))
    if commit:
        session.commit()


def take_flash(session: Session, session_id: int, *, commit: bool = True) -> str | None:
    """The sealed message kept for console session `session_id`, once (None: none)."""
    sealed = session.execute(select(ConsoleSession.flash).where(
        ConsoleSession.id == session_id)).scalar()
    if sealed:
        session.execute(update(ConsoleSession).where(ConsoleSession.id == session_id)
                        .values(flash=None))
    if commit:
        session.commit()
    return sealed or None
