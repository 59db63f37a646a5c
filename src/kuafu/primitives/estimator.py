"""`Estimator`: expectation values of Pauli observables, with standard errors.

    >>> import numpy as np
    >>> from kuafu import Parameter, QuantumCircuit, backends
    >>> theta = Parameter("theta")
    >>> ansatz = QuantumCircuit(2)
    >>> _ = ansatz.ry(theta, 0), ansatz.cx(0, 1)
    >>> est = Estimator(backends.get("ScQ-P10"), shots=4000, seed=1,
    ...                 readout_mitigation="calibration", zne_scales=(1, 3, 5))
    >>> res = est.run(ansatz, ["ZZ", "0.5*ZI + 0.5*XX"], parameter_values=[[0.0], [1.2]])
    >>> res.values.shape, res.stds.shape          # (parameter sets, observables)
    ((2, 2), (2, 2))
    >>> exact = [[1, 0.5], [1, 0.5 * (np.cos(1.2) + np.sin(1.2))]]
    >>> bool(np.all(abs(res.values - exact) < 0.1))
    True

How a run goes: every observable's terms are pooled and split into qubit-wise commuting
groups (`grouping`), one measurement setting each; for every parameter set, noise scale
and setting one circuit is built, and ALL of them go to the backend as one batch. A
term's value is the average parity of its bits (mitigated by the inverse tensored
readout matrix when asked); an observable's standard error comes from the per-shot
variance of its group sums, so correlations inside a setting are accounted for. With
no backend, values are exact (statevector) and errors zero.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..circuit import QuantumCircuit
from . import readout
from ._common import ParameterValues, bind_all, count_arrays, parameter_sets
from .backend import CountsBackend, Outcome, run_circuits
from .grouping import MeasurementGroup, group_qubit_wise, measurement_circuit, strip_measurements
from .pauli import PauliSum
from .zne import extrapolation_weights, fold_gates

READOUT_MODES = (None, "calibration", "circuits")


@dataclass(frozen=True)
class EstimatorOptions:
    """How an Estimator measures.

    Attributes:
        shots: shots per measurement setting (and per noise scale).
        seed: makes runs reproducible (each circuit gets a seed drawn from it).
        readout_mitigation: None; `calibration` (the chip's published readout errors);
            or `circuits` (measured once per physical qubit with calibration circuits and
            kept for later runs).
        calibration_shots: shots of each readout calibration circuit.
        zne_scales: noise scale factors for zero-noise extrapolation, e.g. (1, 3, 5);
            None switches it off.
        zne_extrapolation: `richardson`, `linear` or `quadratic` (see `zne`).
        compile: let the backend compile the circuits for its chip.
    """

    shots: int = 4096
    seed: int | None = None
    readout_mitigation: str | None = None
    calibration_shots: int = 8192
    zne_scales: tuple[float, ...] | None = None
    zne_extrapolation: str = "richardson"
    compile: bool = True

    def __post_init__(self) -> None:
        if self.shots < 1:
            raise ValueError(f"shots must be positive, got {self.shots}")
        if self.readout_mitigation not in READOUT_MODES:
            raise ValueError(f"readout_mitigation must be one of {READOUT_MODES}")
        if self.zne_scales is not None:
            object.__setattr__(self, "zne_scales", tuple(float(s) for s in self.zne_scales))
            extrapolation_weights(self.zne_scales, self.zne_extrapolation)  # validates


@dataclass(frozen=True)
class EstimatorResult:
    """Values and standard errors, shape (parameter sets, observables).

    Attributes:
        values: the estimates (mitigated and extrapolated when asked).
        stds: their standard errors (shot noise; 0 for exact values).
        metadata: `settings` (measurement settings per circuit), `circuits` (how many
            ran), `shots`; with ZNE `scale_values` and `scale_stds` (shape scales x sets x
            observables, readout-mitigated when asked); with any mitigation
            `unmitigated_values` and `unmitigated_stds`: the plain estimates from the
            same shots at scale 1, to compare.
    """

    values: np.ndarray
    stds: np.ndarray
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def value(self) -> float:
        """The single value of a run with one parameter set and one observable."""
        return float(self._single(self.values))

    @property
    def std(self) -> float:
        return float(self._single(self.stds))

    @staticmethod
    def _single(array: np.ndarray) -> Any:
        if array.size != 1:
            raise ValueError(f"the result holds {array.shape} values; index `values`")
        return array.reshape(-1)[0]


class Estimator:
    """Expectation values of `PauliSum` observables on a backend.

    Args:
        backend: a local backend (`kuafu.backends.get("ScQ-P10")`), a server's chip
            (`kuafu.client.backend.RemoteBackend`), anything with `run(circuit, shots) ->
            .counts`; or None for exact noiseless values.
        options: an `EstimatorOptions`; keyword arguments override its fields.
    """

    def __init__(self, backend: CountsBackend | None = None,
                 options: EstimatorOptions | None = None, **overrides: Any) -> None:
        self.backend = backend
        self.options = dataclasses.replace(options or EstimatorOptions(), **overrides)
        self._readout: readout.ReadoutCalibration | None = None

    def run(self, circuit: QuantumCircuit,
            observables: PauliSum | str | Sequence[PauliSum | str],
            parameter_values: ParameterValues | None = None) -> EstimatorResult:
        """Estimate every observable for every parameter set, in one batch.

        Args:
            circuit: the state preparation (terminal measurements are dropped).
            observables: one observable or a list; strings are parsed by `PauliSum.parse`.
            parameter_values: values of the circuit's parameters (in the order of
                `circuit.parameters`, or a mapping); a list of such sets is a sweep.

        Raises:
            ValueError: for an observable of another width, missing parameter values.
        """
        prep = strip_measurements(circuit)
        obs = _observables(observables, prep.num_qubits)
        bound = bind_all(prep, parameter_sets(prep, parameter_values))
        if self.backend is None:
            return self._exact(bound, obs)
        return self._sampled(bound, obs)

    # ----- exact ----------------------------------------------------------------------------
    def _exact(self, bound: list[QuantumCircuit], obs: list[PauliSum]) -> EstimatorResult:
        from ..sim import statevector

        states = [statevector(c) for c in bound]  # one simulation per circuit
        values = np.array([[o.expectation(state) for o in obs] for state in states])
        values = _real_if_hermitian(values, obs)
        return EstimatorResult(values, np.zeros(values.shape), {"exact": True})

    # ----- sampled --------------------------------------------------------------------------
    def _sampled(self, bound: list[QuantumCircuit], obs: list[PauliSum]) -> EstimatorResult:
        opts = self.options
        labels = list(dict.fromkeys(label for o in obs for _, label in o))
        groups = group_qubit_wise(labels)
        scales = opts.zne_scales or (1.0,)
        jobs = [(p, s, g) for p in range(len(bound)) for s in range(len(scales))
                for g in range(len(groups))]
        folded = {(p, s): fold_gates(bound[p], scales[s]) for p in range(len(bound))
                  for s in range(len(scales))}
        circuits = [measurement_circuit(folded[p, s], groups[g].basis) for p, s, g in jobs]
        outcomes = run_circuits(self.backend, circuits, opts.shots, seed=opts.seed,
                                compile=opts.compile)
        calibration = self._calibration(outcomes, [groups[g] for _, _, g in jobs])
        coeffs = _coefficient_table(obs, labels)  # (observables, labels)
        means = np.zeros((len(scales), len(bound), len(obs)), dtype=complex)
        variances = np.zeros(means.shape)
        raw_means = np.zeros(means.shape[1:], dtype=complex)
        raw_variances = np.zeros(means.shape[1:])
        for (p, s, g), outcome in zip(jobs, outcomes, strict=True):
            m, v = _group_estimate(outcome, groups[g], labels, coeffs, calibration)
            means[s, p] += m
            variances[s, p] += v
            if s == 0:
                if calibration is not None:
                    m, v = _group_estimate(outcome, groups[g], labels, coeffs, None)
                raw_means[p] += m
                raw_variances[p] += v
        for o, observable in enumerate(obs):  # identity terms need no measurement
            constant = sum(c for c, label in observable if set(label) <= {"I"})
            means[:, :, o] += constant
            raw_means[:, o] += constant
        metadata: dict[str, Any] = {
            "settings": [g.basis for g in groups], "circuits": len(circuits),
            "shots": opts.shots, "readout_mitigation": opts.readout_mitigation}
        if opts.zne_scales:
            w = extrapolation_weights(scales, opts.zne_extrapolation)
            values = np.tensordot(w, means, axes=1)
            stds = np.sqrt(np.tensordot(w**2, variances, axes=1))
            metadata["scale_values"] = _real_if_hermitian(means, obs)
            metadata["scale_stds"] = np.sqrt(variances)
            metadata["zne_scales"] = scales
        else:
            values, stds = means[0], np.sqrt(variances[0])
        if opts.zne_scales or calibration is not None:
            metadata["unmitigated_values"] = _real_if_hermitian(raw_means, obs)
            metadata["unmitigated_stds"] = np.sqrt(raw_variances)
        return EstimatorResult(_real_if_hermitian(values, obs), stds, metadata)

    def _calibration(self, outcomes: list[Outcome], groups: list[MeasurementGroup]
                     ) -> readout.ReadoutCalibration | None:
        mode = self.options.readout_mitigation
        if mode is None:
            return None
        if mode == "calibration":
            if self._readout is None:
                self._readout = readout.from_backend(self.backend)
                if self._readout is None:
                    raise ValueError("this backend publishes no readout calibration; use "
                                     "readout_mitigation='circuits'")
            return self._readout
        physical = {outcome.final_mapping.get(q, q) for outcome, group in
                    zip(outcomes, groups, strict=True) for q in group.measured_qubits}
        known = dict(self._readout.errors) if self._readout else {}
        missing = physical - set(known)
        if missing:
            seed = None if self.options.seed is None else self.options.seed + 1
            known.update(readout.measure(self.backend, missing,
                                         self.options.calibration_shots, seed=seed).errors)
            self._readout = readout.ReadoutCalibration(known, "circuits")
        return self._readout


def _observables(observables: Any, num_qubits: int) -> list[PauliSum]:
    items = [observables] if isinstance(observables, PauliSum | str) else list(observables)
    out = []
    for item in items:
        o = PauliSum.coerce(item)
        if o.num_qubits > num_qubits:
            raise ValueError(f"observable on {o.num_qubits} qubits for a circuit of "
                             f"{num_qubits}")
        out.append(PauliSum(o.terms, num_qubits))
    return out


def _coefficient_table(obs: list[PauliSum], labels: list[str]) -> np.ndarray:
    index = {label: i for i, label in enumerate(labels)}
    table = np.zeros((len(obs), len(labels)), dtype=complex)
    for o, observable in enumerate(obs):
        for c, label in observable:
            table[o, index[label]] += c
    return table


def _group_estimate(outcome: Outcome, group: MeasurementGroup, labels: list[str],
                    coeffs: np.ndarray, calibration: readout.ReadoutCalibration | None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Per observable: the mean of its terms read in this setting, and its variance."""
    bits, freq = count_arrays(outcome.counts)
    measured = group.measured_qubits
    weights = np.empty((len(measured), 2))
    for j, q in enumerate(measured):
        weights[j] = ((1.0, -1.0) if calibration is None
                      else calibration.parity_weights(outcome.final_mapping.get(q, q)))
    n = len(labels[0])
    per_label = np.ones((len(group.terms), len(freq)))
    for row, t in enumerate(group.terms):
        label = labels[t]
        for j, q in enumerate(measured):
            if label[n - 1 - q] != "I":
                per_label[row] *= weights[j, bits[:, j]]
    shot_values = coeffs[:, list(group.terms)] @ per_label  # (observables, outcomes)
    mean = shot_values @ freq
    second = (np.abs(shot_values) ** 2) @ freq
    shots = max(outcome.shots, 2)
    variance = np.maximum(second - np.abs(mean) ** 2, 0) / (shots - 1)
    return mean, variance


def _real_if_hermitian(values: np.ndarray, obs: list[PauliSum]) -> np.ndarray:
    if all(o.is_hermitian for o in obs):
        return np.real(values).astype(float)
    return values
