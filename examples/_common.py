"""Shared by the example scripts: shot counts from the environment, quick runs in tests."""

from __future__ import annotations

import os


def shots(default: int) -> int:
    """`KUAFU_EXAMPLE_SHOTS` when set (the tests set a small number), else `default`."""
    return int(os.environ.get("KUAFU_EXAMPLE_SHOTS", default))


def quick() -> bool:
    """Whether `KUAFU_EXAMPLE_QUICK` asks for a short run (fewer iterations)."""
    return os.environ.get("KUAFU_EXAMPLE_QUICK", "") not in ("", "0")
