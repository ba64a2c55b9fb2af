"""Comparing a read answer with a read key: one comparator per kind of key, chosen from a table.

Every comparator takes (key, answer, tolerance, bare_ok) and returns a verdict dict (verdicts.py).
Numbers, expressions and quantities need the options themselves (significant figures, units).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy as sp

from ..reading import Read
from ..verdicts import Status, verdict
from .expression import compare_expressions, expressions_equal
from .number import Tolerance, compare_angle, compare_numbers
from .quantity import compare_quantities
from .sequence import compare_assignments, compare_matrix, compare_tuple
from .sets import as_values, compare_alternatives, compare_equation, compare_relation, compare_set

Comparator = Callable[[Read, Read, Tolerance, bool], dict[str, Any]]

COMPARATORS: dict[str, Comparator] = {
    "equation": compare_equation,
    "alternatives": compare_alternatives,
    "relation": compare_relation,
    "set": compare_set,
    "interval": compare_set,
    "assignments": compare_assignments,
    "tuple": compare_tuple,
    "matrix": compare_matrix,
}

# Keys with one answer: a list of alternatives for them is a guess between answers.
_SINGLE_ANSWER_KINDS = ("number", "expr", "tuple", "matrix", "interval")


def compare(gold: Read, answer: Read, options: dict[str, Any]) -> dict[str, Any]:
    interpreted = answer.latex()
    bare_ok = bool(options.get("accept_bare_value", True))
    if gold.kind == "quantity":
        return compare_quantities(gold, answer, options)
    if answer.kind == "quantity" and gold.kind == "number":
        return verdict(
            False,
            Status.INCORRECT,
            "number",
            f"This answer has no units, but you wrote {answer.unit_text}.",
            interpreted,
        )
    if answer.kind == "alternatives" and gold.kind in _SINGLE_ANSWER_KINDS:
        return verdict(
            False, Status.HEDGED, "number", "Give one answer, not a choice of answers.", interpreted
        )
    if gold.kind == "number":
        return compare_number_key(gold, answer, options, bare_ok)
    if gold.kind == "expr":
        return compare_expression_key(
            gold,
            answer,
            bare_ok,
            positive=bool(options.get("positive_letters")),
            # Asked for per problem (an antiderivative, x^3/3 + C): a lone C in a key may be a quantity.
            up_to_constant=bool(options.get("up_to_constant")),
        )
    comparator = COMPARATORS.get(gold.kind)
    if comparator is None:
        return verdict(False, Status.INCORRECT, gold.kind, "That isn't the right answer.", interpreted)
    return comparator(gold, answer, Tolerance.of(options, gold, answer), bare_ok)


def compare_number_key(gold: Read, answer: Read, options: dict[str, Any], bare_ok: bool) -> dict[str, Any]:
    interpreted = answer.latex()
    if answer.kind == "number":
        if gold.degrees and not answer.degrees and not answer.percent:
            return compare_angle(gold, answer, options)
        return compare_numbers(gold, answer, options)
    if answer.kind == "equation" and bare_ok:
        values = as_values(answer, None)
        if values is not None and len(values) == 1:
            inner = Read(kind="number", obj=next(iter(values)), raw=answer.raw, inexact=answer.inexact)
            return compare_numbers(gold, inner, options)
    if answer.kind == "expr":
        # cos(x)^2 + sin(x)^2 for 1: letters, but the same number wherever it is defined.
        equality = expressions_equal(gold.obj, answer.obj, positive=bool(options.get("positive_letters")))
        if equality.equal:
            return verdict(
                True,
                Status.CORRECT,
                "expression",
                "Correct: that expression always equals the answer.",
                interpreted,
                True,
            )
        return verdict(
            False,
            Status.INCORRECT,
            "number",
            "A number was expected, but your answer has letters in it.",
            interpreted,
        )
    return verdict(
        False,
        Status.INCORRECT,
        "number",
        f"A single number was expected, not a {kind_words(answer.kind)}.",
        interpreted,
    )


_CONSTANT_NAMES = ("C", "c", "K", "k", "A")


def _constant_of_integration(expr: Any, others: set[Any] | None = None) -> Any:
    """The letter added as an arbitrary constant (x^3/3 + C): a lone term with a usual name."""
    if not isinstance(expr, sp.Add):
        return None
    for term in expr.args:
        if term.is_Symbol and term.name in _CONSTANT_NAMES and (others is None or term not in others):
            return term
    return None


def compare_up_to_a_constant(gold: Read, answer: Read, constant: Any) -> dict[str, Any]:
    """A key like x^3/3 + C: any antiderivative with its own constant (+ c, + k) is right."""
    interpreted = answer.latex()
    base = gold.obj - constant
    theirs = _constant_of_integration(answer.obj, base.free_symbols)
    if theirs is None:
        missing = expressions_equal(base, answer.obj).equal
        reason = (
            "Add the constant of integration (+ C)."
            if missing
            else "That expression isn't equal to the right answer."
        )
        return verdict(False, Status.INCORRECT, "expression", reason, interpreted)
    difference = base - (answer.obj - theirs)
    letters = sorted(difference.free_symbols, key=lambda s: s.name)
    # Equal up to a constant: the difference doesn't change with any letter.
    if all(expressions_equal(sp.diff(difference, letter), sp.Integer(0)).equal for letter in letters):
        return verdict(True, Status.CORRECT, "expression", "Correct (up to the constant).", interpreted, True)
    return verdict(
        False, Status.INCORRECT, "expression", "That expression isn't equal to the right answer.", interpreted
    )


def compare_expression_key(
    gold: Read, answer: Read, bare_ok: bool, *, positive: bool = False, up_to_constant: bool = False
) -> dict[str, Any]:
    constant = _constant_of_integration(gold.obj) if up_to_constant else None
    if constant is not None and answer.kind in ("expr", "number"):
        return compare_up_to_a_constant(gold, answer, constant)
    if answer.kind in ("expr", "number"):
        return compare_expressions(gold, answer, positive=positive)
    if answer.kind == "equation" and answer.obj.lhs.is_Symbol and bare_ok:
        return compare_expressions(
            gold, Read(kind="expr", obj=answer.obj.rhs, raw=answer.raw), positive=positive
        )
    return verdict(
        False,
        Status.INCORRECT,
        "expression",
        f"An expression was expected, not a {kind_words(answer.kind)}.",
        answer.latex(),
    )


def kind_words(kind: str) -> str:
    return {
        "expr": "expression with letters",
        "equation": "equation",
        "alternatives": "choice of answers",
        "set": "set",
        "interval": "interval",
        "tuple": "list of values",
        "matrix": "matrix",
        "relation": "inequality",
        "quantity": "value with units",
        "number": "number",
    }.get(kind, kind)
