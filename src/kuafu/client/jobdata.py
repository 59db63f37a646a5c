"""The client's side of issue 18: replay, delete, export, and the chips' calibration
history (mixed into `kuafu.Client`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .job import Job


class JobDataMixin:
    """Methods of `Client` for a job's data and the chips' calibration timelines."""

    _http: Any

    # ----- jobs ------------------------------------------------------------------------
    def replay(self, job_id: str) -> Job:
        """Run a finished job again exactly (program, options, seed, calibration
        snapshot and noise of its moment); `replay_report` compares the two."""
        data = self._http.request("POST", f"/jobs/{quote(job_id, safe='')}/replay")
        return Job(self, data["ids"][0], notice=data.get("notice"))

    def replay_report(self, job_id: str) -> dict[str, Any]:
        """For a replay: `counts_identical` (None until done), both calibration ids and
        `software_differs` (the versions that are not the original's)."""
        return self._http.request("GET", f"/jobs/{quote(job_id, safe='')}/replay")

    def delete_jobs(self, ids: Sequence[str]) -> list[str]:
        """Delete finished jobs (all or none); their usage still counts."""
        return self._http.request("POST", "/jobs/delete", json={"ids": list(ids)})["deleted"]

    def export_jobs(self, path: str | Path, *, ids: Sequence[str] = (), **filters: Any,
                    ) -> Path:
        """Write one zip archive of the jobs named by `ids` or by filters (`group`,
        `tag`, `status`, `backend`, `name`, `since`, `until`) to `path`."""
        body = {"ids": list(ids), **{k: (v.isoformat() if isinstance(v, datetime) else v)
                                     for k, v in filters.items() if v is not None}}
        data = self._http.request("POST", "/jobs/export", json=body, raw=True, timeout=300)
        out = Path(path)
        out.write_bytes(data)
        return out

    # ----- calibration -----------------------------------------------------------------
    def calibration(self, chip: str, at: datetime | None = None) -> dict[str, Any]:
        """The calibration snapshot in force on `chip` now or at `at`."""
        return self._http.request("GET", f"/backends/{quote(chip, safe='')}/calibration",
                                  params={"at": at.isoformat() if at else None})

    def calibration_snapshot(self, chip: str, snapshot_id: str) -> dict[str, Any]:
        """A snapshot by id."""
        return self._http.request("GET", f"/backends/{quote(chip, safe='')}/calibrations/"
                                  f"{quote(snapshot_id, safe='')}")

    def calibration_history(self, chip: str) -> list[dict[str, Any]]:
        """The chip's recalibrations, oldest first."""
        return self._http.request("GET", f"/backends/{quote(chip, safe='')}/calibrations")

    def recalibrate(self, chip: str) -> dict[str, Any]:
        """Recalibrate a chip now (administrators)."""
        return self._http.request("POST", f"/backends/{quote(chip, safe='')}/recalibrate")

    def set_faults(self, chip: str, qubits: Sequence[str] = (),
                   couplers: Sequence[tuple[str, str]] = (),
                   reason: str | None = None) -> dict[str, Any]:
        """Mark qubits and couplers of a chip unusable (administrators; replaces)."""
        return self._http.request("PUT", f"/backends/{quote(chip, safe='')}/faults", json={
            "qubits": list(qubits), "couplers": [list(c) for c in couplers],
            "reason": reason})
