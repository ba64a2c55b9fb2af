"""Sets, intervals, inequalities and the solutions of equations; values inside compared with tolerance."""

from __future__ import annotations

from typing import Any

import sympy as sp

from ..reading import Read
from ..verdicts import Status, verdict
from .expression import expressions_equal
from .number import Tolerance, numbers_equal
from .relations import _one_letter, relations_equal, same_on_the_line


def solution_set(relation: Any) -> tuple[Any, sp.Symbol] | None:
    """The real solutions of a relation in one letter (an equation, inequality, and/or of them)."""
    symbols = sorted(relation.free_symbols, key=lambda s: s.name)
    if len(symbols) != 1:
        return None
    symbol = symbols[0]
    try:
        if isinstance(relation, sp.Equality):
            return sp.solveset(relation.lhs - relation.rhs, symbol, domain=sp.S.Reals), symbol
        return relation.as_set(), symbol
    except (NotImplementedError, TypeError, ValueError):
        return None


def as_values(read_value: Read, symbol: sp.Symbol | None) -> Any:
    """An answer as a set of values of `symbol`: 'x=2 or x=-2', '{2, -2}', '2', 'x=2'."""
    items = read_value.obj if read_value.kind == "alternatives" else None
    if read_value.kind == "set" and isinstance(read_value.obj, sp.FiniteSet):
        items = list(read_value.obj)
    if read_value.kind in ("number",):
        items = [read_value.obj]
    if read_value.kind == "equation":
        items = [read_value.obj]
    if items is None:
        return None
    values = []
    if symbol is None:
        # 'x = 2 or x = -2' lists values of one letter; 'a = 0 or b = 0' doesn't.
        letters = {item.lhs for item in items if isinstance(item, sp.Equality) and item.lhs.is_Symbol}
        if len(letters) == 1:
            symbol = next(iter(letters))
        elif letters:
            return None
    for item in items:
        if isinstance(item, sp.Equality):
            # x = (-b + sqrt(b^2 - 4ac))/(2a) is a value of x in terms of the other letters.
            if (
                isinstance(item.lhs, sp.Symbol)
                and (symbol is None or item.lhs == symbol)
                and item.lhs not in item.rhs.free_symbols
            ):
                values.append(item.rhs)
            elif (
                isinstance(item.rhs, sp.Symbol)
                and (symbol is None or item.rhs == symbol)
                and item.rhs not in item.lhs.free_symbols
            ):
                values.append(item.lhs)
            else:
                return None
        elif isinstance(item, sp.Expr) and not item.free_symbols:
            values.append(item)
        else:
            return None
    return sp.FiniteSet(*values)


def _evaluated(value: Any) -> Any:
    """{1, 2} ∩ {2, 3} as {2}: the LaTeX reader leaves set operations unevaluated."""
    if isinstance(value, sp.Union | sp.Intersection | sp.Complement):
        return value.func(*[_evaluated(arg) for arg in value.args], evaluate=True)
    return value


def sets_equal(gold: Any, answer: Any, tol: Tolerance) -> bool:
    gold, answer = _evaluated(gold), _evaluated(answer)
    if isinstance(gold, sp.FiniteSet) and isinstance(answer, sp.FiniteSet):
        left, right = list(gold), list(answer)
        if len(left) != len(right):
            return False
        unused = list(right)
        for g in left:
            match = next((a for a in unused if values_equal(g, a, tol)), None)
            if match is None:
                return False
            unused.remove(match)
        return True
    if isinstance(gold, sp.Interval) and isinstance(answer, sp.Interval):
        return (
            gold.left_open == answer.left_open
            and gold.right_open == answer.right_open
            and values_equal(gold.start, answer.start, tol)
            and values_equal(gold.end, answer.end, tol)
        )
    if isinstance(gold, sp.Union) and isinstance(answer, sp.Union) and len(gold.args) == len(answer.args):
        # Unions of intervals with decimal ends: piece by piece, in order along the line.
        if all(sets_equal(g, a, tol) for g, a in zip(gold.args, answer.args, strict=True)):
            return True
    try:
        return bool(gold == answer) or bool(sp.simplify(sp.Eq(gold, answer)) is sp.true)
    except (TypeError, ValueError, NotImplementedError):
        return False


