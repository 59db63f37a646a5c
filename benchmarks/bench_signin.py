"""Console sign-in answer times on a live server: a wrong password for an existing
account against an unknown account (they must not be told apart by time), and a right
password.

    python benchmarks/bench_signin.py [--tries 40] [--database URL]

Starts `kuafu serve` on a temporary SQLite store (or --database) with the sign-in
throttle raised out of the way, makes an account by an invitation, then alternates the
two kinds of failed sign-in. Prints one JSON object: median, 10th and 90th percentile
in milliseconds for each kind.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from kuafu.server.testing import LiveServer, create_user

PASSWORD = "correct horse battery"


def _form(client: httpx.Client, path: str) -> str:
    page = client.get(path)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def _summary(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {"n": len(ordered), "median_ms": round(statistics.median(ordered) * 1000, 1),
            "p10_ms": round(ordered[len(ordered) // 10] * 1000, 1),
            "p90_ms": round(ordered[len(ordered) * 9 // 10] * 1000, 1)}


def run(tries: int, database: str) -> dict:
    admin = create_user(database, "bench-admin", admin=True)
    env = {"KUAFU_SIGN_IN_BURST": "1000000", "KUAFU_SIGN_IN_ADDRESS_BURST": "1000000"}
    with LiveServer(database, workers=1, env=env) as server:
        link = httpx.post(f"{server.url}/api/v1/invitations", json={},
                          headers={"Authorization": f"Bearer {admin}"}).json()["url"]
        with httpx.Client(base_url=server.url) as new:
            made = new.post("/console/invite", data={
                "csrf_token": _form(new, link.removeprefix(server.url)),
                "code": link.split("code=")[1], "name": "ann", "password": PASSWORD,
                "confirm": PASSWORD})
            assert made.status_code == 303, made.text[:300]
        times: dict[str, list[float]] = {"existing_wrong_password": [], "unknown_account": [],
                                         "existing_right_password": []}
        with httpx.Client(base_url=server.url) as visitor:
            csrf = _form(visitor, "/console/login")
            for i in range(tries):
                for kind, login in (("existing_wrong_password", "ann"),
                                    ("unknown_account", f"nobody-{i}")):
                    start = time.perf_counter()
                    answer = visitor.post("/console/login", data={
                        "csrf_token": csrf, "login": login, "password": "wrong password!"})
                    times[kind].append(time.perf_counter() - start)
                    assert answer.status_code == 401, answer.status_code
        for _ in range(max(3, tries // 4)):
            with httpx.Client(base_url=server.url) as visitor:
                csrf = _form(visitor, "/console/login")
                start = time.perf_counter()
                answer = visitor.post("/console/login", data={
                    "csrf_token": csrf, "login": "ann", "password": PASSWORD})
                times["existing_right_password"].append(time.perf_counter() - start)
                assert answer.status_code == 303, answer.status_code
    return {kind: _summary(seconds) for kind, seconds in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tries", type=int, default=40)
    parser.add_argument("--database", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        database = args.database or f"sqlite:///{Path(tmp) / 'bench.db'}"
        print(json.dumps(run(args.tries, database), indent=2))


if __name__ == "__main__":
    main()
