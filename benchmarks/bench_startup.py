"""Cold start: `import kuafu`, the first server start on a fresh clone, and a restart.

Everything runs from a fresh `git clone` of this repository into a temporary directory,
with this interpreter (its installed dependencies) and `PYTHONPATH=<clone>/src`, so the
clone starts with no bytecode and no numba cache, as a user's first `make demo` does:

1. `import kuafu` in a new interpreter, best of `--repeat` (issue 20 target: < 0.3 s);
2. first start: `make demo`'s preparation (`kuafu warm`: bytecode and numba caches built
   ahead, unless `--no-prepare`), then the demo's platform (`kuafu.cli.demo.local_platform`:
   a server on a temporary SQLite store with two workers) until it answers, then a Bell job
   on ScQ-P10 through the HTTP client (target: server up within 5 s);
3. restart: the same again in a new process, caches in place (target: the first Bell job
   done within 2 s of the process start).

Printed for each: wall seconds from the new process's start, the CPU seconds it and its
workers used, and the load average (the machine may be shared: wall time stretches with
the load, CPU time much less).

    .venv/bin/python benchmarks/bench_startup.py [--repeat 5] [--no-prepare] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PLATFORM = r"""
import json, time
t0 = float(__import__("sys").argv[1])
from kuafu.cli.demo import bell, local_platform
from kuafu.client import Client
with local_platform() as (url, token), Client(url=url, token=token) as client:
    up = time.time() - t0
    job = client.submit(bell(), backend="ScQ-P10", shots=1000, name="bell")
    counts = job.result(timeout=300).counts
    done = time.time() - t0
print(json.dumps({"up": up, "bell": done, "shots": sum(counts.values())}))
"""


WARM = "from kuafu.cli.main import main; main(['warm', '--quiet'])"


def _env(clone: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(clone / "src")
    env.pop("NUMBA_CACHE_DIR", None)
    return env


def _run(args: list[str], clone: Path) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the process and its children, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.time()
    out = subprocess.run(args, cwd=clone, env=_env(clone), capture_output=True, text=True,
                         check=True)
    wall = time.time() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, out.stdout


def import_time(clone: Path, repeat: int) -> tuple[float, float]:
    code = "import time; t = time.perf_counter(); import kuafu; print(time.perf_counter() - t)"
    best = (1e9, 1e9)
    for _ in range(repeat):
        _, cpu, out = _run([sys.executable, "-c", code], clone)
        best = min(best, (float(out), cpu))
    return best


def platform(clone: Path) -> tuple[dict, float]:
    _, cpu, out = _run([sys.executable, "-c", PLATFORM, repr(time.time())], clone)
    return json.loads(out.strip().splitlines()[-1]), cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-prepare", action="store_true",
                        help="skip `kuafu warm` (caches then build at the first start)")
    parser.add_argument("--keep", action="store_true", help="keep the clone")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kuafu-startup-"))
    clone = tmp / "kuafu"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    rows = []
    try:
        print(f"fresh clone {clone}; load {os.getloadavg()}", flush=True)
        if not args.no_prepare:
            wall, cpu, _ = _run([sys.executable, "-c", WARM], clone)
            rows.append(("kuafu warm (make demo, before the start)", wall, cpu,
                         os.getloadavg()[0]))
        first, cpu = platform(clone)
        rows.append(("first start: server up", first["up"], None, os.getloadavg()[0]))
        rows.append(("first start: Bell job done", first["bell"], cpu, os.getloadavg()[0]))
        again, cpu = platform(clone)
        rows.append(("restart: server up", again["up"], None, os.getloadavg()[0]))
        rows.append(("restart: Bell job done", again["bell"], cpu, os.getloadavg()[0]))
        wall, cpu = import_time(clone, args.repeat)
        rows.append((f"import kuafu (best of {args.repeat})", wall, cpu, os.getloadavg()[0]))
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    targets = {"first start: server up": 5.0, "restart: Bell job done": 2.0}
    print(f"{'step':44} {'wall s':>8} {'cpu s':>8} {'target':>7} {'load':>6}")
    for name, wall, cpu, load in rows:
        target = targets.get(name, 0.3 if name.startswith("import") else None)
        cpu_text = "" if cpu is None else f"{cpu:8.2f}"
        target_text = "" if target is None else f"{target:7.1f}"
        print(f"{name:44} {wall:8.2f} {cpu_text:>8} {target_text:>7} {load:6.1f}")


if __name__ == "__main__":
    main()
