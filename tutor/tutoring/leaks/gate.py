"""The gate itself: reads the key through the checker, asks the checker about each candidate within
a time budget, and fails closed (a text that can't be checked in time counts as a leak)."""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from inference.checker import Status, Verdict, acheck_answer, apreview_answer

if TYPE_CHECKING:
    from tutor.problems.models import Problem

from .candidates import KeyFacts, _unwrap_math, find_candidates, statement_facts
from .formulas import _FILLER, _LONE_LETTER, _SIDE_SEPARATORS, _TRIGGER, _top_level_split
from .text import (
    _LEAK_STATUSES,
    _UNDECIDED_STATUSES,
    CONTEXT_CHARS,
    MAX_CANDIDATES,
    MAX_TEXT_CHARS,
    SENTENCE_BUDGET_SECONDS,
    TEXT_BUDGET_SECONDS,
    Candidate,
    _compact,
    normalise,
)


@dataclass(frozen=True)
class Leak:
    answer: str  # the candidate as sent to the checker
    verdict: Verdict
    source: str = ""  # the words of the text it came from
    reason: str = ""


@dataclass(frozen=True)
class GateDecision:
    leak: Leak | None
    reason: str
    checked: int = 0
    ms: float = 0.0

    @property
    def leaked(self) -> bool:
        return self.leak is not None


def _checker_options(problem: Problem) -> dict:
    options = {**(problem.checker_options or {}), "accept_bare_value": True}
    # The right value rounded differently, or in another form, still gives the answer away.
    options.pop("sig_figs", None)
    options.pop("decimal_places", None)
    options.pop("form", None)
    return options


async def key_facts(problem: Problem, *, owner: str | None = None) -> KeyFacts:
    """Reads the key through the checker (which caches it) and the statement here."""
    gold = problem.answer.strip()
    values, compact, how_many = await asyncio.to_thread(statement_facts, problem.full_statement or "")
    if problem.answer_type in ("text", "choice"):
        return KeyFacts(kind="text", statement_values=values, statement_compact=compact, how_many=how_many)
    preview = await apreview_answer(
        answer=gold, answer_type=problem.answer_type or None, units=problem.units or None, owner=owner
    )
    if not preview.ok and preview.kind in _UNDECIDED_STATUSES:
        # The key could not be read in time: nothing can be compared with it.
        return KeyFacts(unread=preview.kind, statement_values=values, statement_compact=compact)
    kind = preview.kind if preview.ok else ""
    value_text = ""
    if kind == "quantity":
        # The checker shows a quantity as "<value>\ \mathrm{<unit>}".
        value_text = preview.latex.split("\\ \\mathrm{")[0].strip() if "\\ \\mathrm{" in preview.latex else ""
    elif problem.units and kind == "number":
        kind, value_text = "quantity", gold
    solved = True
    if kind in ("equation", "relation"):
        sides = _top_level_split(_unwrap_math(gold), _SIDE_SEPARATORS)
        plain = _unwrap_math(gold)
        solved = (
            any(_LONE_LETTER.match(plain[s:e]) for s, e in sides)
            or kind == "relation"
            and bool(re.match(r"^\s*[A-Za-z]\s*[<>]|[<>]=?\s*[A-Za-z]\s*$", plain))
        )
    return KeyFacts(
        kind=kind,
        value_text=value_text,
        percent=bool(re.search(r"(?:%|\\%|percent)\s*\$?\s*$", gold)),
        solved=solved,
        statement_values=values,
        statement_compact=compact,
        how_many=how_many,
        list_shaped=kind
        in ("", "set", "equation", "alternatives", "relation", "tuple", "interval", "assignments"),
        ordered=kind in ("tuple", "assignments") or problem.answer_type == "tuple",
    )


def _unchecked(answer: str, status: str, reason: str) -> Verdict:
    return Verdict(
        equivalent=False, status=status, interpreted_as="", comparator="leak-gate", reason=reason, ms=0.0
    )


