"""Simulation engines behind one interface, with noise.

    from kuafu.sim import simulate, NoiseModel, depolarizing, readout_error
    noise = (NoiseModel().with_gate_error(depolarizing(0.001), num_qubits=1)
             .with_readout_error(readout_error(0.02)))
    result = simulate(circuit, 1000, noise=noise, seed=7)
    result.counts   # {"0101": 12, ...}: classical bit 0 rightmost, as Qiskit prints

Engines: statevector (numba kernels with gate fusion), density matrix (exact noisy, small),
trajectories (noisy, wider), stabilizer (stim: Clifford with Pauli noise at any width),
matrix product states (wide, weakly entangled; `MPSOptions`). `simulate(method="auto")`
splits a circuit into independent parts, picks a method for each by estimated cost
(`plan_simulation` returns that decision alone) or refuses with the estimate
(`kuafu.errors.CircuitTooCostlyError`), and reports it in `SimResult.method` and
`SimResult.method_details`. No I/O here.
"""

from .api import (
    METHODS,
    SimulationPlan,
    density_matrix,
    expectation,
    plan_simulation,
    simulate,
    statevector,
)
from .channels import (
    Channel,
    ReadoutError,
    amplitude_damping,
    depolarizing,
    kraus_channel,
    pauli_channel,
    phase_damping,
    readout_error,
    thermal_relaxation,
    unitary_mixture,
)
from .mps import MPSOptions
from .noise import NoiseModel
from .result import SimResult
from .statevector import run_statevector

__all__ = [
    "METHODS",
    "Channel",
    "MPSOptions",
    "NoiseModel",
    "ReadoutError",
    "SimResult",
    "SimulationPlan",
    "amplitude_damping",
    "density_matrix",
    "depolarizing",
    "expectation",
    "kraus_channel",
    "pauli_channel",
    "phase_damping",
    "plan_simulation",
    "readout_error",
    "run_statevector",
    "simulate",
    "statevector",
    "thermal_relaxation",
    "unitary_mixture",
]
