"""`kuafu.Client`: the facade people use to reach a Kuafu server."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import ValidationError

from ..circuit import QuantumCircuit
from ..errors import InvalidJobError, KuafuWarning
from ..schemas import (
    BackendDetail,
    BackendStatus,
    BackendSummary,
    GroupPublic,
    JobCreate,
    JobCreated,
    JobList,
    JobPublic,
    JobStatus,
    JobStatusItem,
    TokenCreated,
    TokenPublic,
    UserPublic,
)
from . import config
from ._http import HttpClient
from .job import Job
from .jobdata import JobDataMixin
from .projects import ProjectsMixin
from .serializer import to_qasm


class Client(ProjectsMixin, JobDataMixin):
    """A connection to a Kuafu server.

    Args:
        url: the server (default `KUAFU_URL`, then the `kuafu login` file, then
            http://127.0.0.1:8000).
        token: an API token (default `KUAFU_TOKEN`, then the `kuafu login` file).
        timeout: seconds per request.
        max_retries: retries on connection errors and 5xx answers.
        transport: an httpx transport (tests: `httpx.ASGITransport(app)`).

    Nothing is sent until a method is called.
    """

    def __init__(self, url: str | None = None, token: str | None = None, *,
                 timeout: float = 30.0, max_retries: int = 5,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.url, self.token = config.resolve(url, token)
        self._http = HttpClient(self.url, self.token, timeout=timeout,
                                max_retries=max_retries, transport=transport)

    # ----- backends --------------------------------------------------------------------
    def backends(self) -> list[BackendSummary]:
        """Every backend the server offers, with its status and queue."""
        return [BackendSummary.model_validate(b) for b in self._http.request("GET", "/backends")]

    def backend(self, name: str) -> BackendDetail:
        """One chip with topology and calibration; `kuafu.client.plots.topology` draws it."""
        return BackendDetail.model_validate(self._http.request("GET", f"/backends/{name}"))

    # ----- jobs --------------------------------------------------------------------------
    def submit(self, program: QuantumCircuit | str, backend: str, shots: int = 1000, *,
               compile: bool = True, priority: int = 0, name: str | None = None,
               group: str | None = None, seed: int | None = None,
               idempotency_key: str | None = None, project: str | None = None,
               session: str | None = None, tags: Sequence[str] = (),
               meta: dict[str, Any] | None = None) -> Job:
        """Send one circuit (or OpenQASM 2 text) to run; returns its `Job` at once.

        A fresh idempotency key is sent unless given, so a retry after a lost answer
        never makes a second job. When the chip is in maintenance the job is accepted
        and waits: `job.notice` says so (with the reason), also as a `KuafuWarning`.
        `project` names the project charged (default: your default project);
        `session` a chip session of yours (`open_session`), whose jobs run ahead of the
        general queue. `tags` label the job (`jobs(tag=...)` finds it) and `meta` is
        free metadata (a JSON object) kept with it.

        Raises:
            InvalidJobError: an option the server would refuse (shots < 1, priority
                outside 0-9), before anything is sent.
            APIError: the server refused the job (`code`, `line` and `column` say where).
        """
        created = self._submit(to_qasm(program), backend, shots, compile, priority, name,
                               group, seed, idempotency_key, project, session, tags, meta)
        return Job(self, created.ids[0], notice=created.notice)

    def submit_batch(self, programs: Sequence[QuantumCircuit | str], backend: str,
                     shots: int = 1000, *, compile: bool = True, priority: int = 0,
                     name: str | None = None, group: str | None = None,
                     seed: int | None = None, idempotency_key: str | None = None,
                     project: str | None = None, session: str | None = None,
                     tags: Sequence[str] = (), meta: dict[str, Any] | None = None,
                     ) -> list[Job]:
        """Send many circuits in one request (all accepted or none); one `Job` each.

        Raises:
            InvalidJobError, APIError: as `submit` (a refused program is named `#1`,
                `#2`, ... in the order given).
        """
        created = self._submit([to_qasm(p) for p in programs], backend, shots, compile,
                               priority, name, group, seed, idempotency_key, project, session,
                               tags, meta)
        return [Job(self, i, notice=created.notice) for i in created.ids]

    def _submit(self, qasm: str | list[str], backend: str, shots: int, compile: bool,
                priority: int, name: str | None, group: str | None, seed: int | None,
                key: str | None, project: str | None = None,
                session: str | None = None, tags: Sequence[str] = (),
                meta: dict[str, Any] | None = None) -> JobCreated:
        try:
            body = JobCreate(qasm=qasm, backend=backend, shots=shots, compile=compile,
                             priority=priority, name=name, group=group, seed=seed,
                             project=project, session=session, tags=list(tags), meta=meta)
        except ValidationError as exc:
            raise InvalidJobError(_describe(exc)) from None
        payload = body.model_dump(mode="json", exclude_none=True)
        if not payload.get("tags"):
            payload.pop("tags", None)  # a server before issue 18 knows no tags
        data = self._http.request(
            "POST", "/jobs", json=payload,
            headers={"Idempotency-Key": key or uuid.uuid4().hex})
        created = JobCreated.model_validate(data)
        if created.notice:
            warnings.warn(created.notice, KuafuWarning, stacklevel=3)
        return created

    def job(self, job_id: str) -> Job:
        """The handle of an existing job (fetched now, so a wrong id fails here)."""
        job = Job(self, job_id)
        job.info()
        return job

    def jobs(self, *, status: JobStatus | str | None = None, backend: str | None = None,
             group: str | None = None, name: str | None = None,
             limit: int | None = None, page_size: int = 100, tag: str | None = None,
             since: datetime | None = None,
             until: datetime | None = None) -> Iterator[JobPublic]:
        """Your jobs, newest first, following the server's pages as you iterate;
        filtered by status, backend, group, name, tag and creation time (`since`
        inclusive, `until` exclusive)."""
        cursor, seen = None, 0
        while True:
            data = self._http.request("GET", "/jobs", params={
                "status": str(status) if status else None, "backend": backend,
                "group": group, "name": name, "limit": page_size, "cursor": cursor,
                "tag": tag, "since": since.isoformat() if since else None,
                "until": until.isoformat() if until else None})
            page = JobList.model_validate(data)
            for item in page.items:
                if limit is not None and seen >= limit:
                    return
                seen += 1
                yield item
            cursor = page.next_cursor
            if not cursor:
                return

    def group(self, group_id: str) -> GroupPublic:
        """A group: its jobs counted by status and its status; a quafu-sdk job's id
        (`qj...`) gives its mode, target and whether it is open too. Its jobs:
        `jobs(group=group_id)`.

        Raises:
            APIError: 404 when none of your jobs has this group.
        """
        data = self._http.request("GET", f"/groups/{quote(group_id, safe='')}")
        return GroupPublic.model_validate(data)

    def statuses(self, ids: Sequence[str]) -> list[JobStatusItem]:
        """Status of many jobs in one request."""
        data = self._http.request("POST", "/jobs/status", json={"ids": list(ids)})
        return [JobStatusItem.model_validate(d) for d in data]

    # ----- accounts ----------------------------------------------------------------------
    def me(self) -> UserPublic:
        """The user this client's token belongs to."""
        return UserPublic.model_validate(self._http.request("GET", "/me"))

    def create_token(self, name: str = "default",
                     expires_in_days: float | None = None) -> TokenCreated:
        """A new API token of yours; its secret (`.token`) is shown this once."""
        data = self._http.request("POST", "/tokens", json={
            "name": name, "expires_in_days": expires_in_days})
        return TokenCreated.model_validate(data)

    def tokens(self) -> list[TokenPublic]:
        """Your API tokens (never their secrets)."""
        return [TokenPublic.model_validate(t) for t in self._http.request("GET", "/tokens")]

    def revoke_token(self, token_id: int) -> TokenPublic:
        """Revoke one of your tokens by id; it stops working at once."""
        return TokenPublic.model_validate(self._http.request("DELETE", f"/tokens/{token_id}"))

    # ----- administrators ----------------------------------------------------------------
    def users(self) -> list[UserPublic]:
        """Every user (administrators only)."""
        return [UserPublic.model_validate(u) for u in self._http.request("GET", "/users")]

    def disable_user(self, name: str) -> UserPublic:
        """Refuse user `name`'s tokens from now on (administrators)."""
        return UserPublic.model_validate(self._http.request("POST", f"/users/{name}/disable"))

    def set_backend_status(self, name: str, status: BackendStatus | str,
                           reason: str | None = None,
                           until: datetime | None = None) -> BackendSummary:
        """Set chip `name` online, in maintenance or offline, with a reason users see and
        when it is expected back (administrators)."""
        body = {"status": str(status), "reason": reason,
                "until": until.isoformat() if until else None}
        return BackendSummary.model_validate(
            self._http.request("PUT", f"/backends/{name}/status", json=body))

    def health(self) -> dict[str, Any]:
        """The server's health: status, version, store."""
        return self._http.request("GET", "/health")

    def metrics(self) -> dict[str, Any]:
        """The server's counters and gauges as JSON (`GET /api/v1/metrics`)."""
        return self._http.request("GET", "/metrics")

    # ----- life cycle --------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection pool (`with Client() as c:` does it for you)."""
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<kuafu.Client {self.url}>"


def _describe(error: ValidationError) -> str:
    """A pydantic error as one sentence per field: "shots: Input should be greater than
    or equal to 1 (got 0)"."""
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item.get("loc", ()))
        parts.append(f"{where}: {item.get('msg')} (got {item.get('input')!r})")
    return "; ".join(parts)
