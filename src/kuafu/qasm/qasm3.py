"""OpenQASM 3 import through the `openqasm3` reference parser, for the subset that maps
onto Kuafu's circuits: qubit/bit registers (and qreg/creg), `stdgates.inc` gates, user
gate definitions, `input float` parameters (kept symbolic), measure, reset, barrier,
and `if` on a classical register or bit without `else`. Anything else is refused with
a `QasmError` naming the construct and where it is.
"""

from __future__ import annotations

import math
import re

from ..circuit import (
    GATES,
    ClassicalRegister,
    Condition,
    Parameter,
    QuantumCircuit,
    QuantumRegister,
)
from ..circuit.parameter import ParameterExpression, apply_function
from ..errors import CircuitError, QasmError

STDGATES = {
    "p": "p", "phase": "p", "x": "x", "y": "y", "z": "z", "h": "h", "s": "s", "sdg": "sdg",
    "t": "t", "tdg": "tdg", "sx": "sx", "rx": "rx", "ry": "ry", "rz": "rz", "cx": "cx",
    "CX": "cx", "cy": "cy", "cz": "cz", "cp": "cp", "cphase": "cp", "crx": "crx",
    "cry": "cry", "crz": "crz", "ch": "ch", "swap": "swap", "ccx": "ccx", "cswap": "cswap",
    "cu": "cu", "id": "id", "u1": "u1", "u2": "u2", "u3": "u3", "U": "u3",
}
_FUNCTIONS = {"sin": "sin", "cos": "cos", "tan": "tan", "exp": "exp", "ln": "ln",
              "log": "ln", "sqrt": "sqrt"}  # OpenQASM 3 name -> kuafu.circuit.parameter name
_CONSTANTS = {"pi": math.pi, "π": math.pi, "tau": 2 * math.pi, "τ": 2 * math.pi,
              "euler": math.e, "ℇ": math.e}


def parse3(text: str, max_qubits: int = 4096, max_operations: int = 2_000_000
           ) -> QuantumCircuit:
    """Read an OpenQASM 3 program of the supported subset.

    Raises:
        QasmError: for syntax errors (from the reference parser) and unsupported constructs.
        ImportError: when the `openqasm3` package is not installed (extra `kuafu-cloud[qasm3]`).
    """
    try:
        from openqasm3 import ast
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("OpenQASM 3 import needs the openqasm3 package: "
                          "pip install 'kuafu-cloud[qasm3]'") from exc
    return _Translator(ast, max_qubits, max_operations).program(_parse_quietly(text))


def _parse_quietly(text: str):
    """`openqasm3.parse`, but with ANTLR's console listener (which prints) replaced by one
    that raises a QasmError at the first lexical error."""
    from antlr4 import CommonTokenStream, InputStream
    from antlr4.error.ErrorListener import ErrorListener
    from antlr4.error.ErrorStrategy import BailErrorStrategy
    from openqasm3 import parser as reference

    class RaiseOnError(ErrorListener):
        def syntaxError(self, recognizer, offending, line, column, msg, e):
            raise QasmError(f"OpenQASM 3 syntax error: {msg}", line, column + 1)

    lexer = reference.qasm3Lexer(InputStream(text))
    lexer.removeErrorListeners()
    lexer.addErrorListener(RaiseOnError())
    antlr_parser = reference.qasm3Parser(CommonTokenStream(lexer))
    antlr_parser.removeErrorListeners()
    antlr_parser._errHandler = BailErrorStrategy()
    try:
        tree = antlr_parser.program()
        return reference.QASMNodeVisitor().visitProgram(tree)
    except QasmError:
        raise
    except Exception as exc:  # ANTLR and the visitor raise their own error types
        raise _syntax_error(exc) from None


