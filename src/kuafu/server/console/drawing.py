"""SVG pictures for the console: circuits, chips, histograms and bar charts.

Drawn on the server so that the pages need no plotting library in the browser, and so
that the composer's live preview and the job page draw a circuit the same way. Every
picture is plain SVG markup with CSS classes (no inline styles: the console runs under
a strict Content-Security-Policy); all text is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from ...circuit import QuantumCircuit
from ...circuit.parameter import ParameterExpression, format_number

#: Beyond these the circuit is summarised instead of drawn (a page must stay light).
MAX_COLUMNS = 400
MAX_WIRES = 64

_COL, _ROW, _LEFT, _TOP = 52, 44, 56, 28
# name -> (controls, target label); "●" means a control dot on the target too (cz)
_CONTROLLED = {
    "cx": (1, "X"), "cy": (1, "Y"), "cz": (1, "●"), "ch": (1, "H"), "ccx": (2, "X"),
    "c3x": (3, "X"), "c4x": (4, "X"), "crx": (1, "Rx"), "cry": (1, "Ry"), "crz": (1, "Rz"),
    "cu1": (1, "U1"), "cp": (1, "P"), "cu3": (1, "U3"), "cu": (1, "U"), "csx": (1, "√X"),
}
_LABELS = {"sdg": "S†", "tdg": "T†", "sxdg": "√X†", "sx": "√X", "sy": "√Y", "sydg": "√Y†",
           "reset": "|0⟩", "id": "I", "rx": "Rx", "ry": "Ry", "rz": "Rz", "rxx": "Rxx",
           "ryy": "Ryy", "rzz": "Rzz", "u1": "U1", "u2": "U2", "u3": "U3", "u": "U",
           "p": "P", "delay": "Δ"}


def _svg(width: float, height: float, body: list[str], label: str, css: str) -> Markup:
    return Markup(
        f'<svg class="{css}" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
        f'height="{height:.0f}" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg">' + "".join(body) + "</svg>")


def _params(params: Sequence) -> str:
    parts = [p.to_qasm() if isinstance(p, ParameterExpression) else format_number(p)
             for p in params]
    text = ",".join(parts)
    return text if len(text) <= 14 else text[:13] + "…"


def _text(x: float, y: float, text: str, css: str = "") -> str:
    cls = f' class="{css}"' if css else ""
    return f'<text x="{x:.1f}" y="{y:.1f}"{cls}>{escape(text)}</text>'


def _box(x: float, y: float, label: str, params: str = "", height: float = 30) -> str:
    out = [f'<rect class="gate" x="{x - 20:.1f}" y="{y - 15:.1f}" width="40" '
           f'height="{height:.1f}" rx="4"/>', _text(x, y + (height - 30) / 2 + 5, label,
                                                   "gate-label")]
    if params:
        out.append(_text(x, y + height - 18, params, "gate-param"))
    return "".join(out)


def circuit_svg(circuit: QuantumCircuit, *, only_used: bool = False) -> Markup:
    """The circuit as an SVG diagram: one wire per qubit, gates in columns.

    Args:
        circuit: what to draw.
        only_used: leave out idle qubits (a compiled circuit on a 136-qubit chip uses few);
            the wires keep their qubit numbers.
    """
    used = sorted({q for inst in circuit.instructions for q in inst.qubits})
    wires = used if only_used else list(range(circuit.num_qubits))
    if not wires:
        return Markup('<p class="note">The circuit has no qubits to draw.</p>')
    if len(wires) > MAX_WIRES:
        return Markup(f'<p class="note">{len(wires)} qubits: too wide to draw here '
                      f'(at most {MAX_WIRES}).</p>')
    row = {q: i for i, q in enumerate(wires)}
    level = [0] * len(wires)
    body: list[str] = []
    width_cols = 0
    for inst in circuit.instructions:
        rows = sorted(row[q] for q in inst.qubits if q in row)
        if not rows:
            continue
        span = range(rows[0], rows[-1] + 1)
        col = max(level[r] for r in span)
        if col >= MAX_COLUMNS:
            return Markup(f'<p class="note">{len(circuit.instructions)} operations: too long '
                          f'to draw here (at most {MAX_COLUMNS} columns).</p>')
        for r in span:
            level[r] = col + 1
        width_cols = max(width_cols, col + 1)
        body.append(_instruction(inst, row, col))
    width = _LEFT + width_cols * _COL + 24
    height = _TOP + len(wires) * _ROW
    wire_marks = []
    for i, q in enumerate(wires):
        y = _TOP + i * _ROW
        wire_marks.append(f'<line class="wire" x1="{_LEFT - 8}" y1="{y}" x2="{width - 8:.0f}" '
                          f'y2="{y}"/>')
        wire_marks.append(_text(4, y + 5, f"q[{q}]", "wire-label"))
    label = (f"circuit diagram: {len(wires)} qubits, {len(circuit.instructions)} operations")
    return _svg(width, height, wire_marks + body, label, "circuit")


def _instruction(inst, row: Mapping[int, int], col: int) -> str:
    x = _LEFT + col * _COL + _COL / 2
    ys = [_TOP + row[q] * _ROW for q in inst.qubits]
    name = inst.name
    title = f"<title>{escape(name)} {escape(' '.join(f'q[{q}]' for q in inst.qubits))}</title>"
    parts: list[str] = []
    if name == "barrier":
        parts.append(f'<line class="barrier" x1="{x}" y1="{min(ys) - 18}" x2="{x}" '
                     f'y2="{max(ys) + 18}"/>')
    elif name == "measure":
        parts.append(_box(x, ys[0], "M"))
        parts.append(_text(x, ys[0] + 28, f"c{inst.clbits[0]}", "gate-param"))
    elif name == "swap":
        parts.append(_vertical(x, ys))
        parts += [_text(x, y + 6, "×", "swap") for y in ys]
    elif name in _CONTROLLED and len(inst.qubits) > 1:
        controls, label = _CONTROLLED[name]
        parts.append(_vertical(x, ys))
        parts += [f'<circle class="control" cx="{x}" cy="{y}" r="5"/>' for y in ys[:controls]]
        target = ys[controls] if len(ys) > controls else ys[-1]
        if label == "●":
            parts.append(f'<circle class="control" cx="{x}" cy="{target}" r="5"/>')
        elif label == "X" and not inst.params:
            parts.append(f'<circle class="target" cx="{x}" cy="{target}" r="11"/>'
                         f'<line class="target-cross" x1="{x - 11}" y1="{target}" '
                         f'x2="{x + 11}" y2="{target}"/><line class="target-cross" x1="{x}" '
                         f'y1="{target - 11}" x2="{x}" y2="{target + 11}"/>')
        else:
            parts.append(_box(x, target, label, _params(inst.params)))
    elif len(inst.qubits) > 1:
        top, bottom = min(ys), max(ys)
        parts.append(_box(x, top, _LABELS.get(name, name), _params(inst.params),
                          height=bottom - top + 30))
    else:
        parts.append(_box(x, ys[0], _LABELS.get(name, name.upper() if len(name) <= 2 else name),
                          _params(inst.params)))
    return f'<g class="op">{title}{"".join(parts)}</g>'


def _vertical(x: float, ys: Sequence[float]) -> str:
    return f'<line class="link" x1="{x}" y1="{min(ys)}" x2="{x}" y2="{max(ys)}"/>'


# ----- chips ------------------------------------------------------------------------------
@dataclass(frozen=True)
class QubitView:
    """One qubit of a chip as the console shows it."""

    index: int
    name: str
    t1_us: float
    t2_us: float
    fidelity_1q: float
    readout_fidelity: float


@dataclass(frozen=True)
class CouplerView:
    a: int
    b: int
    fidelity_2q: float


def band(fidelity: float, good: float, bad: float) -> int:
    """0 (worst) to 4 (best): the colour class of a fidelity between `bad` and `good`."""
    if fidelity >= good:
        return 4
    if fidelity <= bad:
        return 0
    return 1 + min(2, int(3 * (fidelity - bad) / (good - bad)))


def _positions(qubits: Sequence[QubitView],
               coordinates: Mapping[str, Sequence[int]] | None) -> list[tuple[float, float]]:
    if coordinates and all(q.name in coordinates for q in qubits):
        return [(float(coordinates[q.name][1]), float(coordinates[q.name][0])) for q in qubits]
    per_row = max(1, min(len(qubits), 10))  # a chain, folded like a snake
    out = []
    for i in range(len(qubits)):
        r, c = divmod(i, per_row)
        out.append((float(c if r % 2 == 0 else per_row - 1 - c), float(r)))
    return out


def chip_svg(qubits: Sequence[QubitView], couplers: Sequence[CouplerView],
             coordinates: Mapping[str, Sequence[int]] | None, *,
             mapping: Mapping[int, int] | None = None) -> Markup:
    """The chip's topology: qubits and couplers coloured by calibrated fidelity.

    Args:
        mapping: physical qubit -> circuit qubit, to mark where a job's qubits were placed.
    """
    pos = _positions(qubits, coordinates)
    step = 44.0
    margin = 26.0
    width = margin * 2 + step * max((x for x, _ in pos), default=0)
    height = margin * 2 + step * max((y for _, y in pos), default=0)
    xy = [(margin + x * step, margin + y * step) for x, y in pos]
    body = []
    for c in couplers:
        (x1, y1), (x2, y2) = xy[c.a], xy[c.b]
        body.append(
            f'<line class="coupler f{band(c.fidelity_2q, 0.99, 0.97)}" x1="{x1:.1f}" '
            f'y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" tabindex="0" data-kind="coupler" '
            f'data-name="{escape(qubits[c.a].name)}–{escape(qubits[c.b].name)}" '
            f'data-f2q="{c.fidelity_2q:.5f}"><title>{escape(qubits[c.a].name)}–'
            f'{escape(qubits[c.b].name)}: CZ fidelity {c.fidelity_2q:.2%}</title></line>')
    mapping = mapping or {}
    for q, (x, y) in zip(qubits, xy, strict=True):
        mapped = q.index in mapping
        css = f"qubit f{band(q.fidelity_1q, 0.9992, 0.998)}" + (" mapped" if mapped else "")
        body.append(
            f'<g class="{css}" tabindex="0" data-kind="qubit" data-name="{escape(q.name)}" '
            f'data-t1="{q.t1_us:.1f}" data-t2="{q.t2_us:.1f}" data-f1q="{q.fidelity_1q:.5f}" '
            f'data-ro="{q.readout_fidelity:.4f}"><title>{escape(q.name)}: T1 {q.t1_us:.1f} µs, '
            f'T2 {q.t2_us:.1f} µs, 1q fidelity {q.fidelity_1q:.3%}, readout '
            f'{q.readout_fidelity:.2%}</title><circle cx="{x:.1f}" cy="{y:.1f}" r="13"/>'
            + _text(x, y + 4, f"q{mapping[q.index]}" if mapped else str(q.index), "qubit-label")
            + "</g>")
    label = f"chip topology: {len(qubits)} qubits, {len(couplers)} couplers"
    return _svg(width, height, body, label, "chip")


# ----- charts -----------------------------------------------------------------------------
def bar_chart(labels: Sequence[str], values: Sequence[float], *, title: str,
              value_format: str = "{:.0f}", highlight: int | None = None) -> Markup:
    """Vertical bars with a label under each and its value above; `title` is read out."""
    n = len(values)
    if n == 0:
        return Markup('<p class="note">Nothing to plot.</p>')
    bar = max(30.0, min(72.0, 480.0 / n))  # few outcomes get wide bars
    gap, plot_h, top, bottom = 8.0, 160.0, 20.0, 64.0
    width = 16 + n * (bar + gap)
    height = top + plot_h + bottom
    peak = max(values) or 1.0
    body = [f'<line class="axis" x1="8" y1="{top + plot_h}" x2="{width - 4:.0f}" '
            f'y2="{top + plot_h}"/>']
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = plot_h * value / peak
        x = 12 + i * (bar + gap)
        css = "bar top" if highlight is not None and i < highlight else "bar"
        body.append(
            f'<g class="{css}" data-label="{escape(label)}" data-value="{value}">'
            f'<title>{escape(label)}: {escape(value_format.format(value))}</title>'
            f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar}" height="{h:.1f}"/>'
            + _text(x + bar / 2, top + plot_h - h - 4, value_format.format(value), "bar-value")
            + f'<text class="bar-label" transform="translate({x + bar / 2 + 4:.1f},'
              f'{top + plot_h + 8:.1f}) rotate(60)">{escape(label)}</text></g>')
    return _svg(width, height, body, title, "chart")


def histogram(values: Sequence[float], *, title: str, bins: int = 10,
              value_format: str = "{:.3g}") -> Markup:
    """How many of `values` fall in each of `bins` equal intervals."""
    if not values:
        return Markup('<p class="note">No data.</p>')
    lo, hi = min(values), max(values)
    if math.isclose(lo, hi):
        hi = lo + (abs(lo) * 1e-3 or 1e-3)
    step = (hi - lo) / bins
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - lo) / step))] += 1
    labels = [value_format.format(lo + (i + 0.5) * step) for i in range(bins)]
    return bar_chart(labels, counts, title=title)
