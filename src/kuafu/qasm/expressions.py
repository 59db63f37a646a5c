"""Parameter expressions of OpenQASM 2: parsed once, evaluated many times.

An expression compiles to a closure `f(env) -> float` where `env` maps a gate's
parameter names to numbers, so a gate body is evaluated fast at each use.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from ..circuit.parameter import ParameterExpression, apply_function

Evaluator = Callable[[dict], float]

def constant(value: float) -> Evaluator:
    return lambda env: value


def variable(name: str) -> Evaluator:
    return lambda env: env[name]


def negate(arg: Evaluator) -> Evaluator:
    return lambda env: -arg(env)


def binary(op: str, left: Evaluator, right: Evaluator) -> Evaluator:
    if op == "+":
        return lambda env: left(env) + right(env)
    if op == "-":
        return lambda env: left(env) - right(env)
    if op == "*":
        return lambda env: left(env) * right(env)
    if op == "/":
        return lambda env: left(env) / right(env)
    return lambda env: _power(left(env), right(env))


def _power(base, exponent):
    if isinstance(base, ParameterExpression) or isinstance(exponent, ParameterExpression):
        return base**exponent
    result = base**exponent
    if isinstance(result, complex):
        raise ValueError(f"{base}^{exponent} is not a real number")
    return result


def call(name: str, arg: Evaluator) -> Evaluator:
    return lambda env: apply_function(name, arg(env))


def check_value(value) -> float | ParameterExpression:
    """Reject values that are not finite real numbers."""
    if isinstance(value, ParameterExpression):
        return value
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"angle evaluates to {value}; angles must be finite")
    return value
