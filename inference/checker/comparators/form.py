"""The form of an answer, apart from its value: "work it out" and the per-problem `form` option.

Typing the question back is not an answer: `\\int_0^1 (2x+1)\\,dx` for 2, `d/dx x^3 sin x` for its
derivative, `2*3-1*5` for a determinant. An answer that still contains an operation the key does
not is refused (status `work_it_out`, which costs no attempt). Per problem, `form` asks for a
form as well as a value: any (default), simplified, expanded, factored, reduced_fraction,
decimal, exact (no decimals). A right value in the wrong form is `wrong_form`, with a reason
that names the form wanted.
"""

from __future__ import annotations

import re
from math import gcd
from typing import Any

import sympy as sp

from ..reading import ReadError, parse_plain
from ..verdicts import Status, verdict

# (what it is called, how it is written in LaTeX or typed text)
_OPERATIONS = [
    (
        "an integral",
        re.compile(r"\\i+nt(?![A-Za-z])|\\oint|∫|\bintegra(?:te|l)\s*\(|\bint\s*\(", re.IGNORECASE),
    ),
    (
        "a derivative",
        re.compile(
            r"\\frac\s*\{\s*(?:\\mathrm\{d\}|d)\s*\}\s*\{\s*(?:\\mathrm\{d\}|d)\s*[a-zA-Z]|"
            r"\\frac\s*\{\s*d\^?\{?\d*\}?\s*\w*\s*\}\s*\{\s*d\s*[a-zA-Z]|\bd\s*/\s*d[a-zA-Z]\b|"
            r"\\partial|∂|\bdiff\s*\(|\bderivative\s*\(",
            re.IGNORECASE,
        ),
    ),
    ("a limit", re.compile(r"\\lim(?![A-Za-z])|\blim(?:it)?\s*\(", re.IGNORECASE)),
    ("a sum", re.compile(r"\\sum(?![A-Za-z])|∑|\bsum\s*\(", re.IGNORECASE)),
    ("a product", re.compile(r"\\prod(?![A-Za-z])|∏|\bproduct\s*\(", re.IGNORECASE)),
    ("a determinant", re.compile(r"\\det(?![A-Za-z])|\bdet\s*\(|\\begin\{vmatrix\}", re.IGNORECASE)),
    (
        "a binomial coefficient",
        re.compile(r"\\binom\b|\\choose\b|\bbinomial\s*\(|\bn?c\s*\(\s*\d+\s*,", re.IGNORECASE),
    ),
]
# n!, (n+1)!, but not 5! (a factorial of a number is a number, and allowed).
_FACTORIAL_OF_NON_LITERAL = re.compile(r"(?:[A-Za-z_}]|\))\s*!(?!=)|\bfactorial\s*\(\s*[^)\d\s]")
_FACTORIAL_ANY = re.compile(r"!(?!=)|\bfactorial\s*\(")
# Binary + - * between plain numbers, for "2*3-1*5": a calculation left undone.
_LITERAL_OPERATION = re.compile(r"(?<=[\d)])\s*(?:[-+*×·]|\\times|\\cdot)\s*(?=[\d(])")


def unworked_operation(answer: str, key: str, *, key_is_plain_number: bool) -> str | None:
    """The name of an operation the answer still contains and the key doesn't; None if none."""
    for name, pattern in _OPERATIONS:
        if pattern.search(answer) and not pattern.search(key):
            return name
    if _FACTORIAL_OF_NON_LITERAL.search(answer) and not _FACTORIAL_ANY.search(key):
        return "a factorial"
    if key_is_plain_number and not re.search(r"[A-Za-z]", re.sub(r"\\(?:times|cdot|left|right)", "", answer)):
        # A number key answered by a calculation of three or more steps, like 2*3-1*5: the
        # sum a teacher set to be worked out. (16+1 or 4^(-1/2) are left to the value check.)
        without_exponent = re.sub(r"[eE][-+]?\d+|\*\s*10\s*\^\s*\(?[-+]?\d+\)?", "", answer)
        if len(_LITERAL_OPERATION.findall(without_exponent.lstrip("-+ "))) >= 3:
            return "a calculation"
    return None


def work_it_out(operation: str, interpreted: str) -> dict[str, Any]:
    return verdict(
        False,
        Status.WORK_IT_OUT,
        "form",
        f"Your answer still contains {operation}: work it out and give the result.",
        interpreted,
    )


