"""`kuafu demo`: the README's first command runs a whole platform and two jobs."""

from __future__ import annotations

import subprocess
import sys


def test_demo_runs_both_jobs():
    """The demo starts its workers ahead of the web stack (`executor.prestart`); they run
    both jobs, and the command ends (no worker keeps it alive)."""
    done = subprocess.run([sys.executable, "-m", "kuafu.cli", "demo", "--shots", "200"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Server up at http://127.0.0.1:" in done.stderr
    assert "== bell on ScQ-P10: 200 shots" in done.stdout
    assert "on ScQ-P136: 200 shots" in done.stdout
    assert "Platform stopped." in done.stderr
