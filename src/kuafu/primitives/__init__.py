"""Algorithms' building blocks: Pauli observables, the Estimator and the Sampler.

    from kuafu import backends
    from kuafu.primitives import Estimator, PauliSum, Sampler

    H = PauliSum.parse("0.5*ZZ + 0.3*XI")
    est = Estimator(backends.get("ScQ-P10"), shots=8000, readout_mitigation="calibration",
                    zne_scales=(1, 3, 5))
    est.run(circuit, H).value

A backend is anything with `run(circuit, shots, ...) -> .counts` (all of `kuafu.backends`);
a chip behind a server is `kuafu.client.backend.RemoteBackend(kuafu.Client(), "ScQ-P10")`,
which sends all of a run's circuits in one batch request. `Estimator()` without a backend
gives exact values. Labels put qubit 0 rightmost, as counts do. This layer imports only
circuit and sim, and does no I/O.
"""

from .backend import CountsBackend, Outcome, run_circuits
from .estimator import Estimator, EstimatorOptions, EstimatorResult
from .grouping import MeasurementGroup, group_qubit_wise, measurement_circuit, qubit_wise_commute
from .pauli import PauliSum
from .readout import ReadoutCalibration, calibration_circuits
from .readout import from_backend as readout_from_backend
from .readout import measure as measure_readout
from .sampler import Sampler, SamplerResult
from .zne import extrapolation_weights, fold_gates

__all__ = [
    "CountsBackend",
    "Estimator",
    "EstimatorOptions",
    "EstimatorResult",
    "MeasurementGroup",
    "Outcome",
    "PauliSum",
    "ReadoutCalibration",
    "Sampler",
    "SamplerResult",
    "calibration_circuits",
    "extrapolation_weights",
    "fold_gates",
    "group_qubit_wise",
    "measure_readout",
    "measurement_circuit",
    "qubit_wise_commute",
    "readout_from_backend",
    "run_circuits",
]


def __getattr__(name: str):
    if name == "RemoteBackend":  # moved: the core does no I/O
        raise ImportError("RemoteBackend talks HTTP, so it moved to the client side: "
                          "from kuafu.client.backend import RemoteBackend")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
