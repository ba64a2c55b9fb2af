"""Students' answers: a live preview of how an answer is read, and graded attempts.

Both are throttled per user (settings TUTOR_PREVIEWS_PER_MINUTE, TUTOR_ATTEMPTS_PER_MINUTE), and
a user whose answers keep running into the checker's time limit is paused for a while
(TUTOR_SLOW_ANSWERS_PER_MINUTE, TUTOR_SLOW_ANSWER_PAUSE_SECONDS). The checks themselves go to the
checker pool under the user's name, which shares its workers fairly between users. The async
services (`a...`) are what the views call: they await the checker without holding a thread.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import transaction
from django.shortcuts import get_object_or_404

from inference.checker import (
    NOT_JUDGED,
    Preview,
    Status,
    Verdict,
    acheck_answer,
    apreview_answer,
    check_answer,
)
from tutor.classroom import selectors
from tutor.classroom.models import User
from tutor.errors import Forbidden, Invalid, Throttled
from tutor.limits.models import ThrottleCounter
from tutor.limits.services import Limit, throttle_count, throttle_hit
from tutor.problems.choices import choice_form, choice_grade
from tutor.problems.models import Problem

from . import records
from .models import Attempt, Verification

logger = logging.getLogger(__name__)

MAX_ANSWER_CHARS = 2000
# Verdicts that don't judge the student's maths (unreadable, too big, still doing the work, a
# checker bug) cost no attempt; nor does a right value without its units, as the page promises.
NOT_COUNTED = NOT_JUDGED | {Status.UNITS_MISSING, Status.WRONG_FORM}
SLOW_SCOPE = "answer-slow"
PAUSE_SCOPE = "answer-pause"


@dataclass(frozen=True)
class AttemptResult:
    counted: bool
    correct: bool
    status: str
    reason: str
    interpreted_as: str
    attempt: Attempt | None


def _owner(user: User) -> str:
    return f"user:{user.pk}"


def _previews_limit() -> Limit:
    return Limit(
        scope="answer-preview",
        limit=settings.TUTOR_PREVIEWS_PER_MINUTE,
        period=60,
        message="You're typing faster than we can show previews. Wait a minute, then keep going.",
    )


def _attempts_limit() -> Limit:
    return Limit(
        scope="answer-attempt",
        limit=settings.TUTOR_ATTEMPTS_PER_MINUTE,
        period=60,
        message="That's a lot of answers in one minute. Take a moment to think, then try again in a minute.",
    )


def _pause_message(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    span = "a minute" if minutes == 1 else f"{minutes} minutes"
    return (
        f"Your last answers were too complicated to check, so checking is paused for {span}. "
        "Write your answer in a simpler form, then try again."
    )


def answer_pause_check(*, user: User, now: float | None = None) -> None:
    """Refuse while the user is paused for sending answers that run into the time limit."""
    now = time.time() if now is None else now
    pause = settings.TUTOR_SLOW_ANSWER_PAUSE_SECONDS
    started = (
        ThrottleCounter.objects.filter(scope=PAUSE_SCOPE, key=_owner(user), window_start__gt=now - pause)
        .order_by("-window_start")
        .values_list("window_start", flat=True)
        .first()
    )
    if started is not None:
        raise Throttled(_pause_message(pause), retry_after=int(started + pause - now) + 1, code="paused")


def answer_timeout_record(*, user: User, now: float | None = None) -> None:
    """Count an answer that ran into the checker's time limit; too many in a minute pause the user."""
    now = time.time() if now is None else now
    count = throttle_count(scope=SLOW_SCOPE, key=_owner(user), period=60, now=now)
    if count >= settings.TUTOR_SLOW_ANSWERS_PER_MINUTE:
        # A row whose window starts now marks the pause (answer_pause_check reads it).
        throttle_count(scope=PAUSE_SCOPE, key=_owner(user), period=1, now=now)
        logger.info(
            "answers of user %s paused: %s ran into the checker's time limit this minute", user.pk, count
        )


def _options(problem: Problem) -> dict:
    options = dict(problem.checker_options or {})
    if problem.sig_figs:
        options["sig_figs"] = problem.sig_figs
    return options


def _too_long_preview() -> dict:
    return {
        "ok": False,
        "latex": "",
        "message": f"That's too long: keep it under {MAX_ANSWER_CHARS} characters.",
    }


def _preview_args(problem: Problem, answer: str) -> dict:
    answer_type = problem.answer_type if problem.answer_type not in ("choice", "text") else None
    return {"answer": answer, "answer_type": answer_type, "units": problem.units or None}


def _preview_dict(preview: Preview) -> dict:
    return {"ok": preview.ok, "latex": preview.latex, "message": preview.message}


def _preview_timed_out(preview: Preview) -> bool:
    return not preview.ok and preview.kind == "timeout"


