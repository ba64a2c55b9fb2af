"""Hints, feedback and follow-up questions: streamed a sentence at a time, each sentence through
the leak gate first (while the answer is locked for the student)."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from inference.llm import LLMError
from tutor.hosts import host_status, model_stream

from .. import events, leaks, records
from ..db import db_call
from ..models import Flag, Message, Verification
from . import claims, working
from .reply import CUT_OFF_MESSAGE, RETRY_REASON, Reply, _add_usage, _llm_messages, reply_failed, reply_said
from .streaming import Attempt, GenerationStopped


class HintFailed(Exception):
    """The model failed mid-hint; the error is already shown and stored."""


@dataclass
class HintDraft:
    attempt: Attempt = field(default_factory=Attempt)
    sent: str = ""  # what passed the gate and was shown
    leak: leaks.Leak | None = None


async def reply_hint(reply: Reply) -> None:
    """Streamed one sentence at a time; each sentence passes the leak gate before it is sent.
    A leaking sentence ends the draft: with nothing shown yet a fresh draft is asked for (no
    checker feedback: describing the leak could itself lead to the answer); what was shown stays
    (it was checked) and the teacher's hint takes the place of the rest. Either way the teacher
    gets a flag."""
    problem = reply.problem
    if reply.mode == Message.Mode.FEEDBACK and await working.ground_feedback(reply):
        return  # every line follows and the last one is right: said without the model
    if reply.mode == Message.Mode.HINT and await _teacher_hint(reply):
        return  # the teacher's hints come first, in their order, without the model
    draft = HintDraft()
    for try_number in range(1, reply.max_tries + 1):
        if try_number > 1:
            await reply.log.emit([events.reset(RETRY_REASON)])
        draft = await _stream_hint_draft(reply, try_number=try_number)
        if draft.leak is not None:
            await records.averification_record(
                message_id=reply.message_id,
                gold=reply.gold,
                answer=draft.leak.answer,
                verdict=draft.leak.verdict,
                subject=Verification.Subject.HINT_LEAK,
            )
            if not draft.sent and try_number < reply.max_tries:
                continue
        break
    text = draft.sent
    if draft.leak is not None or not text.strip():
        if draft.leak is not None:
            await records.aflag_raise(
                session_id=reply.session_id,
                message_id=reply.message_id,
                problem_id=problem.pk,
                kind=Flag.Kind.HINT_LEAK,
                detail=(
                    "A hint draft revealed the answer part-way; the teacher's hint was shown instead of the rest."
                    if text.strip()
                    else "Every draft of this hint revealed the answer."
                ),
                model_answer=draft.leak.answer,
            )
        # What was shown stays (it passed the gate); the teacher's hint replaces the rest.
        fallback = ("\n\n" if text.strip() else "") + leaks.fallback_hint(
            problem=problem, attempt_count=reply.max_tries
        )
        await reply.log.emit([events.delta(fallback)])
        text += fallback
    elif draft.leak is None and draft.attempt.done_reason == "length":
        await reply.log.emit([events.done("cut_off", usage=reply.usage, message=CUT_OFF_MESSAGE)])
        await claims.finish(
            reply.message_id,
            next_seq=reply.log.next_seq,
            status=Message.Status.CUT_OFF,
            content=text,
            thinking=draft.attempt.thinking,
            usage=reply.usage,
        )
        return
    await reply.log.emit([events.done("complete", usage=reply.usage)])
    await claims.finish(
        reply.message_id,
        next_seq=reply.log.next_seq,
        status=Message.Status.COMPLETE,
        content=text,
        thinking=draft.attempt.thinking,
        usage=reply.usage,
        verification=Message.Verification.WITHHELD,
    )


async def _teacher_hint(reply: Reply) -> bool:
    """The teacher's hint with this place in the ladder, if there is one left."""
    hints = leaks.teacher_hints(reply.problem)
    if not 0 < reply.hint_number <= len(hints):
        return False
    await reply_said(reply, hints[reply.hint_number - 1])
    return True


async def _stream_hint_draft(reply: Reply, *, try_number: int) -> HintDraft:
    draft = HintDraft()
    buffer = leaks.SentenceBuffer()

    async def let_through(sentence: str) -> bool:
        if not reply.gate_leaks:
            await reply.log.emit([events.delta(sentence)])
            draft.sent += sentence
            return True
        decision = await leaks.check_sentence(
            sentence=sentence, problem=reply.problem, checked=draft.sent, owner=reply.owner
        )
        if decision.leak is not None:
            draft.leak = decision.leak
            return False
        await reply.log.emit([events.delta(sentence)])
        draft.sent += sentence
        return True

    llm_messages = await _llm_messages(reply, None)
    try:
        # aclosing: leaving the loop on a leak or Stop closes the HTTP stream to Ollama at once.
        async with contextlib.aclosing(model_stream(reply.config, llm_messages)) as stream:
            async for event in stream:
                if reply.stop.is_set():
                    raise GenerationStopped
                if event.kind == "content":
                    draft.attempt.content += event.text
                    for sentence in buffer.feed(event.text):
                        if not await let_through(sentence):
                            break
                    if draft.leak is not None:
                        break
                elif event.kind == "thinking":
                    draft.attempt.thinking += event.text  # kept for teachers, never streamed
                elif event.kind == "retrying":
                    await reply.log.emit(
                        [events.status("busy_retrying", "The tutor is busy. Trying again in a moment...")]
                    )
                elif event.kind in ("waiting", "switched"):
                    await reply.log.emit([host_status(event)])
                elif event.kind == "done":
                    draft.attempt.done_reason = event.done_reason or ""
                    draft.attempt.usage = dict(event.usage or {})
    except GenerationStopped:
        raise asyncio.CancelledError from None
    except LLMError as exc:
        await reply_failed(reply.log, exc, partial=None)
        raise HintFailed from exc
    if draft.leak is None:
        rest = buffer.flush()
        if rest.strip():
            await let_through(rest)
    _add_usage(reply.usage, draft.attempt.usage)
    await db_call(Message.objects.filter(pk=reply.message_id).update)(generation_attempts=try_number)
    return draft
