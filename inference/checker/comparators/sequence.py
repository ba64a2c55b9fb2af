"""Ordered answers: tuples (points, lists), matrices, and systems' solutions 'x = 1, y = 2'."""

from __future__ import annotations

from typing import Any

import sympy as sp

from ..reading import Read
from ..verdicts import Status, verdict
from .number import Tolerance
from .sets import values_equal


def compare_assignments(gold: Read, answer: Read, tol: Tolerance, bare_ok: bool) -> dict[str, Any]:
    interpreted = answer.latex()
    expected = {eq.lhs: eq.rhs for eq in gold.obj}
    given = {eq.lhs: eq.rhs for eq in answer.obj} if answer.kind == "assignments" else {}
    if answer.kind == "tuple" and len(answer.obj) == len(expected):
        given = dict(zip(sorted(expected, key=lambda s: s.name), answer.obj, strict=True))
    if set(given) == set(expected) and all(values_equal(expected[k], given[k], tol) for k in expected):
        return verdict(True, Status.CORRECT, "equation", "Correct.", interpreted)
    return verdict(False, Status.INCORRECT, "equation", "Not every unknown has the right value.", interpreted)


def compare_tuple(gold: Read, answer: Read, tol: Tolerance, bare_ok: bool) -> dict[str, Any]:
    interpreted = answer.latex()
    items = answer.obj
    if answer.kind == "assignments" and len(answer.obj) == len(gold.obj):
        # "x = 1, y = 2" for the point (1, 2): coordinates in alphabetical order of the letters.
        items = sp.Tuple(*[eq.rhs for eq in sorted(answer.obj, key=lambda eq: str(eq.lhs))])
    elif answer.kind == "interval" and isinstance(answer.obj, sp.Interval) and len(gold.obj) == 2:
        # (1, \frac92) is the pair, like (1, 4.5): the key says which reading is meant.
        if answer.obj.left_open and answer.obj.right_open:
            items = sp.Tuple(answer.obj.start, answer.obj.end)
    if not isinstance(items, sp.Tuple) or len(items) != len(gold.obj):
        return verdict(
            False,
            Status.INCORRECT,
            "tuple",
            f"An ordered list of {len(gold.obj)} values was expected.",
            interpreted,
        )
    if all(values_equal(g, a, tol) for g, a in zip(gold.obj, items, strict=True)):
        return verdict(True, Status.CORRECT, "tuple", "Correct.", interpreted)
    return verdict(
        False, Status.INCORRECT, "tuple", "Not all of the values are right (order matters here).", interpreted
    )


def compare_matrix(gold: Read, answer: Read, tol: Tolerance, bare_ok: bool) -> dict[str, Any]:
    interpreted = answer.latex()
    if answer.kind != "matrix":
        return verdict(False, Status.INCORRECT, "matrix", "A matrix was expected.", interpreted)
    if gold.obj.shape != answer.obj.shape:
        rows, cols = gold.obj.shape
        return verdict(
            False,
            Status.INCORRECT,
            "matrix",
            f"The matrix should have {rows} row(s) and {cols} column(s).",
            interpreted,
        )
    if all(values_equal(g, a, tol) for g, a in zip(gold.obj, answer.obj, strict=True)):
        return verdict(True, Status.CORRECT, "matrix", "Correct.", interpreted)
    return verdict(
        False, Status.INCORRECT, "matrix", "The shape is right, but some entries are wrong.", interpreted
    )
