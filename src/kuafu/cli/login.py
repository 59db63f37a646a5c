"""`kuafu login`: remember a server and token for the client and the CLI."""

from __future__ import annotations

import click


@click.command()
@click.option("--url", default="http://127.0.0.1:8000", show_default=True)
@click.option("--token", default=None, help="API token (asked for when not given)")
def login(url: str, token: str | None) -> None:
    """Check the token against the server and save both in the user's config file."""
    from ..client import Client, save_config

    token = token or click.prompt("API token", hide_input=True)
    with Client(url=url, token=token, max_retries=1) as client:
        me = client.me()
    path = save_config(url.rstrip("/"), token)
    click.echo(f"logged in to {url} as {me.name}; saved to {path}", err=True)
