"""The Python client of a Kuafu server (httpx).

    >>> import kuafu
    >>> client = kuafu.Client()            # KUAFU_URL / KUAFU_TOKEN, or `kuafu login`
    >>> job = client.submit(circuit, backend="ScQ-P10", shots=1000)
    >>> job.result().counts                # waits, with a progress bar on a terminal

Errors (all `kuafu.KuafuError`):

    ClientError                 no server configured, a timeout waiting
    ├── APIError                the server answered 4xx/5xx: status, message, request_id,
    │                           code, line, column
    └── InvalidJobError         an option the server would refuse (shots=0), not sent
    JobFailedError              the job ended failed or cancelled: job_id, reason

A job submitted to a chip in maintenance is accepted and waits; `job.notice` says so,
and a `KuafuWarning` is issued.
"""

from ..errors import APIError, ClientError, InvalidJobError, JobFailedError, KuafuWarning
from .config import load_config, save_config
from .job import Job
from .result import Result
from .service import Client

__all__ = [
    "APIError",
    "Client",
    "ClientError",
    "InvalidJobError",
    "Job",
    "JobFailedError",
    "KuafuWarning",
    "Result",
    "load_config",
    "save_config",
]
