"""Answer-key audit: the model solves every problem of a set and the checker compares with the key.

A problem is flagged for the teacher when its key cannot be read, or when the model, asked twice,
gives the same answer both times and that answer disagrees with the key (one stray wrong answer
from the model is not enough to doubt a teacher's key). Solutions that verify are cached, so
students asking for them get them at once.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass
from datetime import timedelta

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from inference.checker import Status, Verdict, acheck_answer, acheck_model_output, apreview_answer
from inference.llm import LLMError, build_messages
from tutor.classroom.models import User
from tutor.errors import Conflict, Forbidden
from tutor.hosts import model_stream
from tutor.limits.services import Limit, throttle_hit
from tutor.problems.models import Problem, ProblemSet

from .generation import llm_config_for
from .models import AuditOutcome, AuditRun, CachedSolution, Flag

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Solved:
    content: str
    thinking: str
    verdict: Verdict


async def problem_solve(*, problem: Problem, model_name: str) -> Solved:
    config = llm_config_for(model_name)
    messages = build_messages(
        mode="solution",
        problem_statement=problem.full_statement,
        history=[],
        student_attempt=None,
        checker_feedback=None,
        config=config,
    )
    content, thinking = "", ""
    # Through the hosts' slots like a student's answer (one slot at a time: problems are solved in turn).
    async with contextlib.aclosing(model_stream(config, messages)) as stream:
        async for event in stream:
            if event.kind == "content":
                content += event.text
            elif event.kind == "thinking":
                thinking += event.text
    verdict = await acheck_model_output(
        gold=problem.answer.strip() or None,
        text=content,
        problem=problem.full_statement,
        answer_type=problem.answer_type if problem.answer.strip() else None,
        tolerance=problem.tolerance,
        units=problem.units or None,
        options=problem.checker_options or None,
    )
    return Solved(content=content, thinking=thinking, verdict=verdict)


def audit_limit() -> Limit:
    return Limit(
        scope="audit",
        limit=settings.TUTOR_AUDITS_PER_HOUR,
        period=3600,
        message="You've started as many answer-key audits as one hour allows. Each audit has the tutor "
        "solve every problem of the set, so please wait a while before starting another.",
    )


def audit_in_progress(*, problem_set: ProblemSet) -> AuditRun | None:
    """The set's unfinished audit, unless it is so old that its worker must have been lost."""
    stale_before = timezone.now() - timedelta(minutes=settings.TUTOR_AUDIT_STALE_MINUTES)
    return (
        AuditRun.objects.filter(
            problem_set=problem_set,
            status__in=(AuditRun.Status.QUEUED, AuditRun.Status.RUNNING),
            created_at__gte=stale_before,
        )
        .order_by("-created_at")
        .first()
    )


def problem_set_audit_start(*, user: User, problem_set: ProblemSet) -> AuditRun:
    """Start an audit: one at a time per set, TUTOR_AUDITS_PER_HOUR per teacher."""
    if problem_set.owner_id != user.pk:
        raise Forbidden("Only the owner of a problem set can audit it.")
    with transaction.atomic():
        # Starts for one set queue up on its row, so two can't both see "none running".
        ProblemSet.objects.select_for_update().filter(pk=problem_set.pk).first()
        running = audit_in_progress(problem_set=problem_set)
        if running is not None:
            raise Conflict(
                f"An audit of this set is already running ({running.processed} of {running.total} problems "
                "checked). Disagreements appear in your review queue; you can start another audit once it "
                "has finished.",
                code="audit_running",
            )
        # Counted only for audits that start. A refusal rolls this transaction back, count included,
        # which is harmless: the count is already over the limit.
        throttle_hit(audit_limit(), key=f"user:{user.pk}")
        audit = AuditRun.objects.create(
            problem_set=problem_set, requested_by=user, total=problem_set.problems.count()
        )
        transaction.on_commit(lambda: _dispatch(audit.pk))
    return audit


def _dispatch(audit_id: int) -> None:
    if settings.TUTOR_GENERATION == "celery":
        from .tasks import audit_problem_set

        audit_problem_set.delay(audit_id)
    else:
        # Embedded default: don't hold the teacher's request open while the model works.
        threading.Thread(target=async_to_sync(audit_run), kwargs={"audit_id": audit_id}, daemon=True).start()


@database_sync_to_async
def _claim(audit_id: int) -> list[Problem] | None:
    claimed = AuditRun.objects.filter(pk=audit_id, status=AuditRun.Status.QUEUED).update(
        status=AuditRun.Status.RUNNING
    )
    if not claimed:
        return None
    audit = AuditRun.objects.select_related("problem_set").get(pk=audit_id)
    return list(audit.problem_set.problems.select_related("problem_set", "parent").order_by("position", "id"))


@database_sync_to_async
def _record(audit_id: int, problem: Problem, result: ProblemAudit) -> None:
    flagged = result.outcome in (AuditOutcome.Outcome.DISAGREES, AuditOutcome.Outcome.UNREADABLE)
    with transaction.atomic():
        AuditOutcome.objects.update_or_create(
            audit_id=audit_id,
            problem=problem,
            defaults={
                "outcome": result.outcome,
                "reason": result.reason,
                "model_answer": result.model_answer[:1000],
            },
        )
        AuditRun.objects.filter(pk=audit_id).update(
            processed=F("processed") + 1,
            agreed=F("agreed") + int(result.outcome == AuditOutcome.Outcome.AGREES),
            flagged=F("flagged") + int(flagged),
        )


