"""Students' "this looks wrong" reports: one open report per reply, a note, a throttle."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from tutor.classroom.models import User
from tutor.errors import NotFound
from tutor.limits.services import Limit, throttle_hit
from tutor.tutoring.models import Flag, Message, TutoringSession

NOTE_MAX_CHARS = 1000
DEFAULT_DETAIL = "The student marked this reply as looking wrong."


def report_limit() -> Limit:
    return Limit(
        scope="report",
        limit=settings.TUTOR_REPORTS_PER_HOUR,
        period=3600,
        message="Thanks, you've sent a lot of reports this hour and your teacher will see them. "
        "You can send more later.",
    )


def message_report(*, student: User, message_id: int, note: str = "") -> tuple[Flag, bool]:
    """Report one of the tutor's replies to the student's teacher.

    A second report of the same reply, while the first is still open, updates that one (a new
    note replaces the old) instead of adding a row: returns (flag, created). Every call counts
    towards the student's hourly limit, so a script can't fill the teacher's queue.
    """
    # Counted outside the transaction below: a refusal there must not roll the count back.
    throttle_hit(report_limit(), key=f"user:{student.pk}")
    note = note.strip()[:NOTE_MAX_CHARS]
    with transaction.atomic():
        # The lock makes two simultaneous reports of one reply queue up, so the second sees the
        # first's flag (PostgreSQL; SQLite serialises writers anyway).
        message = (
            Message.objects.select_for_update(of=("self",))
            .select_related("session")
            .filter(pk=message_id, session__student=student, role=Message.Role.TUTOR)
            .first()
        )
        if message is None:
            raise NotFound("That reply isn't one you can report.")
        flag = Flag.objects.filter(
            kind=Flag.Kind.STUDENT_REPORT, message=message, resolved_at__isnull=True
        ).first()
        if flag is not None:
            if note:
                flag.detail = note
                flag.save(update_fields=["detail"])
            return flag, False
        flag = Flag.objects.create(
            kind=Flag.Kind.STUDENT_REPORT,
            session=message.session,
            message=message,
            problem_id=message.session.problem_id,
            detail=note or DEFAULT_DETAIL,
            model_answer=message.final_answer,
        )
        TutoringSession.objects.filter(pk=message.session_id).update(flagged=True)
    return flag, True