async def _gate(
    *, text: str, problem: Problem, boundary: int, budget: float, owner: str | None
) -> GateDecision:
    # Long on purpose: the order of the steps below (the key, a plain text match, the candidates,
    # the fail-closed bounds) is the gate's policy, and docs/leak-gate.md follows it top to bottom.
    started = time.perf_counter()
    # Reading the key and scanning count against the budget too: a decision takes at most the
    # budget plus one checker time limit (the check running when the budget runs out).
    deadline = time.monotonic() + budget

    def done(leak: Leak | None, reason: str, checked: int) -> GateDecision:
        return GateDecision(
            leak=leak, reason=reason, checked=checked, ms=(time.perf_counter() - started) * 1000
        )

    gold = problem.answer.strip()
    if not gold:
        return done(None, "There is no answer key to give away.", 0)
    if len(text) > MAX_TEXT_CHARS:
        reason = f"The text is over {MAX_TEXT_CHARS} characters, too long to check: treated as a leak."
        return done(Leak(answer="", verdict=_unchecked("", "too_long", reason), reason=reason), reason, 0)
    normalised_before = normalise(text[:boundary])
    normalised = normalised_before + normalise(text[boundary:])
    facts = await key_facts(problem, owner=owner)
    if facts.unread:
        reason = f"The answer key could not be read in time ({facts.unread}): treated as a leak."
        verdict = _unchecked(gold, facts.unread, reason)
        return done(Leak(answer="", verdict=verdict, reason=reason), reason, 0)
    if problem.answer_type in ("text", "choice") or not facts.kind:
        # A word, a letter, or a key the checker can't read: looked for as text, without the checker.
        # A several-answer choice key is one right option per line: stating any of them gives
        # part of the answer away (a hint naming every right option in prose most of all).
        keys = (
            [line for line in gold.splitlines() if line.strip()]
            if problem.answer_type == "choice"
            else [gold]
        )
        found = None
        for key in keys or [gold]:
            found = _text_key_match(normalise(key), normalised, len(normalised_before), facts)
            if found is not None:
                break
        if found is not None:
            reason = f"The key {gold!r} is stated in the text ({found!r})."
            verdict = _unchecked(gold, "text_match", reason)
            return done(Leak(answer=gold, verdict=verdict, source=found, reason=reason), reason, 0)
        if problem.answer_type in ("text", "choice"):
            return done(None, "The key is not stated in the text.", 0)
        return done(None, "The key can't be read by the checker; only its text was looked for.", 0)
    # Linear, but up to a few hundred milliseconds on a hostile 8000 characters: off the event loop.
    every_candidate = await asyncio.to_thread(find_candidates, normalised, facts=facts)
    candidates = [c for c in every_candidate if c.end > len(normalised_before)]
    if len(candidates) > MAX_CANDIDATES:
        reason = f"{len(candidates)} candidate answers, more than the {MAX_CANDIDATES} the gate checks: treated as a leak."
        return done(Leak(answer="", verdict=_unchecked("", "too_many", reason), reason=reason), reason, 0)

    options = _checker_options(problem)
    asked: set[str] = set()
    checked = 0
    for candidate in candidates:
        for form in _forms(candidate, facts):
            if form in asked:
                continue
            asked.add(form)
            if time.monotonic() >= deadline:
                reason = f"Not every candidate could be checked within {budget:g} s: treated as a leak."
                verdict = _unchecked(form, Status.TIMEOUT, reason)
                return done(
                    Leak(answer=form, verdict=verdict, source=candidate.source, reason=reason),
                    reason,
                    checked,
                )
            verdict = await acheck_answer(
                gold=gold,
                answer=form,
                answer_type=problem.answer_type or None,
                tolerance=problem.tolerance,
                units=problem.units or None,
                options=options,
                owner=owner,
            )
            checked += 1
            if verdict.status == Status.UNITS_MISSING and facts.value_text and time.monotonic() < deadline:
                # A bare value: it gives the answer away when it is the key's value in the key's units.
                # With no time left to compare, units_missing stands, and that counts as a leak.
                verdict = await acheck_answer(
                    gold=facts.value_text,
                    answer=form,
                    answer_type="number",
                    tolerance=problem.tolerance,
                    options=options,
                    owner=owner,
                )
                checked += 1
            if verdict.status in _UNDECIDED_STATUSES:
                reason = (
                    f"{form!r} (from {candidate.source!r}) could not be checked in time: treated as a leak."
                )
                return done(
                    Leak(answer=form, verdict=verdict, source=candidate.source, reason=reason),
                    reason,
                    checked,
                )
            if verdict.equivalent or verdict.status in _LEAK_STATUSES:
                reason = f"{form!r} (from {candidate.source!r}) matches the key: {verdict.reason}"
                return done(
                    Leak(answer=form, verdict=verdict, source=candidate.source, reason=reason),
                    reason,
                    checked,
                )
    return done(None, f"None of {len(asked)} candidate answers matches the key.", checked)


