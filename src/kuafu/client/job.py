"""A handle on a job on the server: status, cancel, wait for the result."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import ClientError, JobFailedError
from ..schemas import CancelResponse, JobPublic, JobStatus
from .result import Result

if TYPE_CHECKING:
    from .service import Client

#: Longest single wait asked of the server while polling (long poll, seconds).
POLL_WAIT = 10.0


class Job:
    """A job submitted to a Kuafu server; it fetches its state when asked.

    Attributes:
        id: the server's id of the job.
        notice: what the server said at submission or last read, when there is something
            to know (its chip is in maintenance, with the reason: the job waits).
    """

    def __init__(self, client: Client, job_id: str, info: JobPublic | None = None,
                 notice: str | None = None) -> None:
        self.client = client
        self.id = job_id
        self._info = info
        self.notice = notice

    def info(self, wait: float = 0) -> JobPublic:
        """The job's full record, fetched now (waiting up to `wait` s for it to end)."""
        data = self.client._http.request("GET", f"/jobs/{self.id}",
                                         params={"wait": wait or None},
                                         timeout=wait + 30 if wait else None)
        self._info = JobPublic.model_validate(data)
        self.notice = self._info.notice
        return self._info

    def status(self) -> JobStatus:
        """The job's status now (one request)."""
        return self.info().status

    def cancel(self) -> CancelResponse:
        """Cancel the job; the answer says whether it had already started."""
        data = self.client._http.request("POST", f"/jobs/{self.id}/cancel")
        return CancelResponse.model_validate(data)

    def result(self, timeout: float | None = None, progress: bool | None = None,
               on_update: Callable[[JobPublic], None] | None = None) -> Result:
        """Wait for the job to end and return its result.

        Args:
            timeout: seconds to wait at most (None: as long as it takes).
            progress: show a tqdm bar with status, queue position and why it waits
                (default: only when stderr is a terminal).
            on_update: called with the job's record after each poll (the CLI says there
                why the job waits).

        Raises:
            JobFailedError: the job failed or was cancelled (with the reason).
            ClientError: `timeout` passed first.
        """
        info = self._info if self._info and self._info.status.final else None
        deadline = None if timeout is None else time.monotonic() + timeout
        bar = _progress_bar(self.id, progress)
        try:
            while info is None or not info.status.final:
                left = POLL_WAIT if deadline is None else deadline - time.monotonic()
                if left <= 0:
                    raise ClientError(f"job {self.id} still {info.status} after {timeout} s")
                info = self.info(wait=min(POLL_WAIT, max(left, 0.01)))
                if on_update is not None:
                    on_update(info)
                if bar is not None:
                    where = f" #{info.queue_position}" if info.queue_position is not None else ""
                    why = f" ({info.notice})" if info.notice else ""
                    bar.set_postfix_str(f"{info.status}{where}{why}")
            if bar is not None:
                bar.update(1)
        finally:
            if bar is not None:
                bar.close()
        if info.status != JobStatus.DONE or info.result is None:
            raise JobFailedError(self.id, info.error or str(info.status))
        return Result(self.id, info.result, backend=info.backend)

    def __repr__(self) -> str:
        status = self._info.status if self._info else "?"
        return f"<Job {self.id} {status}>"


def _progress_bar(job_id: str, progress: bool | None):
    if progress is None:
        progress = sys.stderr.isatty()
    if not progress:
        return None
    from tqdm import tqdm

    return tqdm(total=1, desc=f"job {job_id[:8]}", bar_format="{desc}: {postfix} {elapsed}",
                file=sys.stderr)
