"""Groups in Kuafu's own API (`GET /api/v1/groups/{id}`, `Client.group`, the `group`
filter): a label given at submission and a quafu-sdk job read alike, from the jobs."""

from __future__ import annotations

import httpx
import pytest

import kuafu
from kuafu.errors import APIError
from kuafu.schemas import JobStatus
from kuafu.server.services.groups import group_status
from kuafu.server.testing import create_user

from .conftest import BELL

RX = BELL.replace("h q[0];\ncx q[0],q[1];\n", "rx({{t}}) q[0];\n")


def sdk_sweep(url: str, token: str, points: list[list[float]], target: str = "sim") -> dict:
    """A quafu-sdk sweep as quafu-sdk 0.2.7 posts it (its User-Agent picks the route)."""
    answer = httpx.post(f"{url}/api/v1/jobs", headers={
        "Authorization": f"Bearer {token}", "User-Agent": "quafu-sdk/0.2.7"}, json={
        "mode": "sweep", "target": target, "shots": 20, "name": "rabi",
        "template_qasm": RX, "parameters": [{"name": "t", "unit": "rad"}],
        "points": points})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_quafu_sdk_job_is_a_group_to_the_native_client(live, token, store):
    made = sdk_sweep(live.url, token, [[0.0], [3.141592653589793], [0.0]])
    gid = made["job_id"]
    with kuafu.Client(url=live.url, token=token) as client:
        tasks = list(client.jobs(group=gid))
        assert sorted(j.group_seq for j in tasks) == [0, 1, 2]
        assert {j.group for j in tasks} == {gid} and {j.backend for j in tasks} == {"simulator"}
        for job in tasks:
            client.job(job.id).result(timeout=120)
        group = client.group(gid)
        assert (group.mode, group.target, group.name, group.open) == ("sweep", "sim", "rabi",
                                                                      False)
        assert group.status == "done" and group.total == 3 and group.counts["done"] == 3
        by_seq = {j.group_seq: client.job(j.id).result().counts for j in tasks}
        assert by_seq[1] == {"01": 20} and by_seq[0] == by_seq[2] == {"00": 20}

        # a label given at submission is a group too (any text, slashes included)
        label = "rabi/run 1"
        ids = [client.submit(BELL, backend="simulator", shots=10, group=label).id
               for _ in range(2)]
        client.job(ids[0]).cancel()
        plain = client.group(label)
        assert plain.id == label and plain.mode is None and plain.total == 2
        assert sorted(j.id for j in client.jobs(group=label)) == sorted(ids)
        with pytest.raises(APIError) as missing:
            client.group("no-such-group")
        assert missing.value.status == 404

    # another user's group is not shown, as if there were none
    with kuafu.Client(url=live.url, token=create_user(store)) as other:
        with pytest.raises(APIError) as hidden:
            other.group(gid)
        assert hidden.value.status == 404 and list(other.jobs(group=gid)) == []


@pytest.mark.parametrize(("queued", "running", "done", "failed", "cancelled", "open_", "want"), [
    (2, 0, 0, 0, 0, False, "queued"),
    (1, 0, 1, 0, 0, False, "running"),  # something ended, something waits
    (0, 1, 0, 0, 0, False, "running"),
    (0, 0, 3, 0, 0, False, "done"),
    (0, 0, 2, 1, 0, False, "partly_done"),
    (0, 0, 0, 1, 1, False, "failed"),
    (0, 0, 0, 0, 2, False, "cancelled"),
    (0, 0, 2, 0, 0, True, "running"),  # an open iterative job takes more tasks
    (0, 0, 0, 0, 0, True, "queued"),
])
def test_group_status(queued, running, done, failed, cancelled, open_, want):
    counts = {JobStatus.QUEUED: queued, JobStatus.RUNNING: running, JobStatus.DONE: done,
              JobStatus.FAILED: failed, JobStatus.CANCELLED: cancelled}
    assert group_status(counts, open_) == want