_CHOICE = re.compile(
    r"(?i)\b(?:answer|option|choice|letter|pick|choose|select|go\s+with)\s*(?:is|would\s+be)?\s*[:\-]?\s*"
    r"\(?\**([A-Za-z0-9]{1,3})\**\)?(?!\w)"
)


def _text_key_match(gold: str, text: str, boundary: int, facts: KeyFacts) -> str | None:
    """Where a text or choice key (or one the checker can't read) is stated in `text`, if it is."""
    key = re.sub(r"\s+", " ", _unwrap_math(gold)).strip().strip(".").lower()
    if not key:
        return None
    lowered = text.lower()
    for match in _CHOICE.finditer(lowered):
        if match.end() > boundary and match.group(1) == key:
            return text[match.start() : match.end()]
    for match in _TRIGGER.finditer(lowered):
        rest = _FILLER.sub("", lowered[match.end() : match.end() + len(key) + 40]).strip(" *($`")
        if match.end() >= boundary - len(key) and re.match(rf"{re.escape(key)}(?!\w)", rest):
            return text[match.start() : match.end() + len(key) + 1].strip()
    compact_key = _compact(key)
    if len(compact_key) >= 3 and compact_key not in facts.statement_compact.lower():
        for match in re.finditer(rf"(?<!\w){re.escape(key)}(?!\w)", lowered):
            if match.end() > boundary:
                return text[match.start() : match.end()]
        if compact_key in _compact(lowered[boundary:]):
            return key
    return None


def _forms(candidate: Candidate, facts: KeyFacts) -> list[str]:
    forms = [candidate.text]
    if candidate.value is not None and facts.percent:
        forms.append(f"{candidate.text}%")
    return forms


async def check_text(
    *, text: str, problem: Problem, budget: float = TEXT_BUDGET_SECONDS, owner: str | None = None
) -> GateDecision:
    """Gate a whole hint or feedback text. `owner` ("user:12") is whose turn it is in the checker's
    fair sharing; without one each check queues as its own owner."""
    return await _gate(text=text, problem=problem, boundary=0, budget=budget, owner=owner)


async def check_sentence(
    *,
    sentence: str,
    problem: Problem,
    checked: str = "",
    budget: float = SENTENCE_BUDGET_SECONDS,
    owner: str | None = None,
) -> GateDecision:
    """Gate the next sentence of a streamed text, given the text already let through.

    Only candidates that reach into the new sentence are checked (the earlier ones were already),
    but the end of the earlier text is read with it, so "x is" + "5." is still seen as a value.
    """
    context = checked[-CONTEXT_CHARS:]
    if len(checked) > CONTEXT_CHARS:
        # Start the context at a sentence start so a formula isn't read from its middle.
        cut = re.search(r"[.!?]\s+|\n\n", context)
        context = context[cut.end() :] if cut and cut.end() < len(context) else context
    return await _gate(
        text=context + sentence, problem=problem, boundary=len(context), budget=budget, owner=owner
    )


async def reveals_answer(*, text: str, problem: Problem, owner: str | None = None) -> Leak | None:
    """The leak in a whole text, or None (the call generation makes; see check_text)."""
    return (await check_text(text=text, problem=problem, owner=owner)).leak


def answer_candidates(text: str, *, statement: str = "") -> list[str]:
    """What the gate would ask the checker about, without a key: for tests and debugging."""
    values, compact, how_many = statement_facts(statement)
    facts = KeyFacts(statement_values=values, statement_compact=compact, how_many=how_many)
    return [c.text for c in find_candidates(normalise(text[:MAX_TEXT_CHARS]), facts=facts)]


GENERIC_HINT = (
    "What is the problem asking you to find? Write down what you know, then think about "
    "which rule or formula connects them. Try the first step and check it."
)


def teacher_hints(problem: Problem) -> list[str]:
    """The teacher's hints in their order (blank or malformed entries left out)."""
    return [h.strip() for h in (problem.hints or []) if isinstance(h, str) and h.strip()]


def fallback_hint(*, problem: Problem, attempt_count: int) -> str:
    """A teacher-written hint when every model draft leaked; a generic nudge when there is none."""
    hints = teacher_hints(problem)
    if hints:
        return hints[min(attempt_count, len(hints)) - 1] if attempt_count > 0 else hints[0]
    return GENERIC_HINT
