"""`kuafu submit`, `kuafu jobs`, `kuafu result`, `kuafu cancel`."""

from __future__ import annotations

from pathlib import Path

import click

from ..schemas import JobStatus
from ._common import client_options, echo_json, histogram, json_option, table


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--backend", "-b", required=True)
@click.option("--shots", "-s", default=1000, show_default=True, type=click.IntRange(1))
@click.option("--compile/--no-compile", default=True, show_default=True)
@click.option("--priority", default=0, type=click.IntRange(0, 9))
@click.option("--name", default=None)
@click.option("--group", default=None)
@click.option("--wait", is_flag=True, help="wait for the results and print them")
@json_option
@client_options
def submit(client, files: tuple[str, ...], backend: str, shots: int, compile: bool,
           priority: int, name: str | None, group: str | None, wait: bool,
           as_json: bool) -> None:
    """Submit FILE.qasm (several files make one batch) and print the job ids."""
    programs = [Path(f).read_text() for f in files]
    options = dict(backend=backend, shots=shots, compile=compile, priority=priority,
                   name=name, group=group)
    jobs = (client.submit_batch(programs, **options) if len(programs) > 1
            else [client.submit(programs[0], **options)])
    if not wait:
        if as_json:
            echo_json({"ids": [j.id for j in jobs]})
        else:
            for job in jobs:
                click.echo(job.id)
        return
    results = [job.result() for job in jobs]
    if as_json:
        echo_json([{"id": j.id, **r.data.model_dump(mode="json")} for j, r in zip(jobs, results,
                                                                            strict=True)])
        return
    for job, result in zip(jobs, results, strict=True):
        click.echo(f"{job.id}: {result.shots} shots on {backend}")
        click.echo(histogram(result.counts))


@click.command("jobs")
@click.option("--status", type=click.Choice([s.value for s in JobStatus]), default=None)
@click.option("--backend", default=None)
@click.option("--group", default=None)
@click.option("--name", default=None)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1))
@json_option
@client_options
def jobs_(client, status: str | None, backend: str | None, group: str | None,
          name: str | None, limit: int, as_json: bool) -> None:
    """List your jobs, newest first."""
    items = list(client.jobs(status=status, backend=backend, group=group, name=name,
                             limit=limit, page_size=min(limit, 500)))
    if as_json:
        echo_json(items)
        return
    table("Jobs", ["id", "status", "backend", "shots", "name", "group", "created", "queue"],
          [[j.id, j.status, j.backend, j.shots, j.name, j.group,
            j.created_at.strftime("%Y-%m-%d %H:%M:%S"), j.queue_position] for j in items])


@click.command()
@click.argument("job_id")
@click.option("--wait/--no-wait", default=True, show_default=True)
@json_option
@client_options
def result(client, job_id: str, wait: bool, as_json: bool) -> None:
    """Print the result of job JOB_ID (waiting for it by default)."""
    job = client.job(job_id)
    info = job._info
    if not wait and not info.status.final:
        raise click.ClickException(f"job {job_id} is {info.status} "
                                   f"(queue position {info.queue_position})")
    res = job.result()
    if as_json:
        echo_json(res.data)
        return
    click.echo(f"{job_id}: {res.shots} shots, method {res.method}, calibration "
               f"{res.calibration.id if res.calibration else '-'}")
    click.echo(histogram(res.counts))


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
