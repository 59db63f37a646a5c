"""`kuafu demo`: a whole Kuafu platform on this machine, with nothing to configure.

It starts the server on a temporary SQLite store and a loopback port, makes a user,
submits a Bell circuit to ScQ-P10 and a GHZ circuit to ScQ-P136 through the HTTP
client, prints the histograms, and stops.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from ..circuit import QuantumCircuit
from ._common import histogram


def bell() -> QuantumCircuit:
    """The two-qubit Bell state (|00> + |11>)/sqrt(2), measured."""
    qc = QuantumCircuit(2, 2, name="bell")
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc


def ghz(n: int = 5) -> QuantumCircuit:
    """The n-qubit GHZ state, measured."""
    qc = QuantumCircuit(n, n, name=f"ghz{n}")
    qc.h(0)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    qc.measure(list(range(n)), list(range(n)))
    return qc


@contextmanager
def local_platform(workers: int = 2) -> Iterator[tuple[str, str]]:
    """A server on a temporary SQLite store in this process; yields (url, token)."""
    from ..server.core.config import Settings
    from ..server.executor import prestart

    with tempfile.TemporaryDirectory(prefix="kuafu-demo-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'kuafu.db'}"
        settings = Settings(database_url=url, workers=workers)
        executor = prestart(settings)  # the workers warm up while the web stack imports
        import uvicorn

        from ..server import create_app
        from ..server.testing import create_user, free_port

        token = create_user(url, "demo", admin=True)
        port = free_port()
        config = uvicorn.Config(create_app(settings, executor=executor),
                                host="127.0.0.1", port=port, log_level="warning")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name="kuafu-demo-server", daemon=True)
        thread.start()
        while not server.started:
            if not thread.is_alive():
                raise click.ClickException("the demo server did not start")
            time.sleep(0.05)
        try:
            yield f"http://127.0.0.1:{port}", token
        finally:
            server.should_exit = True
            thread.join(timeout=30)


@click.command()
@click.option("--shots", default=1000, show_default=True, type=click.IntRange(1))
def demo(shots: int) -> None:
    """Run a local platform, submit Bell to ScQ-P10 and GHZ to ScQ-P136, show results."""
    from ..client import Client

    click.echo("Starting a local Kuafu platform (temporary SQLite store)…", err=True)
    started = time.perf_counter()
    with local_platform() as (url, token), Client(url=url, token=token) as client:
        click.echo(f"Server up at {url}/api/v1 in {time.perf_counter() - started:.1f} s",
                   err=True)
        for circuit, backend in ((bell(), "ScQ-P10"), (ghz(5), "ScQ-P136")):
            job = client.submit(circuit, backend=backend, shots=shots, name=circuit.name)
            result = job.result(timeout=300)
            info = job.info()
            click.echo(click.style(f"\n== {circuit.name} on {backend}: {shots} shots "
                                   f"(job {job.id[:8]})", bold=True))
            click.echo(circuit.draw())
            seconds = (info.finished_at - info.created_at).total_seconds()
            click.echo(f"method {result.method}; qubits {result.initial_mapping}; "
                       f"calibration {result.calibration_id or '-'}; {seconds * 1000:.0f} ms "
                       "from submission to result")
            click.echo(histogram(result.counts, top=8))
    click.echo("\nPlatform stopped.", err=True)
