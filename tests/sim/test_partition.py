"""Independent parts: what joins qubits, exact factorisation, sampling, seeds, noise."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kuafu import qasm
from kuafu.circuit import GATES, QuantumCircuit
from kuafu.sim import NoiseModel, depolarizing, readout_error, simulate
from kuafu.sim.channels import amplitude_damping
from kuafu.sim.density_matrix import outcome_probabilities
from kuafu.sim.partition import join, restrict_noise, split

NAMES = sorted(name for name, spec in GATES.items() if spec.num_qubits <= 3)


def grouped_circuit(rng: np.random.Generator, groups: list[list[int]], n: int,
                    gates: int = 24, *, dynamic: bool = False) -> QuantumCircuit:
    """Random gates that stay inside each group of qubits, every qubit measured into
    the clbit of its index; with `dynamic`, a mid-circuit measurement and a condition
    (both inside a group) too."""
    qc = QuantumCircuit(n, n)
    for _ in range(gates):
        group = groups[rng.integers(len(groups))]
        names = [g for g in NAMES if GATES[g].num_qubits <= len(group)]
        spec = GATES[names[rng.integers(len(names))]]
        qubits = [int(q) for q in rng.choice(group, spec.num_qubits, replace=False)]
        params = [float(x) for x in rng.uniform(-math.pi, math.pi, spec.num_params)]
        qc.append(spec.name, qubits, params)
        if dynamic and len(group) >= 2 and rng.random() < 0.2:
            a, b = (int(q) for q in rng.choice(group, 2, replace=False))
            qc.measure(a, a)
            qc.x(b).c_if(a, 1)
    for group in groups:
        for q in group:
            qc.measure(q, q)
    return qc


def random_groups(rng: np.random.Generator, n: int) -> list[list[int]]:
    labels = rng.integers(0, 3, n)
    return [sorted(int(q) for q in np.nonzero(labels == g)[0]) for g in range(3)
            if (labels == g).any()]


def product(dists: list[tuple[dict[str, float], tuple[int, ...]]], m: int) -> dict[str, float]:
    """The distribution of independent parts, each given over its own clbits."""
    out = {"0" * m: 1.0}
    for dist, clbits in dists:
        nxt: dict[str, float] = {}
        for key, p in out.items():
            for sub, r in dist.items():
                chars = list(key)
                for j, c in enumerate(clbits):
                    chars[m - 1 - c] = sub[len(clbits) - 1 - j]
                k2 = "".join(chars)
                nxt[k2] = nxt.get(k2, 0.0) + p * r
        out = nxt
    return out


def tvd(p: dict[str, float], q: dict[str, float]) -> float:
    return 0.5 * sum(abs(p.get(k, 0.0) - q.get(k, 0.0)) for k in set(p) | set(q))


# ----- what joins qubits -----------------------------------------------------------------
def test_gates_conditions_registers_and_shared_bits_join_parts():
    qc = qasm.loads("""OPENQASM 2.0;
include "qelib1.inc";
qreg q[9];
creg a[1];
creg r[2];
creg s[1];
h q[0];
measure q[0] -> a[0];
if(a==1) x q[3];
measure q[1] -> r[0];
measure q[2] -> r[1];
if(r==2) x q[4];
measure q[5] -> s[0];
measure q[6] -> s[0];
cx q[7],q[8];
barrier q;
""")
    parts = [(p.qubits, p.clbits) for p in split(qc)]
    assert parts == [((0, 3), (0,)), ((1, 2, 4), (1, 2)), ((5, 6), (3,)), ((7, 8), ())]


def test_a_condition_on_a_never_written_register_still_joins():
    qc = QuantumCircuit(3, 2)
    qc.x(0).c_if(0, 1)  # reads clbit 0, which nobody writes: joins q0 to it only
    qc.h(1)
    qc.measure(1, 1)
    qc.measure(2, 0)  # writes clbit 0: joins q2 and q0
    assert [(p.qubits, p.clbits) for p in split(qc)] == [((0, 2), (0,)), ((1,), (1,))]


def test_untouched_qubits_are_not_simulated():
    qc = QuantumCircuit(40, 2)
    qc.t(7)
    qc.h(7)
    qc.cx(7, 31)
    qc.measure(7, 0)
    qc.measure(31, 1)
    (part,) = split(qc)
    assert part.qubits == (7, 31) and part.circuit.num_qubits == 2
    result = simulate(qc, 400, seed=1)
    assert set(result.counts) == {"00", "11"} and result.method == "statevector"
    assert result.method_details["simulated_qubits"] == 2


def test_a_connected_circuit_is_its_own_single_part():
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    (part,) = split(qc)
    assert part.circuit is qc


def test_parts_that_write_no_bit_are_skipped_and_unwritten_bits_read_zero():
    qc = QuantumCircuit(3, 3)
    qc.h(0)
    qc.t(0)
    qc.x(1)
    qc.measure(1, 2)  # clbits 0 and 1 are never written
    result = simulate(qc, 50, seed=2)
    assert result.counts == {"100": 50}
    assert [p["qubits"] for p in result.method_details["parts"]] == [[1]]


# ----- exactness ---------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(12))
def test_parts_factorise_the_exact_distribution_of_the_whole(seed):
    """The whole circuit's exact outcome distribution is the product of its parts'."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 8))
    qc = grouped_circuit(rng, random_groups(rng, n), n, dynamic=seed % 2 == 1)
    whole = outcome_probabilities(qc)
    parts = [(outcome_probabilities(p.circuit), p.clbits) for p in split(qc)]
    assert tvd(product(parts, n), whole) < 1e-10


