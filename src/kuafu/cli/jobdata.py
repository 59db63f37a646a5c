"""`kuafu jobs` (list with filters, `replay`, `export`, `delete`) and the administrators'
`kuafu admin recalibrate` / `kuafu admin faults` (issue 18)."""

from __future__ import annotations

import contextlib
import json
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from ..errors import KuafuError
from ..schemas import JobStatus
from ._common import client_options, echo_json, json_option, table, when
from .jobs import _group_title


def replay_archive(path: Path) -> list[dict[str, Any]]:
    """`services.jobdata.replay_archive`, as a CLI error when it is not an archive."""
    from ..server.services.jobdata import replay_archive as replay

    try:
        return replay(path)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None

STATUSES = [s.value for s in JobStatus]


def _moment(value: str | None) -> datetime | None:
    """`2026-12-01` or `2026-12-01T14:00` (UTC unless an offset is given)."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD[THH:MM])") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _filters(func):
    for option in reversed((
        click.option("--status", type=click.Choice(STATUSES), default=None),
        click.option("--backend", default=None),
        click.option("--group", default=None),
        click.option("--name", default=None),
        click.option("--tag", default=None, help="jobs carrying this tag"),
        click.option("--since", default=None, help="created on or after (UTC), "
                     "YYYY-MM-DD[THH:MM]"),
        click.option("--until", default=None, help="created before (UTC), "
                     "YYYY-MM-DD[THH:MM]"),
    )):
        func = option(func)
    return func


@click.group("jobs", invoke_without_command=True)
@_filters
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1))
@json_option
@click.option("--url", default=None, help="server address (default: KUAFU_URL or login)")
@click.option("--token", default=None, help="API token (default: KUAFU_TOKEN or login)")
@click.pass_context
def jobs(ctx: click.Context, status: str | None, backend: str | None, group: str | None,
         name: str | None, tag: str | None, since: str | None, until: str | None,
         limit: int, as_json: bool, url: str | None, token: str | None) -> None:
    """List your jobs, newest first, by status, backend, group, name, tag and date
    (`--since 2026-12-01 --until 2026-12-05`); with --group, the group's jobs in their
    order. Sub-commands replay, export and delete jobs."""
    if ctx.invoked_subcommand is not None:
        return
    from ..client import Client

    with Client(url=url, token=token) as client:
        items = list(client.jobs(status=status, backend=backend, group=group, name=name,
                                 tag=tag, since=_moment(since), until=_moment(until),
                                 limit=limit, page_size=min(limit, 500)))
        if as_json:
            echo_json(items)
            return
        title, last = "Jobs", ("group", lambda j: j.group)
        if group is not None:
            title = _group_title(client, group)
            items.sort(key=lambda j: (j.group_seq is None, j.group_seq, j.created_at))
            last = ("seq", lambda j: j.group_seq)
    table(title, ["id", "status", "backend", "shots", "name", last[0], "created", "queue",
                  "tags"],
          [[j.id, j.status, j.backend, j.shots, j.name, last[1](j),
            j.created_at.strftime("%Y-%m-%d %H:%M:%S"), j.queue_position,
            ",".join(j.tags) or None] for j in items])


# ----- replay --------------------------------------------------------------------------

@jobs.command()
@click.argument("job_id", required=False)
@click.option("--from-archive", "archive", type=click.Path(exists=True, dir_okay=False),
              default=None, help="replay the jobs of an export archive here, no server")
@click.option("--wait/--no-wait", default=True, show_default=True)
@json_option
@click.option("--url", default=None, help="server address (default: KUAFU_URL or login)")
@click.option("--token", default=None, help="API token (default: KUAFU_TOKEN or login)")
def replay(job_id: str | None, archive: str | None, wait: bool, as_json: bool,
           url: str | None, token: str | None) -> None:
    """Run a finished job again exactly (its program, compiler options, seed, calibration
    snapshot and noise) and say whether the counts are bit-identical, and which software
    versions differ; or replay every job of an export archive on this machine."""
    if (job_id is None) == (archive is None):
        raise click.UsageError("give a JOB_ID or --from-archive FILE (one of them)")
    if archive is not None:
        reports = replay_archive(Path(archive))
        _say(reports, as_json)
        if not all(r["counts_identical"] for r in reports):
            raise SystemExit(3)
        return
    from ..client import Client

    with Client(url=url, token=token) as client:
        new = client.replay(job_id)
        click.echo(f"replay of {job_id}: job {new.id}", err=True)
        if not wait:
            return
        with contextlib.suppress(KuafuError):  # failed or cancelled: the report says so
            new.result(progress=False)
        report = client.replay_report(new.id)
    _say([report], as_json)
    if report["counts_identical"] is False:
        raise SystemExit(3)


def _say(reports: Sequence[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        echo_json(list(reports))
        return
    for r in reports:
        same = {True: "bit-identical counts", False: "DIFFERENT counts",
                None: f"not finished ({r.get('status')})"}[r["counts_identical"]]
        click.echo(f"{r.get('replay_of') or r['job']}: {same}"
                   + (f" (replay {r['job']})" if r.get("replay_of") else "")
                   + f"; calibration {r.get('calibration_id') or '-'}, seed {r.get('seed')}")
        for line in r.get("software_differs") or ():
            click.echo(f"  software differs: {line}")


# ----- export and delete ---------------------------------------------------------------

@jobs.command()
@click.argument("ids", nargs=-1)
@_filters
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="the archive to write (default: kuafu-jobs-<time>.zip)")
@client_options
def export(client, ids: tuple[str, ...], status: str | None, backend: str | None,
           group: str | None, name: str | None, tag: str | None, since: str | None,
           until: str | None, output: str | None) -> None:
    """Export jobs (IDS, a --group, or a filter) as one zip archive: circuits, compiled
    circuits, counts, calibration snapshots, seeds, options, software versions and a
    README; `kuafu jobs replay --from-archive` replays it."""
    out = Path(output or f"kuafu-jobs-{datetime.now(UTC):%Y%m%dT%H%M%S}.zip")
    client.export_jobs(out, ids=ids, status=status, backend=backend, group=group,
                       name=name, tag=tag, since=_moment(since), until=_moment(until))
    with zipfile.ZipFile(out) as archive:
        count = len(json.loads(archive.read("manifest.json"))["jobs"])
    click.echo(f"wrote {out} ({count} job{'s' if count != 1 else ''}, "
               f"{out.stat().st_size:,} bytes)")


@jobs.command()
@click.argument("ids", nargs=-1, required=True)
@click.option("--yes", "-y", is_flag=True, help="do not ask for confirmation")
@client_options
def delete(client, ids: tuple[str, ...], yes: bool) -> None:
    """Delete finished jobs: their programs and results are removed for good (their
    usage still counts). Asks first unless --yes."""
    if not yes:
        click.confirm(f"Delete {len(ids)} job{'s' if len(ids) != 1 else ''} "
                      f"({', '.join(ids[:3])}{', ...' if len(ids) > 3 else ''}) for good?",
                      abort=True, err=True)
    deleted = client.delete_jobs(ids)
    click.echo(f"deleted {len(deleted)} job{'s' if len(deleted) != 1 else ''}")


# ----- administrators ------------------------------------------------------------------

@click.command()
@click.argument("chip")
@client_options
def recalibrate(client, chip: str) -> None:
    """Recalibrate CHIP now: it is `calibrating` (its jobs wait) for the configured
    minutes, then its new calibration snapshot is in force."""
    row = client.recalibrate(chip)
    click.echo(f"{chip} is calibrating until {when(_moment(row['calibrated_at']))}; "
               f"new snapshot {row['id']}")


@click.command()
@click.argument("chip")
@click.option("--qubit", "qubits", multiple=True, help="a qubit to mark unusable (Q3)")
@click.option("--coupler", "couplers", multiple=True, help="a coupler to mark unusable "
              "(Q3-Q4)")
@click.option("--reason", default=None)
@click.option("--clear", is_flag=True, help="remove every mark")
@client_options
def faults(client, chip: str, qubits: tuple[str, ...], couplers: tuple[str, ...],
           reason: str | None, clear: bool) -> None:
    """Mark qubits and couplers of CHIP unusable (replacing earlier marks): the compiler
    avoids them and the chip drawing shows them. Without marks, show the current ones."""
    pairs = []
    for c in couplers:
        a, sep, b = c.partition("-")
        if not sep:
            raise click.BadParameter(f"{c!r} is not a coupler (Q3-Q4)")
        pairs.append((a, b))
    if clear or qubits or pairs:
        out = client.set_faults(chip, qubits, pairs, reason)
    else:
        out = client._http.request("GET", f"/backends/{chip}/faults")
    marks = out["qubits"] + ["-".join(c) for c in out["couplers"]]
    click.echo(f"{chip}: unusable: {', '.join(marks) if marks else 'none'}")
