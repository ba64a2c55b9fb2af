"""The generation job: owns one tutor reply from the Ollama stream to the verified answer.

It runs as a Celery task in production and as an asyncio task in the web process in the
embedded default; both call `generation_run`. The job is idempotent: it claims its message
with a conditional UPDATE, so a redelivered job finds the message taken and does nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from inference.checker import Verdict, acheck_model_output
from inference.llm import CheckerFeedback, LLMConfig, LLMError, build_messages, stream_chat_with_retry

from . import events, leaks
from .db import db_call as _db
from .holdback import FinalAnswerHoldback
from .models import JOB_STATUSES, CachedSolution, Flag, Message, TutoringSession, Verification

logger = logging.getLogger(__name__)

# Coalescing: one stored and published delta per ~50 ms or 8 tokens, not one per token.
FLUSH_INTERVAL = settings.TUTOR_FLUSH_INTERVAL
FLUSH_TOKENS = settings.TUTOR_FLUSH_TOKENS
# A claimed message whose job has shown no sign of life for this long may be taken over (its
# worker died). The job refreshes claimed_at every HEARTBEAT_SECONDS, tokens or not.
CLAIM_STALE_AFTER = timedelta(seconds=settings.TUTOR_CLAIM_STALE_SECONDS)
HEARTBEAT_SECONDS = min(2.0, settings.TUTOR_CLAIM_STALE_SECONDS / 3)
HISTORY_TURNS = 12


@dataclass
class Attempt:
    content: str = ""
    thinking: str = ""
    done_reason: str = ""
    usage: dict[str, Any] = field(default_factory=dict)


class GenerationStopped(Exception):
    """The student pressed stop."""


def llm_config_for(problem_set_model: str) -> LLMConfig:
    return LLMConfig(
        host=settings.OLLAMA_HOST,
        model=problem_set_model or settings.OLLAMA_MODEL,
        keep_alive=settings.OLLAMA_KEEP_ALIVE,
        connect_timeout=settings.OLLAMA_CONNECT_TIMEOUT,
        read_timeout=settings.OLLAMA_READ_TIMEOUT,
    )


# --- database helpers (sync, wrapped) -------------------------------------------------------


@_db
def _claim(message_id: int, job_channel: str) -> int | None:
    """Take the message for this job; returns the next event number, or None if it isn't ours."""
    now = timezone.now()
    # Our own channel too: a retried claim whose first try committed is still ours.
    claimable = (
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_STALE_AFTER) | Q(job_channel=job_channel)
    )
    claimed = Message.objects.filter(claimable, pk=message_id, status__in=JOB_STATUSES).update(
        claimed_at=now, status=Message.Status.STREAMING, job_channel=job_channel
    )
    return events.next_seq_for(message_id) if claimed else None


@_db
def _load(message_id: int) -> tuple[Message, TutoringSession, list[dict[str, str]], str]:
    message = Message.objects.select_related("session__problem__problem_set", "reply_to").get(pk=message_id)
    session = message.session
    history = []
    earlier = session.messages.filter(
        created_at__lt=message.created_at, status=Message.Status.COMPLETE
    ).exclude(pk=message.reply_to_id)
    for turn in earlier.order_by("-created_at")[:HISTORY_TURNS][::-1]:
        if turn.content:
            history.append(
                {
                    "role": "user" if turn.role == Message.Role.STUDENT else "assistant",
                    "content": turn.content,
                }
            )
    student_text = message.reply_to.content if message.reply_to else ""
    return message, session, history, student_text


def _heartbeat_sync(message_id: int, job_channel: str, next_seq: int | None) -> tuple[str, bool]:
    """Refresh this job's claim. Returns ("held" | "lost" | "finished", stop requested)."""
    fields: dict[str, Any] = {"claimed_at": timezone.now()}
    if next_seq is not None:
        fields["next_seq"] = next_seq
    held = Message.objects.filter(pk=message_id, job_channel=job_channel, status__in=JOB_STATUSES).update(
        **fields
    )
    if held:
        return "held", Message.objects.filter(pk=message_id, stop_requested=True).exists()
    active = Message.objects.filter(pk=message_id, status__in=JOB_STATUSES).exists()
    return ("lost" if active else "finished"), False


