"""`QuantumCircuit`: registers and an ordered list of instructions, with builder methods."""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from ..errors import CircuitError
from .gates import GATES, NON_UNITARY, canonical_name, inverse_steps
from .instruction import ClassicalRegister, Condition, Instruction, QuantumRegister
from .parameter import Parameter, ParameterExpression

QubitSpec = int | QuantumRegister | Sequence[int]
ClbitSpec = int | ClassicalRegister | Sequence[int]
Angle = float | ParameterExpression

DELAY_UNITS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
"""Nanoseconds per unit of a `delay` duration; a circuit stores delays in ns."""


class InstructionSet:
    """The instructions one builder call appended; `c_if` conditions them."""

    def __init__(self, circuit: QuantumCircuit, start: int, stop: int) -> None:
        self._circuit = circuit
        self._range = range(start, stop)

    def c_if(self, register: ClassicalRegister | int, value: int) -> InstructionSet:
        """Run these instructions only when `register` (or one clbit) equals `value`."""
        condition = Condition(self._circuit._clbit_indices(register), int(value))
        for i in self._range:
            inst = self._circuit.instructions[i]
            if inst.name == "barrier":
                raise CircuitError("a barrier cannot be conditioned")
            self._circuit.instructions[i] = dataclasses.replace(inst, condition=condition)
        return self


