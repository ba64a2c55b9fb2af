"""Reading LaTeX (a math widget, a key, model output) through latex2sympy2_extended's ANTLR grammar.

No eval. latex2sympy evaluates while it parses, so guards run first on the text: power towers,
huge factorials, sums and products of more than MAX_SERIES_TERMS terms. `a \\pm b` inside an
expression stands for two values. Runs only inside the sandboxed worker.
"""

from __future__ import annotations

import math
import re
from typing import Any

import sympy as sp
from latex2sympy2_extended import latex2sympy
from latex2sympy2_extended.latex2sympy2 import ConversionConfig

from .reading import MAX_FACTORIAL, MAX_RESULT_DIGITS, MAX_SERIES_TERMS, ReadError

_LATEX_NOISE = [
    (r"\\displaystyle", ""),
    (r"\\left", ""),
    (r"\\right", ""),
    (r"(?<!\\)\\[,;:! ]", " "),
    (r"\\quad|\\qquad", " "),
    (r"\\dfrac|\\tfrac", r"\\frac"),
    (r"\\mathrm\{e\}", "e"),
    (r"\\operatorname\{e\}", "e"),
]


# Compact LaTeX that math editors write (MathLive: \frac42, \sqrt2, \frac{x}2).
_COMPACT = [
    (re.compile(r"\\[dt]frac(?![A-Za-z])"), r"\\frac"),
    (re.compile(r"\\frac\s*([0-9A-Za-z])\s*([0-9A-Za-z])"), r"\\frac{\1}{\2}"),
    (re.compile(r"\\frac\s*(\{[^{}]*\})\s*([0-9A-Za-z])"), r"\\frac\1{\2}"),
    (re.compile(r"\\frac\s*([0-9A-Za-z])\s*(\{)"), r"\\frac{\1}\2"),
    (re.compile(r"\\sqrt\s*([0-9A-Za-z])"), r"\\sqrt{\1}"),
]


def parse_latex(text: str) -> tuple[Any, bool]:
    cleaned = text
    for pattern, replacement in _COMPACT:
        cleaned = pattern.sub(replacement, cleaned)
    for noise, replacement in _LATEX_NOISE:
        cleaned = re.sub(noise, replacement, cleaned)
    if re.search(r"\\(?:href|url|include|input|def|let|catcode|write|immediate|operatorname\{_)", cleaned):
        raise ReadError("That contains LaTeX commands that aren't maths.")
    if len(re.findall(r"\{", cleaned)) > 200:
        raise ReadError("That answer is too long or complicated to check.")
    _guard_latex_powers(cleaned)
    if re.search(r"\\(?:pm|mp)", cleaned.strip()[3:]):
        return _parse_plus_minus(cleaned)
    try:
        # Degrees inside an expression (sin 60°) become radians; letters keep their case so a
        # LaTeX key and a typed answer name the same variables.
        value = latex2sympy(cleaned, convert_degrees=True, conversion_config=_LATEX_CONVERSION)
    except Exception as exc:  # noqa: BLE001 - the grammar raises bare Exceptions; all mean "unreadable"
        raise ReadError(_latex_failure(cleaned, str(exc))) from exc
    if value is None:
        raise ReadError("I couldn't find any maths to read there.")
    if isinstance(value, sp.Basic) and not isinstance(value, sp.MatrixBase | sp.Set):
        value = value.xreplace({sp.Symbol("e"): sp.E}).doit()
    inexact = bool(getattr(value, "has", lambda *_: False)(sp.Float))
    return value, inexact


_LATEX_CONVERSION = ConversionConfig(lowercase_symbols=False)


def _parse_plus_minus(text: str) -> tuple[Any, bool]:
    """a ± b inside an expression (the quadratic formula) stands for two values; the grammar only
    knows a leading ±. Every ± takes the same sign, as in the formula."""
    plus = parse_latex(re.sub(r"\\pm", "+", re.sub(r"\\mp", "-", text)))
    minus = parse_latex(re.sub(r"\\pm", "-", re.sub(r"\\mp", "+", text)))
    (a, a_inexact), (b, b_inexact) = plus, minus
    inexact = a_inexact or b_inexact
    if isinstance(a, sp.Equality) and isinstance(b, sp.Equality) and a.lhs == b.lhs:
        return sp.Eq(a.lhs, sp.FiniteSet(a.rhs, b.rhs), evaluate=False), inexact
    if isinstance(a, sp.Equality) or isinstance(b, sp.Equality):
        raise ReadError("I couldn't read the ± in that equation.")
    return sp.FiniteSet(a, b), inexact


def _latex_failure(text: str, message: str) -> str:
    """Say where the LaTeX grammar gave up, using the caret line of its error message."""
    lines = message.splitlines()
    caret = next((line for line in lines if re.fullmatch(r"~*\^", line.strip())), None)
    if caret is not None:
        position = len(caret.rstrip()) - 1
        before = text[max(0, position - 15) : position].strip()
        at = text[position : position + 10].strip()
        if at:
            return (
                f"I couldn't read that maths from {at!r} on (after {before!r}). "
                "Check the brackets and symbols there."
            )
        return f"The maths ends too early, after {before!r}: something is missing at the end."
    return "I couldn't read that maths. Check the brackets and symbols."


def _guard_power_tower(numbers: list[int]) -> None:
    """9^{9^{9^9}}: latex2sympy evaluates while it parses, so refuse a tower too tall to compute."""
    digits = 0.0
    top = float(numbers[-1])
    for base in reversed(numbers[:-1]):
        if base <= 1:
            top = float(base)
            continue
        digits = top * math.log10(base)
        if digits > MAX_RESULT_DIGITS:
            raise ReadError("That number is too large to check.")
        top = float(base) ** top


def _guard_latex_powers(text: str) -> None:
    for match in re.finditer(r"\^\s*\{?\s*(\d+)", text):
        if int(match.group(1)) > 10**6 or len(match.group(1)) > 7:
            raise ReadError("That power is too large to check.")
    for match in re.finditer(r"\d+(?:\s*\^\s*\{?\s*\d+){2,}", text):
        _guard_power_tower([int(n[:8]) for n in re.findall(r"\d+", match.group())])
    if len(re.findall(r"\^", text)) > 12:
        raise ReadError("That answer has too many powers to check.")
    for match in re.finditer(r"\\(?:prod|sum)\s*_\s*\{[^{}]*\}\s*\^\s*(\{(?:[^{}]|\{[^{}]*\})*\}|\S)", text):
        bound = match.group(1)
        if "^" in bound or any(int(n[:9]) > MAX_SERIES_TERMS for n in re.findall(r"\d+", bound)):
            raise ReadError(f"I can only check sums and products of up to {MAX_SERIES_TERMS} terms.")
    if re.search(r"\^[^!]*[)}]\s*!", text):
        # (10^{100})!: latex2sympy computes the factorial while it parses.
        raise ReadError(f"I can only check factorials of whole numbers up to {MAX_FACTORIAL}.")
    for match in re.finditer(r"(\d*\.?\d+(?:[eE][-+]?\d+)?)\s*!", text):
        if float(match.group(1)[:12]) > MAX_FACTORIAL or "e" in match.group(1).lower():
            raise ReadError(f"I can only check factorials of whole numbers up to {MAX_FACTORIAL}.")