# Not thread-sensitive: fifty streams' heartbeats must not queue behind each other on one thread.
_heartbeat = _db(_heartbeat_sync, thread_sensitive=False)


@_db
def _finish(message_id: int, **fields: Any) -> None:
    fields.setdefault("completed_at", timezone.now())
    fields["job_channel"] = ""
    Message.objects.filter(pk=message_id).update(**fields)


@database_sync_to_async  # an INSERT: not repeated after a dropped connection
def _record_verification(message_id: int, gold: str, answer: str, verdict: Verdict, subject: str) -> None:
    Verification.objects.create(
        subject=subject,
        message_id=message_id,
        gold=gold,
        answer=answer[:5000],
        equivalent=verdict.equivalent,
        status=verdict.status,
        interpreted_as=verdict.interpreted_as,
        comparator=verdict.comparator,
        reason=verdict.reason,
        numeric_only=verdict.numeric_only,
        ms=verdict.ms,
    )


@database_sync_to_async  # an INSERT: not repeated after a dropped connection
def _flag(
    session_id: Any, message_id: int, problem_id: int, kind: str, detail: str, model_answer: str = ""
) -> None:
    Flag.objects.create(
        kind=kind,
        session_id=session_id,
        message_id=message_id,
        problem_id=problem_id,
        detail=detail,
        model_answer=model_answer[:1000],
    )
    TutoringSession.objects.filter(pk=session_id).update(flagged=True)


# --- the job --------------------------------------------------------------------------------


class _Streamer:
    """Streams one model reply into the event log, coalescing deltas."""

    def __init__(
        self, log: events.EventLog, *, hold_final_answer: bool, stream_content: bool, shown: str = ""
    ) -> None:
        self.log = log
        self.holdback = FinalAnswerHoldback(already_shown=shown) if hold_final_answer else None
        self.stream_content = stream_content
        self.pending: list[tuple[str, str]] = []
        self.pending_tokens = 0
        self.last_flush = time.monotonic()

    async def add(self, kind: str, text: str) -> None:
        # Hints and feedback: neither the draft nor the model's reasoning is streamed. The
        # reasoning works the answer out, so it would give away what the leak gate holds back;
        # it is stored on the message for teachers and admins only.
        if not self.stream_content:
            return
        if kind == "content":
            if self.holdback is not None:
                text = self.holdback.feed(text)
            if not text:
                return
        self.pending.append((kind, text))
        self.pending_tokens += 1
        if self.pending_tokens >= FLUSH_TOKENS or time.monotonic() - self.last_flush >= FLUSH_INTERVAL:
            await self.flush()

    async def flush(self) -> None:
        self.last_flush = time.monotonic()
        self.pending_tokens = 0
        if not self.pending:
            return
        merged: list[tuple[str, str, dict[str, Any]]] = []
        for kind, text in self.pending:
            if merged and merged[-1][0] == ("delta" if kind == "content" else "thinking"):
                merged[-1] = (merged[-1][0], merged[-1][1] + text, {})
            else:
                merged.append(("delta" if kind == "content" else "thinking", text, {}))
        self.pending = []
        await self.log.emit(merged)


async def _stream_once(
    streamer: _Streamer,
    config: LLMConfig,
    llm_messages: list[dict[str, str]],
    stop: asyncio.Event,
    shown: str = "",
) -> Attempt:
    attempt = Attempt(content=shown)
    # aclosing: on stop or error the generator is closed at once, which closes the HTTP
    # stream to Ollama instead of leaving it to the garbage collector.
    async with contextlib.aclosing(stream_chat_with_retry(config, llm_messages)) as stream:
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
                    [
                        (
                            "status",
                            "",
                            {
                                "code": "busy_retrying",
                                "message": "The tutor is busy. Trying again in a moment...",
                            },
                        )
                    ],
                )
            elif event.kind == "done":
                attempt.done_reason = event.done_reason or ""
                attempt.usage = dict(event.usage or {})
    await streamer.flush()
    return attempt


