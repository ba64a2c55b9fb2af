"""What the tutor and the answer box leave for teachers: checker verdicts and flags. INSERTs, so not retried after a
dropped connection (db_call's retry is for calls that are safe to repeat)."""

from __future__ import annotations

from typing import Any

from inference.checker import Verdict

from .db import db_call
from .models import Attempt, Flag, TutoringSession, Verification


def verification_record(
    *,
    subject: str,
    gold: str,
    answer: str,
    verdict: Verdict,
    message_id: int | None = None,
    attempt: Attempt | None = None,
) -> Verification:
    """One checker verdict kept for teachers: on a tutor reply (`message_id`) or a student's attempt."""
    return Verification.objects.create(
        subject=subject,
        message_id=message_id,
        attempt=attempt,
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


def flag_raise(
    *, session_id: Any, message_id: int, problem_id: int, kind: str, detail: str, model_answer: str = ""
) -> None:
    """Put the reply in the teacher's review queue and mark the session."""
    Flag.objects.create(
        kind=kind,
        session_id=session_id,
        message_id=message_id,
        problem_id=problem_id,
        detail=detail,
        model_answer=model_answer[:1000],
    )
    TutoringSession.objects.filter(pk=session_id).update(flagged=True)


# Off the shared sync thread: fifty answers verified at once must not queue their rows behind each
# other (the verified answer waits for its row). INSERTs, so never retried.
averification_record = db_call(verification_record, thread_sensitive=False, retry=False)
aflag_raise = db_call(flag_raise, thread_sensitive=False, retry=False)
