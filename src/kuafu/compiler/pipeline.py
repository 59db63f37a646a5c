"""`compile`: the pass pipeline from any circuit to one a chip runs as is."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..circuit import QuantumCircuit
from ..devices import Device
from ..errors import CircuitTooWideError
from .consolidate_blocks import consolidate_blocks
from .context import CompileContext
from .decompose import unroll
from .drop_identities import drop_identities
from .elide_swaps import elide_swaps
from .layout import sabre_layout
from .optimize import optimize
from .routing import route
from .validate import validate
from .vf2_layout import vf2_or_sabre_layout

Pass = Callable[..., QuantumCircuit]


@dataclass(frozen=True)
class CompiledCircuit:
    """A circuit compiled for a device, and how it maps back to the input.

    Attributes:
        circuit: the native circuit over all of the device's physical qubits (qubit i is
            `device.qubits[i]`), with the input's classical registers.
        device: the device it was compiled for.
        initial_mapping: input qubit -> physical qubit at the start.
        final_mapping: input qubit -> physical qubit at the end (routing moves qubits; a
            measurement of input qubit v reads physical qubit final_mapping[v]).
        stats: figures for people: `twoq_before`, `twoq_after`, `size`, `swaps`,
            `seconds`, `optimization_level`, `seed`, ...
    """

    circuit: QuantumCircuit
    device: Device
    initial_mapping: Mapping[int, int]
    final_mapping: Mapping[int, int]
    stats: Mapping[str, Any] = field(default_factory=dict)

    @property
    def active_qubits(self) -> list[int]:
        """Physical qubits that any operation touches (barriers aside), sorted."""
        used = {q for inst in self.circuit.instructions if inst.name != "barrier"
                for q in inst.qubits}
        return sorted(used | set(self.initial_mapping.values()))


def passes_for(level: int) -> list[Pass]:
    """The pipeline of an optimisation level, as plain pass functions."""
    if level == 0:
        return [unroll, sabre_layout, route, optimize, validate]
    return [unroll, drop_identities, elide_swaps, consolidate_blocks, vf2_or_sabre_layout,
            route, consolidate_blocks, optimize, validate]


def compile(circuit: QuantumCircuit, device: Device, *, optimization_level: int = 1,
            seed: int | None = None) -> CompiledCircuit:
    """Compile `circuit` for `device`: natives, noise-aware layout, routing, optimisation.

    Args:
        circuit: any circuit of library gates (bound parameters), measurements, resets,
            barriers, delays and conditions.
        device: the target chip.
        optimization_level: 0 translates and routes only; 1 adds block re-synthesis and
            single-qubit merging with a few layout/routing trials; 2 and 3 try harder.
        seed: seeds the layout and routing trials (same seed, same output).

    Returns:
        The compiled circuit with its mappings and statistics.

    Raises:
        CircuitTooWideError: the circuit has more qubits than the device.
        CompileError: an opaque gate or unbound parameter.
        ValueError: an unknown optimisation level.
    """
    if optimization_level not in (0, 1, 2, 3):
        raise ValueError(f"optimization_level must be 0..3, got {optimization_level!r}")
    if device.has_unusable:
        return _compile_around_unusable(circuit, device, optimization_level, seed)
    if circuit.num_qubits > device.num_qubits:
        raise CircuitTooWideError(
            f"circuit has {circuit.num_qubits} qubits; {device.name} has {device.num_qubits}")
    start = time.perf_counter()
    context = CompileContext(device=device, optimization_level=optimization_level,
                             rng=np.random.default_rng(seed))
    out = circuit
    for step in passes_for(optimization_level):
        out = step(out, context=context)
    initial = dict(enumerate(context.initial_layout or []))
    layout_end = context.final_layout or context.initial_layout or []
    wire_of = context.wire_of or list(range(len(layout_end)))
    final = {v: layout_end[wire_of[v]] for v in range(len(layout_end))}
    stats = {
        "optimization_level": optimization_level,
        "seed": seed,
        "twoq_before": circuit.num_nonlocal_gates(),
        "twoq_after": sum(1 for i in out.instructions if i.name == "cz"),
        "size": len(out.instructions),
        "seconds": time.perf_counter() - start,
        **{k: v for k, v in context.stats.items() if not k.startswith("_")},
    }
    return CompiledCircuit(out, device, initial, final, stats)


def _compile_around_unusable(circuit: QuantumCircuit, device: Device, level: int,
                             seed: int | None) -> CompiledCircuit:
    """Compile on the chip without its unusable qubits and couplers (so layout and
    routing never touch them), then name the chip's own qubits again."""
    from ..circuit import Instruction, QuantumRegister

    part, keep = device.usable_part()
    if circuit.num_qubits > part.num_qubits:
        raise CircuitTooWideError(
            f"circuit has {circuit.num_qubits} qubits; {device.name} has "
            f"{part.num_qubits} usable qubits ({device.num_qubits - part.num_qubits} "
            "marked unusable)")
    inner = compile(circuit, part, optimization_level=level, seed=seed)
    out = QuantumCircuit(QuantumRegister("q", device.num_qubits), *inner.circuit.cregs,
                         name=inner.circuit.name)
    for inst in inner.circuit.instructions:
        out.instructions.append(Instruction(inst.name, tuple(keep[q] for q in inst.qubits),
                                            inst.clbits, inst.params, inst.condition))
    stats = {**inner.stats, "unusable_qubits": sorted(device.unusable_qubits),
             "unusable_couplers": [list(c) for c in sorted(device.unusable_couplers)]}
    return CompiledCircuit(out, device, {v: keep[p] for v, p in inner.initial_mapping.items()},
                           {v: keep[p] for v, p in inner.final_mapping.items()}, stats)
