"""Expressions: symbolic simplification first, then (for letters) sampling where both sides are real.

An identity like sqrt(1/x) = 1/sqrt(x) or log(a^2 b) = 2 log(a) + log(b) holds where both sides are
real and defined, not at every complex point. So after `simplify` we try the letters as positive
numbers (physics quantities are), then sample points and only count those where both sides are
real and finite. The verdict says when equality rests on sampling or on a domain.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import sympy as sp

from ..reading import Read
from ..verdicts import Status, verdict

SAMPLES = 24
NEEDED = 4


@dataclass(frozen=True)
class Equality:
    equal: bool
    numeric_only: bool = False
    # "" when equal everywhere; else where it was established ("for positive values of the letters").
    domain: str = ""


def _random_points(symbols: list[sp.Symbol], count: int) -> list[dict[sp.Symbol, float]]:
    rng = random.Random(20261122)  # noqa: S311 - sampling, not security
    points = []
    for index in range(count):
        point = {}
        for symbol in symbols:
            value = rng.uniform(0.3, 2.7)
            # Half the points with every letter positive, half with random signs.
            if index % 2 and rng.random() < 0.5:
                value = -value
            point[symbol] = round(value, 6)
        points.append(point)
    return points


def _finite_complex(value: Any) -> complex | None:
    """The value as a finite complex number, or None (undefined there, infinite, or not a number)."""
    try:
        z = complex(sp.N(value, 20))
    except (TypeError, ValueError, ZeroDivisionError, OverflowError, AttributeError):
        return None
    if z != z or abs(z) == float("inf"):
        return None
    return z


def _real(z: complex | None) -> float | None:
    if z is None or abs(z.imag) > 1e-12 * max(1.0, abs(z.real)):
        return None
    return z.real


def _domain_conditions(*exprs: Any) -> list[Any]:
    """What must be real and >= 0 (roots) or > 0 (logarithms) for the expressions to be real."""
    conditions = []
    for expr in exprs:
        for node in sp.preorder_traversal(expr):
            if isinstance(node, sp.Pow) and node.exp.is_Rational and not node.exp.is_Integer:
                conditions.append((node.base, False))
            elif isinstance(node, sp.log):
                conditions.append((node.args[0], True))
    return conditions


def _defined_at(conditions: list[Any], point: dict[sp.Symbol, float]) -> bool:
    for base, strict in conditions:
        value = _real(_finite_complex(base.subs(point)))
        if value is None or value < 0 or (strict and value == 0):
            return False
    return True


def _positive(expr: Any) -> Any:
    return expr.xreplace({s: sp.Symbol(s.name, positive=True) for s in expr.free_symbols})


def _simplifies_to_zero(difference: Any) -> bool:
    try:
        return bool(sp.simplify(difference) == 0)
    except (TypeError, ValueError, NotImplementedError, AttributeError, RecursionError):
        return False


def expressions_equal(gold: Any, answer: Any, *, positive: bool = False) -> Equality:
    """Equal wherever the key is defined over the reals (the answer must be defined there too).

    ln(x^2) vs 2 ln(x) differs at x < 0, where the key is defined and the answer isn't; but
    2 log(a) + log(b) vs log(a^2 b) is equal on the key's domain (a, b > 0). With `positive`
    (physics quantities) the letters are taken as positive numbers.
    """
    if not (isinstance(gold, sp.Expr) and isinstance(answer, sp.Expr)):
        return Equality(gold == answer)
    if _cheaply_zero(gold - answer):
        return Equality(True)
    symbols = sorted(gold.free_symbols | answer.free_symbols, key=lambda s: s.name)
    if not symbols:
        if _simplifies_to_zero(gold - answer):
            return Equality(True)
        g, a = _finite_complex(gold), _finite_complex(answer)
        same = g is not None and a is not None and abs(g - a) <= 1e-10 * max(1.0, abs(g))
        return Equality(same, numeric_only=same)
    if positive and _simplifies_to_zero(_positive(gold) - _positive(answer)):
        return Equality(True, domain="for positive values of the letters")
    key_conditions, answer_conditions = _domain_conditions(gold), _domain_conditions(answer)
    checked = skipped = 0
    for point in _random_points(symbols, SAMPLES):
        if positive and any(value < 0 for value in point.values()):
            continue
        g = _real(_finite_complex(gold.subs(point))) if _defined_at(key_conditions, point) else None
        if g is None:
            skipped += 1
            continue
        a = _real(_finite_complex(answer.subs(point))) if _defined_at(answer_conditions, point) else None
        # Defined for the key but not for the answer (2 ln x at x < 0), or a different value.
        if a is None or abs(g - a) > 1e-9 * max(1.0, abs(g), abs(a)):
            return Equality(False)
        checked += 1
    if checked >= NEEDED:
        # simplify() could prove some of these, but can take seconds (tanh(x)/2 + 1/2); equal at
        # every one of many points where both are defined is what a teacher would accept.
        domain = (
            "for positive values of the letters"
            if positive
            else ("where the expressions are defined" if skipped else "")
        )
        return Equality(True, numeric_only=True, domain=domain)
    if _simplifies_to_zero(gold - answer):
        return Equality(True)
    return Equality(False)


def _cheaply_zero(difference: Any) -> bool:
    """Zero after expanding or cancelling: (x-1)^2 - (x^2-2x+1), (x^2-1)/(x+1) - (x-1)."""
    if difference == 0:
        return True
    try:
        return sp.expand(difference) == 0 or sp.cancel(sp.together(difference)) == 0
    except (TypeError, ValueError, NotImplementedError, AttributeError, RecursionError, sp.PolynomialError):
        return False


def equality_reason(equality: Equality) -> str:
    if equality.domain and equality.numeric_only:
        return f"Correct (equal at every point checked {equality.domain})."
    if equality.domain:
        return f"Correct (equal {equality.domain})."
    if equality.numeric_only:
        return "Correct (checked at many values of the letters)."
    return "Correct."


def compare_expressions(gold: Read, answer: Read, *, positive: bool = False) -> dict[str, Any]:
    interpreted = answer.latex()
    missing = gold.obj.free_symbols - answer.obj.free_symbols
    # Equality first: sin(x)^2 + cos(x)^2 has letters but equals the number 1.
    equality = expressions_equal(gold.obj, answer.obj, positive=positive)
    if equality.equal:
        return verdict(
            True,
            Status.CORRECT,
            "expression",
            equality_reason(equality),
            interpreted,
            equality.numeric_only or bool(equality.domain),
        )
    if not answer.obj.free_symbols and gold.obj.free_symbols:
        return verdict(
            False,
            Status.INCORRECT,
            "expression",
            "An expression with letters was expected, not just a number.",
            interpreted,
        )
    reason = "That expression isn't equal to the right answer."
    if missing and not answer.obj.free_symbols - gold.obj.free_symbols:
        names = ", ".join(sorted(s.name for s in missing))
        reason = f"That expression isn't right: the answer should involve {names}."
    return verdict(False, Status.INCORRECT, "expression", reason, interpreted)
