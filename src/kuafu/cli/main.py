"""Entry point of the `kuafu` command; each sub-command lives in its own module."""

from __future__ import annotations

import click

from .. import __version__
from .demo import demo


@click.group()
@click.version_option(__version__, prog_name="kuafu")
def main() -> None:
    """Kuafu: an open, self-hostable quantum computing cloud."""


main.add_command(demo)
