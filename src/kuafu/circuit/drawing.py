"""Drawing a circuit: the labels of its gates, parameters and conditions, and a text
drawing with one line per qubit and classical bit, gates in columns.

The labels (`gate_label`, `CONTROLLED`, `params_label`, `condition_label`) are the one
source for every drawing of a circuit: this text drawing and the web console's SVG.
Parameters are rounded for people (4 significant digits, or a fraction of π when the
value is one), never for OpenQASM: the program text keeps every digit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .circuit import QuantumCircuit
from .instruction import Condition, Instruction
from .parameter import ParameterExpression

CONTROLLED: dict[str, tuple[int, str]] = {
    "cx": (1, "X"), "cy": (1, "Y"), "cz": (1, "■"), "ch": (1, "H"), "ccx": (2, "X"),
    "c3x": (3, "X"), "c4x": (4, "X"), "crx": (1, "Rx"), "cry": (1, "Ry"), "crz": (1, "Rz"),
    "cu1": (1, "U1"), "cp": (1, "P"), "cu3": (1, "U3"), "cu": (1, "U"), "csx": (1, "√X"),
    "c3sqrtx": (3, "√X"), "cswap": (1, "x"),
}
"""Controlled gates: name -> (number of control qubits, label of the target; "■" is a
control dot drawn on the target too, "x" a swap mark on each of the last two qubits)."""

LABELS: dict[str, str] = {
    "sdg": "S†", "tdg": "T†", "sxdg": "√X†", "sx": "√X", "sy": "√Y", "sydg": "√Y†",
    "reset": "|0⟩", "id": "I", "rx": "Rx", "ry": "Ry", "rz": "Rz", "rxx": "Rxx",
    "rzz": "Rzz", "u0": "U0", "u1": "U1", "u2": "U2", "u3": "U3", "measure": "M",
    "delay": "Δ",
}
"""Labels that are not simply the upper-cased name."""

#: Significant digits of a drawn parameter.
DIGITS = 4
#: Longest drawn symbolic parameter (an expression); longer ones end in "…".
MAX_EXPRESSION = 12
_PI_DENOMINATORS = (1, 2, 3, 4, 6, 8, 12, 16, 32, 64)


def gate_label(name: str) -> str:
    """How a drawing labels the gate (or operation) `name`: `H`, `Rz`, `√X`, `rccx`."""
    return LABELS.get(name, name.upper() if len(name) <= 2 else name)


def number_label(value: float, digits: int = DIGITS) -> str:
    """A parameter for people: `π/2`, `-3π/4`, `2π` when the value is that multiple of π
    (to rounding error), else `digits` significant digits (`0.1344`, `1.5e+04`)."""
    value = float(value)
    if value == 0.0 or not math.isfinite(value):
        return "0" if value == 0.0 else str(value)
    if 1e-6 < abs(value) < 1e6:
        for den in _PI_DENOMINATORS:
            num = round(value * den / math.pi)
            if num and math.isclose(value, num * math.pi / den, rel_tol=1e-12):
                sign, num = ("-" if num < 0 else ""), abs(num)
                return sign + ("" if num == 1 else str(num)) + "π" + (f"/{den}" if den > 1
                                                                     else "")
    return f"{value:.{digits}g}"


def param_label(param) -> str:
    """One parameter for people: a number rounded by `number_label`, an expression as
    written (cut at `MAX_EXPRESSION` characters)."""
    if isinstance(param, ParameterExpression):
        text = param.to_qasm().replace("pi", "π")
        return text if len(text) <= MAX_EXPRESSION else text[:MAX_EXPRESSION - 1] + "…"
    return number_label(param)


def params_label(params: Sequence) -> str:
    """The parameters of a gate, comma-separated (empty for none)."""
    return ",".join(param_label(p) for p in params)


def condition_label(condition: Condition, circuit: QuantumCircuit) -> str:
    """A classical condition as people write it: `c==1` for a whole register, `c[2]==1`
    for one bit, `{c[0],d[1]}==3` for other sets of bits (the first the least
    significant)."""
    offset = 0
    for reg in circuit.cregs:
        if condition.clbits == tuple(range(offset, offset + reg.size)):
            return f"{reg.name}=={condition.value}"
        offset += reg.size
    names = [circuit.clbit_name(c) for c in condition.clbits]
    bits = names[0] if len(names) == 1 else "{" + ",".join(names) + "}"
    return f"{bits}=={condition.value}"


def _param_text(params) -> str:
    return f"({params_label(params)})" if params else ""


def _cells(inst: Instruction, circuit: QuantumCircuit) -> dict[int, str]:
    """Wire index -> label for one instruction (clbit wires come after the qubits)."""
    name, qubits, num_qubits = inst.name, inst.qubits, circuit.num_qubits
    if name == "measure":
        return {qubits[0]: "M", num_qubits + inst.clbits[0]: "╩"}
    if name == "barrier":
        return {q: "░" for q in qubits}
    if name in ("swap", "cswap"):
        cells = {q: "x" for q in qubits[-2:]}
        cells.update({q: "■" for q in qubits[:-2]})
    elif name in CONTROLLED:
        n_ctrl, label = CONTROLLED[name]
        cells = {q: "■" for q in qubits[:n_ctrl]}
        cells[qubits[-1]] = label + _param_text(inst.params)
    elif name == "delay":
        cells = {q: f"delay({number_label(inst.params[0])}ns)" for q in qubits}
    else:
        label = gate_label(name) + _param_text(inst.params)
        cells = {q: label for q in qubits}
        if len(qubits) > 1:
            cells = {q: f"{label}:{i}" for i, q in enumerate(qubits)}
    if inst.condition is not None:
        for c in inst.condition.clbits:
            cells[num_qubits + c] = "◉"
        last = max(qubits)
        cells[last] += f" if {condition_label(inst.condition, circuit)}"
    return cells


def _layers(circuit: QuantumCircuit) -> list[list[dict[int, str]]]:
    """Instructions grouped in columns. An instruction spans every wire between its
    first and last (its classical bits included), so a conditioned gate comes after the
    measurement that writes its condition."""
    depth = [0] * (circuit.num_qubits + circuit.num_clbits)
    layers: list[list[dict[int, str]]] = []
    for inst in circuit.instructions:
        cells = _cells(inst, circuit)
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
