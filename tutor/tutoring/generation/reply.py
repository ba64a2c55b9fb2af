"""One reply being written (`Reply`), and what every kind of reply shares: its prompt (trimmed to
the model's context, said out loud when trimmed), its usage, and the endings that are not an
answer (the model failed, the student pressed Stop)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, cast

from django.conf import settings

from inference.llm import CheckerFeedback, LLMConfig, LLMError, Mode, build_messages
from tutor.problems.choices import choice_statement

from .. import events
from ..db import db_call
from ..models import Message
from . import claims
from .streaming import Streamer

logger = logging.getLogger(__name__)
CUT_OFF_MESSAGE = "The answer got too long and was cut off. Try asking for a hint instead."


RETRY_REASON = "The tutor's answer didn't check out, so it is working it out again."


@dataclass
class Reply:
    """One tutor reply being written: who asked what, where its events go, what it cost."""

    message_id: int
    mode: str
    session_id: Any
    problem: Any
    config: LLMConfig
    log: events.EventLog
    history: list[dict[str, str]]
    student_text: str
    stop: asyncio.Event
    # Whose turn it is in the checker's fair sharing ("user:12").
    owner: str | None = None
    # Earlier turns in the session (the prompt may hold fewer: then the student is told).
    history_total: int = 0
    # Hints and feedback always; a follow-up question until the student may see the answer.
    gate_leaks: bool = True
    told_history_trimmed: bool = False
    # Text a job that died had already shown; this job continues it (solutions only).
    shown: str = ""
    usage: dict[str, Any] = field(default_factory=dict)
    # Feedback: what the CAS found in the student's lines, told to the model (working.py).
    working_check: str = ""
    # A hint's place in the ladder (Message.hint_number); 0 for other replies.
    hint_number: int = 0
    # Audit records being written beside the reply (solutions.py); awaited before it is finished.
    pending_writes: list[asyncio.Future[Any]] = field(default_factory=list)

    @property
    def gold(self) -> str:
        return self.problem.answer.strip()

    @property
    def hint_like(self) -> bool:
        return self.mode in (Message.Mode.HINT, Message.Mode.FEEDBACK, Message.Mode.QUESTION)

    @property
    def max_tries(self) -> int:
        return 1 + settings.TUTOR_MAX_REGENERATIONS


async def _llm_messages(reply: Reply, feedback: CheckerFeedback | None) -> list[dict[str, Any]]:
    messages = build_messages(
        mode=cast(Mode, reply.mode),
        problem_statement=choice_statement(problem=reply.problem),  # with its options, if any
        history=reply.history,
        student_attempt=reply.student_text or None,
        checker_feedback=feedback,
        config=reply.config,
        working_check=reply.working_check or None,
        hint_number=reply.hint_number or None,
    )
    # [system, problem, *history that fitted, request (+ checker feedback)]
    kept = len(messages) - 3 - (1 if feedback is not None else 0)
    if kept < reply.history_total and not reply.told_history_trimmed:
        # Never silent: the student should know the tutor didn't read the whole conversation.
        reply.told_history_trimmed = True
        await reply.log.emit(
            [
                events.status(
                    "history_trimmed",
                    f"This conversation is long, so the tutor only read the last {kept} messages "
                    "along with the problem.",
                )
            ]
        )
    return messages


async def reply_said(reply: Reply, text: str) -> None:
    """The whole reply is `text`, said without the model (a teacher's hint, working the CAS found
    right): sent at once and finished."""
    await reply.log.emit([events.delta(text), events.done("complete", usage=reply.usage)])
    await claims.finish(
        reply.message_id,
        next_seq=reply.log.next_seq,
        status=Message.Status.COMPLETE,
        content=text,
        thinking="",
        usage=reply.usage,
        verification=Message.Verification.WITHHELD,
    )


def _content_from_events(message_id: int) -> str:
    return events.replay_state(message_id=message_id)[0]


async def reply_failed(log: events.EventLog, error: LLMError, *, partial: Streamer | None) -> None:
    """The student reads a sentence that says what to do; the admin's detail (host, command) goes
    to the log and to the message's error_message, which the admin shows."""
    logger.warning("reply %s failed: %s: %s", log.message_id, error.code, error.admin_hint)
    if partial is not None:
        await partial.flush()
    await log.emit([events.error(error.code, error.user_message), events.done("error", usage={})])
    content = await db_call(_content_from_events)(log.message_id)
    await claims.finish(
        log.message_id,
        next_seq=log.next_seq,
        status=Message.Status.ERROR,
        error_code=error.code,
        error_message=error.admin_hint,
        content=content,
    )


async def reply_stopped(log: events.EventLog) -> None:
    await log.emit([events.done("stopped", usage={}, message="Stopped.")])
    content = await db_call(_content_from_events)(log.message_id)
    await claims.finish(log.message_id, status=Message.Status.STOPPED, content=content, next_seq=log.next_seq)


def _add_usage(total: dict[str, Any], usage: dict[str, Any]) -> None:
    for key, value in usage.items():
        if isinstance(value, int | float) and key != "tokens_per_second":
            total[key] = total.get(key, 0) + value
        else:
            total[key] = value
