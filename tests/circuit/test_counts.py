"""The one-line counts summary every result's repr shows."""

from __future__ import annotations

from kuafu.circuit.counts import counts_summary


def test_most_frequent_first_ties_in_key_order_and_the_rest_counted():
    counts = {"00": 480, "11": 480, "01": 30, "10": 10, "0": 0}
    assert counts_summary(counts, top=3) == "{'00': 480, '11': 480, '01': 30, … 2 more}"
    assert counts_summary({"1": 2}) == "{'1': 2}"
    assert counts_summary({}) == "{}"
