"""Pictures for the client: a chip's topology coloured by calibrated fidelity."""

from __future__ import annotations

import math
from typing import Any

from ..schemas import BackendDetail


def topology(backend: BackendDetail, ax: Any = None) -> Any:
    """Draw qubits (on the chip's grid, else on a circle) and couplers coloured by
    two-qubit fidelity; returns the matplotlib axes."""
    from .result import pyplot

    plt = pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 6))
    n = backend.qubits
    names = backend.calibration_data.get("qubit_names") or [f"Q{i + 1}" for i in range(n)]
    coords = backend.calibration_data.get("coordinates")
    if coords:
        pos = [(coords[name][1], -coords[name][0]) for name in names]
    else:
        pos = [(math.cos(2 * math.pi * i / n), math.sin(2 * math.pi * i / n))
               for i in range(n)]
    fid = {tuple(sorted(c["qubits"])): c["fidelity_2q"]
           for c in backend.calibration_data.get("couplers", [])
           if isinstance(c, dict) and "qubits" in c}
    cmap = plt.get_cmap("viridis")
    for a, b in backend.coupling_map:
        f = fid.get(tuple(sorted((names[a], names[b]))), 1.0)
        ax.plot([pos[a][0], pos[b][0]], [pos[a][1], pos[b][1]],
                color=cmap(max(0.0, min(1.0, (f - 0.95) / 0.05))), lw=2)
    ax.scatter([p[0] for p in pos], [p[1] for p in pos], s=80, color="#333", zorder=3)
    ax.set_title(f"{backend.name}: {n} qubits")
    ax.set_aspect("equal")
    ax.axis("off")
    return ax