async def _listen_for_stop(channel: str, stop: asyncio.Event, task: asyncio.Task[Any]) -> None:
    layer = get_channel_layer()
    while True:
        message = await layer.receive(channel)
        if message.get("type") == "generation.stop":
            stop.set()
            # Cancelling the stream closes the HTTP connection to Ollama, freeing the GPU.
            task.cancel()
            return


async def _keep_claim(
    message_id: int,
    job_channel: str,
    stop: asyncio.Event,
    task: asyncio.Task[Any],
    log_holder: list[events.EventLog],
    lost: list[bool],
) -> None:
    """The job's heartbeat: keeps the claim fresh, notices a stop request that the channel layer
    lost, and stops this job if another one has taken the message over."""
    # Jobs started together must not beat together: fifty heartbeats at once stall the streams.
    await asyncio.sleep(random.uniform(0, HEARTBEAT_SECONDS))  # noqa: S311 - spreading, not security
    while not task.done():
        await asyncio.sleep(HEARTBEAT_SECONDS)
        next_seq = log_holder[0].next_seq if log_holder else None
        try:
            state, stop_requested = await _heartbeat(message_id, job_channel, next_seq)
        except Exception:  # a missed beat only brings a takeover closer; the stream goes on
            logger.warning("heartbeat for message %s failed", message_id, exc_info=True)
            continue
        if state == "lost" and not task.done():
            logger.warning("message %s was taken over by another job; this one stops", message_id)
            lost.append(True)
            task.cancel()
            return
        if state == "finished":
            return
        if stop_requested and not task.done():
            stop.set()
            task.cancel()
            return


async def generation_run(*, message_id: int) -> None:
    layer = get_channel_layer()
    # The default prefix matters on the Redis layer: it reads one "real" channel per process
    # and sorts messages into local buffers; a channel under another prefix is never read.
    job_channel = await layer.new_channel()
    next_seq = await _claim(message_id, job_channel)
    if next_seq is None:
        logger.info("message %s already claimed or finished; nothing to do", message_id)
        return
    stop = asyncio.Event()
    log_holder: list[events.EventLog] = []
    lost: list[bool] = []
    work = asyncio.ensure_future(_generate(message_id, stop, next_seq, log_holder))
    listener = asyncio.ensure_future(_listen_for_stop(job_channel, stop, work))
    keeper = asyncio.ensure_future(_keep_claim(message_id, job_channel, stop, work, log_holder, lost))
    try:
        await asyncio.wait({work}, return_when=asyncio.ALL_COMPLETED)
    finally:
        listener.cancel()
        keeper.cancel()
    if work.cancelled():
        if log_holder and not lost:
            await _finish_stopped(log_holder[0])
        return
    work.result()


async def _finish_stopped(log: events.EventLog) -> None:
    await log.emit([("done", "", {"status": "stopped", "message": "Stopped.", "usage": {}})])
    content = await _db(_content_from_events)(log.message_id)
    await _finish(log.message_id, status=Message.Status.STOPPED, content=content, next_seq=log.next_seq)


def _content_from_events(message_id: int) -> str:
    return events.replay_state(message_id=message_id)[0]


