"""`kuafu submit`, `kuafu jobs`, `kuafu result`, `kuafu cancel`."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import click

from ..errors import APIError, KuafuWarning
from ..schemas import JobStatus
from ._common import client_options, echo_json, histogram, json_option, when


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--backend", "-b", required=True)
@click.option("--shots", "-s", default=1000, show_default=True, type=click.IntRange(1))
@click.option("--compile/--no-compile", default=True, show_default=True)
@click.option("--priority", default=0, type=click.IntRange(0, 9))
@click.option("--name", default=None)
@click.option("--group", default=None)
@click.option("--project", default=None, help="the project charged (default: your "
              "default project; `kuafu projects list`)")
@click.option("--session", "session_id", default=None,
              help="a chip session of yours (`kuafu sessions open`)")
@click.option("--tag", "tags", multiple=True, help="a tag to find the job by (repeatable)")
@click.option("--meta", default=None, help="free metadata, a JSON object")
@click.option("--wait", is_flag=True, help="wait for the results and print them (the ids "
              "are printed first, on stderr: Ctrl-C stops waiting, not the jobs)")
@json_option
@client_options
def submit(client, files: tuple[str, ...], backend: str, shots: int, compile: bool,
           priority: int, name: str | None, group: str | None, project: str | None,
           session_id: str | None, tags: tuple[str, ...], meta: str | None, wait: bool,
           as_json: bool) -> None:
    """Submit FILE.qasm (several files make one batch) and print the job ids.

    A chip in maintenance accepts jobs and keeps them queued: this says so, with the
    operator's reason, on stderr.
    """
    programs = [Path(f).read_text() for f in files]
    options = dict(backend=backend, shots=shots, compile=compile, priority=priority,
                   name=name, group=group, project=project, session=session_id,
                   tags=tags, meta=_meta(meta))
    with warnings.catch_warnings():  # the notice is said below, once, in the CLI's words
        warnings.simplefilter("ignore", KuafuWarning)
        jobs = (client.submit_batch(programs, **options) if len(programs) > 1
                else [client.submit(programs[0], **options)])
    notice = jobs[0].notice
    if notice:
        click.echo(f"note: {notice}", err=True)
    if not wait:
        if as_json:
            echo_json({"ids": [j.id for j in jobs], "notice": notice})
        else:
            for job in jobs:
                click.echo(job.id)
        return
    announce = [f"submitted job {job.id} to {backend}" for job in jobs]
    results = [_wait(job, notice, announce if i == 0 else ()) for i, job in enumerate(jobs)]
    if as_json:
        echo_json([{"id": j.id, **r.data.model_dump(mode="json")} for j, r in zip(jobs, results,
                                                                            strict=True)])
        return
    for job, result in zip(jobs, results, strict=True):
        click.echo(f"{job.id}: {result.shots} shots on {backend}")
        click.echo(histogram(result.counts))


def _meta(text: str | None) -> dict | None:
    """--meta: a JSON object (issue 18)."""
    if text is None:
        return None
    import json

    try:
        value = json.loads(text)
    except ValueError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--meta") from None
    if not isinstance(value, dict):
        raise click.BadParameter("must be a JSON object ({...})", param_hint="--meta")
    return value


def _wait(job, said: str | None = None, announce: Sequence[str] = ()):
    """`job.result()`, saying on stderr why the job waits whenever that changes (a chip
    in maintenance); Ctrl-C stops waiting and says how to come back to the job. The
    `announce` lines (the submitted ids) are printed inside the Ctrl-C guard, so a
    Ctrl-C the moment they appear is answered the same way."""
    last = [said]

    def update(info) -> None:
        if info.notice and info.notice != last[0]:
            click.echo(f"job {job.id} waits: {info.notice}", err=True)
        last[0] = info.notice

    try:
        for line in announce:
            click.echo(line, err=True)
        return job.result(on_update=update)
    except KeyboardInterrupt:
        click.echo(f"\nstopped waiting; job {job.id} goes on. Its result later: "
                   f"kuafu result {job.id}", err=True)
        raise SystemExit(130) from None


def _group_title(client, group_id: str) -> str:
    """`Group qj…: sweep on ScQ-P10-sim · running · 4 jobs: 2 done, 1 running, 1
    queued`; the bare id when no job of yours has it."""
    try:
        g = client.group(group_id)
    except APIError as exc:
        if exc.status != 404:
            raise
        return f"Group {group_id}: no jobs"
    what = f"{g.mode} on {g.target}" + (f" ({g.name})" if g.name else "") if g.mode else ""
    counts = ", ".join(f"{n} {s}" for s, n in g.counts.items() if n)
    parts = [p for p in (what, str(g.status) + (", open" if g.open else ""),
                         f"{g.total} jobs: {counts}") if p]
    return f"Group {g.id}: " + " · ".join(parts)


NOT_FINISHED = 3
"""`kuafu result --no-wait`'s exit status for a job still queued or running."""


@click.command()
@click.argument("job_id")
@click.option("--wait/--no-wait", default=True, show_default=True,
              help="--no-wait: answer at once, with exit status 3 if the job has not "
                   "finished")
@json_option
@client_options
def result(client, job_id: str, wait: bool, as_json: bool) -> None:
    """Print the result of job JOB_ID (waiting for it by default).

    With --no-wait, a job that has not finished is not an error: where it is (queued:
    how many ahead, the estimated start, why it waits; or running since when) goes to
    stdout, or the job as JSON with --json, and the exit status is 3, so a script can
    tell it from a result (0) and from a failed or cancelled job (1).
    """
    job = client.job(job_id)
    info = job._info
    if not info.status.final:
        if not wait:
            if as_json:
                echo_json(info)
            else:
                click.echo(where(info))
            raise SystemExit(NOT_FINISHED)
        if info.notice:
            click.echo(f"job {job_id} waits: {info.notice}", err=True)
    res = _wait(job, info.notice)
    if as_json:
        echo_json(res.data)
        return
    click.echo(f"{job_id}: {res.shots} shots, method {res.method}, calibration "
               f"{res.calibration_id or '-'}")
    click.echo(histogram(res.counts))


def where(info) -> str:
    """Where an unfinished job is, in words: queued (how many ahead, when it should
    start, why it waits) or running (since when)."""
    if info.status == JobStatus.RUNNING:
        return f"job {info.id} is running on {info.backend} since {when(info.started_at)}"
    ahead = info.queue_position or 0
    text = (f"job {info.id} is queued on {info.backend}: "
            + (f"{ahead} job{'s' if ahead != 1 else ''} ahead" if ahead else "next in line"))
    if info.estimated_start is not None:
        text += f", estimated start {when(info.estimated_start)}"
    if info.notice:
        text += f"; {info.notice}"
    return text


@click.command()
@click.argument("job_id")
@json_option
@client_options
def cancel(client, job_id: str, as_json: bool) -> None:
    """Cancel job JOB_ID; says whether it had started."""
    answer = client.job(job_id).cancel()
    if as_json:
        echo_json(answer)
        return
    click.echo(f"{job_id}: {answer.message}")
