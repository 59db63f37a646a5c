"""Counts in a line (the short form every result's `repr` shows) and in Quafu's bit order.

Counts are keyed by bitstrings with classical bit 0 rightmost (see `kuafu.circuit`).
Quafu keys them with the lowest classical bit LEFTMOST: its device agents over every
classical bit, pyquafu's `res` over the measured bits only. `to_quafu_counts` and
`from_quafu_counts` are the one place that converts; the remote device and the server's
Quafu API both call them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

TOP = 4
"""How many outcomes a summary names."""


def counts_summary(counts: Mapping[str, int], top: int = TOP) -> str:
    """The `top` most frequent outcomes (ties in key order) and how many are left out.

        >>> counts_summary({"00": 480, "11": 500, "01": 12, "10": 8}, top=2)
        "{'11': 500, '00': 480, … 2 more}"
    """
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = [f"{key!r}: {value}" for key, value in ranked[:top]]
    if len(ranked) > top:
        shown.append(f"… {len(ranked) - top} more")
    return "{" + ", ".join(shown) + "}"


def to_quafu_counts(counts: Mapping[str, int],
                    clbits: Sequence[int] | None = None) -> dict[str, int]:
    """Kuafu counts (classical bit 0 rightmost) -> Quafu's (lowest bit leftmost).

    Args:
        counts: keys of one character per classical bit, bit 0 rightmost.
        clbits: the classical bits to keep (pyquafu's `res` keeps the measured ones), in
            any order and with repeats; every bit when None. Outcomes that agree on them
            are summed.

    Returns:
        Counts keyed by the kept bits in increasing order, the lowest leftmost.

        >>> to_quafu_counts({"001": 7, "100": 3, "000": 1}, clbits=[2, 0])
        {'10': 7, '01': 3, '00': 1}
    """
    kept = None if clbits is None else sorted(set(clbits))
    out: dict[str, int] = {}
    for key, value in counts.items():
        short = key[::-1] if kept is None else "".join(key[len(key) - 1 - c] for c in kept)
        out[short] = out.get(short, 0) + int(value)
    return out


def from_quafu_counts(counts: Mapping[str, int], num_clbits: int) -> dict[str, int]:
    """Counts keyed with classical bit 0 leftmost (Quafu) -> rightmost (Kuafu).

    Raises:
        ValueError: naming the first key that is not `num_clbits` characters of 0 and 1,
            or a count that is not a non-negative integer.
    """
    out: dict[str, int] = {}
    for key, value in counts.items():
        if len(key) != num_clbits or set(key) - {"0", "1"}:
            raise ValueError(f"count key {key!r} is not {num_clbits} characters of 0 and 1 "
                             f"(one per classical bit, bit 0 leftmost)")
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"count of {key!r} is {value!r}, not a non-negative integer")
        out[key[::-1]] = out.get(key[::-1], 0) + value
    return out
