"""`kuafu demo`: show what Kuafu does, on this machine, with nothing to configure."""

from __future__ import annotations

import click

from .. import qasm
from ..circuit import QuantumCircuit


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


@click.command()
def demo() -> None:
    """Build a Bell and a GHZ circuit and print their OpenQASM and drawings."""
    for circuit in (bell(), ghz(5)):
        text = qasm.dumps(circuit)
        assert qasm.loads(text) == circuit, "OpenQASM round trip changed the circuit"
        click.echo(click.style(f"== {circuit.name}: {circuit.num_qubits} qubits, depth "
                               f"{circuit.depth()}, gates {circuit.count_ops()}", bold=True))
        click.echo(text)
        click.echo(circuit.draw())
        click.echo()
