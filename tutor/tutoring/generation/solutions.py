"""Worked solutions: streamed as written, the final answer held back until the checker verified
it; a failed check is fed back and the answer regenerated, then shown unverified and flagged.
A solution the answer-key audit already verified is served from the cache."""

from __future__ import annotations

import asyncio
import hashlib
import re
from typing import Any

from inference.checker import StepReport, Verdict, acheck_model_output
from inference.llm import CheckerFeedback, LLMError

from .. import events, records
from ..db import db_call
from ..models import CachedSolution, Flag, Message, Verification
from . import claims, working
from .reply import CUT_OFF_MESSAGE, RETRY_REASON, Reply, _add_usage, _llm_messages, reply_failed
from .streaming import Attempt, GenerationStopped, Streamer, stream_once

VERIFIED_REASONS = {
    Message.Verification.VERIFIED_BY_SUBSTITUTION: "Checked by putting the answer back into the problem.",
    Message.Verification.VERIFIED: "Checked against the answer key by a computer algebra system.",
}


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


async def reply_solution(reply: Reply) -> None:
    feedback: CheckerFeedback | None = None
    attempt: Attempt | None = None
    verdict: Verdict | None = None
    streamer: Streamer | None = None
    steps: StepReport | None = None
    for try_number in range(1, reply.max_tries + 1):
        steps = None
        if try_number > 1:
            await reply.log.emit([events.reset(RETRY_REASON)])
        prefix = reply.shown if try_number == 1 else ""
        streamer = Streamer(reply.log, hold_final_answer=True, stream_content=True, shown=prefix)
        early = EarlySteps(reply)
        streamer.on_hold = early.start
        try:
            attempt = await _model_attempt(
                reply, streamer, try_number=try_number, feedback=feedback, prefix=prefix
            )
            if attempt is None:
                return
            if attempt.done_reason == "length":
                await _finish_cut_off(reply, streamer, attempt, streamer.release_held())
                return
            # The final answer and the steps are checked side by side (the steps were mostly checked
            # already, while the model wrote the final answer: EarlySteps), and "Checking" is sent
            # meanwhile: the student waits for the checks only.
            checked, report, _ = await asyncio.gather(
                _verify(reply, attempt),
                early.report(attempt),
                reply.log.emit([events.status("verifying", "Checking the answer...")]),
            )
        finally:
            early.cancel()
        verdict, steps = checked, report
        if checked.equivalent:
            # A right answer reached through a wrong step is treated like a wrong answer.
            if report.ok:
                break
            feedback = CheckerFeedback(
                previous_answer=checked.interpreted_as, reason=report.reason, failed_step=report.reason
            )
            continue
        if not reply.gold and checked.status not in ("incorrect", "no_answer", "hedged"):
            # No key and nothing to substitute into: shown as unverified, not retried.
            break
        feedback = CheckerFeedback(
            previous_answer=checked.interpreted_as or "(no single final answer)",
            reason=checked.reason.rstrip("."),
        )
    if attempt is None or verdict is None or streamer is None:
        raise RuntimeError("TUTOR_MAX_REGENERATIONS gave no try at all")
    await _show_verdict(reply, streamer, attempt, verdict, steps)


# A relation or an implication in the held-back tail makes it a step of its own; without one
# ("**Final answer:** $\\boxed{2}$") the tail adds no step to what was checked before it.
_STEP_IN_TAIL = re.compile(
    r"[=<>≤≥≠≈→⇒]|\\(?:le|ge|leq|geq|ne|neq|approx|equiv|to|implies|iff|Rightarrow|Leftrightarrow|sim)(?![A-Za-z])"
)