def _as_pair(value: Any, other: Any) -> Any:
    """(1, 2) in LaTeX reads as an open interval; next to a point it is the point (1, 2)."""
    if (
        isinstance(value, sp.Interval)
        and isinstance(other, sp.Tuple)
        and value.left_open
        and value.right_open
    ):
        return sp.Tuple(value.start, value.end)
    return value


def values_equal(g: Any, a: Any, tol: Tolerance) -> bool:
    g, a = _as_pair(g, a), _as_pair(a, g)
    if isinstance(g, sp.Tuple) or isinstance(a, sp.Tuple):
        # Points inside a set {(1, 2), (3, 4)}: coordinate by coordinate.
        return (
            isinstance(g, sp.Tuple)
            and isinstance(a, sp.Tuple)
            and len(g) == len(a)
            and all(values_equal(x, y, tol) for x, y in zip(g, a, strict=True))
        )
    if isinstance(g, sp.Set) or isinstance(a, sp.Set):
        return isinstance(g, sp.Set) and isinstance(a, sp.Set) and sets_equal(g, a, tol)
    if isinstance(g, sp.Expr) != isinstance(a, sp.Expr):
        return False
    if isinstance(g, sp.Expr) and not g.free_symbols and not a.free_symbols:
        if g.is_infinite or a.is_infinite:
            return bool(g == a)
        exact = tol.exact and not g.has(sp.Float) and not a.has(sp.Float)
        return numbers_equal(g, a, exact=exact, tolerance=tol.value, absolute=tol.absolute)
    if isinstance(g, sp.Equality) and isinstance(a, sp.Equality):
        return equations_equal(g, a)
    if isinstance(g, sp.Rel) and isinstance(a, sp.Rel):
        return relations_equal(g, a)
    if isinstance(g, sp.Expr):
        return expressions_equal(g, a).equal
    return bool(g == a)


# --- equations -----------------------------------------------------------------------------------


def _zero_side(equation: Any) -> Any:
    """lhs - rhs; |A| = |B| is A^2 = B^2 over the reals."""
    lhs, rhs = equation.lhs, equation.rhs
    if isinstance(lhs, sp.Abs) and isinstance(rhs, sp.Abs):
        return lhs.args[0] ** 2 - rhs.args[0] ** 2
    return lhs - rhs


def _factors(polynomial_side: Any) -> dict[Any, int] | None:
    """Irreducible factors of the numerator with multiplicities, each made monic; None if not polynomial."""
    numerator = sp.numer(sp.together(polynomial_side))
    if not numerator.free_symbols:
        return None
    try:
        _, factors = sp.factor_list(sp.expand(numerator))
    except (sp.PolynomialError, NotImplementedError, ValueError, TypeError):
        return None
    out: dict[Any, int] = {}
    for factor, power in factors:
        if not factor.free_symbols:
            continue
        try:
            poly = sp.Poly(factor, *sorted(factor.free_symbols, key=lambda s: s.name))
        except sp.PolynomialError:
            return None  # sqrt(b^2 - 4ac) inside: not a polynomial in the letters
        monic = sp.expand(factor / poly.LC())
        out[monic] = out.get(monic, 0) + power
    return out


def zero_sets_equal(gold_sides: list[Any], answer_sides: list[Any]) -> bool:
    """Do 'g1 = 0 or g2 = 0 ...' and 'a1 = 0 or ...' describe the same points?

    Compared as products of irreducible factors (with multiplicity, as STACK does for equations):
    a*b = 0 is a = 0 or b = 0; 1/x + 1/y = 2 is y = x/(2x - 1).
    """
    gold_factors: dict[Any, int] = {}
    answer_factors: dict[Any, int] = {}
    for sides, into in ((gold_sides, gold_factors), (answer_sides, answer_factors)):
        for side in sides:
            factors = _factors(side)
            if factors is None:
                return False
            for factor, power in factors.items():
                into[factor] = into.get(factor, 0) + power
    return bool(gold_factors) and gold_factors == answer_factors


