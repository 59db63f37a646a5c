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

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .cancel_pairs import cancel_pairs
from .consolidate_blocks import consolidate_blocks
from .context import CompileContext
from .decompose import decompose
from .drop_identities import drop_identities
from .elide_swaps import elide_swaps
from .optimize import merge_single_qubit, optimize
from .synthesis import kak, two_qubit_cz_count
from .validate import check_circuit, check_native, validate

# Layout, routing and the pipeline are imported on first use (PEP 562): the router
# pulls in numba, and the server process checks circuits but never routes one (a
# third of a second of every restart, issue 20). No lazy name is also a module name,
# so an imported submodule never shadows one of them.
_LAZY = {"best_region": "layout", "sabre_layout": "layout", "CompiledCircuit": "pipeline",
         "compile": "pipeline", "passes_for": "pipeline", "route": "routing"}

if TYPE_CHECKING:
    from .layout import best_region, sabre_layout
    from .pipeline import CompiledCircuit, compile, passes_for
    from .routing import route


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value

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


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
