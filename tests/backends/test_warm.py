"""`kuafu.backends.warm` (issue 20): what `kuafu warm` runs in each process to build the
simulators' numba caches ahead of a first start."""

from __future__ import annotations

import pytest

from kuafu.backends.warm import FAMILIES, warm_engines


def test_every_family_is_known_and_an_unknown_one_is_refused():
    assert set(FAMILIES) == {"statevector", "statevector-single", "density-matrix",
                             "trajectories", "mps", "emulator"}
    with pytest.raises(ValueError, match="unknown family 'gpu'"):
        warm_engines("gpu")


def test_a_family_runs_its_circuits():
    assert warm_engines("density-matrix") >= 0.0
