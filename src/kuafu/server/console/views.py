"""Data shaped for the templates: chips from a `BackendDetail`, result rows from a job."""

from __future__ import annotations

import csv
import io
import statistics
from dataclasses import dataclass

from markupsafe import Markup

from ...errors import KuafuError
from ...schemas import BackendDetail, JobResult, calibration_figure
from .drawing import CouplerView, QubitView, chip_svg, circuit_svg, counts_bars, histogram

#: Most outcomes drawn as bars on a job page (the most frequent ones).
MAX_BARS = 32


@dataclass(frozen=True)
class Chip:
    """A chip's qubits, couplers and layout, as the console draws and tabulates them."""

    name: str
    qubits: list[QubitView]
    couplers: list[CouplerView]
    coordinates: dict[str, list[int]] | None

    @property
    def medians(self) -> dict[str, float | None]:
        def median(values: list[float]) -> float | None:
            return statistics.median(values) if values else None

        return {"fidelity_1q": median([q.fidelity_1q for q in self.qubits]),
                "fidelity_2q": calibration_figure(c.fidelity_2q for c in self.couplers),
                "readout": median([q.readout_fidelity for q in self.qubits]),
                "t1_us": median([q.t1_us for q in self.qubits]),
                "t2_us": median([q.t2_us for q in self.qubits])}

    def svg(self, mapping: dict[int, int] | None = None) -> Markup:
        return chip_svg(self.qubits, self.couplers, self.coordinates, mapping=mapping)

    def histograms(self) -> dict[str, Markup]:
        q = self.qubits
        return {
            "T1 (µs)": histogram([x.t1_us for x in q], title="histogram of T1 in µs",
                                 value_format="{:.0f}"),
            "T2 (µs)": histogram([x.t2_us for x in q], title="histogram of T2 in µs",
                                 value_format="{:.0f}"),
            "Single-qubit gate fidelity (%)": histogram(
                [100 * x.fidelity_1q for x in q], title="histogram of single-qubit fidelity",
                value_format="{:.2f}"),
            "Readout fidelity (%)": histogram(
                [100 * x.readout_fidelity for x in q], title="histogram of readout fidelity",
                value_format="{:.1f}"),
            "CZ fidelity (%)": histogram(
                [100 * c.fidelity_2q for c in self.couplers], title="histogram of CZ fidelity",
                value_format="{:.1f}"),
        }


def chip_of(detail: BackendDetail) -> Chip | None:
    """The chip of a backend, or None for a backend without one (the ideal simulator)."""
    data = detail.calibration_data
    if not data or "qubits" not in data:
        return None
    names = data["qubit_names"]
    index = {name: i for i, name in enumerate(names)}
    unusable = data.get("unusable") or {}
    off_q = set(unusable.get("qubits", ()))
    off_c = {frozenset(pair) for pair in unusable.get("couplers", ())}
    qubits = []
    for i, name in enumerate(names):
        c = data["qubits"][name]
        qubits.append(QubitView(i, name, c["t1_us"], c["t2_us"], c["fidelity_1q"],
                                (c["readout_p00"] + c["readout_p11"]) / 2, name in off_q))
    couplers = [CouplerView(index[c["qubits"][0]], index[c["qubits"][1]], c["fidelity_2q"],
                            frozenset(c["qubits"]) in off_c)
                for c in data.get("couplers", [])]
    return Chip(detail.name, qubits, couplers, data.get("coordinates"))


def counts_rows(result: JobResult) -> list[tuple[str, int, float]]:
    """(bitstring, count, probability), most frequent first (ties in bitstring order)."""
    total = sum(result.counts.values()) or 1
    ranked = sorted(result.counts.items(), key=lambda item: (-item[1], item[0]))
    return [(key, n, n / total) for key, n in ranked]


@dataclass(frozen=True)
class CountsChart:
    """The histogram of a job's counts and what it leaves out."""

    svg: Markup
    shown: int
    outcomes: int
    left_out_shots: int

    @property
    def left_out(self) -> int:
        return self.outcomes - self.shown


def counts_chart(result: JobResult) -> CountsChart:
    """The histogram of counts: at most `MAX_BARS` outcomes, the most frequent, in order
    of count; with few outcomes (all shown), in bitstring order, which reads better."""
    rows = counts_rows(result)
    shown = rows[:MAX_BARS]
    if len(rows) <= MAX_BARS:
        shown = sorted(shown)
    title = (f"histogram of counts over {result.shots} shots" if len(rows) <= MAX_BARS else
             f"the {len(shown)} most frequent of {len(rows)} outcomes over {result.shots} "
             "shots")
    svg = counts_bars([r[0] for r in shown], [r[1] for r in shown], title=title)
    return CountsChart(svg, len(shown), len(rows), sum(r[1] for r in rows[MAX_BARS:]))


def counts_csv(result: JobResult) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["bitstring", "count", "probability"])
    for key, n, p in sorted(counts_rows(result)):  # the file in bitstring order
        writer.writerow([key, n, f"{p:.6g}"])
    return out.getvalue()


def draw_qasm(text: str | None, *, only_used: bool = False) -> Markup:
    """A stored program drawn, or a note saying why it cannot be."""
    if not text:
        return Markup('<p class="note">No program.</p>')
    from ... import qasm

    try:
        return circuit_svg(qasm.loads(text), only_used=only_used)
    except (KuafuError, ValueError, RecursionError) as exc:
        return Markup('<p class="note">Cannot draw: ') + str(exc) + Markup("</p>")
