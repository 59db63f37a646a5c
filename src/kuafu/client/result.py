"""A finished job's result: counts, probabilities, a histogram."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..circuit.counts import counts_summary
from ..schemas import JobResult

PLOT_HINT = ("plotting needs matplotlib, which is not installed: "
             "pip install 'kuafu-cloud[plot]' (or pip install matplotlib)")


def pyplot() -> Any:
    """`matplotlib.pyplot`, or an ImportError that says how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(PLOT_HINT, name=exc.name) from exc
    return plt


class Result:
    """Counts of a job and how they were obtained.

    Bitstrings have classical bit 0 rightmost. The attributes are named as the fields of
    the wire form (`kuafu.schemas.JobResult`, in `data`) and of a local run's
    `kuafu.backends.BackendResult`: `counts`, `shots`, `compiled_qasm`,
    `initial_mapping`, `final_mapping`, `method`, `method_details`, `timings`, `seed`,
    `calibration_id`, `calibrated_at`, `calibration_point`, `software`.
    """

    def __init__(self, job_id: str, data: JobResult, backend: str | None = None) -> None:
        self.job_id = job_id
        self.data = data
        self.backend = backend

    @property
    def counts(self) -> dict[str, int]:
        return dict(self.data.counts)

    @property
    def shots(self) -> int:
        return self.data.shots

    @property
    def probabilities(self) -> dict[str, float]:
        total = sum(self.data.counts.values()) or 1
        return {k: v / total for k, v in self.data.counts.items()}

    @property
    def compiled_qasm(self) -> str | None:
        return self.data.compiled_qasm

    @property
    def initial_mapping(self) -> dict[str, int]:
        """Circuit qubit -> physical qubit at the start."""
        return dict(self.data.initial_mapping)

    @property
    def final_mapping(self) -> dict[str, int]:
        """Circuit qubit -> physical qubit at the end (after routing)."""
        return dict(self.data.final_mapping)

    @property
    def method(self) -> str | None:
        return self.data.method

    @property
    def method_details(self) -> dict[str, Any]:
        """How the simulation method ran (bond dimension, parts, trajectories...)."""
        return dict(self.data.method_details)

    @property
    def timings(self) -> dict[str, float]:
        """Seconds per stage, the simulator's phases and the worker's whole job."""
        return dict(self.data.timings)

    @property
    def seed(self) -> int | None:
        """The seed of the run: submit again with it to reproduce the counts."""
        return self.data.seed

    @property
    def calibration_id(self) -> str | None:
        """The calibration snapshot the job ran under (None without a chip)."""
        return self.data.calibration_id

    @property
    def calibrated_at(self) -> datetime | None:
        """When that calibration was taken (UTC)."""
        return self.data.calibrated_at

    @property
    def calibration_point(self) -> dict[str, Any] | None:
        """Where on a drifting chip's calibration timeline the job ran (None otherwise)."""
        return self.data.calibration_point

    @property
    def software(self) -> dict[str, str] | None:
        """Versions of Kuafu and the libraries the run's counts depend on."""
        return self.data.software

    def plot(self, ax: Any = None, top: int = 32) -> Any:
        """A matplotlib bar chart of the `top` most frequent outcomes; returns the axes.

        Raises:
            ImportError: matplotlib is not installed (`pip install 'kuafu-cloud[plot]'`).
        """
        plt = pyplot()

        if ax is None:
            _, ax = plt.subplots(figsize=(8, 3.5))
        items = sorted(self.counts.items(), key=lambda kv: -kv[1])[:top]
        items.sort()
        ax.bar([k for k, _ in items], [v / self.shots for _, v in items], color="#3b6ea8")
        ax.set_ylabel("probability")
        ax.set_title(f"job {self.job_id[:8]}: {self.shots} shots")
        ax.tick_params(axis="x", rotation=90 if len(items) > 8 else 0)
        return ax

    def __repr__(self) -> str:
        """One line: job, backend, shots, method and the most frequent outcomes."""
        return (f"<Result {self.job_id[:8]} {self.backend or '?'} shots={self.shots}"
                f" method={self.method or '?'} counts={counts_summary(self.data.counts)}>")
