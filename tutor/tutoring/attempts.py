"""Students' answers: a live preview of how an answer is read, and graded attempts."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from inference.checker import check_answer, preview_answer
from tutor.classroom import selectors
from tutor.classroom.models import User
from tutor.problems.models import Problem

from .models import Attempt, Verification

MAX_ANSWER_CHARS = 2000
# Verdicts that say the answer couldn't be read: they cost no attempt.
NOT_COUNTED = ("unparseable", "timeout", "no_answer", "bad_key")


@dataclass(frozen=True)
class AttemptResult:
    counted: bool
    correct: bool
    status: str
    reason: str
    interpreted_as: str
    attempt: Attempt | None


def _options(problem: Problem) -> dict:
    options = dict(problem.checker_options or {})
    if problem.sig_figs:
        options["sig_figs"] = problem.sig_figs
    return options


def answer_preview(*, problem: Problem, answer: str) -> dict:
    if len(answer) > MAX_ANSWER_CHARS:
        return {
            "ok": False,
            "latex": "",
            "message": f"That's too long: keep it under {MAX_ANSWER_CHARS} characters.",
        }
    units = problem.units or None
    answer_type = problem.answer_type if problem.answer_type not in ("choice", "text") else None
    preview = preview_answer(answer=answer, answer_type=answer_type, units=units)
    return {"ok": preview.ok, "latex": preview.latex, "message": preview.message}


def attempt_submit(*, student: User, problem: Problem, answer: str) -> AttemptResult:
    answer = answer.strip()
    if not answer:
        return AttemptResult(False, False, "empty", "Type an answer first.", "", None)
    if len(answer) > MAX_ANSWER_CHARS:
        return AttemptResult(
            False, False, "too_long", f"Keep your answer under {MAX_ANSWER_CHARS} characters.", "", None
        )
    verdict = check_answer(
        gold=problem.answer,
        answer=answer,
        answer_type=problem.answer_type,
        tolerance=problem.tolerance,
        units=problem.units or None,
        options=_options(problem),
    )
    if verdict.status in NOT_COUNTED:
        return AttemptResult(False, False, verdict.status, verdict.reason, verdict.interpreted_as, None)
    with transaction.atomic():
        attempt = Attempt.objects.create(
            student=student,
            problem=problem,
            assignment=selectors.assignment_for_student(user=student, problem=problem),
            answer=answer,
            correct=verdict.equivalent,
            status=verdict.status,
            interpreted_as=verdict.interpreted_as,
            comparator=verdict.comparator,
            reason=verdict.reason,
        )
        Verification.objects.create(
            subject=Verification.Subject.STUDENT,
            attempt=attempt,
            gold=problem.answer,
            answer=answer,
            equivalent=verdict.equivalent,
            status=verdict.status,
            interpreted_as=verdict.interpreted_as,
            comparator=verdict.comparator,
            reason=verdict.reason,
            numeric_only=verdict.numeric_only,
            ms=verdict.ms,
        )
    return AttemptResult(
        True, verdict.equivalent, verdict.status, verdict.reason, verdict.interpreted_as, attempt
    )