def equations_equal(gold: sp.Equality, answer: sp.Equality) -> bool:
    if not isinstance(gold, sp.Equality) or not isinstance(answer, sp.Equality):
        # An equation SymPy has already decided (1 = 1, 0! = 0) is a truth value: equal only to the same one.
        return bool(gold == answer)
    g, a = _zero_side(gold), _zero_side(answer)
    if g.free_symbols != a.free_symbols:
        return False
    if a == 0:
        return g == 0
    try:
        ratio = sp.simplify(g / a)
    except (TypeError, ValueError, ZeroDivisionError):
        ratio = None
    if ratio is not None and ratio.is_number and ratio != 0 and ratio.is_finite:
        return True
    return zero_sets_equal([g], [a])


def _equation_parts(read_value: Read) -> list[Any] | None:
    """'a = 0 or b = 0' and 'a*b = 0' as the list of sides that are zero."""
    if read_value.kind == "equation":
        return [_zero_side(read_value.obj)]
    if read_value.kind == "alternatives" and all(isinstance(item, sp.Equality) for item in read_value.obj):
        return [_zero_side(item) for item in read_value.obj]
    return None


def compare_equation(gold: Read, answer: Read, tol: Tolerance, bare_ok: bool) -> dict[str, Any]:
    interpreted = answer.latex()
    if answer.kind == "equation" and equations_equal(gold.obj, answer.obj):
        return verdict(True, Status.CORRECT, "equation", "Correct.", interpreted)
    solved = solution_set(gold.obj) if len(gold.obj.free_symbols) == 1 else None
    symbol = solved[1] if solved else None
    if answer.kind in ("equation", "alternatives", "set", "number") and solved is not None:
        if answer.kind in ("number", "set") and not bare_ok:
            return verdict(
                False,
                Status.INCORRECT,
                "equation",
                f"Write your answer as an equation, like {symbol} = ...",
                interpreted,
            )
        values = as_values(answer, symbol)
        if values is not None and sets_equal(solved[0], values, tol):
            return verdict(True, Status.CORRECT, "equation", "Correct: the same solutions.", interpreted)
        if values is not None and isinstance(solved[0], sp.FiniteSet) and values.is_subset(solved[0]):
            return verdict(
                False, Status.INCORRECT, "equation", "Those are solutions, but some are missing.", interpreted
            )
    answer_parts = _equation_parts(answer)
    if answer_parts is not None and zero_sets_equal([_zero_side(gold.obj)], answer_parts):
        return verdict(True, Status.CORRECT, "equation", "Correct: the same solutions.", interpreted)
    return verdict(False, Status.INCORRECT, "equation", "That doesn't give the same solutions.", interpreted)


def compare_alternatives(gold: Read, answer: Read, tol: Tolerance, bare_ok: bool) -> dict[str, Any]:
    """A key like 'x = 2 or x = -2' (values) or 'a = 0 or b = 0' (several letters)."""
    interpreted = answer.latex()
    gold_parts, answer_parts = _equation_parts(gold), _equation_parts(answer)
    if gold_parts is not None and answer_parts is not None and zero_sets_equal(gold_parts, answer_parts):
        return verdict(True, Status.CORRECT, "equation", "Correct: the same solutions.", interpreted)
    values = as_values(gold, None)
    if values is not None:
        return compare_set(Read(kind="set", obj=values, raw=gold.raw), answer, tol, bare_ok)
    return verdict(False, Status.INCORRECT, "equation", "That doesn't give the same solutions.", interpreted)


# --- inequalities and sets ------------------------------------------------------------------------


