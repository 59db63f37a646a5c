"""`kuafu jobs` with tags and dates, `kuafu jobs export`, `kuafu jobs replay` (of a job,
and of an archive with no server), `kuafu jobs delete` with its confirmation, and the
administrators' `kuafu admin recalibrate` / `faults` refusals (issue 18)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner

from kuafu import qasm
from kuafu.cli import main
from kuafu.cli.demo import bell


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_tag_date_export_replay_delete(cli_env, tmp_path):
    path = tmp_path / "bell.qasm"
    path.write_text(qasm.dumps(bell()))
    for i in range(2):
        out = run("submit", str(path), "-b", "ScQ-P10", "--shots", "200", "--tag", "fig3",
                  "--tag", f"run{i}", "--meta", '{"note": "referee"}', "--wait")
        assert out.exit_code == 0, out.output
    bad = run("submit", str(path), "-b", "ScQ-P10", "--meta", "[1]")
    assert bad.exit_code == 2 and "JSON object" in bad.output
    today = datetime.now(UTC).date()
    listed = json.loads(run("jobs", "--tag", "fig3", "--since", str(today), "--json").output)
    assert len(listed) == 2 and listed[0]["meta"] == {"note": "referee"}
    assert json.loads(run("jobs", "--tag", "fig3", "--until",
                          str(today - timedelta(days=1)), "--json").output) == []
    table = run("jobs", "--tag", "fig3")
    assert "fig3" in table.output
    archive = tmp_path / "fig3.zip"
    out = run("jobs", "export", "--tag", "fig3", "-o", str(archive))
    assert out.exit_code == 0 and "2 jobs" in out.output, out.output
    out = run("jobs", "replay", "--from-archive", str(archive))
    assert out.exit_code == 0 and out.output.count("bit-identical counts") == 2, out.output
    out = run("jobs", "replay", listed[0]["id"])
    assert out.exit_code == 0 and "bit-identical counts" in out.output, out.output
    assert run("jobs", "replay").exit_code == 2
    ids = [j["id"] for j in listed]
    no = run("jobs", "delete", *ids, input="n\n")
    assert no.exit_code == 1 and len(json.loads(run("jobs", "--tag", "fig3", "--json")
                                                .output)) >= 2
    yes = run("jobs", "delete", *ids, input="y\n")
    assert yes.exit_code == 0 and "deleted 2 jobs" in yes.output
    left = [j["id"] for j in json.loads(run("jobs", "--tag", "fig3", "--json").output)]
    assert not set(ids) & set(left)


def test_admin_recalibrate_and_faults_need_an_administrator(cli_env):
    out = run("admin", "recalibrate", "ScQ-P10")
    assert out.exit_code == 2 and "administrator" in out.output
    out = run("admin", "faults", "ScQ-P10")
    assert out.exit_code == 0 and "unusable: none" in out.output
    out = run("admin", "faults", "ScQ-P10", "--qubit", "Q3")
    assert out.exit_code == 2
