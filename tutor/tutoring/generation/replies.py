"""The reply policy, one function per kind of reply: what the student sees, in what order, and
what is checked before it is shown.

- solution: streamed as it is written, the final answer held back until the checker verified it
  against the key (or by substitution); a failed check is fed back and the answer regenerated,
  up to TUTOR_MAX_REGENERATIONS times, then shown unverified and flagged for the teacher.
- hint and feedback: streamed a sentence at a time, each sentence through the leak gate first; a
  draft that leaks before anything was shown is regenerated, then replaced by a teacher-written
  or generic hint and flagged.
- cut off (the model hit its length limit): shown as far as it got, marked as cut off.
- cached: a solution the answer-key audit already verified is sent at once, no model call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any, cast

from django.conf import settings

from inference.checker import Verdict, acheck_model_output
from inference.llm import CheckerFeedback, LLMConfig, LLMError, Mode, build_messages, stream_chat_with_retry

from .. import events, leaks
from ..db import db_call
from ..models import CachedSolution, Flag, Message, Verification
from . import claims, records
from .streaming import Attempt, GenerationStopped, Streamer, stream_once

logger = logging.getLogger(__name__)
VERIFIED_REASONS = {
    Message.Verification.VERIFIED_BY_SUBSTITUTION: "Checked by putting the answer back into the problem.",
    Message.Verification.VERIFIED: "Checked against the answer key by a computer algebra system.",
}
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

    @property
    def gold(self) -> str:
        return self.problem.answer.strip()

    @property
    def hint_like(self) -> bool:
        return self.mode in (Message.Mode.HINT, Message.Mode.FEEDBACK, Message.Mode.QUESTION)

    @property
    def max_tries(self) -> int:
        return 1 + settings.TUTOR_MAX_REGENERATIONS


class HintFailed(Exception):
    """The model failed mid-hint; the error is already shown and stored."""


async def reply_run(reply: Reply) -> None:
    if reply.mode == Message.Mode.SOLUTION and not reply.shown and await reply_cached(reply):
        return
    if reply.hint_like:
        try:
            await reply_hint(reply)
        except HintFailed:
            return
    else:
        await reply_solution(reply)


async def _llm_messages(reply: Reply, feedback: CheckerFeedback | None) -> list[dict[str, Any]]:
    messages = build_messages(
        mode=cast(Mode, reply.mode),
        problem_statement=reply.problem.statement,
        history=reply.history,
        student_attempt=reply.student_text or None,
        checker_feedback=feedback,
        config=reply.config,
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


# --- one model call -------------------------------------------------------------------------


async def _model_attempt(
    reply: Reply, streamer: Streamer, *, try_number: int, feedback: CheckerFeedback | None, prefix: str
) -> Attempt | None:
    """Stream one draft. None when the model failed (the error is already shown and stored)."""
    llm_messages = await _llm_messages(reply, feedback)
    if prefix:
        llm_messages.append({"role": "assistant", "content": prefix})
    try:
        attempt = await stream_once(streamer, reply.config, llm_messages, reply.stop, shown=prefix)
    except GenerationStopped:
        raise asyncio.CancelledError from None
    except LLMError as exc:
        await reply_failed(reply.log, exc, partial=streamer)
        return None
    _add_usage(reply.usage, attempt.usage)
    await db_call(Message.objects.filter(pk=reply.message_id).update)(generation_attempts=try_number)
    return attempt


async def _finish_cut_off(reply: Reply, streamer: Streamer, attempt: Attempt, shown_text: str) -> None:
    tail = [events.delta(shown_text)] if shown_text else []
    await reply.log.emit([*tail, events.done("cut_off", usage=reply.usage, message=CUT_OFF_MESSAGE)])
    await claims.finish(
        reply.message_id,
        next_seq=reply.log.next_seq,
        status=Message.Status.CUT_OFF,
        content=attempt.content,
        thinking=attempt.thinking,
        usage=reply.usage,
    )


# --- hints and feedback -----------------------------------------------------------------------


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
        async with contextlib.aclosing(stream_chat_with_retry(reply.config, llm_messages)) as stream:
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


# --- worked solutions -----------------------------------------------------------------------


async def reply_solution(reply: Reply) -> None:
    feedback: CheckerFeedback | None = None
    attempt: Attempt | None = None
    verdict: Verdict | None = None
    streamer: Streamer | None = None
    for try_number in range(1, reply.max_tries + 1):
        if try_number > 1:
            await reply.log.emit([events.reset(RETRY_REASON)])
        prefix = reply.shown if try_number == 1 else ""
        streamer = Streamer(reply.log, hold_final_answer=True, stream_content=True, shown=prefix)
        attempt = await _model_attempt(
            reply, streamer, try_number=try_number, feedback=feedback, prefix=prefix
        )
        if attempt is None:
            return
        if attempt.done_reason == "length":
            await _finish_cut_off(reply, streamer, attempt, streamer.release_held())
            return
        await reply.log.emit([events.status("verifying", "Checking the answer...")])
        verdict = await _verify(reply, attempt)
        if verdict.equivalent:
            break
        if not reply.gold and verdict.status not in ("incorrect", "no_answer", "hedged"):
            # No key and nothing to substitute into: shown as unverified, not retried.
            break
        feedback = CheckerFeedback(
            previous_answer=verdict.interpreted_as or "(no single final answer)",
            reason=verdict.reason.rstrip("."),
        )
    if attempt is None or verdict is None or streamer is None:
        raise RuntimeError("TUTOR_MAX_REGENERATIONS gave no try at all")
    await _show_verdict(reply, streamer, attempt, verdict)


async def _verify(reply: Reply, attempt: Attempt) -> Verdict:
    problem = reply.problem
    verdict = await acheck_model_output(
        gold=reply.gold or None,
        text=attempt.content,
        problem=problem.statement,
        answer_type=problem.answer_type if reply.gold else None,
        tolerance=problem.tolerance,
        units=problem.units or None,
        options=problem.checker_options or None,
    )
    await records.averification_record(
        message_id=reply.message_id,
        gold=reply.gold,
        answer=attempt.content[-2000:],
        verdict=verdict,
        subject=Verification.Subject.MODEL,
    )
    return verdict


async def _show_verdict(reply: Reply, streamer: Streamer, attempt: Attempt, verdict: Verdict) -> None:
    if verdict.equivalent:
        status = (
            Message.Verification.VERIFIED_BY_SUBSTITUTION
            if verdict.status == "verified_by_substitution"
            else Message.Verification.VERIFIED
        )
        reason = VERIFIED_REASONS[status]
    else:
        status = Message.Verification.UNVERIFIED
        reason = verdict.reason
        if reply.gold or verdict.status == "incorrect":
            await records.aflag_raise(
                session_id=reply.session_id,
                message_id=reply.message_id,
                problem_id=reply.problem.pk,
                kind=Flag.Kind.UNVERIFIED_ANSWER,
                detail=f"After {reply.max_tries} tries the tutor's answer still failed the check: {verdict.reason}",
                model_answer=verdict.interpreted_as,
            )
    held = streamer.release_held()
    await reply.log.emit(
        [
            *([events.delta(held)] if held else []),
            events.verification(
                status=status,
                final_answer=verdict.interpreted_as,
                comparator=verdict.comparator,
                reason=reason,
            ),
            events.done("complete", usage=reply.usage),
        ]
    )
    await claims.finish(
        reply.message_id,
        next_seq=reply.log.next_seq,
        status=Message.Status.COMPLETE,
        content=attempt.content,
        thinking=attempt.thinking,
        usage=reply.usage,
        verification=status,
        final_answer=verdict.interpreted_as[:1000],
    )


# --- cached solutions -------------------------------------------------------------------------


@db_call
def _cached_solution(problem_id: int, model_name: str, answer_key: str) -> CachedSolution | None:
    return CachedSolution.objects.filter(
        problem_id=problem_id, model_name=model_name, answer_key=answer_key
    ).first()


async def reply_cached(reply: Reply) -> bool:
    """A solution the answer-key audit already verified: sent at once, no model call."""
    cached = await _cached_solution(reply.problem.pk, reply.config.model, reply.problem.answer)
    if cached is None:
        return False
    step = 400
    await reply.log.emit(
        [
            *(events.delta(cached.content[i : i + step]) for i in range(0, len(cached.content), step)),
            events.verification(
                status=cached.verification,
                final_answer=cached.final_answer,
                comparator="",
                reason=VERIFIED_REASONS.get(
                    cached.verification, VERIFIED_REASONS[Message.Verification.VERIFIED]
                ),
            ),
            events.done("complete", usage={"cached": True}),
        ]
    )
    await claims.finish(
        reply.message_id,
        next_seq=reply.log.next_seq,
        status=Message.Status.COMPLETE,
        content=cached.content,
        thinking=cached.thinking,
        verification=cached.verification,
        final_answer=cached.final_answer,
        usage={"cached": True},
    )
    return True


# --- endings that are not an answer ---------------------------------------------------------


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