class EarlySteps:
    """The steps of a worked solution, checked from the moment the final answer starts: the text
    before it is complete then, and the check runs while the model writes the final answer. At the
    end that report is used when the final answer adds no step of its own; otherwise (or when no
    final answer was seen) the whole text is checked."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        self.body = ""
        self.task: asyncio.Task[StepReport] | None = None

    def start(self, body: str) -> None:
        if self.task is None and body.strip():
            self.body = body
            self.task = asyncio.ensure_future(working.steps_of(self.reply, body))

    async def report(self, attempt: Attempt) -> StepReport:
        task, self.task = self.task, None
        if task is not None:
            tail = attempt.content[len(self.body) :]
            if attempt.content.startswith(self.body) and not _STEP_IN_TAIL.search(tail):
                return await task
            task.cancel()
        return await working.solution_steps(self.reply, attempt)

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.task = None


async def _verify(reply: Reply, attempt: Attempt) -> Verdict:
    problem = reply.problem
    verdict = await acheck_model_output(
        gold=reply.gold or None,
        text=attempt.content,
        problem=problem.full_statement,
        answer_type=problem.answer_type if reply.gold else None,
        tolerance=problem.tolerance,
        units=problem.units or None,
        options=problem.checker_options or None,
    )
    # The record is written beside what follows, not before it; the reply waits for it to be
    # stored before it is finished (_show_verdict).
    reply.pending_writes.append(
        asyncio.ensure_future(
            records.averification_record(
                message_id=reply.message_id,
                gold=reply.gold,
                answer=attempt.content[-2000:],
                verdict=verdict,
                subject=Verification.Subject.MODEL,
            )
        )
    )
    return verdict


async def _show_verdict(
    reply: Reply, streamer: Streamer, attempt: Attempt, verdict: Verdict, steps: StepReport | None = None
) -> None:
    if verdict.equivalent and steps is not None and not steps.ok:
        status, reason = Message.Verification.UNVERIFIED, working.STEP_FAILED_REASON
        await working.flag_broken_step(reply, steps, verdict.interpreted_as)
    elif verdict.equivalent:
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
                **({"steps": steps.frame()} if steps is not None else {}),
            ),
        ]
    )
    # The student has the verified answer; the checker's records of every try are stored before
    # the reply is done.
    await asyncio.gather(*reply.pending_writes)
    variant = variant_key(reply.problem)
    if variant and status in VERIFIED_REASONS:
        # A randomised problem's verified solution, for the next student with the same numbers (the
        # audit's cache is for problems with fixed numbers).
        await _cache_for_variant(reply, attempt, verdict, status, variant)
    await reply.log.emit([events.done("complete", usage=reply.usage)])
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


def variant_key(problem: Any) -> str:
    """Which variant of a randomised problem this is (its stem's numbers included); "" for a problem
    with fixed numbers. Two variants may share a key with other numbers, so the statement counts."""
    parent = problem.parent if problem.parent_id is not None else None
    if getattr(problem, "variant", None) is None and getattr(parent, "variant", None) is None:
        return ""
    return hashlib.sha256(f"{problem.full_statement}\0{problem.answer}".encode()).hexdigest()


@db_call
def _cached_solution(
    problem_id: int, model_name: str, answer_key: str, variant: str
) -> CachedSolution | None:
    return CachedSolution.objects.filter(
        problem_id=problem_id, model_name=model_name, answer_key=answer_key, variant_key=variant
    ).first()


@db_call
def _cache_for_variant(reply: Reply, attempt: Attempt, verdict: Verdict, status: str, variant: str) -> None:
    CachedSolution.objects.update_or_create(
        problem_id=reply.problem.pk,
        model_name=reply.config.model,
        variant_key=variant,
        defaults={
            "content": attempt.content,
            "thinking": attempt.thinking,
            "final_answer": verdict.interpreted_as[:1000],
            "verification": status,
            "answer_key": reply.problem.answer,
        },
    )


async def reply_cached(reply: Reply) -> bool:
    """A solution the answer-key audit already verified: sent at once, no model call."""
    cached = await _cached_solution(
        reply.problem.pk, reply.config.model, reply.problem.answer, variant_key(reply.problem)
    )
    if cached is None:
        return False
    # The audit verified its final answer; its steps are checked like a fresh solution's, and a
    # cached solution with a broken step is not served (the model writes a new one).
    steps = await working.steps_of(reply, cached.content)
    if not steps.ok:
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
                steps=steps.frame(),
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
