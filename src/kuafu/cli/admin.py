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
        with db.transaction() as session:
            yield session
    finally:
        db.dispose()


@admin.command("create-user")
@click.argument("name")
@click.option("--admin", "is_admin", is_flag=True, help="give the user the admin role")
@database_option
@click.option("--expires-days", type=float, default=None, help="token lifetime in days")
@click.option("--password", "ask_password", is_flag=True,
              help="also set a console password (asked twice, not echoed; read from "
                   "standard input when it is not a terminal)")
@click.option("--email", default=None, help="an e-mail address to sign in with")
@json_option
def create_user(name: str, is_admin: bool, database: str | None,
                expires_days: float | None, ask_password: bool, email: str | None,
                as_json: bool) -> None:
    """Create user NAME (1-64 letters, digits, '.', '_', '-') and print a first API
    token (shown this once)."""
    from ..server.services import accounts, identity

    password = (click.prompt("Password", hide_input=True, confirmation_prompt=True,
                             err=True) if ask_password else None)
    if password is not None:
        identity.check_password_rules(password, name)
    with _store(database) as session:
        user = accounts.create_user(session, name, is_admin)
        user.email = identity.normalise_email(email)
        if password is not None:
            identity.set_password(session, user, password)
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
    """Disable user NAME: their tokens are refused (within 2 s on a running server),
    their console sessions end, and their queued and running jobs are cancelled with
    the reason "account disabled" (a running server stops their computations within a
    few seconds); their finished jobs stay. `--enable` undoes it, but for the
    cancellations."""
    from ..server.services import accounts

    with _store(database) as session:
        user = accounts.set_disabled(session, name, not enable)
        cancelled = getattr(user, "jobs_cancelled", 0)
    click.echo(f"user {name!r} {'enabled' if enable else 'disabled'}"
               + (f"; {cancelled} unfinished job(s) cancelled (account disabled)"
                  if cancelled else ""), err=True)


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


# ----- identity (issue 17): invitations, approvals, reset links, roles, audit ------------
def _link(kind: str, secret: str, url: str | None) -> str:
    from ..server.core.config import Settings

    base = (url or Settings().public_url or "http://127.0.0.1:8000").rstrip("/")
    return f"{base}/console/{'invite' if kind == 'invite' else 'reset'}?code={secret}"


url_option = click.option("--url", default=None, metavar="URL",
                          help="the server's address as users reach it (default: "
                               "KUAFU_PUBLIC_URL, else http://127.0.0.1:8000)")


@admin.command("invite")
@click.option("--email", default=None, help="the invitee's e-mail (filled in for them)")
@click.option("--admin", "is_admin", is_flag=True, help="an administrator's account")
@click.option("--days", type=float, default=None, help="how long the link works "
              "(default: KUAFU_LINK_DAYS, 7)")
@url_option
@database_option
@json_option
def invite(email: str | None, is_admin: bool, days: float | None, url: str | None,
           database: str | None, as_json: bool) -> None:
    """Print a one-time invitation link: whoever opens it chooses a user name and a
    password. Give it to its person yourself (no mail is sent)."""
    from ..server.core.config import Settings
    from ..server.services import identity

    days = days or Settings().link_days
    with _store(database) as session:
        secret = identity.create_link(session, "invite", None, email=email,
                                      is_admin=is_admin, days=days)
    link = _link("invite", secret, url)
    if as_json:
        echo_json({"url": link, "days": days, "email": email, "admin": is_admin})
        return
    click.echo(f"invitation link (works once, for {days:g} days):", err=True)
    click.echo(link)


@admin.command("reset-link")
@click.argument("name")
@click.option("--days", type=float, default=None, help="how long the link works")
@url_option
@database_option
def reset_link(name: str, days: float | None, url: str | None, database: str | None) -> None:
    """Print a one-time link with which user NAME sets a new password (their console
    sessions end when they do)."""
    from ..server.core.config import Settings
    from ..server.services import accounts, identity

    days = days or Settings().link_days
    with _store(database) as session:
        user = accounts.get_user(session, name)
        secret = identity.create_link(session, "reset", None, user=user, days=days)
    click.echo(f"password reset link for {name!r} (works once, for {days:g} days):", err=True)
    click.echo(_link("reset", secret, url))


@admin.command("approve")
@click.argument("name")
@click.option("--reject", is_flag=True, help="turn the request down instead (the account "
              "is disabled; its name stays taken)")
@database_option
def approve(name: str, reject: bool, database: str | None) -> None:
    """Let in user NAME, who signed up in the console and waits for approval."""
    from ..server.services import identity

    with _store(database) as session:
        if reject:
            identity.reject(session, name, None)
        else:
            identity.approve(session, name, None)
    click.echo(f"user {name!r} " + ("turned down (disabled)" if reject else
                                    "approved: they can sign in now"), err=True)


@admin.command("set-role")
@click.argument("name")
@click.argument("role", type=click.Choice(["admin", "user"]))
@database_option
def set_role(name: str, role: str, database: str | None) -> None:
    """Make user NAME an administrator (admin) or a user again (user)."""
    from ..server.services import identity

    with _store(database) as session:
        identity.set_role(session, name, role == "admin", None)
    click.echo(f"user {name!r} is now {'an administrator' if role == 'admin' else 'a user'}",
               err=True)


@admin.command("pending")
@database_option
@json_option
def pending(database: str | None, as_json: bool) -> None:
    """List the sign-ups waiting for approval."""
    from ..server.services import identity

    with _store(database) as session:
        rows = [{"name": u.name, "email": u.email, "asked_at": u.created_at}
                for u in identity.list_pending(session)]
    if as_json:
        echo_json(rows)
        return
    table("Waiting for approval", ["name", "e-mail", "asked"],
          [[r["name"], r["email"] or "", when(r["asked_at"])] for r in rows])
