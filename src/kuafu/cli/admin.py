"""`kuafu admin`: operator commands that work on the store directly."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import click

from ..schemas import BackendStatus
from ._common import echo_json, json_option, status_text, table, when

database_option = click.option("--database", default=None,
                               help="store URL (default: the server's default)")


@click.group()
def admin() -> None:
    """Operator commands (run on the server machine; they open the store directly)."""


@contextmanager
def _store(database: str | None) -> Iterator:
    """A session on the store (migrated first), committed at the end."""
    from ..server.core.config import Settings
    from ..server.core.db import Database

    db = Database(database or Settings().database_url)
    try:
        db.migrate()
        with db.session() as session:
            yield session
    finally:
        db.dispose()


@admin.command("create-user")
@click.argument("name")
@click.option("--admin", "is_admin", is_flag=True, help="give the user the admin role")
@database_option
@click.option("--expires-days", type=float, default=None, help="token lifetime in days")
@json_option
def create_user(name: str, is_admin: bool, database: str | None,
                expires_days: float | None, as_json: bool) -> None:
    """Create user NAME (1-64 letters, digits, '.', '_', '-') and print a first API
    token (shown this once)."""
    from ..server.services import accounts

    with _store(database) as session:
        user = accounts.create_user(session, name, is_admin)
        _token, secret = accounts.create_token(session, user, "initial", expires_days)
        role = "admin" if user.is_admin else "user"
    if as_json:
        echo_json({"user": name, "role": role, "token": secret})
        return
    click.echo(f"created {role} {name!r}; API token (shown once, keep it safe):", err=True)
    click.echo(secret)


@admin.command("list-users")
@database_option
@json_option
def list_users(database: str | None, as_json: bool) -> None:
    """List the users: role, creation, whether disabled, live tokens."""
    from ..server.services import accounts

    with _store(database) as session:
        rows = []
        for user in accounts.list_users(session):
            live = [t for t in accounts.list_tokens(session, user) if t.revoked_at is None]
            rows.append({"id": user.id, "name": user.name, "admin": user.is_admin,
                         "created_at": user.created_at, "disabled_at": user.disabled_at,
                         "tokens": len(live)})
    if as_json:
        echo_json(rows)
        return
    table("Users", ["name", "role", "created", "disabled", "live tokens"],
          [[r["name"], "admin" if r["admin"] else "user", when(r["created_at"]),
            when(r["disabled_at"]) if r["disabled_at"] else "", r["tokens"]] for r in rows])


@admin.command("disable-user")
@click.argument("name")
@click.option("--enable", is_flag=True, help="enable the user again instead")
@database_option
def disable_user(name: str, enable: bool, database: str | None) -> None:
    """Disable user NAME: their tokens are refused (within 2 s on a running server) and
    their console sessions end; their jobs stay. `--enable` undoes it."""
    from ..server.services import accounts

    with _store(database) as session:
        accounts.set_disabled(session, name, not enable)
    click.echo(f"user {name!r} {'enabled' if enable else 'disabled'}", err=True)


@admin.command("set-status")
@click.argument("backend")
@click.argument("status", type=click.Choice([s.value for s in BackendStatus]))
@click.option("--reason", default=None, help="what users are told (up to 500 characters)")
@click.option("--until", "until", default=None, metavar="TIME",
              help="when the chip is expected back, ISO 8601 (UTC unless an offset is "
                   "given: 2026-12-01T14:00); estimated starts use it")
@database_option
@json_option
def set_status(backend: str, status: str, reason: str | None, until: str | None,
               database: str | None, as_json: bool) -> None:
    """Set BACKEND online, in maintenance (its jobs wait) or offline (new jobs are
    refused too). Users see the status and reason in `kuafu backends`, at submission,
    while they wait, and in the console."""
    from ..server.services import catalog

    if reason is not None and len(reason) > 500:
        raise click.BadParameter("at most 500 characters", param_hint="--reason")
    back = _parse_until(until)
    with _store(database) as session:
        summary = catalog.set_backend_status(session, backend, BackendStatus(status),
                                             "cli-admin", reason, back)
    if as_json:
        echo_json(summary)
        return
    said = status_text(summary.status, summary.status_reason, summary.status_until)
    click.echo(f"{backend}: {said}", err=True)


def _parse_until(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an ISO 8601 time (2026-12-01T14:00)",
                                 param_hint="--until") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
