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
from ...circuit.drawing import CONTROLLED, condition_label, gate_label, params_label
from ...circuit.instruction import Instruction

#: Beyond these the circuit is summarised instead of drawn (a page must stay light).
MAX_COLUMNS = 400
MAX_WIRES = 64

_ROW, _LEFT, _TOP = 50, 56, 28  # a row leaves room for a label under a box
_GAP, _MIN_BOX = 12, 40  # between columns; narrowest gate box
_LABEL_PX, _PARAM_PX = 9.0, 6.2  # rough advance of a character of the label, parameters


def _svg(width: float, height: float, body: list[str], label: str, css: str) -> Markup:
    return Markup(
        f'<svg class="{css}" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
        f'height="{height:.0f}" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg">' + "".join(body) + "</svg>")


def _text(x: float, y: float, text: str, css: str = "") -> str:
    cls = f' class="{css}"' if css else ""
    return f'<text x="{x:.1f}" y="{y:.1f}"{cls}>{escape(text)}</text>'


def _box(x: float, y: float, label: str, params: str = "", height: float = 30,
         width: float = _MIN_BOX) -> str:
    middle = y + (height - 30) / 2  # a box over several wires: the label in its middle
    out = [f'<rect class="gate" x="{x - width / 2:.1f}" y="{y - 15:.1f}" width="{width:.1f}" '
           f'height="{height:.1f}" rx="4"/>',
           _text(x, middle + (1 if params else 5), label, "gate-label")]
    if params:
        out.append(_text(x, middle + 12, params, "gate-param"))
    return "".join(out)


@dataclass(frozen=True)
class _Op:
    """One instruction placed: its column, its labels, and the width its box needs."""

    inst: Instruction
    col: int
    label: str
    params: str
    condition: str

    @property
    def width(self) -> float:
        text = max(len(self.label) * _LABEL_PX, len(self.params) * _PARAM_PX,
                   len(self.condition) * _PARAM_PX)
        return max(float(_MIN_BOX), text + 10)


