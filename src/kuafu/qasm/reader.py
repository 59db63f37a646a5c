"""OpenQASM 2.0 reader: source text to `QuantumCircuit`, with precise errors.

User `gate` definitions are expanded inline at each use into library gates (and opaque
gates), so the circuit holds only operations a simulator or compiler understands. Every
limit that protects the reader from hostile input (source size, qubits, expanded
operations, nesting) is checked before the work it guards is done.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from ..circuit import GATES, ClassicalRegister, Condition, QuantumCircuit, QuantumRegister
from ..circuit.circuit import DELAY_UNITS as CIRCUIT_DELAY_UNITS
from ..circuit.gates import canonical_name
from ..circuit.instruction import Instruction
from ..circuit.parameter import FUNCTIONS
from ..errors import QasmError
from . import expressions as ex
from .lexer import Source, Token, tokenize

EXTENSION_GATES = frozenset({"sy", "sydg"})
"""Gates Quafu's chips accept beyond qelib1.inc (their arity is the library's)."""

QELIB1_SPEC_GATES = frozenset({
    "u3", "u2", "u1", "cx", "id", "x", "y", "z", "h", "s", "sdg", "t", "tdg", "rx", "ry",
    "rz", "cz", "cy", "ch", "ccx", "crz", "cu1", "cu3"})
"""The gates of qelib1.inc as the OpenQASM 2.0 specification (arXiv:1707.03429) defines it.
A program that includes it may not define them again (Qiskit reports the same error); the
gates Qiskit's and Kuafu's qelib1.inc add (`cu`, `rzz`, `sx`, ...) may be redefined, as
old programs written for the smaller file do."""

DELAY_UNITS = {**CIRCUIT_DELAY_UNITS, "dt": 1.0}
"""Nanoseconds per unit of a `delay` duration in the Quafu dialect (`dt` counts as 1 ns)."""


@dataclass(frozen=True)
class Limits:
    """Bounds on the work a program may ask of the reader.

    Attributes:
        max_source_chars: longest accepted source text.
        max_qubits: most qubits over all registers.
        max_clbits: most classical bits over all registers.
        max_operations: most operations in the circuit after gate expansion.
        max_gate_nesting: deepest chain of gate definitions calling each other.
        max_expression_depth: deepest nesting of parentheses and operators in an expression.
        max_identifier_chars: longest name of a register, gate or parameter (names are
            stored with each job and echoed in results and drawings).
        include_dirs: directories `include` may read from (besides the built-in qelib1.inc).
    """

    max_source_chars: int = 16 * 2**20
    max_qubits: int = 4096
    max_clbits: int = 4096
    max_operations: int = 2_000_000
    max_gate_nesting: int = 128
    max_expression_depth: int = 64
    max_identifier_chars: int = 256
    include_dirs: tuple[str, ...] = ()


@dataclass
class GateDefinition:
    """A user gate: parameter and qubit names, and its body as a list of calls."""

    name: str
    params: list[str]
    qubits: list[str]
    body: list[tuple]  # (name, arg positions, param evaluators, offset)
    size: int = 0  # operations after full expansion
    nesting: int = 1
    opaque: bool = False


@dataclass
class _State:
    circuit: QuantumCircuit = field(default_factory=QuantumCircuit)
    qregs: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (offset, size)
    cregs: dict[str, tuple[int, int]] = field(default_factory=dict)
    gates: dict[str, GateDefinition] = field(default_factory=dict)
    library: bool = False  # qelib1.inc included


def parse(text: str | bytes, limits: Limits = Limits()) -> QuantumCircuit:
    """Read an OpenQASM 2.0 program into a circuit.

    Raises:
        QasmError: for any malformed or over-limit program, with line and column.
    """
    if isinstance(text, bytes | bytearray):
        text = _decode(bytes(text))
    if len(text) > limits.max_source_chars:
        raise QasmError(f"program of {len(text)} characters exceeds the limit of "
                        f"{limits.max_source_chars}", 1, 1)
    source = Source(text)
    tokens = tokenize(source)
    _check_identifiers(source, tokens, limits.max_identifier_chars)
    return _Parser(source, tokens, limits).program()


def _check_identifiers(source: Source, tokens: list[Token], limit: int) -> None:
    longest = max((t for t in tokens if t[0] == "id"), key=lambda t: len(t[1]), default=None)
    if longest is not None and len(longest[1]) > limit:
        raise source.error(f"a name of {len(longest[1])} characters ('{longest[1][:20]}...'); "
                           f"names may have at most {limit}", longest[2])


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise QasmError(f"source is not valid UTF-8 (byte 0x{data[exc.start]:02x})",
                        line, column) from None


class _Parser:
    """Recursive-descent parser over the token list; builds the circuit as it goes."""

    def __init__(self, source: Source, tokens: list[Token], limits: Limits) -> None:
        self.source = source
        self.tokens = tokens
        self.pos = 0
        self.limits = limits
        self.state = _State()

    # ----- token helpers ---------------------------------------------------------------
    def error(self, message: str, token: Token | None = None) -> QasmError:
        token = token or self.tokens[self.pos]
        return self.source.error(message, token[2])


    def peek(self) -> Token:
        return self.tokens[self.pos]

    def next(self) -> Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def accept(self, op: str) -> bool:
        kind, text, _ = self.tokens[self.pos]
        if kind == "op" and text == op:
            self.pos += 1
            return True
        return False

    def expect(self, op: str, context: str) -> Token:
        token = self.tokens[self.pos]
        if token[0] != "op" or token[1] != op:
            raise self.error(f"expected '{op}' {context}, found {_describe(token)}", token)
        self.pos += 1
        return token

    def identifier(self, what: str) -> Token:
        token = self.next()
        if token[0] != "id":
            raise self.error(f"expected {what}, found {_describe(token)}", token)
        return token

    def integer(self, what: str) -> int:
        token = self.next()
        if not token[1].isdigit():
            raise self.error(f"expected {what} (a non-negative integer), found "
                             f"{_describe(token)}", token)
        if len(token[1]) > 18:
            raise self.error(f"{what} {token[1]} is too large", token)
        return int(token[1])

    # ----- program ---------------------------------------------------------------------
    def program(self) -> QuantumCircuit:
        self.header()
        while self.peek()[0] != "eof":
            self.statement()
        return self.state.circuit

    def header(self) -> None:
        token = self.peek()
        if token[0] == "id" and token[1] == "OPENQASM":
            self.next()
            version = self.next()
            if version[0] != "num":
                raise self.error(f"expected a version number after OPENQASM, found "
                                 f"{_describe(version)}", version)
            if float(version[1]) != 2.0:
                raise self.error(f"OpenQASM version {version[1]} is not supported by this "
                                 f"reader (only 2.0; use kuafu.qasm.loads for 3)", version)
            self.expect(";", "after the OPENQASM version")

    def statement(self) -> None:
        token = self.peek()
        kind, text, _ = token
        if kind != "id":
            raise self.error(f"expected a statement, found {_describe(token)}", token)
        handler = _STATEMENTS.get(text)
        if handler is not None:
            handler(self)
        else:
            self.gate_call(condition=None)

    def include(self) -> None:
        token = self.next()
        name_token = self.next()
        if name_token[0] != "str":
            raise self.error("expected a quoted file name after include", name_token)
        self.expect(";", "after the include file name")
        name = name_token[1][1:-1]
        if name == "qelib1.inc":
            clash = sorted(QELIB1_SPEC_GATES & self.state.gates.keys())
            if clash:
                raise self.error(f"qelib1.inc defines {clash[0]!r}, which the program has "
                                 "already defined", name_token)
            self.state.library = True
            return
        text = self._read_include(name, name_token)
        included = Source(text)
        sub = _Parser(included, tokenize(included), self.limits)
        sub.state = self.state
        try:
            while sub.peek()[0] != "eof":
                sub.statement()
        except QasmError as exc:
            raise self.error(f"in included file {name!r}, line {exc.line}, column "
                             f"{exc.column}: {exc.message}", token) from None

    def _read_include(self, name: str, token: Token) -> str:
        for directory in self.limits.include_dirs:
            base = Path(directory).resolve()
            path = (base / name).resolve()
            if path.is_relative_to(base) and path.is_file():
                if path.stat().st_size > self.limits.max_source_chars:
                    raise self.error(f"included file {name!r} is too large", token)
                return _decode(path.read_bytes())
        raise self.error(f"cannot include {name!r}: only \"qelib1.inc\" is built in, and "
                         f"no include directory that holds it was given", token)

    # ----- declarations ----------------------------------------------------------------
    def register(self) -> None:
        keyword = self.next()
        name = self.identifier("a register name")
        self.expect("[", f"after the register name {name[1]}")
        size_token = self.peek()
        size = self.integer("a register size")
        self.expect("]", "after the register size")
        self.expect(";", "after the register declaration")
        state = self.state
        if name[1] in state.qregs or name[1] in state.cregs:
            raise self.error(f"register {name[1]!r} is already declared", name)
        if size == 0:
            raise self.error(f"register {name[1]!r} must have at least one bit", size_token)
        if keyword[1] == "qreg":
            total = state.circuit.num_qubits + size
            if total > self.limits.max_qubits:
                raise self.error(f"qreg {name[1]}[{size}] brings the program to {total} "
                                 f"qubits; the limit is {self.limits.max_qubits}", size_token)
            state.qregs[name[1]] = (state.circuit.num_qubits, size)
            state.circuit.add_register(QuantumRegister(name[1], size))
        else:
            total = state.circuit.num_clbits + size
            if total > self.limits.max_clbits:
                raise self.error(f"creg {name[1]}[{size}] brings the program to {total} "
                                 f"classical bits; the limit is {self.limits.max_clbits}",
                                 size_token)
            state.cregs[name[1]] = (state.circuit.num_clbits, size)
            state.circuit.add_register(ClassicalRegister(name[1], size))

    def gate_definition(self) -> None:
        keyword = self.next()
        name = self.identifier("a gate name")
        params: list[str] = []
        if self.accept("(") and not self.accept(")"):
            params = self.name_list("a parameter name", ")")
            self.expect(")", "after the gate parameters")
        qubits = self.name_list("a qubit argument name", "{")
        definition = GateDefinition(name[1], params, qubits, [], opaque=keyword[1] == "opaque")
        self._check_new_gate(definition, name)
        if keyword[1] == "opaque":
            self.expect(";", "after the opaque gate declaration")
            definition.size = 1
            self._declare(definition, name)
            return
        self.expect("{", "to open the gate body")
        while not self.accept("}"):
            self.body_statement(definition)
        definition.size = max(1, definition.size)
        self._declare(definition, name)

    def name_list(self, what: str, closer: str) -> list[str]:
        names = [self.identifier(what)]
        while self.accept(","):
            names.append(self.identifier(what))
        seen: set[str] = set()
        for token in names:
            if token[1] in seen:
                raise self.error(f"{token[1]!r} is listed twice", token)
            seen.add(token[1])
        return [t[1] for t in names]

    def _check_new_gate(self, definition: GateDefinition, token: Token) -> None:
        """A program may redefine a library gate beyond the specification's qelib1.inc,
        even with another signature (old files define their own `cu` or `rzz`); its
        definition then wins. Redefining one of its own gates, a gate of the
        specification's qelib1.inc once included, or a language built-in is an error
        (declaring a library gate `opaque` changes nothing, see `_declare`)."""
        if definition.name in self.state.gates:
            raise self.error(f"gate {definition.name!r} is already defined", token)
        if (self.state.library and definition.name in QELIB1_SPEC_GATES
                and not definition.opaque):
            raise self.error(f"gate {definition.name!r} is already defined by qelib1.inc",
                             token)
        if definition.name in ("measure", "reset", "barrier", "if", "U", "CX"):
            raise self.error(f"{definition.name!r} is reserved and cannot name a gate", token)

    def _declare(self, definition: GateDefinition, token: Token) -> None:
        if definition.opaque and definition.name == "delay":
            return  # Qiskit declares `opaque delay(t) q;`; delay is built in here
        if definition.opaque and (definition.name in EXTENSION_GATES
                                  or (self.state.library and definition.name in GATES)):
            return  # declaring a gate Kuafu knows as opaque changes nothing
        if definition.opaque:
            self.state.circuit.declare_opaque(definition.name, len(definition.params),
                                              len(definition.qubits))
        self.state.gates[definition.name] = definition

    def body_statement(self, definition: GateDefinition) -> None:
        token = self.identifier("a gate call or barrier in the gate body")
        name = token[1]
        if name in ("measure", "reset", "if", "qreg", "creg", "gate", "opaque"):
            raise self.error(f"{name!r} is not allowed inside a gate definition", token)
        params: list[ex.Evaluator] = []
        if self.accept("(") and not self.accept(")"):
            params = self.expression_list(set(definition.params))
            self.expect(")", "after the gate arguments")
        args = []
        arg_tokens = [self.identifier("a qubit argument")]
        while self.accept(","):
            arg_tokens.append(self.identifier("a qubit argument"))
        self.expect(";", "after the gate call")
        for arg in arg_tokens:
            if arg[1] not in definition.qubits:
                raise self.error(f"{arg[1]!r} is not a qubit argument of gate "
                                 f"{definition.name!r}", arg)
            args.append(definition.qubits.index(arg[1]))
        if name == "barrier":
            definition.body.append(("barrier", tuple(args), (), token[2]))
            definition.size += 1
            return
        if name == definition.name:
            raise self.error(f"gate {name!r} is used in its own definition; recursive "
                             f"gate definitions are not allowed", token)
        arity = self._arity(name)
        if arity is None:
            raise self.error(self._unknown_gate(name), token)
        self._check_call(name, arity, len(params), len(args), token)
        if len(set(args)) != len(args):
            raise self.error(f"{name} uses the same qubit twice", token)
        callee = self.state.gates.get(name)
        if callee is not None and not callee.opaque:
            definition.size += callee.size
            definition.nesting = max(definition.nesting, callee.nesting + 1)
            if definition.nesting > self.limits.max_gate_nesting:
                raise self.error(f"gate definitions nest deeper than "
                                 f"{self.limits.max_gate_nesting} levels", token)
        else:
            definition.size += 1
        if definition.size > self.limits.max_operations:
            raise self.error(f"gate {definition.name!r} expands to more than "
                             f"{self.limits.max_operations} operations", token)
        definition.body.append((name, tuple(args), tuple(params), token[2]))

    # ----- operations ------------------------------------------------------------------
    def if_statement(self) -> None:
        self.next()
        self.expect("(", "after if")
        creg = self.identifier("a classical register name")
        self.expect("==", "in the if condition")
        value_token = self.peek()
        value = self.integer("the value to compare with")
        self.expect(")", "after the if condition")
        if creg[1] not in self.state.cregs:
            raise self.error(f"{creg[1]!r} is not a classical register", creg)
        offset, size = self.state.cregs[creg[1]]
        if value >= 2**size:
            raise self.error(f"value {value} does not fit in the {size} bits of "
                             f"{creg[1]!r}", value_token)
        condition = Condition(tuple(range(offset, offset + size)), value)
        token = self.peek()
        if token[0] == "id" and token[1] == "measure":
            self.measure(condition)
        elif token[0] == "id" and token[1] == "reset":
            self.reset(condition)
        elif token[0] == "id" and token[1] not in _STATEMENTS:
            self.gate_call(condition)
        else:
            raise self.error(f"expected a gate, measure or reset after if, found "
                             f"{_describe(token)}", token)

    def measure(self, condition: Condition | None = None) -> None:
        token = self.next()
        qubits = self.qubit_argument()
        self.expect("->", "between the measured qubits and the classical bits")
        clbits = self.clbit_argument()
        self.expect(";", "after measure")
        if len(qubits) != len(clbits):
            raise self.error(f"cannot measure {len(qubits)} qubits into {len(clbits)} bits",
                             token)
        for q, c in zip(qubits, clbits, strict=True):
            self._append(token, "measure", (q,), (), (c,), condition)

    def reset(self, condition: Condition | None = None) -> None:
        token = self.next()
        qubits = self.qubit_argument()
        self.expect(";", "after reset")
        for q in qubits:
            self._append(token, "reset", (q,), (), (), condition)

    def barrier(self) -> None:
        token = self.next()
        qubits: list[int] = []
        qubits += self.qubit_argument()
        while self.accept(","):
            qubits += self.qubit_argument()
        self.expect(";", "after barrier")
        self._append(token, "barrier", tuple(dict.fromkeys(qubits)), (), (), None)

    def gate_call(self, condition: Condition | None) -> None:
        if self._simple_gate_call(condition):
            return
        token = self.next()
        name = token[1]
        params: list = []
        if self.accept("(") and not self.accept(")"):
            params = self.call_arguments(name)
            self.expect(")", "after the gate arguments")
        arg_tokens = [self.peek()]
        args = [self.qubit_argument()]
        while self.accept(","):
            arg_tokens.append(self.peek())
            args.append(self.qubit_argument())
        self.expect(";", f"after the arguments of {name}")
        if name == "delay" and name not in self.state.gates:
            self._delay(token, params, args, condition)
            return
        arity = self._arity(name)
        if arity is None:
            raise self.error(self._unknown_gate(name), token)
        self._check_call(name, arity, len(params), len(args), token)
        values = []
        for p in params:
            try:
                values.append(ex.check_value(p({})))
            except (ValueError, ZeroDivisionError, OverflowError) as exc:
                raise self.error(f"bad argument of {name}: {exc}", token) from None
        for qubits in self._broadcast(args, arg_tokens, name):
            self._apply(name, qubits, values, condition, token)

    def _simple_gate_call(self, condition: Condition | None) -> bool:
        """The common case, done fast: a library gate with literal angles (`1.5`, `-pi/4`)
        on indexed qubits, like `cu1(pi/8) q[1],r[0];`. Returns False, having consumed
        nothing, for anything else, which the general path then reads (and reports)."""
        tokens, pos = self.tokens, self.pos
        name_token = tokens[pos]
        spec = GATES.get(name_token[1]) if self.state.library else None
        if spec is None or name_token[1] in self.state.gates:
            return False
        pos += 1
        values: list[float] = []
        if tokens[pos][1] == "(":
            while True:
                pos += 1
                sign = 1.0
                if tokens[pos][1] == "-":
                    sign, pos = -1.0, pos + 1
                kind, text, _ = tokens[pos]
                if kind == "num":
                    value = float(text)
                elif text == "pi":
                    value = math.pi
                else:
                    return False
                pos += 1
                if tokens[pos][1] == "/" and tokens[pos + 1][0] == "num":
                    divisor = float(tokens[pos + 1][1])
                    if divisor == 0:
                        return False
                    value, pos = value / divisor, pos + 2
                if not math.isfinite(value):
                    return False
                values.append(sign * value)
                if tokens[pos][1] == ")":
                    pos += 1
                    break
                if tokens[pos][1] != ",":
                    return False
        qubits: list[int] = []
        qregs = self.state.qregs
        while True:
            register = qregs.get(tokens[pos][1])
            if register is None or tokens[pos + 1][1] != "[" or tokens[pos + 3][1] != "]":
                return False
            index = tokens[pos + 2][1]
            if not index.isdigit() or int(index) >= register[1]:
                return False
            qubits.append(register[0] + int(index))
            pos += 4
            separator = tokens[pos][1]
            pos += 1
            if separator == ";":
                break
            if separator != ",":
                return False
        if (len(values) != spec.num_params or len(qubits) != spec.num_qubits
                or len(set(qubits)) != len(qubits)):
            return False
        self._append(name_token, spec.name, tuple(qubits), tuple(values), (), condition)
        self.pos = pos
        return True

    def _delay(self, token: Token, params: list, args: list, condition) -> None:
        if len(params) != 1 or len(args) != 1:
            raise self.error("delay takes one duration and one qubit argument", token)
        duration = params[0]({})
        if not math.isfinite(duration) or duration < 0:
            raise self.error(f"delay duration {duration} must be finite and >= 0", token)
        for q in args[0]:
            self._append(token, "delay", (q,), (duration,), (), condition)

    def _broadcast(self, args: list[list[int]], tokens: list[Token], name: str):
        sizes = {len(a) for a in args if len(a) != 1}
        if len(sizes) > 1:
            raise self.error(f"registers of different sizes {sorted(sizes)} in {name}",
                             tokens[0])
        count = sizes.pop() if sizes else 1
        if count == 1:
            qubits = tuple(a[0] for a in args)
            if len(set(qubits)) != len(qubits):
                raise self.error(f"{name} uses the same qubit twice", tokens[0])
            return [qubits]
        calls = []
        for i in range(count):
            qubits = tuple(a[0] if len(a) == 1 else a[i] for a in args)
            if len(set(qubits)) != len(qubits):
                raise self.error(f"{name} uses the same qubit twice", tokens[0])
            calls.append(qubits)
        return calls

    def _apply(self, name, qubits, values, condition, token) -> None:
        definition = self.state.gates.get(name)
        if definition is None or definition.opaque:
            self._append(token, canonical_name(name), qubits, tuple(values), (), condition)
            return
        if len(self.state.circuit.instructions) + definition.size > self.limits.max_operations:
            raise self.error(f"the program expands to more than {self.limits.max_operations} "
                             f"operations", token)
        env = dict(zip(definition.params, values, strict=True))
        self._expand(definition, qubits, env, condition, token)

    def _expand(self, definition: GateDefinition, qubits, env, condition, token) -> None:
        for name, positions, params, offset in definition.body:
            mapped = tuple(qubits[i] for i in positions)
            try:
                values = tuple(ex.check_value(p(env)) for p in params)
            except (ValueError, ZeroDivisionError, OverflowError) as exc:
                raise self.source.error(f"in gate {definition.name!r}: {exc}", offset) from None
            callee = self.state.gates.get(name)
            if callee is not None and not callee.opaque:
                inner = dict(zip(callee.params, values, strict=True))
                self._expand(callee, mapped, inner, condition, token)
            elif name == "barrier":
                self._append(token, "barrier", tuple(dict.fromkeys(mapped)), (), (), None)
            else:
                self._append(token, canonical_name(name), mapped, values, (), condition)

    def _append(self, token, name, qubits, params, clbits, condition) -> None:
        """Add an operation the reader has already checked (arity, indices, values)."""
        instructions = self.state.circuit.instructions
        if len(instructions) >= self.limits.max_operations:
            raise self.error(f"the program has more than {self.limits.max_operations} "
                             f"operations", token)
        instructions.append(Instruction(name, qubits, clbits, params, condition))

    # ----- arguments -------------------------------------------------------------------
    def qubit_argument(self) -> list[int]:
        return self._bit_argument(self.state.qregs, "quantum", self.state.cregs)

    def clbit_argument(self) -> list[int]:
        return self._bit_argument(self.state.cregs, "classical", self.state.qregs)

    def _bit_argument(self, registers, kind, others) -> list[int]:
        token = self.identifier(f"a {kind} register")
        name = token[1]
        if name not in registers:
            if name in others:
                raise self.error(f"{name!r} is not a {kind} register", token)
            raise self.error(f"{kind} register {name!r} is not declared", token)
        offset, size = registers[name]
        if self.accept("["):
            index_token = self.peek()
            index = self.integer("a bit index")
            self.expect("]", "after the bit index")
            if index >= size:
                raise self.error(f"index {index} is out of range for {name}[{size}]",
                                 index_token)
            return [offset + index]
        return list(range(offset, offset + size))

    def _arity(self, name: str) -> tuple[int, int] | None:
        definition = self.state.gates.get(name)
        if definition is not None:
            return len(definition.params), len(definition.qubits)
        if name == "U":
            return 3, 1
        if name == "CX":
            return 0, 2
        if self.state.library:
            spec = GATES.get(canonical_name(name))
            if spec is not None:
                return spec.num_params, spec.num_qubits
        return None

    def _unknown_gate(self, name: str) -> str:
        if not self.state.library and (name in GATES or name in EXTENSION_GATES):
            return f"gate {name!r} is not defined; add include \"qelib1.inc\"; to use it"
        return f"gate {name!r} is not defined"

    def _check_call(self, name, arity, n_params, n_qubits, token) -> None:
        if n_params != arity[0]:
            raise self.error(f"gate {name!r} takes {arity[0]} parameters, got {n_params}",
                             token)
        if n_qubits != arity[1]:
            raise self.error(f"gate {name!r} acts on {arity[1]} qubits, got {n_qubits}",
                             token)

    # ----- expressions -----------------------------------------------------------------
    def call_arguments(self, name: str) -> list[ex.Evaluator]:
        if name == "delay":
            return [self.duration()]
        return self.expression_list(set())

    def duration(self) -> ex.Evaluator:
        value = self.expression(set(), 0)
        unit = self.peek()
        if unit[0] == "id" and unit[1] in DELAY_UNITS:
            self.next()
            scale = DELAY_UNITS[unit[1]]
            return lambda env: value(env) * scale
        return value

    def expression_list(self, names: set[str]) -> list[ex.Evaluator]:
        values = [self.expression(names, 0)]
        while self.accept(","):
            values.append(self.expression(names, 0))
        return values

    def expression(self, names: set[str], depth: int) -> ex.Evaluator:
        """additive := term (('+'|'-') term)*"""
        left = self.term(names, depth)
        while True:
            kind, text, _ = self.peek()
            if kind == "op" and text in "+-":
                self.next()
                left = self._fold(text, left, self.term(names, depth))
            else:
                return left

    def term(self, names: set[str], depth: int) -> ex.Evaluator:
        """term := unary (('*'|'/') unary)*"""
        left = self.unary(names, depth)
        while True:
            kind, text, _ = self.peek()
            if kind == "op" and text in "*/":
                token = self.next()
                right = self.unary(names, depth)
                if text == "/" and getattr(right, "constant", None) == 0:
                    raise self.error("division by zero", token)
                left = self._fold(text, left, right)
            else:
                return left

    def unary(self, names: set[str], depth: int) -> ex.Evaluator:
        """unary := '-' unary | '+' unary | power"""
        if depth > self.limits.max_expression_depth:
            raise self.error(f"expression nests deeper than {self.limits.max_expression_depth}"
                             f" levels")
        if self.accept("-"):
            inner = self.unary(names, depth + 1)
            return self._constant(-inner.constant) if hasattr(inner, "constant") else (
                ex.negate(inner))
        if self.accept("+"):
            return self.unary(names, depth + 1)
        return self.power(names, depth)

    def power(self, names: set[str], depth: int) -> ex.Evaluator:
        """power := atom ('^' unary)?  (right-associative, binds tighter than unary minus)"""
        base = self.atom(names, depth)
        if self.accept("^"):
            return self._fold("^", base, self.unary(names, depth + 1))
        return base

    def atom(self, names: set[str], depth: int) -> ex.Evaluator:
        token = self.next()
        kind, text, _ = token
        if kind == "num":
            return self._constant(float(text))
        if kind == "id":
            if text == "pi":
                return self._constant(math.pi)
            if text in FUNCTIONS:
                self.expect("(", f"after the function {text}")
                arg = self.expression(names, depth + 1)
                self.expect(")", f"to close the argument of {text}")
                return self._fold_call(text, arg, token)
            if text in names:
                return ex.variable(text)
            raise self.error(f"unknown identifier {text!r} in an expression", token)
        if kind == "op" and text == "(":
            inner = self.expression(names, depth + 1)
            self.expect(")", "to close the parenthesis")
            return inner
        raise self.error(f"expected a number, pi, a parameter or '(', found "
                         f"{_describe(token)}", token)

    def _constant(self, value: float) -> ex.Evaluator:
        evaluator = ex.constant(value)
        evaluator.constant = value  # type: ignore[attr-defined]
        return evaluator

    def _fold(self, op: str, left: ex.Evaluator, right: ex.Evaluator) -> ex.Evaluator:
        combined = ex.binary(op, left, right)
        if hasattr(left, "constant") and hasattr(right, "constant"):
            try:
                return self._constant(combined({}))
            except (ZeroDivisionError, OverflowError, ValueError) as exc:
                raise self.error(f"cannot evaluate the expression: {exc}") from None
        return combined

    def _fold_call(self, name: str, arg: ex.Evaluator, token: Token) -> ex.Evaluator:
        combined = ex.call(name, arg)
        if hasattr(arg, "constant"):
            try:
                return self._constant(combined({}))
            except (ValueError, OverflowError) as exc:
                raise self.error(f"{name}({arg.constant}) is undefined: {exc}", token) from None
        return combined


def _describe(token: Token) -> str:
    kind, text, _ = token
    if kind == "eof":
        return "the end of the program"
    return f"'{text}'" if len(text) <= 40 else f"'{text[:40]}...'"


_STATEMENTS = {
    "OPENQASM": lambda p: (_ for _ in ()).throw(
        p.error("OPENQASM must be the first statement of the program")),
    "include": _Parser.include,
    "qreg": _Parser.register,
    "creg": _Parser.register,
    "gate": _Parser.gate_definition,
    "opaque": _Parser.gate_definition,
    "measure": _Parser.measure,
    "reset": _Parser.reset,
    "barrier": _Parser.barrier,
    "if": _Parser.if_statement,
}