@pytest.mark.parametrize("seed", range(6))
def test_restricted_noise_factorises_the_noisy_distribution(seed):
    """Qubit-specific noise and readout follow each part's renumbering."""
    rng = np.random.default_rng(100 + seed)
    n = 5
    noise = NoiseModel().with_gate_error(depolarizing(0.05), num_qubits=1)
    for q in range(n):
        noise = noise.with_gate_error(amplitude_damping(0.02 * (q + 1)), qubits=[q])
        noise = noise.with_readout_error(readout_error(0.01 * (q + 1), 0.03), [q])
    for a in range(n):
        for b in range(n):
            if a != b:
                noise = noise.with_gate_error(depolarizing(0.01 * (a + 1), 2), "cx", [a, b])
    qc = grouped_circuit(rng, random_groups(rng, n), n, gates=16)
    whole = outcome_probabilities(qc, noise)
    parts = [(outcome_probabilities(p.circuit, restrict_noise(noise, p.qubits)), p.clbits)
             for p in split(qc)]
    assert tvd(product(parts, n), whole) < 1e-10


@pytest.mark.parametrize("seed", range(4))
def test_sampled_counts_of_a_split_circuit_follow_the_whole(seed):
    rng = np.random.default_rng(200 + seed)
    n = 6
    groups = [[0, 2, 4], [1, 5], [3]]
    qc = grouped_circuit(rng, groups, n, dynamic=True)
    shots = 20_000
    result = simulate(qc, shots, seed=seed)
    assert len(result.method_details["parts"]) == 3
    exact = outcome_probabilities(qc)
    empirical = {k: v / shots for k, v in result.counts.items()}
    assert tvd(empirical, exact) < 0.035, result.method


def test_join_keeps_parts_independent_whatever_their_row_order():
    """Two parts each returned sorted would correlate if joined row by row unshuffled."""
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.h(1)
    qc.measure([0, 1], [0, 1])
    parts = split(qc)
    shots = 4000
    sorted_bits = np.sort(np.random.default_rng(0).integers(0, 2, (shots, 1)), axis=0)
    bits = join(parts, [sorted_bits, sorted_bits.copy()], shots, 2,
                np.random.default_rng(1))
    agree = np.mean(bits[:, 0] == bits[:, 1])
    assert abs(agree - 0.5) < 0.05


def test_same_seed_same_counts_and_memory_for_a_split_circuit():
    rng = np.random.default_rng(7)
    qc = grouped_circuit(rng, [[0, 1], [2, 3], [4]], 5, dynamic=True)
    noise = NoiseModel().with_gate_error(depolarizing(0.02), num_qubits=1)
    a = simulate(qc, 300, noise=noise, seed=4, memory=True)
    b = simulate(qc, 300, noise=noise, seed=4, memory=True)
    assert a.memory == b.memory and a.counts == b.counts
    assert len(a.memory) == 300 and all(len(m) == 5 for m in a.memory)


def test_each_part_takes_its_own_method():
    """A Clifford part on stim, a non-Clifford one on trajectories, in one noisy run."""
    qc = QuantumCircuit(4, 4)
    qc.h(0)
    qc.cx(0, 1)
    qc.t(2)
    qc.h(2)
    qc.cx(2, 3)
    qc.measure(range(4), range(4))
    noise = (NoiseModel().with_gate_error(depolarizing(0.01), num_qubits=1)
             .with_readout_error(readout_error(0.01)))
    result = simulate(qc, 500, noise=noise, seed=3)
    methods = [p["method"] for p in result.method_details["parts"]]
    assert methods[0] == "stabilizer" and methods[1] in ("trajectories", "density_matrix")
    assert result.method == "+".join(methods)
