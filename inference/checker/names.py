"""The names the reader knows: functions (with the other names books use), constants, Greek
letters, Unicode maths; and words it doesn't know, named back to the student with a suggestion."""

from __future__ import annotations

import difflib
from typing import Any

import sympy as sp

FUNCTIONS: dict[str, tuple[Any, int]] = {
    "sin": (sp.sin, 1),
    "cos": (sp.cos, 1),
    "tan": (sp.tan, 1),
    "cot": (sp.cot, 1),
    "sec": (sp.sec, 1),
    "csc": (sp.csc, 1),
    "asin": (sp.asin, 1),
    "acos": (sp.acos, 1),
    "atan": (sp.atan, 1),
    "arcsin": (sp.asin, 1),
    "arccos": (sp.acos, 1),
    "arctan": (sp.atan, 1),
    "sinh": (sp.sinh, 1),
    "cosh": (sp.cosh, 1),
    "tanh": (sp.tanh, 1),
    "sqrt": (sp.sqrt, 1),
    "cbrt": (sp.cbrt, 1),
    "exp": (sp.exp, 1),
    "ln": (sp.log, 1),
    "log": (sp.log, 2),
    "abs": (sp.Abs, 1),
    "floor": (sp.floor, 1),
    "ceil": (sp.ceiling, 1),
    "factorial": (sp.factorial, 1),
    "root": (sp.root, 2),
    # Other names teachers and books use (STACK accepts them too).
    "cosec": (sp.csc, 1),
    "csch": (sp.csch, 1),
    "cosech": (sp.csch, 1),
    "sech": (sp.sech, 1),
    "coth": (sp.coth, 1),
    "asinh": (sp.asinh, 1),
    "acosh": (sp.acosh, 1),
    "atanh": (sp.atanh, 1),
    "arsinh": (sp.asinh, 1),
    "arcosh": (sp.acosh, 1),
    "artanh": (sp.atanh, 1),
    "arcsinh": (sp.asinh, 1),
    "arccosh": (sp.acosh, 1),
    "arctanh": (sp.atanh, 1),
    "acot": (sp.acot, 1),
    "asec": (sp.asec, 1),
    "acsc": (sp.acsc, 1),
    "arccot": (sp.acot, 1),
    "arcsec": (sp.asec, 1),
    "arccsc": (sp.acsc, 1),
    "sign": (sp.sign, 1),
    "sgn": (sp.sign, 1),
    "signum": (sp.sign, 1),
    "lg": (lambda x, base=10: sp.log(x, base), 2),
    "log10": (lambda x: sp.log(x, 10), 1),
    "log2": (lambda x: sp.log(x, 2), 1),
    "binomial": (sp.binomial, 2),
}
CONSTANTS: dict[str, Any] = {
    "pi": sp.pi,
    "e": sp.E,
    "oo": sp.oo,
    "inf": sp.oo,
    "infinity": sp.oo,
    "i": sp.I,
    "I": sp.I,
}
GREEK = {
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "zeta",
    "eta",
    "theta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "nu",
    "xi",
    "rho",
    "sigma",
    "tau",
    "phi",
    "chi",
    "psi",
    "omega",
}
KNOWN_NAMES = sorted(set(FUNCTIONS) | set(CONSTANTS) | GREEK, key=len, reverse=True)

_UNICODE = {
    "×": "*",
    "·": "*",
    "⋅": "*",
    "÷": "/",
    "−": "-",
    "–": "-",
    "π": "pi",
    "√": "sqrt",
    "∞": "oo",
    "²": "^2",
    "³": "^3",
    "≤": "<=",
    "≥": ">=",
    "≠": "!=",
    "θ": "theta",
    "α": "alpha",
    "β": "beta",
}


# Words read as products of letters while reading the current answer (the worker is one thread).
SPLIT_WORDS: list[tuple[str, list[str]]] = []


def unknown_words(key_letters: set[str]) -> list[str]:
    """Words read as letters that the key doesn't use: 'odd' -> o*d*d is a word, not a product."""
    found = []
    for word, parts in SPLIT_WORDS:
        letters = {p.rstrip("0123456789") for p in parts if p not in FUNCTIONS and p not in CONSTANTS}
        if len(word) >= 3 and letters - key_letters:
            found.append(word)
    return list(dict.fromkeys(found))


def close_name(word: str, cutoff: float = 0.75) -> str | None:
    """The known name a word is most likely a misspelling of, if any ('sinn' -> sin)."""
    names = sorted(set(FUNCTIONS) | set(CONSTANTS) | GREEK)
    close = difflib.get_close_matches(word.lower(), names, n=1, cutoff=cutoff)
    return close[0] if close else None


def did_you_mean(word: str) -> str:
    names = sorted(set(FUNCTIONS) | set(CONSTANTS) | GREEK)
    close = difflib.get_close_matches(word.lower(), names, n=1, cutoff=0.6)
    return f"I don't know '{word}'" + (
        f" — did you mean {close[0]}?" if close else ". Check the spelling, or use * between letters."
    )
