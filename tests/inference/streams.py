"""Helpers for the stream tests: one problem, collect a stream, join its text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from inference.llm import LLMConfig, LLMEvent, stream_chat

PROBLEM = "Solve for $x$: $3x + 7 = 22$."
MESSAGES = [{"role": "user", "content": PROBLEM}]


async def collect(config: LLMConfig, messages: Sequence[dict[str, Any]] = MESSAGES) -> list[LLMEvent]:
    return [event async for event in stream_chat(config, messages)]


def text_of(events: Sequence[LLMEvent], kind: str = "content") -> str:
    return "".join(e.text for e in events if e.kind == kind)
