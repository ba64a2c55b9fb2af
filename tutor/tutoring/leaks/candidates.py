"""Everything in a text that could be the answer: the candidates the gate asks the checker about,
and the facts about the key and the statement that decide which are worth asking."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from fractions import Fraction

from .formulas import (
    _ENGLISH_SHORT,
    _TRIGGER,
    _as_list,
    _boxed_bodies,
    _math_candidates,
    _stated_values,
    formula_runs,
)
from .numbers import _LABEL, _fraction_text, _number_candidates, _word_number_candidates, replace_number_words
from .sentences import _sentence_spans
from .text import (
    _OPENERS,
    MAX_CANDIDATE_CHARS,
    MAX_TEXT_CHARS,
    Candidate,
    _compact,
    _mask,
    math_segments,
    normalise,
)


@dataclass(frozen=True)
class KeyFacts:
    """What the gate needs to know about the answer key, read once per problem."""

    kind: str = ""  # how the checker reads the key: number, quantity, set, equation, ... ('' unknown)
    value_text: str = ""  # a quantity key's value without its units
    percent: bool = False
    solved: bool = True  # an equation/inequality key with a lone letter on one side: "x = 4"
    statement_values: frozenset[Fraction] = frozenset()
    statement_compact: str = ""
    how_many: bool = False
    list_shaped: bool = True  # the key is several values (set, solutions, tuple, interval)
    ordered: bool = False  # a tuple: order matters
    unread: str = ""  # the checker's status when it could not read the key in time (timeout, error)


def statement_facts(statement: str) -> tuple[frozenset[Fraction], str, bool]:
    text = normalise(statement[:MAX_TEXT_CHARS])
    # Every number in the statement, coefficients and exponents too: "divide by 2" for 2x = 6.
    values = {Fraction(m.group()) for m in re.finditer(r"\d{1,30}(?:\.\d{1,30})?", text)}
    values |= {c.value for c in _number_candidates(text, 0) if c.value is not None}
    values |= {c.value for c in _word_number_candidates(text, how_many=True) if c.value is not None}
    return frozenset(values), _compact(text), bool(re.search(r"(?i)\bhow\s+many\b", text))


def find_candidates(text: str, *, facts: KeyFacts | None = None) -> list[Candidate]:
    """Every candidate answer in `text` (already normalised), exempt ones removed, asserted ones first.

    Deduplicated on what the checker is asked; at most a few hundred before capping, since every
    scan here is linear in the text.
    """
    facts = facts or KeyFacts()
    text = _LABEL.sub(lambda m: re.sub(r"\d", " ", m.group()), text)
    segments = math_segments(text)
    masked = _mask(text, segments)
    found: list[Candidate] = []
    for seg in segments:
        found += _math_candidates(text[seg.body_start : seg.body_end], seg.body_start, kind="math")
    for start, end in formula_runs(masked):
        found += _math_candidates(text[start:end], start, kind="formula")
    found += _number_candidates(masked, 0)
    found += _word_number_candidates(masked, how_many=facts.how_many)
    found += _unit_candidates(masked, facts)

    for start, end in _boxed_bodies(masked):
        found += _math_candidates(text[start:end], start, kind="boxed")
    stated = _stated_values(masked, how_many=facts.how_many)
    for start, end in stated:
        words = _unwrap_math(text[start:end])
        value = replace_number_words(words).strip().rstrip(".")
        if value and re.search(r"[\d=+\-*/^()\[\]{}\\]", value) and len(value) <= MAX_CANDIDATE_CHARS:
            found.append(
                Candidate(
                    text=value, source=text[start:end], start=start, end=end, asserted=True, kind="stated"
                )
            )
            items = _as_list(value)
            if items and facts.list_shaped:
                found += _list_forms(items, text[start:end], start, end, facts)

    # A number near the start of a stated value is stated too ("is 5 metres", "is about 2.5").
    stated_at = bytearray(len(text) + 1)
    for start, end in stated:
        stated_at[start : min(end, start + 60)] = b"\x01" * (min(end, start + 60) - start)
    found = [replace(c, asserted=True) if not c.asserted and stated_at[c.start] else c for c in found]
    found += _sentence_lists(text, found, facts)
    return _dedupe([c for c in found if _keep(c, facts)])


def _unwrap_math(text: str) -> str:
    for opener, closer in _OPENERS:
        text = text.replace(closer, " ").replace(opener, " ")
    return re.sub(r"\s+", " ", text).strip()


def _list_forms(items: list[str], source: str, start: int, end: int, facts: KeyFacts) -> list[Candidate]:
    forms = ["{" + ", ".join(items) + "}", " or ".join(items)]
    if facts.ordered or not facts.kind:
        forms.append("(" + ", ".join(items) + ")")
    return [Candidate(text=f, source=source, start=start, end=end, asserted=True, kind="list") for f in forms]


def _sentence_lists(text: str, found: list[Candidate], facts: KeyFacts) -> list[Candidate]:
    """'x = 2 and x = 3', '$x=2$ or $x=-2$': the values stated in one sentence, as one set/tuple."""
    if not facts.list_shaped:
        return []
    lists = []
    solved = re.compile(r"\s*[A-Za-z]\s*=\s*[^=<>]{1,40}")
    ordered = sorted(found, key=lambda c: c.start)
    first = 0
    for s_start, s_end in _sentence_spans(text):
        while first < len(ordered) and ordered[first].start < s_start:
            first += 1
        last = first
        while last < len(ordered) and ordered[last].start < s_end:
            last += 1
        in_sentence = ordered[first:last]
        assignments = []
        for c in in_sentence:
            if c.kind == "clause" and solved.fullmatch(c.text) and c.text not in assignments:
                assignments.append(c.text)
        if 2 <= len(assignments) <= 6:
            joined = ", ".join(assignments)
            lists.append(
                Candidate(text=joined, source=joined, start=s_start, end=s_end, asserted=True, kind="list")
            )
        values = []
        for c in in_sentence:
            if (
                c.asserted
                and c.value is not None
                and c.kind == "number"
                and _fraction_text(c.value) not in values
            ):
                values.append(_fraction_text(c.value))
        if 2 <= len(values) <= 6:
            lists += _list_forms(values, text[s_start:s_end].strip(), s_start, s_end, facts)
    return lists


def _keep(candidate: Candidate, facts: KeyFacts) -> bool:
    if not candidate.text or len(candidate.text) > MAX_CANDIDATE_CHARS:
        return False
    if candidate.kind == "count-words" or (candidate.kind == "weak-words" and not candidate.asserted):
        return False
    # "2x = 8" on the way to "x = 4": a step, not the answer, when the answer is a value of x.
    if candidate.unsolved_relation and facts.solved:
        return False
    if candidate.asserted:
        return True
    if candidate.value is not None:
        return candidate.value not in facts.statement_values
    compact = _compact(candidate.text)
    return not (compact and facts.statement_compact and compact in facts.statement_compact)


def _dedupe(found: list[Candidate]) -> list[Candidate]:
    by_text: dict[str, Candidate] = {}
    for candidate in found:
        key = candidate.text.strip()
        if key in by_text:
            if candidate.asserted and not by_text[key].asserted:
                by_text[key] = replace(by_text[key], asserted=True)
            continue
        by_text[key] = candidate
    ordered = list(by_text.values())
    return sorted(ordered, key=lambda c: (not c.asserted, c.start))


_UNIT_TOKEN = re.compile(
    r"\s*((?:[A-Za-zµΩ°][A-Za-zµΩ°/^*\-\d]{0,11})(?:\s+per\s+[A-Za-z]{1,12}|\s*/\s*[A-Za-z]{1,8}(?:\^-?\d)?)?)"
)


def _unit_candidates(masked: str, facts: KeyFacts) -> list[Candidate]:
    """For a key with units: each number with the word after it ('20.8 m/s', '75 km per hour')."""
    if facts.kind != "quantity":
        return []
    found = []
    for number in _number_candidates(masked, 0):
        unit = _UNIT_TOKEN.match(masked, number.end)
        if not unit or unit.group(1).lower() in _ENGLISH_SHORT or _TRIGGER.fullmatch(unit.group(1)):
            continue
        unit_text = re.sub(r"\s+per\s+", "/", unit.group(1)).rstrip(".")
        found.append(
            Candidate(
                text=f"{number.text} {unit_text}",
                source=masked[number.start : unit.end()],
                start=number.start,
                end=unit.end(),
                value=None,
                kind="unit",
            )
        )
    return found
