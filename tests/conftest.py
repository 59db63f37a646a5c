"""Fixtures shared by every test package."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator, so every random test is reproducible."""
    return np.random.default_rng(20261125)
