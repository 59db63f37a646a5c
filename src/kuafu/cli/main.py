"""Entry point of the `kuafu` command; each sub-command lives in its own module."""

from __future__ import annotations

import click

from .. import __version__
from ..errors import APIError, KuafuError
from .admin import admin
from .backends import backends
from .demo import demo
from .jobdata import faults, jobs, recalibrate
from .jobs import cancel, result, submit
from .login import login, logout, whoami
from .projects import projects
from .scheduling import reservations, sessions, webhooks
from .serve import serve
from .token import token
from .warm import warm


class _Group(click.Group):
    """Turns Kuafu errors into one line on stderr and an exit code (1; 2 for 4xx)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except APIError as exc:
            click.echo(f"error: {exc}" + (f" (request {exc.request_id})" if exc.request_id
                                          else ""), err=True)
            if exc.status in (0, 401):
                click.echo("hint: kuafu login --url URL saves the server and your token "
                           "(or set KUAFU_URL and KUAFU_TOKEN)", err=True)
            ctx.exit(2 if 400 <= exc.status < 500 else 1)
        except KuafuError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(1)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="kuafu")
def main() -> None:
    """Kuafu: an open, self-hostable quantum computing cloud."""


admin.add_command(recalibrate)  # issue 18
admin.add_command(faults)
for command in (demo, serve, login, whoami, logout, backends, submit, jobs, result,
                cancel, admin, token, projects,
                sessions, reservations, webhooks, warm):
    main.add_command(command)
