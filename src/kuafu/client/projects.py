"""The project side of `kuafu.Client`: projects, members, usage, estimates, chip
sessions, reservations and webhooks (mixed into `Client`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from ..circuit import QuantumCircuit
from ..schemas.projects import (
    ChipSessionPublic,
    DeliveryPublic,
    Estimate,
    MemberPublic,
    ProjectPublic,
    ReservationPublic,
    UsageReport,
    WebhookCreated,
    WebhookPublic,
)
from .serializer import to_qasm


def _p(name: str) -> str:
    return quote(name, safe="~")


class ProjectsMixin:
    """Methods of `Client` about projects (needs `self._http`)."""

    _http: Any

    # ----- projects ----------------------------------------------------------------------
    def projects(self, *, every: bool = False) -> list[ProjectPublic]:
        """Your projects with allocation, usage and fair share (`every`: all, admins)."""
        params = {"all": "true"} if every else None
        return [ProjectPublic.model_validate(p)
                for p in self._http.request("GET", "/projects", params=params)]

    def project(self, name: str) -> ProjectPublic:
        """One of your projects, with its members."""
        return ProjectPublic.model_validate(self._http.request("GET", f"/projects/{_p(name)}"))

    def create_project(self, name: str, *, title: str | None = None,
                       shots_allocation: int | None = None,
                       seconds_allocation: float | None = None,
                       backends: Sequence[str] | None = None,
                       owner: str | None = None) -> ProjectPublic:
        """A new project (administrators)."""
        body = {"name": name, "title": title, "shots_allocation": shots_allocation,
                "seconds_allocation": seconds_allocation,
                "backends": list(backends) if backends is not None else None, "owner": owner}
        return ProjectPublic.model_validate(self._http.request("POST", "/projects", json=body))

    def update_project(self, name: str, **changes: Any) -> ProjectPublic:
        """Change `title` (owners), `shots_allocation`, `seconds_allocation` or `backends`
        (administrators); a None value clears it (unlimited, every backend)."""
        return ProjectPublic.model_validate(
            self._http.request("PATCH", f"/projects/{_p(name)}", json=changes))

    def add_member(self, project: str, user: str, role: str = "member") -> list[MemberPublic]:
        """Add `user` to `project` or change their role (owners, administrators)."""
        data = self._http.request("POST", f"/projects/{_p(project)}/members",
                                  json={"user": user, "role": role})
        return [MemberPublic.model_validate(m) for m in data]

    def remove_member(self, project: str, user: str) -> list[MemberPublic]:
        """Take `user` out of `project` (owners, administrators, or the user)."""
        data = self._http.request("DELETE", f"/projects/{_p(project)}/members/{_p(user)}")
        return [MemberPublic.model_validate(m) for m in data]

    def set_default_project(self, name: str) -> ProjectPublic:
        """Charge your jobs to `name` when you name no project."""
        return ProjectPublic.model_validate(
            self._http.request("POST", f"/projects/{_p(name)}/default"))

    def invite(self, project: str, *, email: str | None = None, role: str = "member",
               days: float | None = None) -> str:
        """An invitation link (shown once) to a new account joining `project` (owners)."""
        data = self._http.request("POST", f"/projects/{_p(project)}/invitations",
                                  json={"email": email, "role": role, "days": days})
        return data["url"]

    # ----- usage -------------------------------------------------------------------------
    def usage(self, *, project: str | None = None, start: date | None = None,
              end: date | None = None, every: bool = False) -> UsageReport:
        """Usage by day, backend, project and user: yours, a project's, or (`every`,
        administrators) everyone's."""
        params: dict[str, Any] = {k: v.isoformat() for k, v in
                                  (("start", start), ("end", end)) if v is not None}
        if every:
            params["all"] = "true"
        path = f"/projects/{_p(project)}/usage" if project else "/usage"
        return UsageReport.model_validate(self._http.request("GET", path, params=params))

    def usage_csv(self, **kwargs: Any) -> str:
        """`usage` as CSV, the columns of the server's `format=csv` report."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["day", "backend", "project", "user", "jobs", "shots",
                         "chip_seconds"])
        for r in self.usage(**kwargs).rows:
            writer.writerow([r.day.isoformat(), r.backend, r.project or "", r.user, r.jobs,
                             r.shots, f"{r.chip_seconds:.6f}"])
        return out.getvalue()

    def estimate(self, program: QuantumCircuit | str | Sequence[QuantumCircuit | str],
                 backend: str, shots: int = 1000, *, compile: bool = True,
                 project: str | None = None) -> Estimate:
        """What submitting `program` (or a batch) would cost its project, and whether it
        would be taken."""
        qasm = ([to_qasm(p) for p in program]
                if isinstance(program, list | tuple) else to_qasm(program))
        return Estimate.model_validate(self._http.request("POST", "/estimate", json={
            "qasm": qasm, "backend": backend, "shots": shots, "compile": compile,
            "project": project}))

    # ----- chip sessions -----------------------------------------------------------------
    def open_session(self, backend: str, *, project: str | None = None,
                     max_seconds: float = 3600.0,
                     idle_seconds: float = 300.0) -> ChipSessionPublic:
        """Open a session on `backend`: jobs submitted with `session=` its id run ahead of
        the general queue until it is closed, idle or too long."""
        return ChipSessionPublic.model_validate(self._http.request("POST", "/sessions", json={
            "backend": backend, "project": project, "max_seconds": max_seconds,
            "idle_seconds": idle_seconds}))

    def session_info(self, session_id: str) -> ChipSessionPublic:
        """A session of yours: open or closed (and why), its jobs and chip-seconds."""
        return ChipSessionPublic.model_validate(
            self._http.request("GET", f"/sessions/{_p(session_id)}"))

    def close_session(self, session_id: str) -> ChipSessionPublic:
        """End a session; its jobs still waiting go on in the general queue."""
        return ChipSessionPublic.model_validate(
            self._http.request("POST", f"/sessions/{_p(session_id)}/close"))

    # ----- reservations ------------------------------------------------------------------
    def reservations(self) -> list[ReservationPublic]:
        """Reservations not yet over, soonest first."""
        return [ReservationPublic.model_validate(r)
                for r in self._http.request("GET", "/reservations")]

    def reserve(self, backend: str, project: str, starts_at: datetime, ends_at: datetime,
                reason: str | None = None) -> ReservationPublic:
        """Book `backend` for `project` over a window (administrators)."""
        return ReservationPublic.model_validate(self._http.request("POST", "/reservations", json={
            "backend": backend, "project": project, "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(), "reason": reason}))

    def cancel_reservation(self, reservation_id: int) -> None:
        """Cancel a reservation (administrators)."""
        self._http.request("DELETE", f"/reservations/{int(reservation_id)}")

    # ----- webhooks ----------------------------------------------------------------------
    def webhooks(self) -> list[WebhookPublic]:
        """Your webhooks (never their secrets)."""
        return [WebhookPublic.model_validate(w) for w in self._http.request("GET", "/webhooks")]

    def create_webhook(self, url: str, *, project: str | None = None,
                       events: Sequence[str] | None = None) -> WebhookCreated:
        """POST `events` (default: job.ended and backend.status) to `url`, signed; the
        answer's `secret` (HMAC-SHA256 key) is shown this once."""
        body: dict[str, Any] = {"url": url, "project": project}
        if events is not None:
            body["events"] = list(events)
        return WebhookCreated.model_validate(self._http.request("POST", "/webhooks", json=body))

    def delete_webhook(self, webhook_id: int) -> None:
        """Stop a webhook."""
        self._http.request("DELETE", f"/webhooks/{int(webhook_id)}")

    def deliveries(self, webhook_id: int) -> list[DeliveryPublic]:
        """A webhook's newest deliveries: status, tries, the last answer."""
        return [DeliveryPublic.model_validate(d) for d in
                self._http.request("GET", f"/webhooks/{int(webhook_id)}/deliveries")]