def circuit_svg(circuit: QuantumCircuit, *, only_used: bool = False) -> Markup:
    """The circuit as an SVG diagram: one wire per qubit, gates in columns.

    Columns are as wide as their widest label, so a long parameter never runs into the
    next gate. A conditioned gate shows its condition (`c==1`) under its box and comes
    after the measurements that write the bits it reads.

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
    ops = _place(circuit, row)
    if ops is None:
        return Markup(f'<p class="note">{len(circuit.instructions)} operations: too long '
                      f'to draw here (at most {MAX_COLUMNS} columns).</p>')
    widths = [float(_MIN_BOX)] * (max((op.col for op in ops), default=-1) + 1)
    for op in ops:
        widths[op.col] = max(widths[op.col], op.width)
    centres, x = [], float(_LEFT)
    for w in widths:
        centres.append(x + (w + _GAP) / 2)
        x += w + _GAP
    width = x + 24
    height = _TOP + len(wires) * _ROW
    body = []
    for i, q in enumerate(wires):
        y = _TOP + i * _ROW
        body.append(f'<line class="wire" x1="{_LEFT - 8}" y1="{y}" x2="{width - 8:.0f}" '
                    f'y2="{y}"/>')
        body.append(_text(4, y + 5, f"q[{q}]", "wire-label"))
    body += [_instruction(op, row, centres[op.col], circuit) for op in ops]
    label = (f"circuit diagram: {len(wires)} qubits, {len(circuit.instructions)} operations")
    return _svg(width, height, body, label, "circuit")


def _place(circuit: QuantumCircuit, row: Mapping[int, int]) -> list[_Op] | None:
    """Each drawn instruction's column: after everything on the wires it spans and, for
    a measurement or a conditioned gate, after what last wrote or read its classical
    bits. None when the drawing would need more than `MAX_COLUMNS` columns."""
    level = [0] * len(row)
    bit_level = [0] * circuit.num_clbits
    ops = []
    for inst in circuit.instructions:
        rows = sorted(row[q] for q in inst.qubits if q in row)
        if not rows:
            continue
        span = range(rows[0], rows[-1] + 1)
        bits = set(inst.clbits) | set(inst.condition.clbits if inst.condition else ())
        col = max([level[r] for r in span] + [bit_level[b] for b in bits])
        if col >= MAX_COLUMNS:
            return None
        for r in span:
            level[r] = col + 1
        for b in bits:
            bit_level[b] = col + 1
        if inst.name == "measure":
            params = circuit.clbit_name(inst.clbits[0])
        elif inst.name == "delay":
            params = f"{params_label(inst.params)}ns"
        else:
            params = params_label(inst.params)
        condition = condition_label(inst.condition, circuit) if inst.condition else ""
        ops.append(_Op(inst, col, _label(inst.name), params, condition))
    return ops


def _label(name: str) -> str:
    """The text in a gate's box (a controlled gate's box is on its target)."""
    if name in ("barrier", "swap", "cswap"):
        return ""
    return CONTROLLED[name][1] if name in CONTROLLED else gate_label(name)


def _instruction(op: _Op, row: Mapping[int, int], x: float, circuit: QuantumCircuit) -> str:
    inst = op.inst
    ys = [_TOP + row[q] * _ROW for q in inst.qubits]
    name = inst.name
    title = " ".join([name] + [circuit.qubit_name(q) for q in inst.qubits])
    if name == "measure":
        title += f" -> {op.params}"
    elif inst.params:
        title += f" ({params_label(inst.params)})"
    if op.condition:
        title += f" if {op.condition}"
    parts: list[str] = [f"<title>{escape(title)}</title>"]
    box = op.width
    if name == "barrier":
        parts.append(f'<line class="barrier" x1="{x}" y1="{min(ys) - 18}" x2="{x}" '
                     f'y2="{max(ys) + 18}"/>')
    elif name == "measure":
        parts.append(_box(x, ys[0], op.label, width=box))
        parts.append(_text(x, ys[0] + 28, op.params, "gate-param"))
    elif name in ("swap", "cswap"):
        parts.append(_vertical(x, ys))
        parts += [f'<circle class="control" cx="{x}" cy="{y}" r="5"/>' for y in ys[:-2]]
        parts += [_text(x, y + 6, "×", "swap") for y in ys[-2:]]
    elif name in CONTROLLED and len(inst.qubits) > 1:
        controls, label = CONTROLLED[name]
        parts.append(_vertical(x, ys))
        parts += [f'<circle class="control" cx="{x}" cy="{y}" r="5"/>' for y in ys[:controls]]
        target = ys[controls] if len(ys) > controls else ys[-1]
        if label == "■":
            parts.append(f'<circle class="control" cx="{x}" cy="{target}" r="5"/>')
        elif label == "X" and not inst.params:
            parts.append(f'<circle class="target" cx="{x}" cy="{target}" r="11"/>'
                         f'<line class="target-cross" x1="{x - 11}" y1="{target}" '
                         f'x2="{x + 11}" y2="{target}"/><line class="target-cross" x1="{x}" '
                         f'y1="{target - 11}" x2="{x}" y2="{target + 11}"/>')
        else:
            parts.append(_box(x, target, op.label, op.params, width=box))
    elif len(inst.qubits) > 1:
        top, bottom = min(ys), max(ys)
        parts.append(_box(x, top, op.label, op.params, height=bottom - top + 30, width=box))
    else:
        parts.append(_box(x, ys[0], op.label, op.params, width=box))
    if op.condition:
        parts.append(_text(x, max(ys) + 28, op.condition, "gate-cond"))
    css = "op conditional" if op.condition else "op"
    return f'<g class="{css}" data-name="{escape(name)}">{"".join(parts)}</g>'


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
    unusable: bool = False  # marked unusable by an administrator (issue 18)


@dataclass(frozen=True)
class CouplerView:
    a: int
    b: int
    fidelity_2q: float
    unusable: bool = False


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
        off = (' unusable" stroke-dasharray="3 4" data-unusable="true'
               if c.unusable else "")
        note = " (marked unusable)" if c.unusable else ""
        body.append(
            f'<line class="coupler f{band(c.fidelity_2q, 0.99, 0.97)}{off}" x1="{x1:.1f}" '
            f'y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" tabindex="0" data-kind="coupler" '
            f'data-name="{escape(qubits[c.a].name)}–{escape(qubits[c.b].name)}" '
            f'data-f2q="{c.fidelity_2q:.5f}"><title>{escape(qubits[c.a].name)}–'
            f'{escape(qubits[c.b].name)}: CZ fidelity {c.fidelity_2q:.2%}{note}</title></line>')
    mapping = mapping or {}
    for q, (x, y) in zip(qubits, xy, strict=True):
        mapped = q.index in mapping
        css = f"qubit f{band(q.fidelity_1q, 0.9992, 0.998)}" + (" mapped" if mapped else "")
        cross = ""
        if q.unusable:
            css += " unusable"
            cross = (f'<path d="M{x - 11:.1f} {y - 11:.1f}L{x + 11:.1f} {y + 11:.1f}'
                     f'M{x + 11:.1f} {y - 11:.1f}L{x - 11:.1f} {y + 11:.1f}" '
                     'stroke="currentColor" stroke-width="2.5"/>')
        body.append(
            f'<g class="{css}" tabindex="0" data-kind="qubit" data-name="{escape(q.name)}" '
            f'data-t1="{q.t1_us:.1f}" data-t2="{q.t2_us:.1f}" data-f1q="{q.fidelity_1q:.5f}" '
            f'data-ro="{q.readout_fidelity:.4f}"'
            + (' data-unusable="true"' if q.unusable else "")
            + f'><title>{escape(q.name)}: T1 {q.t1_us:.1f} µs, '
            f'T2 {q.t2_us:.1f} µs, 1q fidelity {q.fidelity_1q:.3%}, readout '
            f'{q.readout_fidelity:.2%}{" (marked unusable)" if q.unusable else ""}</title>'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="13"/>'
            + _text(x, y + 4, f"q{mapping[q.index]}" if mapped else str(q.index), "qubit-label")
            + cross + "</g>")
    label = f"chip topology: {len(qubits)} qubits, {len(couplers)} couplers"
    return _svg(width, height, body, label, "chip")


# ----- charts -----------------------------------------------------------------------------
_CHAR_PX = 6.6  # rough advance of a chart label's character (11px font)


def bar_chart(labels: Sequence[str], values: Sequence[float], *, title: str,
              value_format: str = "{:.0f}", highlight: int | None = None) -> Markup:
    """Vertical bars with an upright label under each and its value above; `title` is
    read out. Each bar is as wide as its label, so labels never need turning."""
    n = len(values)
    if n == 0:
        return Markup('<p class="note">Nothing to plot.</p>')
    longest = max(len(label) for label in labels) * _CHAR_PX
    bar = max(24.0, min(72.0, 320.0 / n), longest - 4)
    gap, plot_h, top, bottom = 6.0, 140.0, 18.0, 22.0
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
            f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}"/>'
            + _text(x + bar / 2, top + plot_h - h - 4, value_format.format(value), "bar-value")
            + _text(x + bar / 2, top + plot_h + 15, label, "bar-label") + "</g>")
    return _svg(width, height, body, title, "chart")


def counts_bars(labels: Sequence[str], values: Sequence[int], *, title: str) -> Markup:
    """Horizontal bars, one row per outcome: the bitstring on the left (upright, in a
    monospace font, however many bits), the bar, and its count at the bar's end."""
    if not values:
        return Markup('<p class="note">Nothing to plot.</p>')
    row, top = 22.0, 6.0
    label_w = 12 + max(len(label) for label in labels) * 7.8
    plot_w = 300.0
    value_w = 12 + max(len(str(v)) for v in values) * _CHAR_PX
    width = label_w + plot_w + value_w
    height = top * 2 + row * len(values)
    peak = max(values) or 1
    body = [f'<line class="axis" x1="{label_w - 2:.1f}" y1="{top}" x2="{label_w - 2:.1f}" '
            f'y2="{height - top:.1f}"/>']
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + i * row
        w = plot_w * value / peak
        body.append(
            f'<g class="bar" data-label="{escape(label)}" data-value="{value}">'
            f'<title>{escape(label)}: {value}</title>'
            f'<text x="{label_w - 8:.1f}" y="{y + 15:.1f}" class="bar-label outcome">'
            f'{escape(label)}</text>'
            f'<rect x="{label_w:.1f}" y="{y + 3:.1f}" width="{w:.1f}" height="{row - 6:.1f}"/>'
            + _text(label_w + w + 5, y + 15, str(value), "bar-count") + "</g>")
    return _svg(width, height, body, title, "chart counts")


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
