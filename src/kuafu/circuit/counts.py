"""Counts in a line: the short form every result's `repr` shows.

Counts are keyed by bitstrings with classical bit 0 rightmost (see `kuafu.circuit`).
"""

from __future__ import annotations

from collections.abc import Mapping

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