_FORM_WORDS = {
    "simplified": "simplified (cancel common factors and collect like terms)",
    "expanded": "expanded (multiply out the brackets)",
    "factored": "fully factorised",
    "reduced_fraction": "a fraction in lowest terms, like 3/4",
    "decimal": "a decimal, like 0.75",
    "exact": "exact (fractions, roots or π), not a decimal",
}


def wrong_form(form: str, interpreted: str) -> dict[str, Any]:
    return verdict(
        False,
        Status.WRONG_FORM,
        "form",
        f"That has the right value, but the answer should be {_FORM_WORDS[form]}.",
        interpreted,
    )


def _typed(answer: str) -> Any | None:
    """The answer as typed, unevaluated (2*(x+1) stays a product); None for LaTeX or unreadable text."""
    if "\\" in answer or "{" in answer:
        return None
    try:
        value, _ = parse_plain(answer.replace("^", "**"), evaluate=False)
    except (ReadError, TypeError, ValueError, AttributeError):
        return None
    return value


def _fraction_parts(answer: str) -> tuple[int, int] | None:
    text = answer.strip().lstrip("-+").strip()
    match = re.fullmatch(r"\\[dt]?frac\s*\{\s*(\d+)\s*\}\s*\{\s*(\d+)\s*\}|(\d+)\s*/\s*(\d+)", text)
    if not match:
        return None
    numbers = [int(g) for g in match.groups() if g is not None]
    return numbers[0], numbers[1]


def _is_irreducible(factor: Any) -> bool:
    symbols = sorted(factor.free_symbols, key=lambda s: s.name)
    if not symbols:
        return True
    try:
        content, factors = sp.factor_list(sp.expand(factor), *symbols)
    except (sp.PolynomialError, NotImplementedError, ValueError, TypeError):
        return False
    return abs(content) == 1 and len(factors) == 1 and factors[0][1] == 1


def _factors_of(typed: Any) -> list[Any]:
    if isinstance(typed, sp.Mul):
        out = []
        for arg in typed.args:
            out.extend(_factors_of(arg))
        return out
    if isinstance(typed, sp.Pow) and typed.exp.is_Integer and typed.exp > 0:
        return _factors_of(typed.base)
    return [typed]


def _is_factored(typed: Any) -> bool:
    factors = [f for f in _factors_of(typed) if f.free_symbols]
    if any(not f.is_polynomial(*sorted(f.free_symbols, key=lambda s: s.name)) for f in factors):
        return False
    return all(_is_irreducible(f) for f in factors)


def _is_expanded(typed: Any) -> bool:
    for node in sp.preorder_traversal(typed):
        if isinstance(node, sp.Mul) and any(isinstance(arg, sp.Add) for arg in node.args):
            # A sum inside a product, unless it is a plain number's sign: -(x) is fine.
            if any(isinstance(arg, sp.Add) and arg.free_symbols for arg in node.args):
                return False
        if (
            isinstance(node, sp.Pow)
            and isinstance(node.base, sp.Add)
            and node.exp.is_Integer
            and node.exp > 1
        ):
            return False
    return True


def form_problem(form: str, answer: str, value: Any) -> bool:
    """True when `answer` (the typed text, whose value is right) is not in the wanted form."""
    if form in ("", "any") or not isinstance(value, sp.Basic):
        return False
    has_decimal = bool(re.search(r"\d\.\d|\.\d|\d\.(?!\d)", answer))
    if form == "exact":
        return has_decimal
    if form == "decimal":
        return not re.fullmatch(r"\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*", answer)
    if form == "reduced_fraction":
        if re.fullmatch(r"\s*[-+]?\d+\s*", answer):
            return False
        parts = _fraction_parts(answer)
        return parts is None or parts[1] == 0 or gcd(*parts) != 1
    typed = _typed(answer)
    if typed is None:
        typed = value  # LaTeX: judged on the evaluated reading, which SymPy may have tidied.
    if form == "expanded":
        return not _is_expanded(typed)
    if form == "factored":
        return not _is_factored(typed)
    if form == "simplified":
        parts = _fraction_parts(answer)
        if has_decimal is False and parts and gcd(*parts) != 1:
            return True
        evaluated = value if isinstance(value, sp.Expr) else None
        if evaluated is None:
            return False
        if not evaluated.free_symbols:
            return bool(len(_LITERAL_OPERATION.findall(answer)) > 0 and not _fraction_parts(answer))
        return sp.count_ops(sp.cancel(evaluated)) < sp.count_ops(evaluated)
    return False
