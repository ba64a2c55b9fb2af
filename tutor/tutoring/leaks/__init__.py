"""The leak gate: does a hint or feedback text give the answer key away?

Every maths segment (the four LaTeX delimiter styles and backticks), every number (digits in any
script, number words, vulgar fractions), every formula written in plain text, every value stated
after "=", "is", "equals", "→", "gives", "makes"... and every list/set/matrix/tuple-shaped span is
a candidate. Each candidate goes to the answer checker (a sandboxed child process with its own
time limit), which compares it with the key. A candidate the checker finds equivalent to the key
is a leak. A text that cannot be checked in time, or holds too many candidates, is treated as a
leak: the gate fails closed.

A number that also appears in the problem statement is not a leak just for being mentioned
("subtract 3 from both sides" of 2x + 3 = 11); it is when it is stated as a value ("x is 3").

Everything here in the web process is a linear scan over text capped at MAX_TEXT_CHARS; nothing
is parsed as maths outside the checker. docs/leak-gate.md says what the gate does not catch.

The package: text.py (bounds, normalising, maths segments), numbers.py, formulas.py, sentences.py,
candidates.py (what could be the answer), gate.py (asking the checker, failing closed)."""

from .candidates import KeyFacts, find_candidates, statement_facts
from .gate import (
    GateDecision,
    Leak,
    answer_candidates,
    check_sentence,
    check_text,
    fallback_hint,
    key_facts,
    reveals_answer,
    teacher_hints,
)
from .sentences import SentenceBuffer, split_sentences
from .text import (
    CONTEXT_CHARS,
    MAX_CANDIDATE_CHARS,
    MAX_CANDIDATES,
    MAX_SENTENCE_CHARS,
    MAX_TEXT_CHARS,
    SENTENCE_BUDGET_SECONDS,
    STATED_VALUE_CHARS,
    TEXT_BUDGET_SECONDS,
    Candidate,
    math_segments,
    normalise,
)

__all__ = [
    "CONTEXT_CHARS",
    "MAX_CANDIDATES",
    "MAX_CANDIDATE_CHARS",
    "MAX_SENTENCE_CHARS",
    "MAX_TEXT_CHARS",
    "SENTENCE_BUDGET_SECONDS",
    "STATED_VALUE_CHARS",
    "TEXT_BUDGET_SECONDS",
    "Candidate",
    "GateDecision",
    "KeyFacts",
    "Leak",
    "SentenceBuffer",
    "answer_candidates",
    "check_sentence",
    "check_text",
    "fallback_hint",
    "find_candidates",
    "key_facts",
    "math_segments",
    "normalise",
    "reveals_answer",
    "split_sentences",
    "statement_facts",
    "teacher_hints",
]
