"""Splitting a streamed answer into its thinking trace and the answer proper.

phi4-reasoning writes `<think>...</think>` inline in `message.content`; Ollama's thinking-capable
models send `message.thinking` instead. Both come out as ("thinking", text) pieces so the rest of
the app stores the trace apart and shows it collapsed.
"""

from __future__ import annotations

from typing import Literal

Kind = Literal["content", "thinking"]
Piece = tuple[Kind, str]

OPEN_TAG = "<think>"
CLOSE_TAG = "</think>"


def _partial_tag_suffix(text: str, tag: str) -> int:
    """Length of the longest end of `text` that is a proper start of `tag` ("<thi" for "<think>")."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:size]):
            return size
    return 0


class ThinkParser:
    """Feed content chunks as they arrive; get pieces back as soon as they cannot be part of a tag.

    Only a possible tag prefix at the very end of the buffer is held back (at most 8 characters), so
    streaming stays smooth. `flush()` at the end of the stream releases whatever is left: a trace
    that never closed (an answer cut off by num_predict) comes out as thinking.
    """

    def __init__(self, *, start_in_thinking: bool = False) -> None:
        # Some chat templates open the think block in the prompt, so the output starts inside it.
        self._thinking = start_in_thinking
        self._buffer = ""
        # The answer after `</think>` usually starts with blank lines; they are layout, not content.
        self._strip_leading = False

    @property
    def in_thinking(self) -> bool:
        return self._thinking

    def feed(self, chunk: str) -> list[Piece]:
        self._buffer += chunk
        pieces: list[Piece] = []
        while self._buffer:
            if self._strip_leading:
                self._buffer = self._buffer.lstrip()
                if not self._buffer:
                    break
                self._strip_leading = False
            tag = CLOSE_TAG if self._thinking else OPEN_TAG
            kind: Kind = "thinking" if self._thinking else "content"
            index = self._buffer.find(tag)
            if index >= 0:
                if index:
                    pieces.append((kind, self._buffer[:index]))
                self._buffer = self._buffer[index + len(tag) :]
                self._thinking = not self._thinking
                self._strip_leading = not self._thinking
                continue
            keep = _partial_tag_suffix(self._buffer, tag)
            ready = self._buffer[: len(self._buffer) - keep]
            if ready:
                pieces.append((kind, ready))
            self._buffer = self._buffer[len(self._buffer) - keep :]
            break
        return _merge(pieces)

    def flush(self) -> list[Piece]:
        if not self._buffer:
            return []
        piece: Piece = ("thinking" if self._thinking else "content", self._buffer)
        self._buffer = ""
        return [piece]


def _merge(pieces: list[Piece]) -> list[Piece]:
    merged: list[Piece] = []
    for kind, text in pieces:
        if merged and merged[-1][0] == kind:
            merged[-1] = (kind, merged[-1][1] + text)
        else:
            merged.append((kind, text))
    return merged


def split_think(text: str) -> tuple[str, str]:
    """(thinking, content) of a whole, non-streamed answer."""
    parser = ThinkParser()
    pieces = parser.feed(text) + parser.flush()
    thinking = "".join(t for k, t in pieces if k == "thinking")
    content = "".join(t for k, t in pieces if k == "content")
    return thinking, content
