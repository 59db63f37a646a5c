"""`kuafu admin`: operator commands that work on the store directly."""

from __future__ import annotations

import click

from ._common import echo_json, json_option


@click.group()
def admin() -> None:
    """Operator commands (run on the server machine; they open the store directly)."""


@admin.command("create-user")
@click.argument("name")
@click.option("--admin", "is_admin", is_flag=True, help="give the user the admin role")
@click.option("--database", default=None, help="store URL (default: the server's default)")
@click.option("--expires-days", type=float, default=None, help="token lifetime in days")
@json_option
def create_user(name: str, is_admin: bool, database: str | None,
                expires_days: float | None, as_json: bool) -> None:
    """Create user NAME and print a first API token (shown this once)."""
    from ..server.core.config import Settings
    from ..server.core.db import Database
    from ..server.services import accounts

    url = database or Settings().database_url
    db = Database(url)
    try:
        db.migrate()
        with db.session() as session:
            user = accounts.create_user(session, name, is_admin)
            _token, secret = accounts.create_token(session, user, "initial", expires_days)
            role = "admin" if user.is_admin else "user"
    finally:
        db.dispose()
    if as_json:
        echo_json({"user": name, "role": role, "token": secret})
        return
    click.echo(f"created {role} {name!r}; API token (shown once, keep it safe):", err=True)
    click.echo(secret)
