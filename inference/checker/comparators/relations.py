"""Inequalities: in several letters by their canonical form, in one letter by where they hold.

`same_on_the_line` compares two relations (or a relation and a set) in one letter at the roots of
their sides, between neighbouring roots and beyond the outermost: their truth can only change
at those roots, so this decides exactly, in milliseconds, where SymPy's as_set took 100-300 ms.
"""

from __future__ import annotations

from typing import Any

import sympy as sp


def _canonical(relation: Any) -> tuple[Any, bool] | None:
    """a < b as (b - a, strict) meaning b - a > 0 (or >= 0); None for anything else."""
    if isinstance(relation, sp.Gt | sp.StrictGreaterThan):
        return relation.lhs - relation.rhs, True
    if isinstance(relation, sp.Lt | sp.StrictLessThan):
        return relation.rhs - relation.lhs, True
    if isinstance(relation, sp.Ge | sp.GreaterThan):
        return relation.lhs - relation.rhs, False
    if isinstance(relation, sp.Le | sp.LessThan):
        return relation.rhs - relation.lhs, False
    return None


def relations_equal(gold: Any, answer: Any) -> bool:
    """Inequalities in several letters: a < b vs b > a, 3x^2 < 9a vs x^2 - 3a < 0."""
    g, a = _canonical(gold), _canonical(answer)
    if isinstance(gold, sp.Ne) and isinstance(answer, sp.Ne):
        from .sets import equations_equal

        return equations_equal(
            sp.Eq(gold.lhs, gold.rhs, evaluate=False), sp.Eq(answer.lhs, answer.rhs, evaluate=False)
        )
    if g is None or a is None or g[1] != a[1] or g[0].free_symbols != a[0].free_symbols:
        return False
    try:
        ratio = sp.simplify(g[0] / a[0])
    except (TypeError, ValueError, ZeroDivisionError):
        return False
    return bool(ratio.is_number and ratio.is_positive and ratio.is_finite)


def _relation_leaves(obj: Any) -> list[Any] | None:
    if isinstance(obj, sp.And | sp.Or):
        leaves: list[Any] = []
        for arg in obj.args:
            found = _relation_leaves(arg)
            if found is None:
                return None
            leaves.extend(found)
        return leaves
    if isinstance(obj, sp.Rel):
        return [obj]
    return None


def _critical_points(obj: Any, symbol: sp.Symbol) -> list[Any] | None:
    """Where the truth of a relation (or membership of a set) in one letter can change."""
    if isinstance(obj, sp.Set):
        if isinstance(obj, sp.FiniteSet):
            return list(obj)
        if isinstance(obj, sp.Interval):
            return [end for end in (obj.start, obj.end) if end.is_finite]
        if isinstance(obj, sp.Union):
            points: list[Any] = []
            for arg in obj.args:
                found = _critical_points(arg, symbol)
                if found is None:
                    return None
                points.extend(found)
            return points
        return None
    leaves = _relation_leaves(obj)
    if leaves is None:
        return None
    points = []
    for leaf in leaves:
        side = sp.together(leaf.lhs - leaf.rhs)
        for part in (sp.numer(side), sp.denom(side)):
            if not part.free_symbols:
                continue
            try:
                poly = sp.Poly(part, symbol)
            except sp.PolynomialError:
                return None
            if poly.degree() > 8:
                return None
            try:
                points.extend(poly.real_roots())
            except (NotImplementedError, ValueError, TypeError):
                # Irrational coefficients (x - sqrt(2)): SymPy's root finder for them.
                try:
                    roots = sp.roots(poly, multiple=True)
                except (NotImplementedError, ValueError, TypeError, sp.PolynomialError):
                    return None
                if len(roots) != poly.degree() or any(root.is_real is None for root in roots):
                    return None
                points.extend(root for root in roots if root.is_real)
    return points


def _holds(obj: Any, symbol: sp.Symbol, value: Any) -> bool | None:
    try:
        truth = obj.contains(value) if isinstance(obj, sp.Set) else obj.subs(symbol, value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if truth in (sp.true, True):
        return True
    if truth in (sp.false, False):
        return False
    return None


def same_on_the_line(gold: Any, answer: Any, symbol: sp.Symbol) -> bool | None:
    """Do two relations/sets in one letter hold at the same real numbers? None when unsure.

    Their truth can only change at the roots of the sides (and the ends of intervals), so it
    is enough to compare them there, between neighbouring roots and beyond the outermost.
    Much faster than solving both into sets (SymPy's as_set took 100-300 ms per union).
    """
    points = []
    for obj in (gold, answer):
        found = _critical_points(obj, symbol)
        if found is None:
            return None
        points.extend(found)
    try:
        ordered = sorted(set(points), key=lambda p: float(p))
    except (TypeError, ValueError):
        return None
    if not ordered:
        tests: list[Any] = [sp.Integer(0)]
    else:
        tests = [ordered[0] - 1, *ordered, ordered[-1] + 1]
        tests += [(a + b) / 2 for a, b in zip(ordered, ordered[1:], strict=False)]
    for value in tests:
        g, a = _holds(gold, symbol, value), _holds(answer, symbol, value)
        if g is None or a is None:
            return None
        if g != a:
            return False
    return True


def _one_letter(*objs: Any) -> sp.Symbol | None:
    letters = set().union(*(getattr(o, "free_symbols", set()) for o in objs))
    return next(iter(letters)) if len(letters) == 1 else None
