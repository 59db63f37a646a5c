"""`kuafu token`: create, list and revoke your API tokens."""

from __future__ import annotations

import click

from ._common import client_options, echo_json, json_option, table


@click.group()
def token() -> None:
    """Your API tokens (through the server, with your current token)."""


@token.command("create")
@click.option("--name", default="default", show_default=True)
@click.option("--expires-days", type=float, default=None, help="lifetime in days")
@json_option
@client_options
def create(client, name: str, expires_days: float | None, as_json: bool) -> None:
    """Create a token; it is printed this once and stored only as a hash."""
    created = client.create_token(name, expires_days)
    if as_json:
        echo_json(created)
        return
    click.echo(f"token {created.id} ({created.name}); shown once:", err=True)
    click.echo(created.token)


@token.command("list")
@json_option
@client_options
def list_(client, as_json: bool) -> None:
    """List your tokens (never their secrets)."""
    tokens = client.tokens()
    if as_json:
        echo_json(tokens)
        return
    table("API tokens", ["id", "name", "prefix", "created", "expires", "revoked", "last used"],
          [[t.id, t.name, t.prefix + "…", t.created_at, t.expires_at, t.revoked_at,
            t.last_used_at] for t in tokens])


@token.command("revoke")
@click.argument("token_id", type=int)
@client_options
def revoke(client, token_id: int) -> None:
    """Revoke token TOKEN_ID; requests with it are refused from now on."""
    revoked = client.revoke_token(token_id)
    click.echo(f"revoked token {revoked.id} ({revoked.name}) at {revoked.revoked_at}")