async def _generate(
    message_id: int, stop: asyncio.Event, next_seq: int, log_holder: list[events.EventLog]
) -> None:
    message, session, history, student_text = await _load(message_id)
    problem = session.problem
    config = llm_config_for(problem.problem_set.model_name)
    mode = message.mode
    gold = problem.answer.strip()
    log = events.EventLog(session_id=session.pk, message_id=message_id, next_seq=next_seq)
    log_holder.append(log)
    hint_like = mode in (Message.Mode.HINT, Message.Mode.FEEDBACK)
    # A job taking over from one that died: what the student has already seen stays, and the
    # model is asked to continue it (Ollama continues a final assistant message).
    shown = ""
    if next_seq > 0 and not hint_like:
        shown = (await _db(events.replay_state)(message_id=message_id))[0]
    await log.emit([("start", "", {"mode": mode, "model": config.model, "reply_to": message.reply_to_id})])
    if next_seq > 0:
        await log.emit(
            [
                (
                    "status",
                    "",
                    {"code": "resumed", "message": "The tutor was interrupted and is carrying on..."},
                )
            ]
        )
    if mode == Message.Mode.SOLUTION and not shown and await _serve_cached(log, problem, config.model):
        return
    checker_feedback: CheckerFeedback | None = None
    max_tries = 1 + settings.TUTOR_MAX_REGENERATIONS
    usage_total: dict[str, Any] = {}
    last: Attempt | None = None
    final_verdict: Verdict | None = None
    for try_number in range(1, max_tries + 1):
        if try_number > 1:
            await log.emit(
                [
                    (
                        "reset",
                        "",
                        {"reason": "The tutor's answer didn't check out, so it is working it out again."},
                    )
                ],
            )
        prefix = shown if try_number == 1 else ""
        streamer = _Streamer(log, hold_final_answer=not hint_like, stream_content=not hint_like, shown=prefix)
        llm_messages = build_messages(
            mode=mode,
            problem_statement=problem.statement,
            history=history,
            student_attempt=student_text or None,
            checker_feedback=checker_feedback,
            config=config,
        )
        try:
            if prefix:
                llm_messages.append({"role": "assistant", "content": prefix})
            last = await _stream_once(streamer, config, llm_messages, stop, shown=prefix)
        except GenerationStopped:
            raise asyncio.CancelledError from None
        except LLMError as exc:
            await _fail(log, code=exc.code, text=exc.user_message, partial=streamer)
            return
        _add_usage(usage_total, last.usage)
        await _db(Message.objects.filter(pk=message_id).update)(generation_attempts=try_number)

        if last.done_reason == "length":
            held = streamer.holdback.release_all() if streamer.holdback else last.content
            tail = [("delta", held, {})] if held else []
            await log.emit(
                [
                    *tail,
                    (
                        "done",
                        "",
                        {
                            "status": "cut_off",
                            "message": "The answer got too long and was cut off. Try asking for a hint instead.",
                            "usage": usage_total,
                        },
                    ),
                ],
            )
            await _finish(
                message_id,
                next_seq=log.next_seq,
                status=Message.Status.CUT_OFF,
                content=last.content,
                thinking=last.thinking,
                usage=usage_total,
            )
            return

        if hint_like:
            leaked = await leaks.reveals_answer(text=last.content, problem=problem)
            if leaked is not None:
                await _record_verification(
                    message_id, gold, leaked.answer, leaked.verdict, Verification.Subject.HINT_LEAK
                )
                # No checker feedback for hints: describing the leak could itself lead to the
                # answer. A fresh draft (sampling differs) is asked for instead.
                if try_number < max_tries:
                    continue
                await _flag(
                    session.pk,
                    message_id,
                    problem.pk,
                    Flag.Kind.HINT_LEAK,
                    "Every draft of this hint revealed the answer.",
                    leaked.answer,
                )
                text = leaks.fallback_hint(problem=problem, attempt_count=try_number)
            else:
                text = last.content
            await log.emit([("delta", text, {}), ("done", "", {"status": "complete", "usage": usage_total})])
            await _finish(
                message_id,
                next_seq=log.next_seq,
                status=Message.Status.COMPLETE,
                content=text,
                thinking=last.thinking,
                usage=usage_total,
                verification=Message.Verification.WITHHELD,
            )
            return

        await log.emit(
            [("status", "", {"code": "verifying", "message": "Checking the answer..."})],
        )
        verdict = await acheck_model_output(
            gold=gold or None,
            text=last.content,
            problem=problem.statement,
            answer_type=problem.answer_type if gold else None,
            tolerance=problem.tolerance,
            units=problem.units or None,
            options=problem.checker_options or None,
        )
        final_verdict = verdict
        extracted = verdict.interpreted_as
        await _record_verification(
            message_id, gold, last.content[-2000:], verdict, Verification.Subject.MODEL
        )
        if verdict.equivalent:
            break
        if not gold and verdict.status not in ("incorrect", "no_answer", "hedged"):
            # No key and nothing to substitute into: shown as unverified, not retried.
            break
        checker_feedback = CheckerFeedback(
            previous_answer=extracted or "(no single final answer)", reason=verdict.reason.rstrip(".")
        )

    assert last is not None and final_verdict is not None
    held = streamer.holdback.release_all() if streamer.holdback else ""
    verified = final_verdict.equivalent
    if verified:
        status = (
            Message.Verification.VERIFIED_BY_SUBSTITUTION
            if final_verdict.status == "verified_by_substitution"
            else Message.Verification.VERIFIED
        )
    else:
        status = Message.Verification.UNVERIFIED
        if gold or final_verdict.status == "incorrect":
            await _flag(
                session.pk,
                message_id,
                problem.pk,
                Flag.Kind.UNVERIFIED_ANSWER,
                f"After {max_tries} tries the tutor's answer still failed the check: {final_verdict.reason}",
                final_verdict.interpreted_as,
            )
    frames: list[tuple[str, str, dict[str, Any]]] = []
    if held:
        frames.append(("delta", held, {}))
    frames.append(
        (
            "verification",
            "",
            {
                "status": status,
                "final_answer": final_verdict.interpreted_as,
                "comparator": final_verdict.comparator,
                "reason": final_verdict.reason if not verified else _verified_reason(status),
            },
        )
    )
    frames.append(("done", "", {"status": "complete", "usage": usage_total}))
    await log.emit(frames)
    await _finish(
        message_id,
        next_seq=log.next_seq,
        status=Message.Status.COMPLETE,
        content=last.content,
        thinking=last.thinking,
        usage=usage_total,
        verification=status,
        final_answer=final_verdict.interpreted_as[:1000],
    )


