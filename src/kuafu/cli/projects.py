"""`kuafu projects ...`: projects, members, allocations, usage and estimates."""

from __future__ import annotations

from pathlib import Path

import click

from ._common import client_options, echo_json, json_option, table


def _amount(value: str | None, kind: type) -> object:
    """An allocation given on the command line: a number, or `none` (unlimited)."""
    if value is None or value.lower() in ("none", "unlimited"):
        return None
    try:
        return kind(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a number (or 'none')") from None


def _allocation(p) -> str:
    parts = []
    if p.shots_allocation is not None:
        parts.append(f"{p.usage.shots if p.usage else 0}/{p.shots_allocation} shots")
    if p.seconds_allocation is not None:
        used = p.usage.chip_seconds if p.usage else 0.0
        parts.append(f"{used:.1f}/{p.seconds_allocation:g} chip-s")
    return ", ".join(parts) or "unlimited"


@click.group()
def projects() -> None:
    """Projects: whom your jobs are charged to, their allocations and usage."""


@projects.command("list")
@click.option("--all", "every", is_flag=True, help="every project (administrators)")
@json_option
@client_options
def list_(client, every: bool, as_json: bool) -> None:
    """Your projects: role, allocation used per rolling 28 days, fair share."""
    items = client.projects(every=every)
    if as_json:
        echo_json(items)
        return
    table("projects", ["name", "role", "default", "allocation (28 days)", "backends",
                       "fair share"],
          [(p.name, p.role or "-", "yes" if p.default else "", _allocation(p),
            ", ".join(p.backends) if p.backends is not None else "all",
            f"{p.fair_share:.2f}" if p.fair_share is not None else "-") for p in items])


@projects.command()
@click.argument("name")
@json_option
@client_options
def show(client, name: str, as_json: bool) -> None:
    """One project with its members and usage."""
    p = client.project(name)
    if as_json:
        echo_json(p)
        return
    click.echo(f"{p.name}" + (f" — {p.title}" if p.title else ""))
    click.echo(f"allocation: {_allocation(p)} (rolling 28 days); "
               f"{p.usage.jobs if p.usage else 0} jobs")
    click.echo(f"backends: {', '.join(p.backends) if p.backends is not None else 'all'}")
    if p.fair_share is not None:
        click.echo(f"fair share: {p.fair_share:.3f}")
    table("members", ["user", "role", "default"],
          [(m.user, m.role, "yes" if m.default else "") for m in p.members or []])


def _allocation_options(func):
    func = click.option("--backend", "backends", multiple=True,
                        help="a backend its jobs may use (repeat; default: all)")(func)
    func = click.option("--seconds", default=None,
                        help="emulated chip-seconds per rolling 28 days ('none': unlimited)")(func)
    func = click.option("--shots", default=None,
                        help="shots per rolling 28 days ('none': unlimited)")(func)
    return click.option("--title", default=None)(func)


@projects.command()
@click.argument("name")
@_allocation_options
@click.option("--owner", default=None, help="a user made its first owner")
@json_option
@client_options
def create(client, name: str, title, shots, seconds, backends, owner, as_json) -> None:
    """Create project NAME (administrators)."""
    p = client.create_project(name, title=title, shots_allocation=_amount(shots, int),
                              seconds_allocation=_amount(seconds, float),
                              backends=list(backends) or None, owner=owner)
    echo_json(p) if as_json else click.echo(f"created project {p.name}: {_allocation(p)}")


@projects.command("set")
@click.argument("name")
@_allocation_options
@click.option("--all-backends", is_flag=True, help="let it use every backend")
@json_option
@client_options
def set_(client, name, title, shots, seconds, backends, all_backends, as_json) -> None:
    """Change project NAME: title (owners); allocations, backends (administrators)."""
    changes: dict = {}
    if title is not None:
        changes["title"] = title
    if shots is not None:
        changes["shots_allocation"] = _amount(shots, int)
    if seconds is not None:
        changes["seconds_allocation"] = _amount(seconds, float)
    if backends:
        changes["backends"] = list(backends)
    if all_backends:
        changes["backends"] = None
    if not changes:
        raise click.UsageError("nothing to change: give --title, --shots, --seconds, "
                               "--backend or --all-backends")
    p = client.update_project(name, **changes)
    echo_json(p) if as_json else click.echo(f"{p.name}: {_allocation(p)}; backends "
                                            f"{', '.join(p.backends or []) or 'all'}")


@projects.command("add-member")
@click.argument("name")
@click.argument("user")
@click.option("--role", type=click.Choice(["member", "owner"]), default="member",
              show_default=True)
@client_options
def add_member(client, name: str, user: str, role: str) -> None:
    """Add USER to project NAME, or change their role (owners, administrators)."""
    client.add_member(name, user, role)
    click.echo(f"{user} is now {role} of {name}")


@projects.command("remove-member")
@click.argument("name")
@click.argument("user")
@client_options
def remove_member(client, name: str, user: str) -> None:
    """Take USER out of project NAME."""
    client.remove_member(name, user)
    click.echo(f"{user} left {name}")


@projects.command()
@click.argument("name")
@click.option("--email", default=None, help="the invitee's address (kept on the account)")
@click.option("--role", type=click.Choice(["member", "owner"]), default="member",
              show_default=True)
@click.option("--days", type=float, default=None, help="how long the link works")
@client_options
def invite(client, name: str, email: str | None, role: str, days: float | None) -> None:
    """An invitation link to a new account joining project NAME (owners); shown once."""
    click.echo(client.invite(name, email=email, role=role, days=days))


@projects.command()
@click.argument("name")
@client_options
def default(client, name: str) -> None:
    """Charge your jobs to project NAME when you name none."""
    client.set_default_project(name)
    click.echo(f"your jobs now go to {name} by default")


@projects.command()
@click.option("--project", default=None, help="a project's usage (default: yours)")
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--all", "every", is_flag=True, help="everyone's (administrators)")
@click.option("--csv", "as_csv", is_flag=True, help="print CSV")
@json_option
@client_options
def usage(client, project, start, end, every, as_csv, as_json) -> None:
    """Usage by day, backend, project and user (default: the last 28 days)."""
    kwargs = dict(project=project, every=every,
                  start=start.date() if start else None, end=end.date() if end else None)
    if as_csv:
        click.echo(client.usage_csv(**kwargs), nl=False)
        return
    report = client.usage(**kwargs)
    if as_json:
        echo_json(report)
        return
    table(f"usage {report.start} to {report.end}",
          ["day", "backend", "project", "user", "jobs", "shots", "chip-s"],
          [(r.day, r.backend, r.project or "-", r.user, r.jobs, r.shots,
            f"{r.chip_seconds:.2f}") for r in report.rows])
    t = report.total
    click.echo(f"total: {t.jobs} jobs, {t.shots} shots, {t.chip_seconds:.2f} chip-seconds")


@projects.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--backend", "-b", required=True)
@click.option("--shots", "-s", default=1000, show_default=True, type=click.IntRange(1))
@click.option("--project", default=None)
@json_option
@client_options
def estimate(client, files, backend, shots, project, as_json) -> None:
    """What submitting FILE.qasm would cost against the project's allocation."""
    programs = [Path(f).read_text() for f in files]
    e = client.estimate(programs if len(programs) > 1 else programs[0], backend, shots,
                        project=project)
    if as_json:
        echo_json(e)
        return
    click.echo(f"{e.jobs} job(s), {e.shots} shots, {e.chip_seconds:.3f} chip-seconds, "
               f"charged to {e.project}")
    click.echo(f"used in the last {e.used.window_days} days: {e.used.shots} shots, "
               f"{e.used.chip_seconds:.2f} chip-seconds")
    if e.shots_left_after is not None:
        click.echo(f"shots left after: {e.shots_left_after} of {e.shots_allocation}")
    if e.seconds_left_after is not None:
        click.echo(f"chip-seconds left after: {e.seconds_left_after:.2f} of "
                   f"{e.seconds_allocation:g}")
    click.echo("it would be taken" if e.allowed else f"it would be refused: {e.reason}")



