"""Does a hint give the answer away? Candidate answers in the draft are run through the checker."""

from __future__ import annotations

import re
from dataclasses import dataclass

from inference.checker import Verdict, acheck_answer
from tutor.problems.models import Problem

MAX_CANDIDATES = 16
_BOXED = re.compile(r"\\(?:boxed|fbox)\s*\{")
# The right-hand side of "=" up to the end of the math, the sentence or the line.
_AFTER_EQUALS = re.compile(
    r"(?<![<>!=])=\s*([^=\n$,;]{1,80}?)\s*(?=\\\)|\\\]|\$|[.;,]\s|[.;,]?$|\n|\s+(?:and|so|which)\b)"
)
_ANSWER_IS = re.compile(
    r"(?:answer|result|solution)s?\s+(?:is|are|would be|will be|should be)\s*:?\s*\$?([^\n$]{1,80}?)\$?(?:[.;!]\s|[.;!]?$|\n)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Leak:
    answer: str
    verdict: Verdict


def _boxed_contents(text: str) -> list[str]:
    found = []
    for match in _BOXED.finditer(text):
        depth, i = 1, match.end()
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        found.append(text[match.end() : i - 1])
    return found


def answer_candidates(text: str) -> list[str]:
    candidates = _boxed_contents(text)
    candidates += [m.group(1) for m in _ANSWER_IS.finditer(text)]
    candidates += [m.group(1) for m in _AFTER_EQUALS.finditer(text)]
    seen: set[str] = set()
    unique = []
    for candidate in candidates:
        candidate = candidate.strip().strip("$").strip()
        if candidate and candidate not in seen:
            seen.add(candidate)
            unique.append(candidate)
    return unique[:MAX_CANDIDATES]


async def reveals_answer(*, text: str, problem: Problem) -> Leak | None:
    gold = problem.answer.strip()
    if not gold:
        return None
    for candidate in answer_candidates(text):
        verdict = await acheck_answer(
            gold=gold,
            answer=candidate,
            answer_type=problem.answer_type,
            tolerance=problem.tolerance,
            # A bare number that matches a quantity's value still gives the answer away.
            units=None,
            options={**(problem.checker_options or {}), "accept_bare_value": True},
        )
        if verdict.equivalent or verdict.status == "units_missing":
            return Leak(answer=candidate, verdict=verdict)
    return None


def fallback_hint(*, problem: Problem, attempt_count: int) -> str:
    """A teacher-written hint when every model draft leaked; a generic nudge when there is none."""
    hints = [h for h in (problem.hints or []) if isinstance(h, str) and h.strip()]
    if hints:
        return hints[min(attempt_count, len(hints)) - 1] if attempt_count > 0 else hints[0]
    return (
        "What is the problem asking you to find? Write down what you know, then think about "
        "which rule or formula connects them. Try the first step and check it."
    )