@database_sync_to_async
def _flag(problem: Problem, kind: str, detail: str, model_answer: str = "") -> None:
    Flag.objects.create(kind=kind, problem=problem, detail=detail, model_answer=model_answer[:1000])


@database_sync_to_async
def _cache(problem: Problem, model_name: str, solved: Solved) -> None:
    CachedSolution.objects.update_or_create(
        problem=problem,
        model_name=model_name,
        variant_key="",  # the audit solves problems with fixed numbers (variants: problems/variants.py)
        defaults={
            "content": solved.content,
            "thinking": solved.thinking,
            "final_answer": solved.verdict.interpreted_as[:1000],
            "verification": "verified_by_substitution"
            if solved.verdict.status == Status.VERIFIED_BY_SUBSTITUTION
            else "verified",
            "answer_key": problem.answer,
        },
    )


@database_sync_to_async
def _finish(audit_id: int, status: str, error: str = "") -> None:
    AuditRun.objects.filter(pk=audit_id).update(status=status, error=error, finished_at=timezone.now())


# Why the model's answer settles nothing, in words for the teacher.
_INCONCLUSIVE = {
    Status.NO_ANSWER: "The tutor's solution gave no final answer to compare with the key.",
    Status.HEDGED: "The tutor's solution gave more than one possible answer.",
    Status.UNPARSEABLE: "The tutor's final answer could not be read as maths.",
    Status.TIMEOUT: "Comparing the tutor's answer with the key took too long.",
}


@dataclass(frozen=True)
class ProblemAudit:
    outcome: str  # an AuditOutcome.Outcome value
    reason: str = ""
    model_answer: str = ""


async def audit_problem(problem: Problem) -> ProblemAudit:
    """Audit one problem: agrees, disagrees (flagged), unreadable key (flagged) or inconclusive."""
    if problem.template or (problem.parent_id is not None and problem.parent.template):
        from tutor.problems.variants import audit_variants  # randomised: a sample of its variants

        return await audit_variants(problem, audit_problem)
    outcome = AuditOutcome.Outcome
    model_name = problem.problem_set.model_name
    key = problem.answer.strip()
    if key:
        preview = await apreview_answer(
            answer=key, answer_type=problem.answer_type, units=problem.units or None
        )
        if not preview.ok:
            detail = f"The answer key {key!r} could not be read: {preview.message}"
            await _flag(problem, Flag.Kind.KEY_UNPARSEABLE, detail)
            return ProblemAudit(outcome.UNREADABLE, detail)
    first = await problem_solve(problem=problem, model_name=model_name)
    if first.verdict.equivalent:
        await _cache(problem, model_name, first)
        return ProblemAudit(outcome.AGREES, model_answer=first.verdict.interpreted_as)
    if not key:
        return ProblemAudit(
            outcome.INCONCLUSIVE,
            "This problem has no answer key, and the tutor's answer could not be checked by substitution.",
            first.verdict.interpreted_as,
        )
    if first.verdict.status in _INCONCLUSIVE:
        return ProblemAudit(
            outcome.INCONCLUSIVE, _INCONCLUSIVE[Status(first.verdict.status)], first.verdict.interpreted_as
        )
    second = await problem_solve(problem=problem, model_name=model_name)
    if second.verdict.equivalent:
        await _cache(problem, model_name, second)
        return ProblemAudit(
            outcome.AGREES,
            "The tutor's first answer was different; asked again, it agreed with the key.",
            second.verdict.interpreted_as,
        )
    same = await acheck_answer(
        gold=first.verdict.interpreted_as,
        answer=second.verdict.interpreted_as,
        answer_type=problem.answer_type,
        tolerance=problem.tolerance,
    )
    if not same.equivalent:
        return ProblemAudit(
            outcome.INCONCLUSIVE,
            f"Asked twice, the tutor gave two different answers ({first.verdict.interpreted_as}, then "
            f"{second.verdict.interpreted_as}), neither matching the key.",
            first.verdict.interpreted_as,
        )
    detail = (
        f"The key says {key}. The model answered {first.verdict.interpreted_as} twice. "
        f"Checker: {first.verdict.reason}"
    )
    await _flag(problem, Flag.Kind.KEY_DISAGREEMENT, detail, first.verdict.interpreted_as)
    return ProblemAudit(outcome.DISAGREES, detail, first.verdict.interpreted_as)


async def audit_run(*, audit_id: int) -> None:
    problems = await _claim(audit_id)
    if problems is None:
        return
    try:
        for problem in problems:
            result = await audit_problem(problem)
            await _record(audit_id, problem, result)
    except LLMError as exc:
        await _finish(audit_id, AuditRun.Status.FAILED, exc.user_message)
        return
    await _finish(audit_id, AuditRun.Status.DONE)
