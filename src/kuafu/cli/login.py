"""`kuafu login`, `kuafu whoami`, `kuafu logout`: the server and token the client and
the CLI use (saved in the user's config file, `KUAFU_CONFIG` to move it)."""

from __future__ import annotations

import sys

import click

from ._common import client_options, echo_json, json_option


@click.command()
@click.option("--url", default="http://127.0.0.1:8000", show_default=True)
@click.option("--token", default=None,
              help="API token (default: read from stdin when piped, else asked for)")
def login(url: str, token: str | None) -> None:
    """Check the token against the server and save both in the user's config file.

    The token is asked for without echo on a terminal, and read from stdin when it is
    piped (`kuafu admin create-user alice | kuafu login`)."""
    from ..client import Client, save_config

    if not token:
        token = (sys.stdin.readline().strip() if not sys.stdin.isatty()
                 else click.prompt("API token", hide_input=True).strip())
    if not token:
        raise click.UsageError("no token given (pass --token, pipe it in, or type it)")
    with Client(url=url, token=token, max_retries=1) as client:
        me = client.me()
    path = save_config(url.rstrip("/"), token)
    click.echo(f"logged in to {url} as {me.name}; saved to {path}", err=True)


@click.command()
@json_option
@client_options
def whoami(client, as_json: bool) -> None:
    """Who the current token belongs to, on which server."""
    me = client.me()
    if as_json:
        echo_json({"url": client.url, **me.model_dump(mode="json")})
        return
    role = "admin" if me.admin else "user"
    click.echo(f"{me.name} ({role}) on {client.url}")


@click.command()
def logout() -> None:
    """Forget the saved token (the server URL stays). The token itself stays valid
    until revoked: `kuafu token list`, `kuafu token revoke ID`."""
    from ..client.config import forget_token

    path, had = forget_token()
    if had:
        click.echo(f"logged out: the token was removed from {path}; it stays valid on "
                   "the server until revoked (kuafu token revoke ID)", err=True)
    else:
        click.echo(f"not logged in (no token in {path})", err=True)