def compare_relation(gold: Read, answer: Read, tol: Tolerance, bare_ok: bool) -> dict[str, Any]:
    interpreted = answer.latex()
    symbol = _one_letter(gold.obj, answer.obj) if answer.kind in ("relation", "interval", "set") else None
    if symbol is not None and tol.exact:
        same = same_on_the_line(gold.obj, answer.obj, symbol)
        if same is not None:
            if same:
                return verdict(True, Status.CORRECT, "interval", "Correct.", interpreted)
            return verdict(
                False, Status.INCORRECT, "interval", "That isn't the same set of values.", interpreted
            )
    gold_set = solution_set(gold.obj)
    answer_set = None
    if answer.kind == "relation":
        solved = solution_set(answer.obj)
        answer_set = solved[0] if solved else None
    elif answer.kind in ("interval", "set"):
        answer_set = answer.obj
    if gold_set and answer_set is not None and sets_equal(gold_set[0], answer_set, tol):
        return verdict(True, Status.CORRECT, "interval", "Correct.", interpreted)
    if gold_set is None and answer.kind == "relation" and relations_equal(gold.obj, answer.obj):
        return verdict(True, Status.CORRECT, "inequality", "Correct.", interpreted)
    return verdict(False, Status.INCORRECT, "interval", "That isn't the same set of values.", interpreted)


def _open_pair(interval: Any, pair: Any) -> bool:
    return (
        isinstance(interval, sp.Interval)
        and interval.left_open
        and interval.right_open
        and isinstance(pair, sp.Tuple)
        and len(pair) == 2
    )


def compare_set(gold: Read, answer: Read, tol: Tolerance, bare_ok: bool) -> dict[str, Any]:
    interpreted = answer.latex()
    target = answer.obj
    if answer.kind == "relation":
        symbol = _one_letter(answer.obj)
        same = same_on_the_line(gold.obj, answer.obj, symbol) if symbol is not None and tol.exact else None
        if same is not None:
            return verdict(
                same,
                Status.CORRECT if same else Status.INCORRECT,
                gold.kind,
                "Correct." if same else "That isn't the same set of values.",
                interpreted,
            )
        solved = solution_set(answer.obj)
        target = solved[0] if solved else None
    elif answer.kind == "alternatives":
        target = as_values(answer, None)
        if target is None:
            # 'x^2 - 4 = 0 or x = 3': the union of what each equation solves to.
            each = [solution_set(item) for item in answer.obj if isinstance(item, sp.Equality)]
            if each and len(each) == len(answer.obj) and all(each) and len({s[1] for s in each if s}) == 1:
                target = sp.Union(*[s[0] for s in each if s])
    elif answer.kind == "equation":
        solved = solution_set(answer.obj)
        target = solved[0] if solved else None
    elif answer.kind == "tuple" and gold.kind == "interval" and _open_pair(gold.obj, answer.obj):
        # (1, \frac92) read as an interval and (1, 4.5) as a pair: the key decides, the same for both.
        target = sp.Interval.open(answer.obj[0], answer.obj[1])
    elif (
        answer.kind == "tuple" and gold.kind == "set" and not answer.raw.strip().startswith(("(", "\\left("))
    ):
        # "6, 8" for the set {6, 8}: a bare list where a set is asked is read as the set.
        target = sp.FiniteSet(*answer.obj)
    elif answer.kind == "tuple":
        return verdict(
            False,
            Status.INCORRECT,
            gold.kind,
            "Order doesn't matter here: write a set with { } or an interval.",
            interpreted,
        )
    elif answer.kind == "number" and gold.kind == "set" and bare_ok:
        target = sp.FiniteSet(answer.obj)
    if target is not None and isinstance(target, sp.Set) and sets_equal(gold.obj, target, tol):
        return verdict(True, Status.CORRECT, gold.kind, "Correct.", interpreted)
    if gold.kind == "interval" and isinstance(gold.obj, sp.Interval) and isinstance(target, sp.Interval):
        same_ends = values_equal(gold.obj.start, target.start, tol) and values_equal(
            gold.obj.end, target.end, tol
        )
        if same_ends:
            return verdict(
                False,
                Status.INCORRECT,
                "interval",
                "The end points are right, but check the brackets: ( ) leaves an end out, [ ] includes it.",
                interpreted,
            )
    return verdict(False, Status.INCORRECT, gold.kind, "That isn't the same set of values.", interpreted)
