"""quafu-sdk against a server with small quotas (SQLite): the daily shots quota and the
tasks per job land in the SDK's QuotaError; a recorded calibration stays readable by id."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kuafu.server.core.db import Database
from kuafu.server.models import CalibrationSnapshot

from .conftest import Stack, last_json, live_stack, run_sdk

pytestmark = pytest.mark.slow

BELL = ('OPENQASM 2.0;\\ninclude "qelib1.inc";\\nqreg q[2];\\ncreg c[2];\\nh q[0];\\n'
        'cx q[0],q[1];\\nmeasure q -> c;\\n')


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Iterator[Stack]:
    yield from live_stack("sqlite", tmp_path_factory,
                          env={"KUAFU_MAX_SHOTS_PER_DAY": "1000", "KUAFU_MAX_BATCH": "5"})


def test_quotas_are_quota_errors(sdk_python, small, tmp_path):
    code = f"""
        import json, quafu
        seen = {{}}
        def error(call):
            try:
                call()
            except quafu.QuotaError as e:
                return {{"type": type(e).__name__, "status": e.status, "code": e.code,
                         "vars": e.vars}}
        quafu.submit('{BELL}', target="sim", shots=900).result(timeout=120)
        seen["daily"] = error(lambda: quafu.submit('{BELL}', target="sim", shots=200))
        seen["tasks"] = error(lambda: quafu.submit(['{BELL}'] * 6, target="sim", shots=1))
        print(json.dumps(seen))
        """
    seen = last_json(run_sdk(sdk_python, small.url, small.key, code, tmp_path))
    assert seen["daily"]["type"] == "QuotaError" and seen["daily"]["status"] == 429
    assert seen["daily"]["code"] == "runtime.quotaExhausted"
    assert seen["tasks"] == {"type": "QuotaError", "status": 413, "code": "job_too_large",
                             "vars": {"max": 5, "requested": 6}}


def test_recorded_calibration_outlives_the_chips_current_one(sdk_python, small, tmp_path):
    """A snapshot recorded once (as when a job ran under it) is served by id after the
    chip holds another calibration: quafu.calibration(id) of an old result still works."""
    old = {"id": "ScQ-P10-0123456789ab", "chip": "ScQ-P10",
           "calibrated_at": "2026-01-01T00:00:00+00:00", "qubits": [{"index": 0,
                                                                      "t1_us": 12.5}],
           "couplers": [], "grid": {"rows": 1, "cols": 10}, "measured": None}
    db = Database(small.database_url)
    try:
        with db.transaction() as session:
            session.add(CalibrationSnapshot(id=old["id"], chip="ScQ-P10", data=old))
    finally:
        db.engine.dispose()
    code = f"""
        import json, quafu
        old = quafu.calibration("{old['id']}")
        now = quafu.device("ScQ-P10").calibration()
        print(json.dumps({{"old": [old.id, old.calibrated_at, old.qubit(0)["t1_us"]],
                          "now": now.id}}))
        """
    seen = last_json(run_sdk(sdk_python, small.url, small.key, code, tmp_path))
    assert seen["old"] == [old["id"], old["calibrated_at"], 12.5]
    assert seen["now"] != old["id"]
