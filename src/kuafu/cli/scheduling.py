"""`kuafu sessions`, `kuafu reservations` and `kuafu webhooks`."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from ._common import client_options, echo_json, json_option, table, when


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


# ----- chip sessions ----------------------------------------------------------------------
@click.group()
def sessions() -> None:
    """Chip sessions: your jobs in one run ahead of the general queue."""


@sessions.command("open")
@click.option("--backend", "-b", required=True)
@click.option("--project", default=None)
@click.option("--max-seconds", default=3600.0, show_default=True, type=float)
@click.option("--idle-seconds", default=300.0, show_default=True, type=float)
@json_option
@client_options
def open_(client, backend, project, max_seconds, idle_seconds, as_json) -> None:
    """Open a session on BACKEND; prints its id (`kuafu submit --session ID`)."""
    s = client.open_session(backend, project=project, max_seconds=max_seconds,
                            idle_seconds=idle_seconds)
    echo_json(s) if as_json else click.echo(s.id)


@sessions.command()
@click.argument("session_id")
@json_option
@client_options
def show(client, session_id: str, as_json: bool) -> None:
    """A session: open or closed (and why), its jobs and chip-seconds."""
    s = client.session_info(session_id)
    if as_json:
        echo_json(s)
        return
    state = s.status + (f" ({s.end_reason})" if s.end_reason else "")
    click.echo(f"{s.id} on {s.backend} for {s.project}: {state}; {s.jobs} jobs, "
               f"{s.chip_seconds:.3f} chip-seconds; opened {when(s.created_at)}")


@sessions.command()
@click.argument("session_id")
@client_options
def close(client, session_id: str) -> None:
    """Close a session."""
    s = client.close_session(session_id)
    click.echo(f"{s.id}: {s.status}")


# ----- reservations -----------------------------------------------------------------------
@click.group()
def reservations() -> None:
    """Reservations of chips for projects (administrators book them)."""


@reservations.command("list")
@json_option
@client_options
def list_reservations(client, as_json: bool) -> None:
    """Reservations not yet over, soonest first."""
    items = client.reservations()
    if as_json:
        echo_json(items)
        return
    table("reservations", ["id", "chip", "project", "from", "to", "reason"],
          [(r.id, r.backend, r.project, when(r.starts_at), when(r.ends_at), r.reason or "")
           for r in items])


@reservations.command("create")
@click.option("--backend", "-b", required=True)
@click.option("--project", required=True)
@click.option("--start", "starts_at", required=True, type=click.DateTime(
    ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]), help="UTC, e.g. 2026-12-07T10:00")
@click.option("--end", "ends_at", required=True, type=click.DateTime(
    ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]))
@click.option("--reason", default=None)
@client_options
def create_reservation(client, backend, project, starts_at, ends_at, reason) -> None:
    """Book BACKEND for PROJECT from --start to --end (UTC)."""
    r = client.reserve(backend, project, _utc(starts_at), _utc(ends_at), reason)
    click.echo(f"reservation {r.id}: {r.backend} for {r.project}, {when(r.starts_at)} "
               f"to {when(r.ends_at)}")


@reservations.command("cancel")
@click.argument("reservation_id", type=int)
@client_options
def cancel_reservation(client, reservation_id: int) -> None:
    """Cancel reservation RESERVATION_ID (administrators)."""
    client.cancel_reservation(reservation_id)
    click.echo(f"reservation {reservation_id} cancelled")


# ----- webhooks ---------------------------------------------------------------------------
@click.group()
def webhooks() -> None:
    """Webhooks: job ends and chip status changes POSTed to a URL, signed."""


@webhooks.command("create")
@click.argument("target", metavar="URL")  # not `url`: --url names the Kuafu server
@click.option("--project", default=None, help="every job of this project (owners)")
@click.option("--event", "events", multiple=True,
              type=click.Choice(["job.ended", "backend.status"]))
@json_option
@client_options
def create_webhook(client, target, project, events, as_json) -> None:
    """POST events to URL; prints the signing secret once."""
    w = client.create_webhook(target, project=project, events=list(events) or None)
    if as_json:
        echo_json(w)
        return
    click.echo(f"webhook {w.id} -> {w.url} ({', '.join(w.events)})")
    click.echo(f"secret (shown once): {w.secret}")


@webhooks.command("list")
@json_option
@client_options
def list_webhooks(client, as_json: bool) -> None:
    """Your webhooks."""
    items = client.webhooks()
    if as_json:
        echo_json(items)
        return
    table("webhooks", ["id", "url", "project", "events"],
          [(w.id, w.url, w.project or "", ", ".join(w.events)) for w in items])


@webhooks.command("deliveries")
@click.argument("webhook_id", type=int)
@json_option
@client_options
def deliveries(client, webhook_id: int, as_json: bool) -> None:
    """A webhook's newest deliveries: status, tries, last answer."""
    items = client.deliveries(webhook_id)
    if as_json:
        echo_json(items)
        return
    table("deliveries", ["id", "event", "status", "tries", "last answer", "created"],
          [(d.id, d.event, d.status, d.attempts,
            d.last_error or (str(d.last_status) if d.last_status else ""),
            when(d.created_at)) for d in items])


@webhooks.command("delete")
@click.argument("webhook_id", type=int)
@client_options
def delete_webhook(client, webhook_id: int) -> None:
    """Delete webhook WEBHOOK_ID."""
    client.delete_webhook(webhook_id)
    click.echo(f"webhook {webhook_id} deleted")
