"""Text drawing of a circuit: one line per qubit and classical bit, gates in columns."""

from __future__ import annotations

from .circuit import QuantumCircuit
from .instruction import Instruction
from .parameter import ParameterExpression, format_number

# name -> (number of control qubits, label of the target)
_CONTROLLED = {
    "cx": (1, "X"), "cy": (1, "Y"), "cz": (1, "■"), "ch": (1, "H"), "ccx": (2, "X"),
    "c3x": (3, "X"), "c4x": (4, "X"), "crx": (1, "Rx"), "cry": (1, "Ry"), "crz": (1, "Rz"),
    "cu1": (1, "U1"), "cp": (1, "P"), "cu3": (1, "U3"), "cu": (1, "U"), "csx": (1, "√X"),
    "c3sqrtx": (3, "√X"), "cswap": (1, "x"),
}
_LABELS = {"sdg": "S†", "tdg": "T†", "sxdg": "√X†", "sx": "√X", "sy": "√Y", "sydg": "√Y†",
           "reset": "|0>", "id": "I", "rx": "Rx", "ry": "Ry", "rz": "Rz", "rxx": "Rxx",
           "rzz": "Rzz"}


def _param_text(params) -> str:
    if not params:
        return ""
    parts = [p.to_qasm() if isinstance(p, ParameterExpression) else format_number(p)
             for p in params]
    return "(" + ",".join(parts) + ")"


def _cells(inst: Instruction, num_qubits: int) -> dict[int, str]:
    """Wire index -> label for one instruction (clbit wires come after the qubits)."""
    name, qubits = inst.name, inst.qubits
    cond = ""
    if inst.condition is not None:
        cond = f" if={inst.condition.value}"
    if name == "measure":
        return {qubits[0]: "M", num_qubits + inst.clbits[0]: "╩"}
    if name == "barrier":
        return {q: "░" for q in qubits}
    if name in ("swap", "cswap"):
        cells = {q: "x" for q in qubits[-2:]}
        cells.update({q: "■" for q in qubits[:-2]})
        return _with_condition(cells, inst, num_qubits, cond)
    if name in _CONTROLLED:
        n_ctrl, label = _CONTROLLED[name]
        cells = {q: "■" for q in qubits[:n_ctrl]}
        cells[qubits[-1]] = label + _param_text(inst.params)
        return _with_condition(cells, inst, num_qubits, cond)
    label = _LABELS.get(name, name.upper() if len(name) <= 2 else name)
    label += _param_text(inst.params if name != "delay" else [])
    if name == "delay":
        label = f"delay({format_number(inst.params[0])}ns)"
    cells = {q: label for q in qubits}
    if len(qubits) > 1:
        cells = {q: f"{label}:{i}" for i, q in enumerate(qubits)}
    return _with_condition(cells, inst, num_qubits, cond)


def _with_condition(cells: dict[int, str], inst: Instruction, num_qubits: int, cond: str):
    if inst.condition is not None:
        for c in inst.condition.clbits:
            cells[num_qubits + c] = "◉"
        last = max(q for q in inst.qubits)
        cells[last] += cond
    return cells


def _layers(circuit: QuantumCircuit) -> list[list[dict[int, str]]]:
    nq = circuit.num_qubits
    depth = [0] * (nq + circuit.num_clbits)
    layers: list[list[dict[int, str]]] = []
    for inst in circuit.instructions:
        cells = _cells(inst, nq)
        span = range(min(cells), max(cells) + 1)
        level = max(depth[w] for w in span)
        for w in span:
            depth[w] = level + 1
        if level == len(layers):
            layers.append([])
        layers[level].append(cells)
    return layers


def _column(group: list[dict[int, str]], num_wires: int, num_qubits: int) -> list[str]:
    width = max(len(text) for cells in group for text in cells.values()) + 2
    column = []
    for wire in range(num_wires):
        fill = "─" if wire < num_qubits else "═"
        text = None
        for cells in group:
            if wire in cells:
                text = cells[wire]
            elif min(cells) < wire < max(cells):
                text = "┼" if wire < num_qubits else "╪"
        column.append((text or fill).center(width, fill))
    return column


def draw_text(circuit: QuantumCircuit, width: int = 120) -> str:
    """The circuit as text; long circuits are folded into blocks at most `width` wide."""
    nq = circuit.num_qubits
    names = [circuit.qubit_name(i) for i in range(nq)]
    names += [circuit.clbit_name(i) for i in range(circuit.num_clbits)]
    if not names:
        return "(empty circuit)"
    pad = max(len(n) for n in names)
    heads = [f"{n.rjust(pad)}: " for n in names]
    columns = [_column(group, len(names), nq) for group in _layers(circuit)]
    margin = len(heads[0]) + 2  # the name and a wire end on each side
    blocks, current, used = [], [], margin
    for col in columns:
        if current and used + len(col[0]) > width:
            blocks.append(current)
            current, used = [], margin
        current.append(col)
        used += len(col[0])
    blocks.append(current)
    out = []
    for block in blocks:
        for w, head in enumerate(heads):
            fill = "─" if w < nq else "═"
            out.append(head + fill + "".join(col[w] for col in block) + fill)
        out.append("")
    return "\n".join(out).rstrip("\n")
