"""Shared pieces of the CLI: client options, tables, histograms, JSON output."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import click


def client_options(func: Callable) -> Callable:
    """Add `--url` and `--token` (defaults: KUAFU_URL, KUAFU_TOKEN, `kuafu login`)."""

    @click.option("--url", default=None, help="server address (default: KUAFU_URL or login)")
    @click.option("--token", default=None, help="API token (default: KUAFU_TOKEN or login)")
    @functools.wraps(func)
    def wrapper(*args: Any, url: str | None, token: str | None, **kwargs: Any) -> Any:
        from ..client import Client

        with Client(url=url, token=token) as client:
            return func(client, *args, **kwargs)

    return wrapper


def when(moment: datetime | None) -> str:
    """A time for people, in UTC to the second ("2026-12-01 14:00:05 UTC"); "-" for None."""
    if moment is None:
        return "-"
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def status_text(status: str, reason: str | None, until: datetime | None) -> str:
    """A chip's status with the operator's reason and expected end, when there are any."""
    text = str(status)
    if reason:
        text += f": {reason}"
    if until is not None:
        text += f" (until {when(until)})"
    return text


def json_option(func: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True, help="print JSON for scripts")(func)


def echo_json(data: Any) -> None:
    if hasattr(data, "model_dump"):
        data = data.model_dump(mode="json")
    elif isinstance(data, list):
        data = [d.model_dump(mode="json") if hasattr(d, "model_dump") else d for d in data]
    click.echo(json.dumps(data, indent=2, default=str))


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A table for people (rich), on stdout."""
    from rich.console import Console
    from rich.table import Table

    out = Table(title=title)
    for index, column in enumerate(columns):
        out.add_column(column, no_wrap=index == 0)  # ids must stay whole to be copied
    for row in rows:
        out.add_row(*("" if v is None else str(v) for v in row))
    Console(width=None if sys.stdout.isatty() else 200).print(out)  # pipes: no squeezing


def histogram(counts: Mapping[str, int], width: int = 40, top: int = 16) -> str:
    """Counts as text bars, most frequent first (clbit 0 is the rightmost character)."""
    total = sum(counts.values()) or 1
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    peak = items[0][1] if items else 1
    lines = []
    for key, n in items:
        bar = "█" * max(1, round(width * n / peak))
        lines.append(f"  {key}  {bar} {n} ({n / total:.1%})")
    if len(counts) > top:
        lines.append(f"  … {len(counts) - top} more outcomes")
    return "\n".join(lines)
