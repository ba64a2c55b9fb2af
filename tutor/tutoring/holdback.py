"""Holds back the final answer of a streamed solution until the checker has seen it."""

from __future__ import annotations

import re

# Where a final answer starts. Phi-4 ends solutions with \boxed{...}, sometimes after a
# "Final answer" heading; both are held until verification.
_MARKER = re.compile(r"\\boxed|\\fbox|final\s+answer", re.IGNORECASE)
# A line that starts with at most this many characters before a marker ("Thus $x = ",
# "**") is held whole, so no half-open math is shown.
_LOOKBEHIND = 24
_MARKER_WORDS = ("\\boxed", "\\fbox", "final answer")
_SPACES = re.compile(r"\s+")
# The longest tail that could still become a marker (with room for runs of spaces).
_LONGEST_TAIL = max(len(word) for word in _MARKER_WORDS) + 8


def _may_become_marker(tail: str) -> bool:
    """Whether more text could turn `tail` into the start of a marker."""
    folded = _SPACES.sub(" ", tail.lower())
    return any(word.startswith(folded) for word in _MARKER_WORDS)


class FinalAnswerHoldback:
    def __init__(self, already_shown: str = "") -> None:
        # already_shown: text a previous job streamed before it died; this one continues it.
        self._text = already_shown
        self._released = len(already_shown)
        self._hold_from: int | None = None

    def feed(self, piece: str) -> str:
        """Add streamed text; return the part that may be shown now."""
        self._text += piece
        if self._hold_from is None:
            match = _MARKER.search(self._text, max(0, self._released - _LOOKBEHIND))
            if match:
                line_start = self._text.rfind("\n", 0, match.start()) + 1
                # A short lead-in on the same line ("Thus $x = ", "**") goes with the answer,
                # so no half-open math is shown.
                start = line_start if match.start() - line_start <= _LOOKBEHIND else match.start()
                self._hold_from = max(start, self._released)
        limit = self._hold_from if self._hold_from is not None else self._safe_limit()
        out = self._text[self._released : limit]
        self._released = limit
        return out

    def _safe_limit(self) -> int:
        """Everything may be shown except a short line start and a tail that may become a marker.

        Holding less than that matters: each held character delays the tokens behind it.
        """
        text = self._text
        line_start = text.rfind("\n") + 1
        if len(text) - line_start <= _LOOKBEHIND:
            return max(self._released, line_start)
        for start in range(max(self._released, len(text) - _LONGEST_TAIL), len(text)):
            if _may_become_marker(text[start:]):
                return start
        return len(text)

    @property
    def hold_from(self) -> int | None:
        """Where the held-back final answer starts in `text` (None until it has started)."""
        return self._hold_from

    @property
    def held(self) -> str:
        return self._text[self._released :]

    @property
    def text(self) -> str:
        return self._text

    def release_all(self) -> str:
        out = self.held
        self._released = len(self._text)
        return out
