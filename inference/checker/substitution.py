"""Checking a claimed answer with no key by putting it back into the problem's equation(s)."""

from __future__ import annotations

import re
from typing import Any

import sympy as sp

from .comparators.sets import as_values
from .extract import extract, looks_like_prose
from .latex import parse_latex
from .reading import ReadError
from .structure import read
from .verdicts import Status, verdict


def substitute(problem: str, answer: str) -> dict[str, Any]:
    """Check a claimed answer by putting it back into the problem's equation(s)."""
    equations = []
    for segment in re.findall(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\((.+?)\\\)", problem, re.DOTALL):
        text = next(s for s in segment if s)
        if text.count("=") == 1 and not re.search(r"[<>]|\\[lg]eq?|\\neq", text):
            try:
                value, _ = parse_latex(text)
            except ReadError:
                continue
            if isinstance(value, sp.Equality) and value.free_symbols:
                equations.append(value)
    found = extract(answer) if looks_like_prose(answer) else {"answer": answer, "status": "ok"}
    if not found.get("answer"):
        return verdict(False, Status.NO_ANSWER, "substitution", "I couldn't find a final answer.", "")
    if not equations:
        return verdict(
            False,
            Status.NOT_VERIFIED,
            "substitution",
            "There is no answer key and no equation to check the answer against.",
            "",
        )
    try:
        claim = read(found["answer"])
    except ReadError as exc:
        return verdict(False, Status.UNPARSEABLE, "substitution", str(exc), "")
    symbols = sorted(set().union(*(eq.free_symbols for eq in equations)), key=lambda s: s.name)
    assignments: list[dict[sp.Symbol, Any]] = []
    if len(symbols) == 1:
        values = as_values(claim, symbols[0])
        if values is None or not isinstance(values, sp.FiniteSet):
            return verdict(
                False,
                Status.NOT_VERIFIED,
                "substitution",
                "The answer isn't a value I can put back into the equation.",
                claim.latex(),
            )
        assignments = [{symbols[0]: v} for v in values]
    else:
        items = claim.obj if claim.kind in ("alternatives", "tuple", "assignments") else [claim.obj]
        mapping = {}
        for item in items:
            if isinstance(item, sp.Equality) and isinstance(item.lhs, sp.Symbol):
                mapping[item.lhs] = item.rhs
        if claim.kind == "tuple" and not mapping and len(claim.obj) == len(symbols):
            mapping = dict(zip(symbols, claim.obj, strict=True))
        if set(mapping) != set(symbols):
            return verdict(
                False,
                Status.NOT_VERIFIED,
                "substitution",
                "Give a value for every unknown to check the answer.",
                claim.latex(),
            )
        assignments = [mapping]
    for assignment in assignments:
        for equation in equations:
            difference = sp.N((equation.lhs - equation.rhs).subs(assignment), 30)
            if not difference.is_number or abs(complex(difference)) > 1e-9:
                return verdict(
                    False,
                    Status.INCORRECT,
                    "substitution",
                    "Putting the answer back into the equation doesn't make both sides equal.",
                    claim.latex(),
                )
    return verdict(
        True,
        Status.VERIFIED_BY_SUBSTITUTION,
        "substitution",
        "Checked by putting the answer back into the problem.",
        claim.latex(),
    )
