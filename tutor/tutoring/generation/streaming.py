"""One model stream into the event log: coalesced deltas, the final answer held back."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from inference.llm import LLMConfig
from tutor.hosts import host_status, model_stream

from .. import events
from ..holdback import FinalAnswerHoldback


@dataclass
class Attempt:
    """What one model call produced."""

    content: str = ""
    thinking: str = ""
    done_reason: str = ""
    usage: dict[str, Any] = field(default_factory=dict)


class GenerationStopped(Exception):
    """The student pressed stop."""


class Streamer:
    """Streams one model reply into the event log, coalescing deltas: one stored and published
    frame per TUTOR_FLUSH_INTERVAL (50 ms) or TUTOR_FLUSH_TOKENS (8), not one per token."""

    def __init__(
        self, log: events.EventLog, *, hold_final_answer: bool, stream_content: bool, shown: str = ""
    ) -> None:
        self.log = log
        self.holdback = FinalAnswerHoldback(already_shown=shown) if hold_final_answer else None
        self.stream_content = stream_content
        self.flush_interval = settings.TUTOR_FLUSH_INTERVAL
        self.flush_tokens = settings.TUTOR_FLUSH_TOKENS
        self.pending: list[tuple[str, str]] = []
        self.pending_tokens = 0
        self.last_flush = time.monotonic()
        # Called once with the text before the final answer when the hold starts: the steps can
        # be checked while the model is still writing the final answer (solutions.py).
        self.on_hold: Callable[[str], None] | None = None

    async def add(self, kind: str, text: str) -> None:
        # Hints and feedback: neither the draft nor the model's reasoning is streamed. The
        # reasoning works the answer out, so it would give away what the leak gate holds back;
        # it is stored on the message for teachers and admins only.
        if not self.stream_content:
            return
        if kind == "content":
            if self.holdback is not None:
                text = self.holdback.feed(text)
                hold_from = self.holdback.hold_from
                if hold_from is not None and self.on_hold is not None:
                    on_hold, self.on_hold = self.on_hold, None
                    on_hold(self.holdback.text[:hold_from])
            if not text:
                return
        self.pending.append((kind, text))
        self.pending_tokens += 1
        if (
            self.pending_tokens >= self.flush_tokens
            or time.monotonic() - self.last_flush >= self.flush_interval
        ):
            await self.flush()

    async def flush(self) -> None:
        self.last_flush = time.monotonic()
        self.pending_tokens = 0
        if not self.pending:
            return
        merged: list[events.Event] = []
        for kind, text in self.pending:
            frame_kind = "delta" if kind == "content" else "thinking"
            if merged and merged[-1][0] == frame_kind:
                merged[-1] = (frame_kind, merged[-1][1] + text, {})
            else:
                merged.append((frame_kind, text, {}))
        self.pending = []
        await self.log.emit(merged)

    def release_held(self) -> str:
        """The held-back tail (the final answer), once it may be shown."""
        return self.holdback.release_all() if self.holdback is not None else ""


async def stream_once(
    streamer: Streamer,
    config: LLMConfig,
    llm_messages: list[dict[str, str]],
    stop: Any,
    shown: str = "",
) -> Attempt:
    attempt = Attempt(content=shown)
    # aclosing: on stop or error the generator is closed at once, which closes the HTTP
    # stream to Ollama instead of leaving it to the garbage collector.
    async with contextlib.aclosing(model_stream(config, llm_messages)) as stream:
        async for event in stream:
            if stop.is_set():
                raise GenerationStopped
            if event.kind == "content":
                attempt.content += event.text
                await streamer.add("content", event.text)
            elif event.kind == "thinking":
                attempt.thinking += event.text
                await streamer.add("thinking", event.text)
            elif event.kind == "retrying":
                await streamer.flush()
                await streamer.log.emit(
                    [events.status("busy_retrying", "The tutor is busy. Trying again in a moment...")]
                )
            elif event.kind in ("waiting", "switched"):
                # Every host full (the place in line), or another host carrying on (tutor/hosts.py).
                await streamer.flush()
                await streamer.log.emit([host_status(event)])
            elif event.kind == "done":
                attempt.done_reason = event.done_reason or ""
                attempt.usage = dict(event.usage or {})
    await streamer.flush()
    return attempt
