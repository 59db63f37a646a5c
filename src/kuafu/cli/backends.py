"""`kuafu backends`: the chips and their queues."""

from __future__ import annotations

import click

from ._common import client_options, echo_json, json_option, table


@click.command()
@click.argument("name", required=False)
@json_option
@client_options
def backends(client, name: str | None, as_json: bool) -> None:
    """List the chips, or show chip NAME with its calibration."""
    if name:
        detail = client.backend(name)
        if as_json:
            echo_json(detail)
            return
        avg = detail.calibration_data.get("averages", {})
        click.echo(f"{detail.name}: {detail.qubits} qubits, {detail.status}, "
                   f"{len(detail.coupling_map)} couplers, queue {detail.queue_length}")
        click.echo(f"native gates: {', '.join(detail.native_gates)}")
        click.echo(f"calibration: {detail.calibration.id if detail.calibration else '-'} "
                   f"at {detail.calibration_time}")
        for key, value in avg.items():
            click.echo(f"  {key}: {value:.4g}")
        return
    items = client.backends()
    if as_json:
        echo_json(items)
        return
    table("Backends", ["name", "qubits", "status", "queue", "native gates", "calibrated"],
          [[b.name, b.qubits, b.status, b.queue_length, " ".join(b.native_gates),
            b.calibration_time] for b in items])
