"""Matrix product states: wide circuits with little entanglement, exact or truncated.

The state of n qubits is a chain of n tensors whose bond dimensions grow with the
entanglement across each cut; a chain with bond chi costs O(n chi^2) memory and O(chi^3)
per gate, so 136 qubits with modest entanglement are cheap where a statevector is not.

How a circuit runs (all of it planned once, before any tensor exists; `_mps_plan`):

* **Chain order.** The qubits are laid on the chain in the order that the cost model
  prefers among the circuit's own order, a Cuthill-McKee order and a spectral order of its
  two-qubit-gate graph (on a chip: along its coupling graph), unless `MPSOptions.qubit_order`
  gives one.
* **Routing.** A gate on qubits that are not neighbours on the chain is preceded by SWAPs
  that bring them together (the qubits stay where they were moved: no swapping back).
* **Fusion.** Single-qubit gates wait on their qubit and are folded into the next
  multi-qubit gate (or channel, or measurement); consecutive operations on the same sites
  are multiplied into one matrix, so e.g. CX RZ CX is a single contraction and SVD.
* **Scheduling.** Among the operations the circuit allows next, the one nearest the
  orthogonality center goes first, so the center sweeps the chain instead of jumping.
* **Canonical form.** The chain stays in mixed canonical form around the center; a
  multi-site operation contracts its sites into one tensor, applies its matrix and splits
  it back by SVD (LAPACK gesdd, gesvd when gesdd fails). Singular values whose summed
  squared weight is at most `truncation_threshold` (relative) are dropped, and at most
  `max_bond_dimension` kept; the dropped weight is accumulated and the fidelity estimate is
  the product of (1 - dropped weight) over truncations: exactly 1.0 when nothing was cut.

Shots and branching. Every shot of a circuit with only terminal measurements and no noise
comes from one final chain: all shots walk the chain together, shots with the same prefix
sharing one environment vector (`_mps_kernels.sample_chain`). Noise, mid-circuit
measurement and reset make *groups* of shots: a group (a chain, a shot count and its
classical bits) reaching a random step splits its count multinomially among the outcomes
(Kraus operators drawn with tr(K^dag K rho) from the center's reduced density matrix, or a
unitary mixture's fixed probabilities; measurement outcomes with their Born probabilities
and readout flips), and every non-empty outcome continues as its own group. This is
exactly the distribution of independent trajectories, and weak noise leaves most shots in
the noiseless group. Conditions are evaluated on each group's bits.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..circuit import QuantumCircuit
from ..errors import SimulationError
from ._mps_kernels import Chain, sample_chain
from ._mps_plan import (
    GATE1,
    RESET,
    SEQ,
    CostEstimate,
    Plan,
    choose_order,
    estimate,
    make_plan,
)
from .noise import NoiseModel, compile_program
from .result import apply_readout

__all__ = ["MPS", "MPSCostEstimate", "MPSInfo", "MPSOptions", "mps_cost", "mps_state",
           "run_mps"]

MPSCostEstimate = CostEstimate
"""The estimate `mps_cost` returns: `max_bond` (capped), `log2_bond` (uncapped bound),
`memory_bytes`, `seconds`, `two_site_steps`, `swaps`, `truncates` (the bound exceeds the cap)."""


@dataclass(frozen=True)
class MPSOptions:
    """How the MPS engine truncates and lays out the chain.

    Attributes:
        max_bond_dimension: largest bond dimension kept; None for no cap.
        truncation_threshold: at each SVD, the largest relative squared singular-value
            weight that may be dropped (1e-16: only numerical zeros).
        qubit_order: chain order of the circuit's qubits (a permutation of all of them);
            None lets the engine choose it from the circuit's two-qubit-gate graph.
        max_trajectories: with noise or mid-circuit randomness, at most this many
            independent trajectories are simulated and each final chain is sampled for
            its share of the shots (`shots // max_trajectories`, the remainder spread).
            Every shot is still drawn from the exact noisy distribution, so the counts are
            unbiased; shots of one trajectory are correlated, so their statistical error
            lies between that of `max_trajectories` and of `shots` independent shots.
            None (default): one trajectory per shot, as on a real chip.
    """

    max_bond_dimension: int | None = None
    truncation_threshold: float = 1e-16
    qubit_order: tuple[int, ...] | None = None
    max_trajectories: int | None = None

    def __post_init__(self) -> None:
        if self.max_bond_dimension is not None and self.max_bond_dimension < 1:
            raise ValueError(f"max_bond_dimension must be >= 1, got {self.max_bond_dimension}")
        if not 0.0 <= self.truncation_threshold < 1.0:
            raise ValueError("truncation_threshold must be in [0, 1), got "
                             f"{self.truncation_threshold}")
        if self.max_trajectories is not None and self.max_trajectories < 1:
            raise ValueError(f"max_trajectories must be >= 1, got {self.max_trajectories}")


@dataclass(frozen=True)
class MPSInfo:
    """What an MPS run reports about its accuracy.

    Attributes:
        max_bond: largest bond dimension reached by any trajectory.
        discarded_weight: summed discarded weight, averaged over shots' trajectories.
        fidelity_estimate: product of (1 - discarded weight) per truncation, averaged over
            shots' trajectories; exactly 1.0 if nothing was truncated.
        trajectories: distinct trajectories simulated (1 when noiseless without
            mid-circuit measurements).
        shots_per_trajectory: shots sampled from each drawn trajectory: 1.0 unless
            `MPSOptions.max_trajectories` made shots share trajectories.
    """

    max_bond: int
    discarded_weight: float
    fidelity_estimate: float
    trajectories: int
    shots_per_trajectory: float = 1.0


# ----- public entry points ---------------------------------------------------------------
def mps_cost(circuit: QuantumCircuit, options: MPSOptions = MPSOptions(), *,
             shots: int = 0) -> MPSCostEstimate:
    """Estimate, without simulating, what the MPS engine needs for `circuit`.

    The bond bound of each cut is min(2^(entangling gates across it, weighted by the log2
    of their operator Schmidt rank), 2^min(left, right)), capped by the option; time sums
    an SVD per cut each gate spans at the bond there, plus sampling `shots`.

    Returns:
        The estimate, for the chain order the engine would use.
    """
    order = _order(circuit, options)
    return estimate(circuit, order, options.max_bond_dimension, shots)


def run_mps(
    circuit: QuantumCircuit,
    shots: int,
    noise: NoiseModel | None,
    rng: np.random.Generator,
    *,
    options: MPSOptions = MPSOptions(),
) -> tuple[np.ndarray, dict[str, float], MPSInfo]:
    """Sample `shots` shots of `circuit` (with `noise`) on matrix product states.

    Args:
        circuit: the circuit, parameters bound.
        shots: number of shots.
        noise: the noise model (trajectories on the chain), or None.
        rng: the source of every random draw.
        options: truncation and chain order.

    Returns:
        ((shots, num_clbits) uint8 bits, column c = classical bit c, in random shot order;
        seconds per phase "prepare", "run", "sample"; the accuracy report).

    Raises:
        SimulationError: for opaque gates.
        ValueError: for a `qubit_order` that is not a permutation of the qubits.
    """
    t0 = time.perf_counter()
    program = compile_program(circuit, noise)
    plan = make_plan(program, _order(circuit, options))
    t1 = time.perf_counter()
    runner = _Runner(plan, rng, options)
    simulated = shots if options.max_trajectories is None else min(shots,
                                                                    options.max_trajectories)
    groups = runner.run(Chain.zeros(program.num_qubits), simulated, program.num_clbits)
    if simulated < shots:
        groups = _share_shots(groups, simulated, shots, rng)
    t2 = time.perf_counter()
    parts = []
    weight = disc = fid = 0.0
    for chain, count, bits in groups:
        samples = sample_chain(chain.t, chain.center, count, rng)
        rows = np.repeat(bits[None, :], count, axis=0)
        for q, c, readout in program.terminal:
            rows[:, c] = apply_readout(samples[:, plan.site_of[q]], readout, rng)
        parts.append(rows)
        weight += count
        disc += count * chain.discarded
        fid += count * chain.fidelity
    bits = (np.concatenate(parts) if parts
            else np.zeros((0, program.num_clbits), dtype=np.uint8))
    bits = bits[rng.permutation(bits.shape[0])]
    t3 = time.perf_counter()
    info = MPSInfo(max_bond=max([g[0].max_bond for g in groups], default=1),
                   discarded_weight=disc / weight if weight else 0.0,
                   fidelity_estimate=fid / weight if weight else 1.0,
                   trajectories=len(groups),
                   shots_per_trajectory=shots / simulated if simulated else 1.0)
    return bits, {"prepare": t1 - t0, "run": t2 - t1, "sample": t3 - t2}, info


def _share_shots(groups: list[tuple[Chain, int, np.ndarray]], simulated: int, shots: int,
                 rng: np.random.Generator) -> list[tuple[Chain, int, np.ndarray]]:
    """Give each of `simulated` trajectories its share of `shots` (the groups count
    trajectories): `shots // simulated` each, the remainder to trajectories drawn
    uniformly, so every shot is one of a uniformly chosen trajectory."""
    share = np.full(simulated, shots // simulated, dtype=np.int64)
    share[rng.choice(simulated, shots % simulated, replace=False)] += 1
    bounds = np.cumsum([0] + [count for _, count, _ in groups])
    return [(chain, int(share[bounds[j]:bounds[j + 1]].sum()), bits)
            for j, (chain, _count, bits) in enumerate(groups)]


def mps_state(circuit: QuantumCircuit, options: MPSOptions = MPSOptions()) -> MPS:
    """The noiseless final state of `circuit` as an MPS (terminal measurements ignored).

    Raises:
        SimulationError: for mid-circuit measurements, resets or conditions (the state
            would depend on random outcomes).
    """
    program = compile_program(circuit, None)
    if program.has_midcircuit:
        raise SimulationError("mps_state needs a circuit without mid-circuit measurements, "
                              "resets or conditions")
    plan = make_plan(program, _order(circuit, options), flush=range(program.num_qubits))
    runner = _Runner(plan, np.random.default_rng(0), options)
    chain = Chain.zeros(program.num_qubits)
    runner.evolve_deterministic(chain)
    return MPS(chain, plan.site_of)


def _order(circuit: QuantumCircuit, options: MPSOptions) -> tuple[int, ...]:
    n = circuit.num_qubits
    if options.qubit_order is None:
        return choose_order(circuit, options.max_bond_dimension)
    order = tuple(int(q) for q in options.qubit_order)
    if sorted(order) != list(range(n)):
        raise ValueError(f"qubit_order must be a permutation of range({n}), got {order}")
    return order


# ----- running ---------------------------------------------------------------------------
class _Runner:
    """Runs a plan on groups of shots (see the module docstring)."""

    def __init__(self, plan: Plan, rng: np.random.Generator, options: MPSOptions) -> None:
        self.ops = plan.ops
        self.rng = rng
        self.max_bond = options.max_bond_dimension or (1 << 62)
        self.threshold = options.truncation_threshold

    def evolve_deterministic(self, chain: Chain) -> None:
        """Apply every operation; only for plans without random steps (noiseless)."""
        for op in self.ops:
            if op[0] == GATE1:
                chain.apply1(op[1], op[2])
            elif op[0] == SEQ:
                self._seq(chain, 1, op)
            else:
                raise SimulationError("a random step in a deterministic evolution")

    def run(self, chain: Chain, shots: int, num_clbits: int
            ) -> list[tuple[Chain, int, np.ndarray]]:
        """Final (chain, shot count, classical bits) of every group of shots."""
        done: list[tuple[Chain, int, np.ndarray]] = []
        if shots == 0:
            return done
        stack = [(chain, shots, np.zeros(num_clbits, dtype=np.uint8), 0)]
        ops = self.ops
        while stack:
            chain, count, bits, i = stack.pop()
            while i < len(ops):
                op = ops[i]
                i += 1
                cond = op[-1]
                if cond is not None and not cond.holds(bits):
                    continue
                kind = op[0]
                if kind == GATE1:
                    chain.apply1(op[1], op[2])
                else:
                    branches = (self._seq(chain, count, op) if kind == SEQ
                                else self._measure(chain, count, bits, op))
                    if len(branches) == 1 and branches[0][2] is None:
                        continue
                    for chain_b, count_b, bits_b in branches[1:]:
                        stack.append((chain_b, count_b, bits if bits_b is None else bits_b, i))
                    first = branches[0]
                    chain, count = first[0], first[1]
                    bits = bits if first[2] is None else first[2]
            done.append((chain, count, bits))
        return done

    def _seq(self, chain: Chain, count: int, op: tuple) -> list:
        """Contract the window, run its items (splitting `count` at channels), split back."""
        _, p, k, items, right, _ = op
        leaves = self._items(chain.theta(p, k), items, 0, count)
        out = []
        for j, (th, c) in enumerate(leaves):
            target = chain if j == len(leaves) - 1 else chain.copy()
            if k == 1:
                target.t[p] = th
            else:
                target.split(p, k, th, right, self.max_bond, self.threshold)
            out.append((target, c, None))
        return out

    def _items(self, th: np.ndarray, items: tuple, start: int, count: int
               ) -> list[tuple[np.ndarray, int]]:
        """(tensor, shot count) of every outcome of items[start:] applied to `th`."""
        for i in range(start, len(items)):
            item = items[i]
            if item[0] == "u":
                th = np.matmul(item[1], th)
                continue
            _, mats, effects, probs = item
            if probs is None:
                x = th.transpose(1, 0, 2).reshape(th.shape[1], -1)
                rho = x @ x.conj().T
                probs = np.maximum((effects @ rho.reshape(-1)).real, 0.0)
            total = float(probs.sum())
            if count == 1:
                c = min(int(np.searchsorted(np.cumsum(probs), self.rng.random() * total,
                                            side="right")), probs.size - 1)
                th = np.matmul(mats[c], th)
                if effects is not None:
                    th *= np.sqrt(total / probs[c])
                continue
            counts = self.rng.multinomial(count, probs / total)
            chosen = np.nonzero(counts)[0]
            leaves = []
            for c in chosen:
                new = np.matmul(mats[c], th)
                if effects is not None:
                    new *= np.sqrt(total / probs[c])
                if len(chosen) == 1:
                    th = new
                    break
                leaves += self._items(new, items, i + 1, int(counts[c]))
            else:
                return leaves
        return [(th, count)]

    def _measure(self, chain: Chain, count: int, bits: np.ndarray, op: tuple) -> list:
        p = op[1]
        chain.move_center(p)
        a = chain.t[p]
        rho = chain.site_rho(p)
        p1 = float(rho[1, 1].real / (rho[0, 0].real + rho[1, 1].real))
        ones = int(self.rng.binomial(count, min(max(p1, 0.0), 1.0)))
        outcomes = [(o, c) for o, c in ((0, count - ones), (1, ones)) if c]
        out = []
        for j, (o, c) in enumerate(outcomes):
            target = chain if j == len(outcomes) - 1 else chain.copy()
            prob = p1 if o else 1.0 - p1
            new = np.zeros_like(a)
            if op[0] == RESET:
                new[:, 0, :] = a[:, o, :] / np.sqrt(prob)
                target.t[p] = new
                out.append((target, c, bits))
                continue
            new[:, o, :] = a[:, o, :] / np.sqrt(prob)
            target.t[p] = new
            readout = op[3]
            flips = 0 if readout is None else int(self.rng.binomial(
                c, readout.flip_probabilities[o]))
            for read, cr in ((1 - o, flips), (o, c - flips)):
                if not cr:
                    continue
                b = bits.copy()
                b[op[2]] = read
                branch = target if cr == c or read == o else target.copy()
                out.append((branch, cr, b))
        return out


# ----- the final state -------------------------------------------------------------------
_PAULI = {
    "X": np.array([[0, 1], [1, 0]], dtype=np.complex128),
    "Y": np.array([[0, -1j], [1j, 0]], dtype=np.complex128),
    "Z": np.array([[1, 0], [0, -1]], dtype=np.complex128),
}


class MPS:
    """A noiseless final state as a matrix product state: exact expectation values and
    amplitudes without a statevector (what tests and estimators check against).

    Qubit labels follow Kuafu's convention: in strings, qubit 0 is the rightmost character.
    """

    def __init__(self, chain: Chain, site_of: tuple[int, ...]) -> None:
        self._chain = chain
        self._site_of = site_of

    @property
    def num_qubits(self) -> int:
        return len(self._site_of)

    @property
    def max_bond(self) -> int:
        """Largest bond dimension reached while the state was built."""
        return self._chain.max_bond

    @property
    def bond_dimensions(self) -> list[int]:
        """Bond dimension of each cut of the final chain."""
        return self._chain.bonds

    @property
    def fidelity_estimate(self) -> float:
        """Product of (1 - discarded weight) per truncation (1.0 when exact)."""
        return self._chain.fidelity

    @property
    def discarded_weight(self) -> float:
        return self._chain.discarded

    def expectation_pauli(self, pauli: str | Mapping[str, complex]) -> float | complex:
        """<P> of a Pauli string ("XZI", qubit 0 rightmost) or a sum {string: coefficient}.

        Strings shorter than the register act as identity on the higher qubits. Returns a
        float when every coefficient is real.
        """
        terms = {pauli: 1.0} if isinstance(pauli, str) else dict(pauli)
        total = 0j
        for label, coefficient in terms.items():
            total += coefficient * self._pauli(label.upper())
        if all(np.isreal(c) for c in terms.values()):
            return float(total.real)
        return total

    def _pauli(self, label: str) -> complex:
        n = self.num_qubits
        if len(label) > n or set(label) - set("IXYZ"):
            raise ValueError(f"Pauli string {label!r} is not IXYZ over at most {n} qubits")
        ops = {self._site_of[q]: _PAULI[ch] for q, ch in enumerate(reversed(label))
               if ch != "I"}
        if not ops:
            return 1.0
        lo, hi = min(ops), max(ops)
        chain = self._chain.copy()
        chain.move_center(lo)
        env = np.eye(chain.t[lo].shape[0], dtype=np.complex128)
        for p in range(lo, hi + 1):
            a = chain.t[p]
            b = a if p not in ops else np.matmul(ops[p], a)
            # env'[r, s] = sum_{l, m, x} conj(a[l, x, r]) env[l, m] b[m, x, s]
            tmp = np.tensordot(env, b, axes=(1, 0))
            env = np.tensordot(a.conj(), tmp, axes=([0, 1], [0, 1]))
        return complex(np.trace(env))

    def amplitude(self, bitstring: str) -> complex:
        """<bitstring|psi>, the string with qubit 0 rightmost (as counts print)."""
        n = self.num_qubits
        if len(bitstring) != n or set(bitstring) - set("01"):
            raise ValueError(f"need a string of {n} bits, got {bitstring!r}")
        bits = [int(ch) for ch in reversed(bitstring)]
        site_bits = [0] * n
        for q, b in enumerate(bits):
            site_bits[self._site_of[q]] = b
        vec = np.ones((1,), dtype=np.complex128)
        for p, a in enumerate(self._chain.t):
            vec = vec @ a[:, site_bits[p], :]
        return complex(vec[0])

    def to_statevector(self) -> np.ndarray:
        """The full state, little-endian (index bit q = qubit q); for small registers."""
        n = self.num_qubits
        if n > 24:
            raise ValueError(f"a {n}-qubit statevector is too large to build here")
        psi = np.ones((1, 1), dtype=np.complex128)
        for a in self._chain.t:
            psi = (psi @ a.reshape(a.shape[0], -1)).reshape(-1, a.shape[2])
        tensor = psi.reshape((2,) * n) if n else psi.reshape(())
        # tensor axis p is site p; little-endian wants axis j = qubit n-1-j
        axes = [self._site_of[q] for q in range(n - 1, -1, -1)]
        return np.ascontiguousarray(np.transpose(tensor, axes)).reshape(-1)
