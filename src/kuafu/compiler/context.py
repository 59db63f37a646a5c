"""`CompileContext`: what passes share: the device, the randomness, and what they found."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from ..devices import Device


class Candidate(NamedTuple):
    """A layout the layout trials found, and how to route it again as they did.

    Attributes:
        layout: virtual -> physical qubit the trial's best pass started from.
        heuristic: the row of the level's `sabre.heuristics` the trial used.
        seed: the seed of that pass.
        backward: whether that pass routed the reversed circuit.
        variant: the routing DAG it used (`sabre.LAYER_CAPS`).
    """

    layout: list[int]
    heuristic: int
    seed: int | None
    backward: bool
    variant: int = 0


@dataclass
class CompileContext:
    """Inputs and findings of one compilation, handed to every pass.

    Attributes:
        device: the target chip (None for device-independent passes).
        optimization_level: 0 (translate only) to 3 (most effort).
        rng: the only source of randomness for the passes.
        initial_layout: virtual qubit -> physical qubit, set by the layout pass.
        final_layout: virtual qubit -> physical qubit after routing.
        layout_candidates: the best few routings the layout trials found, best first;
            routing reproduces them and tries more seeds.
        wire_of: input qubit -> circuit qubit holding its state at the end, when a pass
            (`elide_swaps`) relabelled qubits instead of moving states.
        stats: figures passes record for the report (swaps inserted, trials, ...).
        dags: the routing DAGs (`sabre.Dags`) the layout pass built; routing reuses them
            when it routes the same instructions.
    """

    device: Device | None = None
    optimization_level: int = 1
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(0))
    initial_layout: list[int] | None = None
    final_layout: list[int] | None = None
    wire_of: list[int] | None = None
    layout_candidates: list[Candidate] | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    dags: Any = None
