"""`kuafu admin` identity commands (issue 17) against the CLI tests' live server: an
operator makes a user with a password, invites someone, issues a reset link, approves a
sign-up, changes a role; each link works in the console once."""

from __future__ import annotations

import re

import httpx
from click.testing import CliRunner

from kuafu.cli.main import main


def kuafu(*args: str, stdin: str | None = None):
    return CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)


def csrf_of(page: httpx.Response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def sign_in(url: str, login: str, password: str) -> httpx.Response:
    client = httpx.Client(base_url=url)
    form = client.get("/console/login")
    return client.post("/console/login", data={"csrf_token": csrf_of(form), "login": login,
                                               "password": password})


def test_operator_identity_commands(cli_live, cli_store):
    db = ["--database", cli_store]
    made = kuafu("admin", "create-user", "quinn", "--password", "--email", "Quinn@Lab.example",
                 *db, stdin="quinn's passphrase\nquinn's passphrase\n")
    assert made.exit_code == 0, made.output
    assert made.output.strip().splitlines()[-1].startswith("qf_")  # the first token
    assert sign_in(cli_live.url, "quinn@lab.example", "quinn's passphrase").status_code == 303

    short = kuafu("admin", "create-user", "rae", "--password", *db, stdin="short\nshort\n")
    assert short.exit_code == 1 and "at least 10 characters" in short.output

    invited = kuafu("admin", "invite", "--email", "sam@lab.example", "--days", "2",
                    "--url", cli_live.url, *db)
    assert invited.exit_code == 0, invited.output
    link = invited.output.strip().splitlines()[-1]
    assert link.startswith(f"{cli_live.url}/console/invite?code=qf_")
    visitor = httpx.Client(base_url=cli_live.url)
    form = visitor.get(link.removeprefix(cli_live.url))
    assert 'value="sam@lab.example" readonly' in form.text
    made = visitor.post("/console/invite", data={
        "csrf_token": csrf_of(form), "code": link.split("code=")[1], "name": "sam",
        "password": "sam's passphrase", "confirm": "sam's passphrase"})
    assert made.status_code == 303

    reset = kuafu("admin", "reset-link", "sam", "--url", cli_live.url, *db)
    link = reset.output.strip().splitlines()[-1]
    assert link.startswith(f"{cli_live.url}/console/reset?code=qf_")
    visitor = httpx.Client(base_url=cli_live.url)
    form = visitor.get(link.removeprefix(cli_live.url))
    done = visitor.post("/console/reset", data={
        "csrf_token": csrf_of(form), "code": link.split("code=")[1],
        "password": "sam's new passphrase", "confirm": "sam's new passphrase"})
    assert done.headers["location"] == "/console/login?done=reset"
    assert sign_in(cli_live.url, "sam", "sam's new passphrase").status_code == 303
    assert kuafu("admin", "reset-link", "nobody", *db).exit_code == 1

    role = kuafu("admin", "set-role", "sam", "admin", *db)
    assert role.exit_code == 0 and "administrator" in role.output
    assert "already" not in kuafu("admin", "pending", *db).output
    not_waiting = kuafu("admin", "approve", "sam", *db)
    assert not_waiting.exit_code == 1 and "does not wait for approval" in not_waiting.output