@_db
def _cached_solution(problem_id: int, model_name: str, answer_key: str) -> CachedSolution | None:
    return CachedSolution.objects.filter(
        problem_id=problem_id, model_name=model_name, answer_key=answer_key
    ).first()


async def _serve_cached(log: events.EventLog, problem: Any, model_name: str) -> bool:
    """A solution the answer-key audit already verified: sent at once, no model call."""
    cached = await _cached_solution(problem.pk, model_name, problem.answer)
    if cached is None:
        return False
    step = 400
    frames: list[tuple[str, str, dict[str, Any]]] = [
        ("delta", cached.content[i : i + step], {}) for i in range(0, len(cached.content), step)
    ]
    frames.append(
        (
            "verification",
            "",
            {
                "status": cached.verification,
                "final_answer": cached.final_answer,
                "comparator": "",
                "reason": _verified_reason(cached.verification),
            },
        )
    )
    frames.append(("done", "", {"status": "complete", "usage": {"cached": True}}))
    await log.emit(frames)
    await _finish(
        log.message_id,
        next_seq=log.next_seq,
        status=Message.Status.COMPLETE,
        content=cached.content,
        thinking=cached.thinking,
        verification=cached.verification,
        final_answer=cached.final_answer,
        usage={"cached": True},
    )
    return True


def _verified_reason(status: str) -> str:
    if status == Message.Verification.VERIFIED_BY_SUBSTITUTION:
        return "Checked by putting the answer back into the problem."
    return "Checked against the answer key by a computer algebra system."


def _add_usage(total: dict[str, Any], usage: dict[str, Any]) -> None:
    for key, value in usage.items():
        if isinstance(value, int | float) and key != "tokens_per_second":
            total[key] = total.get(key, 0) + value
        else:
            total[key] = value


async def _fail(log: events.EventLog, *, code: str, text: str, partial: _Streamer) -> None:
    await partial.flush()
    await log.emit(
        [("error", "", {"code": code, "message": text}), ("done", "", {"status": "error", "usage": {}})]
    )
    content = await _db(_content_from_events)(log.message_id)
    await _finish(
        log.message_id,
        next_seq=log.next_seq,
        status=Message.Status.ERROR,
        error_code=code,
        error_message=text,
        content=content,
    )
