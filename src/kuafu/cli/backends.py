"""`kuafu backends`: the chips, their status (and why) and their queues."""

from __future__ import annotations

import click

from ..schemas import CALIBRATION_FIGURE_LABEL, format_calibration_figure
from ._common import client_options, echo_json, json_option, status_text, table, when


@click.command()
@click.argument("name", required=False)
@json_option
@client_options
def backends(client, name: str | None, as_json: bool) -> None:
    """List the chips, or show chip NAME with its calibration.

    A chip in maintenance keeps its queue (jobs wait; the reason and, when the
    operator gave it, the expected end are shown); an offline chip refuses new jobs.
    """
    if name:
        detail = client.backend(name)
        if as_json:
            echo_json(detail)
            return
        click.echo(f"{detail.name}: {detail.qubits} qubits, {len(detail.coupling_map)} "
                   f"couplers, queue {detail.queue_length}")
        status = status_text(detail.status, detail.status_reason, detail.status_until)
        click.echo(f"status: {status}{_reserved(detail)}")
        click.echo(f"native gates: {', '.join(detail.native_gates) or '-'}")
        click.echo(f"{CALIBRATION_FIGURE_LABEL}: "
                   f"{format_calibration_figure(detail.fidelity_2q_median)}")
        if detail.calibration is not None:
            click.echo(f"calibration {detail.calibration.id} at "
                       f"{when(detail.calibration_time)}; means over the chip:")
            for key, value in detail.calibration_data.get("averages", {}).items():
                click.echo(f"  {AVERAGE_LABELS.get(key, key)}: {_average(key, value)}")
        return
    items = client.backends()
    if as_json:
        echo_json(items)
        return
    table("Backends", ["name", "qubits", "status", "queue", CALIBRATION_FIGURE_LABEL,
                       "native gates", "calibrated"],
          [[b.name, b.qubits,
            status_text(b.status, b.status_reason, b.status_until) + _reserved(b),
            b.queue_length, format_calibration_figure(b.fidelity_2q_median),
            " ".join(b.native_gates) or "(any)",
            b.calibration_time.strftime("%Y-%m-%d %H:%M") if b.calibration_time else "-"]
           for b in items])


AVERAGE_LABELS = {"fidelity_1q": "mean 1q fidelity", "fidelity_2q": "mean 2q fidelity",
                  "readout_fidelity": "mean readout fidelity", "t1_us": "mean T1",
                  "t2_us": "mean T2"}


def _average(key: str, value: float) -> str:
    if key.endswith("_us"):
        return f"{value:.1f} µs"
    return format_calibration_figure(value)


def _reserved(backend) -> str:
    """"; reserved for qc101 until ...", when a reservation is in force (issue 17)."""
    if getattr(backend, "reserved_for", None) is None:
        return ""
    return f"; reserved for {backend.reserved_for} until {when(backend.reserved_until)}"
