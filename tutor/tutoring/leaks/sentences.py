"""Sentences of a hint, for gating a streamed hint one sentence at a time. A sentence never ends
inside maths, a decimal like 2.5, or "e.g."."""

from __future__ import annotations

import re

from .text import MAX_SENTENCE_CHARS, math_segments

_LIST_NUMBER = re.compile(r"\s*\d{1,3}")
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "approx.", "Eq.", "eq.", "Fig.", "cf.")


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence spans of `text`; a boundary is never inside a maths segment or a number like 2.5."""
    spans: list[tuple[int, int]] = []
    start = 0
    protected = [(seg.start, seg.end) for seg in math_segments(text)]
    p = 0
    i = 0
    while i < len(text):
        while p < len(protected) and protected[p][1] <= i:
            p += 1
        if p < len(protected) and protected[p][0] <= i < protected[p][1]:
            i = protected[p][1]
            continue
        ch = text[i]
        boundary = None
        if ch in ".!?" and (i + 1 == len(text) or text[i + 1] in " \n\t\"')*"):
            line = text[text.rfind("\n", 0, i) + 1 : i]
            # "2." opening a line is a list number, not the end of a sentence.
            if not text[max(0, i - 6) : i + 1].endswith(_ABBREVIATIONS) and not _LIST_NUMBER.fullmatch(line):
                boundary = i + 1
        elif ch == "\n" and i + 1 < len(text) and text[i + 1] == "\n":
            boundary = i + 1
        if boundary is not None:
            if spans and not text[start:boundary].strip():
                spans[-1] = (spans[-1][0], boundary)  # a bare line break joins the sentence before it
            else:
                spans.append((start, boundary))
            start = boundary
        i += 1
    if start < len(text) and text[start:].strip():
        spans.append((start, len(text)))
    return spans


def split_sentences(text: str) -> list[str]:
    """The sentences of a text, for a caller that gates a streamed hint one sentence at a time."""
    return [text[s:e] for s, e in _sentence_spans(text)]


class SentenceBuffer:
    """Collects streamed deltas and hands out complete sentences; the last one waits for more text.

    A sentence ends at . ! ? followed by a space or a line break, or at a blank line, and never
    inside a maths segment. `flush()` returns what is left at the end of the stream.
    """

    def __init__(self) -> None:
        self._pending = ""

    def feed(self, delta: str) -> list[str]:
        self._pending += delta
        if len(self._pending) > MAX_SENTENCE_CHARS:
            # No sentence end for this long (a long derivation): gate what there is, so the scan
            # below stays linear over the stream.
            rest, self._pending = self._pending, ""
            return [rest]
        before = self._pending[-len(delta) - 1 : -len(delta)] if delta else ""
        if not re.search(r"[.!?\n]", delta) and not (delta[:1].isspace() and before in (".", "!", "?")):
            return []  # no sentence can have ended: don't rescan
        spans = _sentence_spans(self._pending)
        # The last span may still grow (no boundary after it, or a "." that may be "2.5").
        complete = [
            (s, e)
            for s, e in spans
            if e < len(self._pending)
            and (self._pending[e - 1] in ".!?\n" and self._pending[e : e + 1].isspace())
        ]
        if not complete:
            return []
        cut = complete[-1][1]
        sentences = [self._pending[s:e] for s, e in complete]
        self._pending = self._pending[cut:]
        return sentences

    def flush(self) -> str:
        rest, self._pending = self._pending, ""
        return rest
