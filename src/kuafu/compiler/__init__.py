"""Compiling circuits for a chip: natives, noise-aware layout, routing, optimisation.

    >>> from kuafu import QuantumCircuit, compiler, devices
    >>> qc = QuantumCircuit(3, 3)
    >>> _ = qc.h(0), qc.cx(0, 1), qc.cx(1, 2), qc.measure([0, 1, 2], [0, 1, 2])
    >>> compiled = compiler.compile(qc, devices.get("ScQ-P18"), seed=1)
    >>> compiled.stats["twoq_after"], sorted({i.name for i in compiled.circuit.instructions})
    (2, ['cz', 'measure', 'ry'])
    >>> sorted(compiled.initial_mapping)  # input qubit -> physical qubit, as final_mapping
    [0, 1, 2]

Every pass is a plain function `f(circuit, *, context) -> circuit` over a shared
`CompileContext`; `passes_for(level)` lists a level's pipeline.
"""

from .cancel_pairs import cancel_pairs
from .consolidate_blocks import consolidate_blocks
from .context import CompileContext
from .decompose import decompose
from .drop_identities import drop_identities
from .elide_swaps import elide_swaps
from .layout import best_region, sabre_layout
from .optimize import merge_single_qubit, optimize
from .pipeline import CompiledCircuit, compile, passes_for
from .routing import route
from .synthesis import kak, two_qubit_cz_count
from .validate import check_circuit, check_native, validate

__all__ = [
    "CompileContext",
    "CompiledCircuit",
    "best_region",
    "cancel_pairs",
    "check_circuit",
    "check_native",
    "compile",
    "consolidate_blocks",
    "decompose",
    "drop_identities",
    "elide_swaps",
    "kak",
    "merge_single_qubit",
    "optimize",
    "passes_for",
    "route",
    "sabre_layout",
    "two_qubit_cz_count",
    "validate",
]
