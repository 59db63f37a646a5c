"""Kuafu parameter expressions to and from SymPy (the lingua franca of Cirq and Qiskit)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..circuit import Parameter, ParameterExpression
from ..circuit import parameter as kp


def identifier(name: str) -> str:
    """`name` made a valid identifier (Qiskit's `θ[0]` becomes `θ_0_`)."""
    name = re.sub(r"\W", "_", name)
    return name if name and not name[0].isdigit() else f"p_{name}"


def from_sympy(expr: Any, symbol: Callable[[str], Parameter]) -> Any:
    """A Kuafu number or expression from a SymPy one; `symbol(name)` gives each Parameter."""
    import sympy

    if expr.is_Symbol:
        return symbol(expr.name)
    if expr.is_Number or expr.is_NumberSymbol:
        return float(expr)
    args = [from_sympy(a, symbol) for a in expr.args]
    if expr.is_Add or expr.is_Mul:
        total = args[0]
        for a in args[1:]:
            total = total + a if expr.is_Add else total * a
        return total
    if expr.is_Pow:
        return args[0] ** args[1]
    functions = {sympy.sin: kp.sin, sympy.cos: kp.cos, sympy.tan: kp.tan, sympy.exp: kp.exp,
                 sympy.log: kp.ln}
    if expr.func in functions:
        return functions[expr.func](args[0])
    raise ValueError(f"cannot convert parameter expression {expr}")


def to_sympy(value: Any, symbols: dict[Parameter, Any]) -> Any:
    """A SymPy expression (or float) from a Kuafu one; `symbols` maps Parameters."""
    import sympy

    if not isinstance(value, ParameterExpression):
        return float(value)
    names = {}
    for p in value.parameters:
        if p not in symbols:
            symbols[p] = sympy.Symbol(p.name)
        names[p.name] = symbols[p]
    return sympy.sympify(value.to_qasm().replace("^", "**"),
                         locals={**names, "ln": sympy.log, "pi": sympy.pi})
