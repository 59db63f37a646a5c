"""`kuafu webhooks`: the hook's URL is an argument, apart from `--url` (the server)."""

from __future__ import annotations

import json
import warnings

from click.testing import CliRunner

from kuafu.cli import main


def test_webhooks_create_takes_the_hooks_url_and_the_servers_url(cli_env):
    hook = "https://hooks.example.org/kuafu"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # click: "will overwrite each other's value"
        out = CliRunner().invoke(main, ["webhooks", "create", hook, "--event", "job.ended",
                                        "--url", cli_env["KUAFU_URL"], "--json"])
    assert out.exit_code == 0, out.output
    created = json.loads(out.stdout)
    assert created["url"] == hook and created["secret"].startswith("whsec_")
    listed = json.loads(CliRunner().invoke(main, ["webhooks", "list", "--json"]).stdout)
    assert [w["url"] for w in listed] == [hook]
    help_text = CliRunner().invoke(main, ["webhooks", "create", "--help"]).output
    assert "Usage: main webhooks create [OPTIONS] URL" in help_text