def _syntax_error(exc: Exception) -> QasmError:
    """The reference parser's error as a QasmError, with the offending token's place."""
    message = str(exc)
    match = re.search(r"L(\d+):C(\d+): (.*)", message)
    if match:
        return QasmError(f"OpenQASM 3 syntax error: {match.group(3)}", int(match.group(1)),
                         int(match.group(2)) + 1)
    cause: BaseException | None = exc
    while cause is not None:
        candidates = [cause, *getattr(cause, "args", ())]
        for candidate in candidates:
            token = getattr(candidate, "offendingToken", None)
            if token is not None:
                return QasmError(f"OpenQASM 3 syntax error near {token.text!r}", token.line,
                                 token.column + 1)
        cause = cause.__cause__ or cause.__context__
    return QasmError(f"OpenQASM 3 syntax error: {message or type(exc).__name__}", 1, 1)


class _Translator:
    def __init__(self, ast, max_qubits: int, max_operations: int) -> None:
        self.ast = ast
        self.max_qubits = max_qubits
        self.max_operations = max_operations
        self.circuit = QuantumCircuit()
        self.qregs: dict[str, tuple[int, int, bool]] = {}  # name -> offset, size, is_array
        self.cregs: dict[str, tuple[int, int, bool]] = {}
        self.gates: dict[str, object] = {}
        self.inputs: dict[str, Parameter] = {}
        self.std = False

    def error(self, message: str, node) -> QasmError:
        span = getattr(node, "span", None)
        if span is None:
            return QasmError(message, 1, 1)
        return QasmError(message, span.start_line, span.start_column + 1)

    def program(self, program) -> QuantumCircuit:
        for statement in program.statements:
            self.statement(statement, None)
        return self.circuit

    def statement(self, node, condition: Condition | None) -> None:
        a = self.ast
        if isinstance(node, a.Include):
            if node.filename != "stdgates.inc":
                raise self.error(f"cannot include {node.filename!r}: only stdgates.inc is "
                                 f"built in", node)
            self.std = True
        elif isinstance(node, a.QubitDeclaration):
            self.declare_qubits(node)
        elif isinstance(node, a.ClassicalDeclaration) and isinstance(node.type, a.BitType):
            self.declare_bits(node)
        elif isinstance(node, a.IODeclaration) and node.io_identifier.name == "input":
            self.inputs[node.identifier.name] = Parameter(node.identifier.name)
        elif isinstance(node, a.QuantumGateDefinition):
            self.gates[node.name.name] = node
        elif isinstance(node, a.QuantumGate):
            self.gate(node, condition)
        elif isinstance(node, a.QuantumPhase):
            if node.modifiers or node.qubits:
                raise self.error("gphase with modifiers or qubits is not supported", node)
        elif isinstance(node, a.QuantumMeasurementStatement):
            self.measure(node, condition)
        elif isinstance(node, a.QuantumReset):
            for q in self.qubits(node.qubits):
                self.append(node, "reset", (q,), (), (), condition)
        elif isinstance(node, a.QuantumBarrier):
            qubits: list[int] = []
            for operand in node.qubits:
                qubits += self.qubits(operand)
            self.append(node, "barrier", tuple(dict.fromkeys(qubits)), (), (), None)
        elif isinstance(node, a.BranchingStatement) and condition is None:
            self.branch(node)
        else:
            raise self.error(f"OpenQASM 3 construct {type(node).__name__} is not supported "
                             f"by Kuafu", node)

    # ----- declarations ----------------------------------------------------------------
    def declare_qubits(self, node) -> None:
        size, is_array = self.size(node.size)
        name = node.qubit.name
        if self.circuit.num_qubits + size > self.max_qubits:
            raise self.error(f"program needs {self.circuit.num_qubits + size} qubits; the "
                             f"limit is {self.max_qubits}", node)
        self.qregs[name] = (self.circuit.num_qubits, size, is_array)
        self.circuit.add_register(QuantumRegister(name, size))

    def declare_bits(self, node) -> None:
        if node.init_expression is not None:
            raise self.error("initialised bit declarations are not supported", node)
        size, is_array = self.size(node.type.size)
        name = node.identifier.name
        self.cregs[name] = (self.circuit.num_clbits, size, is_array)
        self.circuit.add_register(ClassicalRegister(name, size))

    def size(self, node) -> tuple[int, bool]:
        if node is None:
            return 1, False
        value = self.value(node, {})
        if isinstance(value, ParameterExpression) or value != int(value) or value < 1:
            raise self.error("register size must be a positive integer", node)
        if value > self.max_qubits:
            raise self.error(f"register of {int(value)} exceeds the limit of "
                             f"{self.max_qubits}", node)
        return int(value), True

    # ----- operations ------------------------------------------------------------------
    def gate(self, node, condition, env=None, mapping=None) -> None:
        if node.modifiers:
            raise self.error("gate modifiers (ctrl @, inv @, pow @) are not supported", node)
        name = node.name.name
        params = tuple(self.value(arg, env or {}) for arg in node.arguments)
        if mapping is not None:
            args = [[mapping[self.operand_name(q)]] for q in node.qubits]
        else:
            args = [self.qubits(q) for q in node.qubits]
        sizes = {len(x) for x in args if len(x) != 1}
        if len(sizes) > 1:
            raise self.error(f"registers of different sizes in {name}", node)
        for i in range(sizes.pop() if sizes else 1):
            qubits = tuple(x[0] if len(x) == 1 else x[i] for x in args)
            self.apply(node, name, params, qubits, condition)

    def apply(self, node, name, params, qubits, condition) -> None:
        definition = self.gates.get(name)
        if definition is not None:
            if len(params) != len(definition.arguments) or len(qubits) != len(
                    definition.qubits):
                raise self.error(f"gate {name!r} called with the wrong number of arguments",
                                 node)
            env = {a.name: v for a, v in zip(definition.arguments, params, strict=True)}
            mapping = {q.name: qubit for q, qubit in zip(definition.qubits, qubits,
                                                         strict=True)}
            for inner in definition.body:
                if isinstance(inner, self.ast.QuantumGate):
                    self.gate(inner, condition, env, mapping)
                elif isinstance(inner, self.ast.QuantumPhase):
                    continue
                else:
                    raise self.error(f"{type(inner).__name__} inside a gate body is not "
                                     f"supported", inner)
            return
        library = STDGATES.get(name) if (self.std or name in ("U", "CX")) else None
        if library is None:
            raise self.error(f"gate {name!r} is not defined"
                             + ("" if self.std else " (did you include \"stdgates.inc\"?)"),
                             node)
        spec = GATES[library]
        if name == "u2":
            spec = GATES["u2"]
        if len(params) != spec.num_params:
            raise self.error(f"gate {name!r} takes {spec.num_params} parameters, got "
                             f"{len(params)}", node)
        self.append(node, library, qubits, params, (), condition)

    def measure(self, node, condition) -> None:
        qubits = self.qubits(node.measure.qubit)
        if node.target is None:
            raise self.error("a measurement must store its result in a bit", node)
        clbits = self.clbits(node.target)
        if len(qubits) != len(clbits):
            raise self.error(f"cannot measure {len(qubits)} qubits into {len(clbits)} bits",
                             node)
        for q, c in zip(qubits, clbits, strict=True):
            self.append(node, "measure", (q,), (), (c,), condition)

    def branch(self, node) -> None:
        if node.else_block:
            raise self.error("if with else is not supported", node)
        condition = self.condition(node.condition)
        for statement in node.if_block:
            self.statement(statement, condition)

    def condition(self, node) -> Condition:
        a = self.ast
        if isinstance(node, a.BinaryExpression) and node.op.name == "==":
            bits = self.clbits(node.lhs)
            value = self.value(node.rhs, {})
            if isinstance(node.rhs, a.BooleanLiteral):
                value = int(node.rhs.value)
            if isinstance(value, ParameterExpression) or value != int(value):
                raise self.error("if compares with a non-integer", node)
            return Condition(tuple(bits), int(value))
        if isinstance(node, a.IndexExpression | a.Identifier):
            return Condition(tuple(self.clbits(node)), 1)
        raise self.error("only `if (bits == value)` and `if (bit)` conditions are supported",
                         node)

    def append(self, node, name, qubits, params, clbits, condition) -> None:
        if len(self.circuit.instructions) >= self.max_operations:
            raise self.error(f"program has more than {self.max_operations} operations", node)
        try:
            self.circuit.append(name, qubits, params, clbits, condition)
        except (CircuitError, ValueError) as exc:
            raise self.error(str(exc), node) from None

    # ----- operands --------------------------------------------------------------------
    def operand_name(self, node) -> str:
        if isinstance(node, self.ast.Identifier):
            return node.name
        raise self.error("gate bodies may only use their qubit arguments", node)

    def qubits(self, node) -> list[int]:
        return self._bits(node, self.qregs, "qubit")

    def clbits(self, node) -> list[int]:
        return self._bits(node, self.cregs, "bit")

    def _bits(self, node, registers, kind) -> list[int]:
        a = self.ast
        if isinstance(node, a.Identifier):
            name, indices = node.name, []
        elif isinstance(node, a.IndexedIdentifier):
            name, indices = node.name.name, node.indices
        elif isinstance(node, a.IndexExpression):
            name = getattr(node.collection, "name", None)
            indices = [node.index]
        else:
            raise self.error(f"unsupported {kind} operand", node)
        if name not in registers:
            raise self.error(f"{kind} register {name!r} is not declared", node)
        offset, size, _ = registers[name]
        if not indices:
            return list(range(offset, offset + size))
        if len(indices) != 1 or len(indices[0]) != 1:
            raise self.error("only single indices like q[3] are supported", node)
        index = indices[0][0]
        if isinstance(index, a.RangeDefinition):
            raise self.error("register slices are not supported", node)
        value = self.value(index, {})
        if isinstance(value, ParameterExpression) or value != int(value):
            raise self.error("a bit index must be an integer", node)
        value = int(value)
        if not 0 <= value < size:
            raise self.error(f"index {value} is out of range for {name}[{size}]", node)
        return [offset + value]

    # ----- expressions -----------------------------------------------------------------
    def value(self, node, env: dict):
        a = self.ast
        if isinstance(node, a.IntegerLiteral | a.FloatLiteral):
            return float(node.value)
        if isinstance(node, a.Identifier):
            if node.name in env:
                return env[node.name]
            if node.name in _CONSTANTS:
                return _CONSTANTS[node.name]
            if node.name in self.inputs:
                return self.inputs[node.name]
            raise self.error(f"unknown identifier {node.name!r}", node)
        if isinstance(node, a.UnaryExpression) and node.op.name == "-":
            return -self.value(node.expression, env)
        if isinstance(node, a.BinaryExpression):
            left, right = self.value(node.lhs, env), self.value(node.rhs, env)
            try:
                return _binary(node.op.name, left, right)
            except KeyError:
                raise self.error(f"operator {node.op.name} is not supported", node) from None
            except (ZeroDivisionError, OverflowError, ValueError) as exc:
                raise self.error(f"cannot evaluate the expression: {exc}", node) from None
        if isinstance(node, a.FunctionCall) and node.name.name in _FUNCTIONS:
            if len(node.arguments) != 1:
                raise self.error(f"{node.name.name} takes one argument", node)
            try:
                result = apply_function(_FUNCTIONS[node.name.name],
                                        self.value(node.arguments[0], env))
            except (ValueError, OverflowError) as exc:
                raise self.error(f"cannot evaluate {node.name.name}: {exc}", node) from None
            return result
        raise self.error(f"expression {type(node).__name__} is not supported", node)


def _binary(op: str, left, right):
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if op == "/":
        return left / right
    if op == "**":
        return left**right
    raise KeyError(op)