class QuantumCircuit:
    """A quantum circuit over named quantum and classical registers.

    Qubits and classical bits get flat indices in the order their registers were added.
    Builder methods take parameters first, then qubits, as in OpenQASM (`qc.rx(theta, 0)`,
    `qc.cx(0, 1)`); passing a register broadcasts the gate over its qubits.

    Args:
        *regs: registers, or up to two ints: the number of qubits and of classical bits
            (creating registers `q` and `c`).
        name: a label for the circuit.
    """

    def __init__(self, *regs: QuantumRegister | ClassicalRegister | int, name: str = "circuit"):
        self.name = name
        self.qregs: list[QuantumRegister] = []
        self.cregs: list[ClassicalRegister] = []
        self.instructions: list[Instruction] = []
        self.opaque_gates: dict[str, tuple[int, int]] = {}
        """Declared opaque gates: name -> (number of parameters, number of qubits)."""
        ints = [r for r in regs if isinstance(r, int)]
        if ints:
            if len(ints) != len(regs) or len(ints) > 2:
                raise TypeError("give either registers or (num_qubits[, num_clbits])")
            if ints[0] > 0:
                self.add_register(QuantumRegister("q", ints[0]))
            if len(ints) == 2 and ints[1] > 0:
                self.add_register(ClassicalRegister("c", ints[1]))
        else:
            for reg in regs:
                self.add_register(reg)

    # ----- structure -------------------------------------------------------------------
    def add_register(self, register: QuantumRegister | ClassicalRegister) -> None:
        """Add a register; its bits take the next flat indices."""
        names = {r.name for r in self.qregs + self.cregs}
        if register.name in names:
            raise CircuitError(f"register {register.name} is already defined")
        if isinstance(register, QuantumRegister):
            self.qregs.append(register)
        elif isinstance(register, ClassicalRegister):
            self.cregs.append(register)
        else:
            raise TypeError(f"not a register: {register!r}")

    @property
    def num_qubits(self) -> int:
        return sum(r.size for r in self.qregs)

    @property
    def num_clbits(self) -> int:
        return sum(r.size for r in self.cregs)

    def register_offset(self, register: QuantumRegister | ClassicalRegister) -> int:
        """The flat index of the register's bit 0."""
        regs = self.qregs if isinstance(register, QuantumRegister) else self.cregs
        offset = 0
        for reg in regs:
            if reg == register:
                return offset
            offset += reg.size
        raise CircuitError(f"register {register.name} is not in this circuit")

    def qubit_name(self, index: int) -> str:
        """`reg[i]` for a flat qubit index."""
        return _bit_name(self.qregs, index)

    def clbit_name(self, index: int) -> str:
        """`reg[i]` for a flat classical bit index."""
        return _bit_name(self.cregs, index)

    def declare_opaque(self, name: str, num_params: int, num_qubits: int) -> None:
        """Declare a gate with no definition (a hardware primitive the circuit may use)."""
        if name in GATES or name in NON_UNITARY:
            raise CircuitError(f"{name} is a library gate and cannot be declared opaque")
        self.opaque_gates[name] = (num_params, num_qubits)

    # ----- appending -------------------------------------------------------------------
    def append(
        self,
        name: str,
        qubits: Sequence[int],
        params: Sequence[Angle] = (),
        clbits: Sequence[int] = (),
        condition: Condition | None = None,
    ) -> QuantumCircuit:
        """Append one instruction on flat indices, checking it against the circuit."""
        inst = self._checked(canonical_name(name), tuple(qubits), tuple(params),
                             tuple(clbits), condition)
        self.instructions.append(inst)
        return self

    def _checked(self, name, qubits, params, clbits, condition) -> Instruction:
        arity = _arity(name, self.opaque_gates)
        if arity is not None:
            n_params, n_qubits = arity
            if len(params) != n_params:
                raise CircuitError(f"{name} takes {n_params} parameters, got {len(params)}")
            if len(qubits) != n_qubits:
                raise CircuitError(f"{name} acts on {n_qubits} qubits, got {len(qubits)}")
        elif name not in NON_UNITARY:
            raise CircuitError(f"unknown gate {name!r}")
        for q in qubits:
            if not isinstance(q, int) or not 0 <= q < self.num_qubits:
                raise CircuitError(f"qubit index {q!r} out of range for {self.num_qubits} qubits")
        for c in clbits + (condition.clbits if condition else ()):
            if not isinstance(c, int) or not 0 <= c < self.num_clbits:
                raise CircuitError(f"clbit index {c!r} out of range for {self.num_clbits} bits")
        if len(set(qubits)) != len(qubits):
            raise CircuitError(f"{name} uses the same qubit twice: {qubits}")
        checked = []
        for p in params:
            if not isinstance(p, ParameterExpression):
                p = float(p)
                if not math.isfinite(p):
                    raise CircuitError(f"{name} parameter is {p}; angles must be finite")
            checked.append(p)
        return Instruction(name, qubits, clbits, tuple(checked), condition)

    def _qubit_indices(self, spec: QubitSpec) -> list[int]:
        if isinstance(spec, QuantumRegister):
            offset = self.register_offset(spec)
            return list(range(offset, offset + spec.size))
        if isinstance(spec, int):
            return [spec]
        return [int(q) for q in spec]

    def _clbit_indices(self, spec: ClbitSpec) -> tuple[int, ...]:
        if isinstance(spec, ClassicalRegister):
            offset = self.register_offset(spec)
            return tuple(range(offset, offset + spec.size))
        if isinstance(spec, int):
            return (spec,)
        return tuple(int(c) for c in spec)

    def _broadcast(self, name: str, params: Sequence[Angle], *qargs: QubitSpec) -> InstructionSet:
        """Append `name` once per index when some arguments are registers (QASM broadcasting)."""
        lists = [self._qubit_indices(a) for a in qargs]
        sizes = {len(x) for x in lists if len(x) != 1}
        if len(sizes) > 1:
            raise CircuitError(f"{name}: registers of different sizes {sorted(sizes)}")
        count = sizes.pop() if sizes else 1
        start = len(self.instructions)
        for i in range(count):
            qubits = [x[0] if len(x) == 1 else x[i] for x in lists]
            self.append(name, qubits, params)
        return InstructionSet(self, start, len(self.instructions))

    # ----- non-unitary operations ------------------------------------------------------
    def measure(self, qubit: QubitSpec, clbit: ClbitSpec) -> InstructionSet:
        """Measure qubit(s) into classical bit(s) in the computational basis."""
        qubits, clbits = self._qubit_indices(qubit), self._clbit_indices(clbit)
        if len(qubits) != len(clbits):
            raise CircuitError(f"measure: {len(qubits)} qubits into {len(clbits)} bits")
        start = len(self.instructions)
        for q, c in zip(qubits, clbits, strict=True):
            self.append("measure", (q,), clbits=(c,))
        return InstructionSet(self, start, len(self.instructions))

    def measure_all(self) -> None:
        """Add a register `meas` and measure every qubit into it after a barrier."""
        meas = ClassicalRegister("meas", self.num_qubits)
        self.add_register(meas)
        self.barrier()
        self.measure(list(range(self.num_qubits)), meas)

    def reset(self, qubit: QubitSpec) -> InstructionSet:
        """Reset qubit(s) to |0>."""
        return self._broadcast("reset", (), qubit)

    def barrier(self, *qubits: QubitSpec) -> InstructionSet:
        """A barrier on the given qubits (all qubits when none are given)."""
        indices: list[int] = []
        for spec in qubits or (range(self.num_qubits),):
            indices += self._qubit_indices(spec)
        start = len(self.instructions)
        self.append("barrier", list(dict.fromkeys(indices)))
        return InstructionSet(self, start, len(self.instructions))

    def delay(self, duration: float, qubit: QubitSpec, unit: str = "ns") -> InstructionSet:
        """Idle the qubit(s) for `duration` (unit ns, us, ms or s); stored in ns."""
        if unit not in DELAY_UNITS:
            raise ValueError(f"delay unit must be one of {sorted(DELAY_UNITS)}, got {unit!r}")
        if duration < 0:
            raise ValueError(f"delay duration must be non-negative, got {duration}")
        return self._broadcast("delay", (float(duration) * DELAY_UNITS[unit],), qubit)

    # ----- gates (qelib1.inc and Quafu) ------------------------------------------------
    def id(self, q: QubitSpec) -> InstructionSet:
        """Identity (an idle slot) on `q`."""
        return self._broadcast("id", (), q)
    def u0(self, gamma: Angle, q: QubitSpec) -> InstructionSet:
        """OpenQASM 2's `u0(gamma)`: an idle of `gamma` single-qubit gate lengths on `q`."""
        return self._broadcast("u0", (gamma,), q)
    def u1(self, lam: Angle, q: QubitSpec) -> InstructionSet:
        """Phase `u1(lam)` = diag(1, e^{i lam}) on `q` (the same gate as `p`)."""
        return self._broadcast("u1", (lam,), q)
    def p(self, lam: Angle, q: QubitSpec) -> InstructionSet:
        """Phase `p(lam)` = diag(1, e^{i lam}) on `q`."""
        return self._broadcast("p", (lam,), q)
    def u2(self, phi: Angle, lam: Angle, q: QubitSpec) -> InstructionSet:
        """`u2(phi, lam)` = `u3(pi/2, phi, lam)` on `q`."""
        return self._broadcast("u2", (phi, lam), q)
    def u3(self, theta: Angle, phi: Angle, lam: Angle, q: QubitSpec) -> InstructionSet:
        """The general single-qubit rotation `u3(theta, phi, lam)` on `q`."""
        return self._broadcast("u3", (theta, phi, lam), q)
    def u(self, theta: Angle, phi: Angle, lam: Angle, q: QubitSpec) -> InstructionSet:
        """OpenQASM's `U(theta, phi, lam)` (the same matrix as `u3`) on `q`."""
        return self._broadcast("u", (theta, phi, lam), q)
    def x(self, q: QubitSpec) -> InstructionSet:
        """Pauli X (NOT) on `q`."""
        return self._broadcast("x", (), q)
    def y(self, q: QubitSpec) -> InstructionSet:
        """Pauli Y on `q`."""
        return self._broadcast("y", (), q)
    def z(self, q: QubitSpec) -> InstructionSet:
        """Pauli Z on `q`."""
        return self._broadcast("z", (), q)
    def h(self, q: QubitSpec) -> InstructionSet:
        """Hadamard on `q`."""
        return self._broadcast("h", (), q)
    def s(self, q: QubitSpec) -> InstructionSet:
        """S = sqrt(Z) on `q`."""
        return self._broadcast("s", (), q)
    def sdg(self, q: QubitSpec) -> InstructionSet:
        """S-dagger on `q`."""
        return self._broadcast("sdg", (), q)
    def t(self, q: QubitSpec) -> InstructionSet:
        """T = sqrt(S) on `q`."""
        return self._broadcast("t", (), q)
    def tdg(self, q: QubitSpec) -> InstructionSet:
        """T-dagger on `q`."""
        return self._broadcast("tdg", (), q)
    def sx(self, q: QubitSpec) -> InstructionSet:
        """sqrt(X) on `q`."""
        return self._broadcast("sx", (), q)
    def sxdg(self, q: QubitSpec) -> InstructionSet:
        """sqrt(X)-dagger on `q`."""
        return self._broadcast("sxdg", (), q)
    def sy(self, q: QubitSpec) -> InstructionSet:
        """sqrt(Y) on `q` (Quafu's gate)."""
        return self._broadcast("sy", (), q)
    def sydg(self, q: QubitSpec) -> InstructionSet:
        """sqrt(Y)-dagger on `q` (Quafu's gate)."""
        return self._broadcast("sydg", (), q)
    def rx(self, theta: Angle, q: QubitSpec) -> InstructionSet:
        """Rotation exp(-i theta X / 2) on `q`."""
        return self._broadcast("rx", (theta,), q)
    def ry(self, theta: Angle, q: QubitSpec) -> InstructionSet:
        """Rotation exp(-i theta Y / 2) on `q`."""
        return self._broadcast("ry", (theta,), q)
    def rz(self, phi: Angle, q: QubitSpec) -> InstructionSet:
        """Rotation exp(-i phi Z / 2) on `q`."""
        return self._broadcast("rz", (phi,), q)
    def cx(self, c: QubitSpec, t: QubitSpec) -> InstructionSet:
        """Controlled-X (CNOT), control `c`, target `t`; `cnot` is the same method."""
        return self._broadcast("cx", (), c, t)
    cnot = cx
    def cy(self, c: QubitSpec, t: QubitSpec) -> InstructionSet:
        """Controlled-Y, control `c`, target `t`."""
        return self._broadcast("cy", (), c, t)
    def cz(self, c: QubitSpec, t: QubitSpec) -> InstructionSet:
        """Controlled-Z on `c` and `t` (symmetric)."""
        return self._broadcast("cz", (), c, t)
    def ch(self, c: QubitSpec, t: QubitSpec) -> InstructionSet:
        """Controlled-Hadamard, control `c`, target `t`."""
        return self._broadcast("ch", (), c, t)
    def swap(self, a: QubitSpec, b: QubitSpec) -> InstructionSet:
        """Exchange the states of `a` and `b`."""
        return self._broadcast("swap", (), a, b)
    def crx(self, theta: Angle, c: QubitSpec, t: QubitSpec) -> InstructionSet:
        """Controlled `rx(theta)`, control `c`, target `t`."""
        return self._broadcast("crx", (theta,), c, t)
    def cry(self, theta: Angle, c: QubitSpec, t: QubitSpec) -> InstructionSet:
        """Controlled `ry(theta)`, control `c`, target `t`."""
        return self._broadcast("cry", (theta,), c, t)
    def crz(self, theta: Angle, c: QubitSpec, t: QubitSpec) -> InstructionSet:
        """Controlled `rz(theta)`, control `c`, target `t`."""
        return self._broadcast("crz", (theta,), c, t)
    def cu1(self, lam: Angle, c: QubitSpec, t: QubitSpec) -> InstructionSet:
        """Controlled phase `cu1(lam)` (the same gate as `cp`)."""
        return self._broadcast("cu1", (lam,), c, t)
    def cp(self, lam: Angle, c: QubitSpec, t: QubitSpec) -> InstructionSet:
        """Controlled phase `cp(lam)`: e^{i lam} on |11>."""
        return self._broadcast("cp", (lam,), c, t)
    def cu3(self, theta: Angle, phi: Angle, lam: Angle, c: QubitSpec, t: QubitSpec
            ) -> InstructionSet:
        """Controlled `u3(theta, phi, lam)`, control `c`, target `t`."""
        return self._broadcast("cu3", (theta, phi, lam), c, t)
    def cu(self, theta: Angle, phi: Angle, lam: Angle, gamma: Angle, c: QubitSpec,
           t: QubitSpec) -> InstructionSet:
        """Controlled `U(theta, phi, lam)` with global phase `gamma` on the target."""
        return self._broadcast("cu", (theta, phi, lam, gamma), c, t)
    def csx(self, c: QubitSpec, t: QubitSpec) -> InstructionSet:
        """Controlled sqrt(X), control `c`, target `t`."""
        return self._broadcast("csx", (), c, t)
    def rxx(self, theta: Angle, a: QubitSpec, b: QubitSpec) -> InstructionSet:
        """Two-qubit rotation exp(-i theta X⊗X / 2) on `a` and `b`."""
        return self._broadcast("rxx", (theta,), a, b)
    def rzz(self, theta: Angle, a: QubitSpec, b: QubitSpec) -> InstructionSet:
        """Two-qubit rotation exp(-i theta Z⊗Z / 2) on `a` and `b`."""
        return self._broadcast("rzz", (theta,), a, b)
    def ccx(self, a: QubitSpec, b: QubitSpec, t: QubitSpec) -> InstructionSet:
        """Toffoli: X on `t` when `a` and `b` are both 1; `toffoli` is the same method."""
        return self._broadcast("ccx", (), a, b, t)
    toffoli = ccx
    def cswap(self, c: QubitSpec, a: QubitSpec, b: QubitSpec) -> InstructionSet:
        """Fredkin: swap `a` and `b` when `c` is 1; `fredkin` is the same method."""
        return self._broadcast("cswap", (), c, a, b)
    fredkin = cswap
    def rccx(self, a: QubitSpec, b: QubitSpec, t: QubitSpec) -> InstructionSet:
        """Relative-phase Toffoli (qelib1.inc's `rccx`)."""
        return self._broadcast("rccx", (), a, b, t)
    def rc3x(self, a: QubitSpec, b: QubitSpec, c: QubitSpec, t: QubitSpec) -> InstructionSet:
        """Relative-phase triply-controlled X (qelib1.inc's `rc3x`)."""
        return self._broadcast("rc3x", (), a, b, c, t)
    def c3x(self, a: QubitSpec, b: QubitSpec, c: QubitSpec, t: QubitSpec) -> InstructionSet:
        """Triply-controlled X, target `t`."""
        return self._broadcast("c3x", (), a, b, c, t)
    def c3sqrtx(self, a: QubitSpec, b: QubitSpec, c: QubitSpec, t: QubitSpec
                ) -> InstructionSet:
        """Triply-controlled sqrt(X), target `t`."""
        return self._broadcast("c3sqrtx", (), a, b, c, t)
    def c4x(self, a: QubitSpec, b: QubitSpec, c: QubitSpec, d: QubitSpec, t: QubitSpec
            ) -> InstructionSet:
        """Quadruply-controlled X, target `t`."""
        return self._broadcast("c4x", (), a, b, c, d, t)

    # ----- whole-circuit operations ----------------------------------------------------
    def copy(self, name: str | None = None) -> QuantumCircuit:
        """An independent copy (instructions are immutable and shared)."""
        new = QuantumCircuit(name=name or self.name)
        new.qregs, new.cregs = list(self.qregs), list(self.cregs)
        new.instructions = list(self.instructions)
        new.opaque_gates = dict(self.opaque_gates)
        return new

    def copy_empty(self, name: str | None = None) -> QuantumCircuit:
        """A circuit with the same registers and no instructions."""
        new = self.copy(name)
        new.instructions = []
        return new

    def compose(
        self,
        other: QuantumCircuit,
        qubits: Sequence[int] | None = None,
        clbits: Sequence[int] | None = None,
        *,
        front: bool = False,
    ) -> QuantumCircuit:
        """A new circuit: this one followed (or preceded) by `other` on the given wires.

        Args:
            other: the circuit to add; its qubit i goes to `qubits[i]` (default: i).
            qubits: where other's qubits land in this circuit.
            clbits: where other's classical bits land in this circuit.
            front: put `other` before this circuit's instructions instead of after.
        """
        qmap = list(range(other.num_qubits)) if qubits is None else list(qubits)
        cmap = list(range(other.num_clbits)) if clbits is None else list(clbits)
        if len(qmap) != other.num_qubits or len(cmap) != other.num_clbits:
            raise CircuitError("compose: wire maps must cover every qubit and clbit of other")
        result = self.copy()
        for name, spec in other.opaque_gates.items():
            result.opaque_gates.setdefault(name, spec)
        mapped = []
        for inst in other.instructions:
            cond = inst.condition
            if cond is not None:
                cond = Condition(tuple(cmap[c] for c in cond.clbits), cond.value)
            mapped.append(result._checked(
                inst.name, tuple(qmap[q] for q in inst.qubits), inst.params,
                tuple(cmap[c] for c in inst.clbits), cond))
        if front:
            result.instructions = mapped + result.instructions
        else:
            result.instructions += mapped
        return result

    def inverse(self) -> QuantumCircuit:
        """The inverse circuit (gates reversed and inverted; barriers and delays kept).

        Raises:
            CircuitError: when the circuit measures, resets, conditions or uses opaque gates.
        """
        result = self.copy_empty(name=f"{self.name}_dg")
        for inst in reversed(self.instructions):
            if inst.condition is not None or inst.name in ("measure", "reset"):
                raise CircuitError(f"cannot invert a circuit containing {inst.name}"
                                   + (" with a condition" if inst.condition else ""))
            if inst.name in ("barrier", "delay"):
                result.instructions.append(inst)
                continue
            if inst.name not in GATES:
                raise CircuitError(f"cannot invert opaque gate {inst.name}")
            for name, positions, params in inverse_steps(inst.name, inst.params):
                result.append(name, [inst.qubits[i] for i in positions], params)
        return result

    @property
    def parameters(self) -> list[Parameter]:
        """The free parameters, sorted by name."""
        found: set[Parameter] = set()
        for inst in self.instructions:
            found |= inst.parameters
        return sorted(found, key=lambda p: (p.name, p._uid))

    @property
    def num_parameters(self) -> int:
        return len(self.parameters)

    def bind(self, values: Mapping[Parameter | str, float] | Sequence[float]) -> QuantumCircuit:
        """A copy with parameters replaced by numbers.

        Args:
            values: a mapping from `Parameter` (or its name) to a number, or a sequence of
                numbers in the order of `parameters`.

        Raises:
            ValueError: for an unknown parameter name or a non-finite result.
        """
        free = self.parameters
        if not isinstance(values, Mapping):
            values = list(values)
            if len(values) != len(free):
                raise ValueError(f"expected {len(free)} values, got {len(values)}")
            mapping = dict(zip(free, values, strict=True))
        else:
            by_name = {p.name: p for p in free}
            mapping = {}
            for key, value in values.items():
                if isinstance(key, str):
                    if key not in by_name:
                        raise ValueError(f"circuit has no parameter named {key!r}")
                    key = by_name[key]
                mapping[key] = value
        result = self.copy()
        result.instructions = [
            dataclasses.replace(inst, params=tuple(
                p.bind(mapping) if isinstance(p, ParameterExpression) else p
                for p in inst.params))
            if inst.is_parameterized else inst
            for inst in self.instructions
        ]
        return result

    assign_parameters = bind

    # ----- metrics ---------------------------------------------------------------------
    def width(self) -> int:
        """Number of qubits plus classical bits."""
        return self.num_qubits + self.num_clbits

    def size(self) -> int:
        """Number of operations, not counting barriers."""
        return sum(1 for inst in self.instructions if inst.name != "barrier")

    def count_ops(self) -> dict[str, int]:
        """Operations by name, most frequent first."""
        return dict(Counter(inst.name for inst in self.instructions).most_common())

    def depth(self) -> int:
        """Length of the longest path through the circuit's wires (barriers not counted)."""
        level = [0] * (self.num_qubits + self.num_clbits)
        nq = self.num_qubits
        for inst in self.instructions:
            wires = _wires(inst, nq)
            if inst.name == "barrier":
                top = max((level[w] for w in wires), default=0)
            else:
                top = max((level[w] for w in wires), default=0) + 1
            for w in wires:
                level[w] = top
        return max(level, default=0)

    def num_nonlocal_gates(self) -> int:
        """Gates acting on two or more qubits."""
        return sum(1 for i in self.instructions if i.name in GATES and len(i.qubits) > 1)

    def has_mid_circuit_operations(self) -> bool:
        """Whether any reset, condition, or gate after a measurement of the same qubit occurs."""
        measured: set[int] = set()
        for inst in self.instructions:
            if inst.condition is not None or inst.name == "reset":
                return True
            if inst.name == "measure":
                measured.add(inst.qubits[0])
            elif inst.name != "barrier" and measured.intersection(inst.qubits):
                return True
        return False

    # ----- presentation ----------------------------------------------------------------
    def draw(self, width: int = 120) -> str:
        """The circuit as text, one line per wire, folded every `width` characters."""
        from .drawing import draw_text

        return draw_text(self, width=width)

    def __str__(self) -> str:
        return self.draw()

    def __repr__(self) -> str:
        return (f"<QuantumCircuit {self.name!r}: {self.num_qubits} qubits, "
                f"{self.num_clbits} clbits, {len(self.instructions)} instructions>")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, QuantumCircuit):
            return NotImplemented
        return (self.qregs == other.qregs and self.cregs == other.cregs
                and self.instructions == other.instructions
                and self.opaque_gates == other.opaque_gates)

    __hash__ = None  # type: ignore[assignment]

    def __iter__(self) -> Iterable[Instruction]:
        return iter(self.instructions)

    def __len__(self) -> int:
        return len(self.instructions)


def _arity(name: str, opaque: Mapping[str, tuple[int, int]]) -> tuple[int, int] | None:
    if name in GATES:
        spec = GATES[name]
        return spec.num_params, spec.num_qubits
    if name in opaque:
        return opaque[name]
    if name in ("measure", "reset"):
        return 0, 1
    if name == "delay":
        return 1, 1
    return None


def _wires(inst: Instruction, num_qubits: int) -> list[int]:
    wires = list(inst.qubits) + [num_qubits + c for c in inst.clbits]
    if inst.condition is not None:
        wires += [num_qubits + c for c in inst.condition.clbits]
    return wires


def _bit_name(registers, index: int) -> str:
    for reg in registers:
        if index < reg.size:
            return f"{reg.name}[{index}]"
        index -= reg.size
    raise IndexError("bit index out of range")