def answer_preview_start(*, user: User, problem_id: int) -> Problem:
    """Find the problem the user may see (404 otherwise) and count one preview against the limits."""
    problem = get_object_or_404(selectors.problem_list_for(user=user), pk=problem_id)
    answer_pause_check(user=user)
    throttle_hit(_previews_limit(), key=_owner(user))
    return problem


async def aanswer_preview(*, user: User, problem_id: int, answer: str) -> dict:
    problem = await sync_to_async(answer_preview_start)(user=user, problem_id=problem_id)
    if len(answer) > MAX_ANSWER_CHARS:
        return _too_long_preview()
    preview = await apreview_answer(**_preview_args(problem, answer), owner=_owner(user))
    if _preview_timed_out(preview):
        await sync_to_async(answer_timeout_record)(user=user)
    return _preview_dict(preview)


def _refused(answer: str) -> AttemptResult | None:
    if not answer:
        return AttemptResult(False, False, "empty", "Type an answer first.", "", None)
    if len(answer) > MAX_ANSWER_CHARS:
        return AttemptResult(
            False, False, "too_long", f"Keep your answer under {MAX_ANSWER_CHARS} characters.", "", None
        )
    return None


def _check_args(problem: Problem, answer: str) -> dict:
    return {
        "gold": problem.answer,
        "answer": answer,
        "answer_type": problem.answer_type,
        "tolerance": problem.tolerance,
        "units": problem.units or None,
        "options": _options(problem),
    }


def attempt_start(*, student: User, problem: Problem) -> None:
    if problem.parts.exists():
        raise Invalid("This problem has parts: answer each part in its own box.", code="has_parts")
    assignment = selectors.assignment_for_student(user=student, problem=problem)
    if selectors.late_state(assignment=assignment) == "locked":
        raise Forbidden(selectors.LOCKED_MESSAGE, code="locked")
    answer_pause_check(user=student)
    throttle_hit(_attempts_limit(), key=_owner(student))


def attempt_record(*, student: User, problem: Problem, answer: str, verdict: Verdict) -> AttemptResult:
    if verdict.status in NOT_COUNTED:
        if verdict.status == Status.TIMEOUT:
            answer_timeout_record(user=student)
        return AttemptResult(False, False, verdict.status, verdict.reason, verdict.interpreted_as, None)
    assignment = selectors.assignment_for_student(user=student, problem=problem)
    with transaction.atomic():
        attempt = Attempt.objects.create(
            student=student,
            problem=problem,
            assignment=assignment,
            # By the assignment's late policy: late answers accepted as on time are not marked.
            late=selectors.late_state(assignment=assignment) == "late",
            answer=answer,
            correct=verdict.equivalent,
            status=verdict.status,
            interpreted_as=verdict.interpreted_as,
            comparator=verdict.comparator,
            reason=verdict.reason,
        )
        records.verification_record(
            subject=Verification.Subject.STUDENT,
            attempt=attempt,
            gold=problem.answer,
            answer=answer,
            verdict=verdict,
        )
    return AttemptResult(
        True, verdict.equivalent, verdict.status, verdict.reason, verdict.interpreted_as, attempt
    )


def attempt_submit(*, student: User, problem: Problem, answer: str) -> AttemptResult:
    answer = answer.strip()
    refused = _refused(answer)
    if refused is not None:
        return refused
    attempt_start(student=student, problem=problem)
    from tutor.problems.variants import diagnose, resolve

    problem = resolve(problem=problem, user=student)  # a randomised problem: the student's own key
    if choice_form(problem=problem) is not None:
        verdict = choice_grade(problem=problem, answer=answer)
    else:
        verdict = check_answer(**_check_args(problem, answer), owner=_owner(student))
        verdict = diagnose(problem=problem, answer=answer, verdict=verdict, owner=_owner(student))
    return attempt_record(student=student, problem=problem, answer=answer, verdict=verdict)


async def aattempt_submit(*, student: User, problem: Problem, answer: str) -> AttemptResult:
    answer = answer.strip()
    refused = _refused(answer)
    if refused is not None:
        return refused
    await sync_to_async(attempt_start)(student=student, problem=problem)
    from tutor.problems.variants import adiagnose, resolve

    problem = await sync_to_async(resolve)(problem=problem, user=student)  # the student's own key
    if choice_form(problem=problem) is not None:
        # The student picked options on the page: compared with them, not read as maths.
        verdict = choice_grade(problem=problem, answer=answer)
    else:
        verdict = await acheck_answer(**_check_args(problem, answer), owner=_owner(student))
        verdict = await adiagnose(problem=problem, answer=answer, verdict=verdict, owner=_owner(student))
    return await sync_to_async(attempt_record)(
        student=student, problem=problem, answer=answer, verdict=verdict
    )
