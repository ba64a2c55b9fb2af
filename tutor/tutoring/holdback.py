"""Holds back the final answer of a streamed solution until the checker has seen it."""

from __future__ import annotations

import re

# Where a final answer starts. Phi-4 ends solutions with \boxed{...}, sometimes after a
# "Final answer" heading; both are held until verification.
_MARKER = re.compile(r"\\boxed|\\fbox|final\s+answer", re.IGNORECASE)
# Text that might still grow into a marker (or its short lead-in) is not released yet.
_LOOKBEHIND = 24


class FinalAnswerHoldback:
    def __init__(self) -> None:
        self._text = ""
        self._released = 0
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
        limit = (
            self._hold_from
            if self._hold_from is not None
            else max(self._released, len(self._text) - _LOOKBEHIND)
        )
        out = self._text[self._released : limit]
        self._released = limit
        return out

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
