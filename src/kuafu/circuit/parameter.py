"""Symbolic gate parameters that are bound to numbers later.

A `Parameter` is a named symbol; arithmetic on parameters and numbers builds a
`ParameterExpression` tree that can be bound (`bind`) to numbers, printed as an
OpenQASM expression, and evaluated. Parameters compare by identity of the symbol,
not by name, so two different symbols may share a name (as in Qiskit).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from typing import Union

FUNCTIONS = {
    # the functions of OpenQASM expressions, by their OpenQASM names
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "exp": math.exp,
    "ln": math.log,
    "sqrt": math.sqrt,
}
_BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "^": lambda a, b: a**b,
}
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "^": 4}
_ids = itertools.count()

ParameterValue = Union[float, "ParameterExpression"]


class ParameterExpression:
    """An arithmetic expression over `Parameter` symbols and numbers.

    Build it with Python operators (`2 * theta + 1`) and the functions in this
    module (`sin(theta)`); evaluate it with `bind`.
    """

    __slots__ = ("_args", "_op")

    def __init__(self, op: str, args: tuple) -> None:
        self._op = op
        self._args = args

    @property
    def parameters(self) -> frozenset[Parameter]:
        """The free symbols of the expression."""
        found: set[Parameter] = set()
        for arg in self._args:
            if isinstance(arg, ParameterExpression):
                found |= arg.parameters
        return frozenset(found)

    def bind(self, values: Mapping[Parameter, float]) -> ParameterValue:
        """Substitute numbers for symbols; a float when no free symbol is left.

        Raises:
            ValueError: when the expression evaluates to NaN or infinity.
        """
        args = tuple(_bind_value(a, values) for a in self._args)
        if any(isinstance(a, ParameterExpression) for a in args):
            return ParameterExpression(self._op, args)
        value = _evaluate(self._op, args)
        if not math.isfinite(value):
            raise ValueError(f"parameter expression {self} evaluates to {value}")
        return value

    def __float__(self) -> float:
        free = self.parameters
        if free:
            names = ", ".join(sorted(p.name for p in free))
            raise TypeError(f"expression {self} has unbound parameters: {names}")
        return float(self.bind({}))

    def to_qasm(self) -> str:
        """The expression in OpenQASM 2 syntax."""
        return _format(self, 0)

    def __str__(self) -> str:
        return self.to_qasm()

    def __repr__(self) -> str:
        return f"ParameterExpression({self.to_qasm()!r})"

    def _structure(self) -> tuple:
        return (self._op, tuple(a._structure() if isinstance(a, ParameterExpression) else a
                                for a in self._args))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ParameterExpression):
            return self._structure() == other._structure()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._structure())

    def __add__(self, other): return _binary("+", self, other)
    def __radd__(self, other): return _binary("+", other, self)
    def __sub__(self, other): return _binary("-", self, other)
    def __rsub__(self, other): return _binary("-", other, self)
    def __mul__(self, other): return _binary("*", self, other)
    def __rmul__(self, other): return _binary("*", other, self)
    def __truediv__(self, other): return _binary("/", self, other)
    def __rtruediv__(self, other): return _binary("/", other, self)
    def __pow__(self, other): return _binary("^", self, other)
    def __rpow__(self, other): return _binary("^", other, self)
    def __neg__(self): return ParameterExpression("neg", (self,))
    def __pos__(self): return self


class Parameter(ParameterExpression):
    """A named symbol standing for a real number (an angle) until bound."""

    __slots__ = ("_uid", "name")

    def __init__(self, name: str) -> None:
        if not name.isidentifier():
            raise ValueError(f"parameter name {name!r} is not an identifier")
        super().__init__("sym", ())
        self.name = name
        self._uid = next(_ids)

    @property
    def parameters(self) -> frozenset[Parameter]:
        return frozenset((self,))

    def bind(self, values: Mapping[Parameter, float]) -> ParameterValue:
        """Its value in `values`, else itself (still free)."""
        if self in values:
            value = float(values[self])
            if not math.isfinite(value):
                raise ValueError(f"parameter {self.name} bound to {value}")
            return value
        return self

    def to_qasm(self) -> str:
        """Its name, as OpenQASM writes a free parameter."""
        return self.name

    def __repr__(self) -> str:
        return f"Parameter({self.name!r})"

    def _structure(self) -> tuple:
        return ("sym", self._uid)

    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return hash(("sym", self._uid))


def _binary(op: str, left, right) -> ParameterExpression:
    for side in (left, right):
        if not isinstance(side, ParameterExpression | int | float):
            return NotImplemented
    return ParameterExpression(op, (left, right))


def _bind_value(arg, values):
    return arg.bind(values) if isinstance(arg, ParameterExpression) else arg


def _evaluate(op: str, args: tuple) -> float:
    if op == "neg":
        return -args[0]
    if op in _BINARY:
        return float(_BINARY[op](*args))
    return FUNCTIONS[op](*args)


def apply_function(name: str, arg: ParameterValue) -> ParameterValue:
    """`FUNCTIONS[name]` of a number, or the symbolic call on an expression."""
    if isinstance(arg, ParameterExpression):
        return ParameterExpression(name, (arg,))
    return FUNCTIONS[name](float(arg))


def sin(x: ParameterValue) -> ParameterValue:
    """Sine, symbolic when `x` is an expression."""
    return apply_function("sin", x)


def cos(x: ParameterValue) -> ParameterValue:
    """Cosine, symbolic when `x` is an expression."""
    return apply_function("cos", x)


def tan(x: ParameterValue) -> ParameterValue:
    """Tangent, symbolic when `x` is an expression."""
    return apply_function("tan", x)


def exp(x: ParameterValue) -> ParameterValue:
    """Exponential, symbolic when `x` is an expression."""
    return apply_function("exp", x)


def ln(x: ParameterValue) -> ParameterValue:
    """Natural logarithm, symbolic when `x` is an expression."""
    return apply_function("ln", x)


def sqrt(x: ParameterValue) -> ParameterValue:
    """Square root, symbolic when `x` is an expression."""
    return apply_function("sqrt", x)


def format_number(value: float) -> str:
    """A float as OpenQASM text that reads back to the identical float.

    Simple multiples of pi are written as such (`pi/2`, `-3*pi/4`) when the reader's
    evaluation of that text gives exactly the same float; otherwise the shortest
    repr is used.
    """
    value = float(value)
    if value == 0.0:
        return "0"
    if not 1e-6 < abs(value) < 1e6:
        return repr(value)
    multiple = value * 192 / math.pi  # 192 = lcm of the denominators tried below
    if abs(multiple - round(multiple)) > 1e-6:
        return repr(value)  # not a simple multiple of pi: skip the search
    for den in (1, 2, 3, 4, 6, 8, 16, 32, 64):
        num = round(value * den / math.pi)
        if num == 0 or abs(num) > 64:
            continue
        text = _pi_text(abs(num), den)
        if _eval_pi_text(abs(num), den) == abs(value):
            return text if value > 0 else f"-{text}"
    return repr(value)


def _pi_text(num: int, den: int) -> str:
    head = "pi" if num == 1 else f"{num}*pi"
    return head if den == 1 else f"{head}/{den}"


def _eval_pi_text(num: int, den: int) -> float:
    head = math.pi if num == 1 else num * math.pi
    return head if den == 1 else head / den


def _format(node, parent_precedence: int) -> str:
    if not isinstance(node, ParameterExpression):
        text = format_number(node)
        composite = text.startswith("-") or "pi" in text
        return f"({text})" if composite and parent_precedence > 0 else text
    if isinstance(node, Parameter):
        return node.name
    op, args = node._op, node._args
    if op == "neg":
        inner = _format(args[0], 3)
        return f"(-{inner})" if parent_precedence > 0 else f"-{inner}"
    if op in _BINARY:
        prec = _PRECEDENCE[op]
        right_prec = prec + 1 if op in "-/" else prec
        if op == "^":  # right-associative
            left = _format(args[0], prec + 1)
            right = _format(args[1], prec)
        else:
            left = _format(args[0], prec)
            right = _format(args[1], right_prec)
        text = f"{left}{op}{right}" if op in "*/^" else f"{left} {op} {right}"
        return f"({text})" if prec < parent_precedence else text
    return f"{op}({_format(args[0], 0)})"
