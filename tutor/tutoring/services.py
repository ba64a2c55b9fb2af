"""Tutoring services: validate, then change, then hand off after commit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from tutor.classroom import selectors
from tutor.classroom.models import User
from tutor.errors import ApplicationError
from tutor.limits.services import Limit, throttle_hit
from tutor.problems.models import Problem

from . import events
from .models import JOB_STATUSES, Message, MessageChunk, TutoringSession

MAX_QUESTION_CHARS = 4000
# A reply still being written: the statuses in which a job holds it (checking happens while streaming).
ACTIVE_STATUSES = JOB_STATUSES
HINT_LIKE_MODES = (Message.Mode.HINT, Message.Mode.FEEDBACK, Message.Mode.QUESTION)


class TutorError(ApplicationError):
    """A request the tutor refuses; `code` and `message` go to the student as an error frame."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)


@dataclass(frozen=True)
class Ask:
    student_message_id: int | None
    tutor_message_id: int
    created: bool
    hint_number: int | None = None


# A session is made only when the student asks the tutor something (a hint, feedback, a question,
# a solution), not when a page is opened: opening a problem page made one per view, mostly empty
# (issue 16). Answers are Attempts of their own and make no session. A new
# session's id is derived from (student, problem), so a socket can join the session's group before
# the row exists and still hear a reply started from another tab.
_SESSION_NAMESPACE = uuid.UUID("0b7d2c4e-5f1a-4c55-9a43-6a0f3f1d2e16")


def session_id_for(*, student_id: int, problem_id: int) -> uuid.UUID:
    return uuid.uuid5(_SESSION_NAMESPACE, f"{student_id}/{problem_id}")


def _student_problem(*, user: User, problem_id: int) -> Problem:
    problem = (
        selectors.problem_list_for(user=user).filter(pk=problem_id).select_related("problem_set").first()
    )
    if problem is None or not user.is_student:
        raise TutorError("not_found", "That problem isn't in any of your assignments.")
    return problem


def session_peek(*, user: User, problem_id: int) -> tuple[uuid.UUID, TutoringSession | None]:
    """The student's session on a problem without creating it: (its id, the row or None).

    The id is the row's when it exists, else the one `session_start` will give it."""
    problem = _student_problem(user=user, problem_id=problem_id)
    session = TutoringSession.objects.filter(student=user, problem=problem).first()
    if session is not None:
        return session.pk, session
    return session_id_for(student_id=user.pk, problem_id=problem.pk), None


def session_start(*, student: User, problem: Problem) -> TutoringSession:
    """The student's session on a problem, created now if this is the first thing they do there."""
    assignment = selectors.assignment_for_student(user=student, problem=problem)
    try:
        session, _ = TutoringSession.objects.get_or_create(
            student=student,
            problem=problem,
            defaults={
                "assignment": assignment,
                "id": session_id_for(student_id=student.pk, problem_id=problem.pk),
            },
        )
    except IntegrityError:
        session = TutoringSession.objects.get(student=student, problem=problem)
    return session


def session_open(*, user: User, problem_id: int) -> TutoringSession:
    """The student's session on a problem, created if need be (call it when the student acts)."""
    problem = _student_problem(user=user, problem_id=problem_id)
    return session_start(student=user, problem=problem)


def session_for(*, user: User, session_id: Any) -> TutoringSession:
    session = (
        TutoringSession.objects.select_related("problem__problem_set", "problem__parent", "assignment")
        .filter(pk=session_id)
        .first()
    )
    if session is None or session.student_id != user.pk:
        raise TutorError("not_found", "That tutoring session isn't yours.")
    return session


def attempts_count(*, student: User, problem: Problem) -> int:
    return problem.attempts.filter(student=student).count()


def solution_allowed(*, session: TutoringSession) -> tuple[bool, str]:
    return solution_allowed_for(student=session.student, problem=session.problem)


def solution_allowed_for(*, student: User, problem: Problem) -> tuple[bool, str]:
    return selectors.solution_policy_for(student=student, problem=problem)


def _check_limits(*, user: User) -> None:
    active = Message.objects.filter(
        session__student=user, role=Message.Role.TUTOR, status__in=ACTIVE_STATUSES
    ).exists()
    if active:
        raise TutorError(
            "busy", "The tutor is still answering your last question. Wait for it or press Stop."
        )
    recent = Message.objects.filter(
        session__student=user, role=Message.Role.TUTOR, created_at__gte=timezone.now() - timedelta(minutes=1)
    ).count()
    if recent >= settings.TUTOR_REQUESTS_PER_MINUTE:
        raise TutorError(
            "rate_limited", "That's a lot of questions in a minute. Take a breath and try again shortly."
        )


def _next_hint_number(session: TutoringSession) -> int:
    """The ladder's next place: one more than the hints this session has had in full."""
    done = session.messages.filter(
        role=Message.Role.TUTOR, mode=Message.Mode.HINT, status=Message.Status.COMPLETE
    )
    return 1 + done.count()


def tutor_ask(
    *,
    user: User,
    session: TutoringSession,
    mode: str,
    request_id: str,
    text: str = "",
    continue_from: int | None = None,
) -> Ask:
    """Create the student's turn and the tutor's (queued) reply. Idempotent on request_id.

    `continue_from`: a worked solution the student stopped; the new reply starts with its text and
    carries it on ("Continue" on the page)."""
    try:
        request_uuid = uuid.UUID(str(request_id))
    except ValueError as exc:
        raise TutorError("bad_frame", "Each question needs a request_id (a UUID).") from exc
    existing = Message.objects.filter(request_id=request_uuid).first()
    if existing is not None:
        if existing.session_id != session.pk:
            raise TutorError("bad_frame", "That request_id belongs to another session.")
        return Ask(
            student_message_id=existing.reply_to_id,
            tutor_message_id=existing.pk,
            created=False,
            hint_number=existing.hint_number,
        )
    if mode not in Message.Mode.values:
        raise TutorError("bad_frame", "Ask for a solution, a hint, feedback or a question.")
    text = (text or "").strip()
    if len(text) > MAX_QUESTION_CHARS:
        raise TutorError("too_long", f"Please keep your message under {MAX_QUESTION_CHARS} characters.")
    if mode == Message.Mode.FEEDBACK and not text:
        raise TutorError("bad_frame", "Type your working or answer so the tutor can give feedback.")
    if mode == Message.Mode.QUESTION and not text:
        raise TutorError("bad_frame", "Type your question for the tutor.")
    stopped = None
    if continue_from is not None:
        stopped = session.messages.filter(
            pk=continue_from,
            role=Message.Role.TUTOR,
            mode=Message.Mode.SOLUTION,
            status__in=(Message.Status.STOPPED, Message.Status.CUT_OFF),
        ).first()
        if stopped is None or mode != Message.Mode.SOLUTION:
            raise TutorError("bad_frame", "Only a worked solution you stopped can be continued.")
    if mode == Message.Mode.SOLUTION:
        allowed, why = solution_allowed(session=session)
        if not allowed:
            raise TutorError("solution_locked", why)
    default_text = {
        Message.Mode.SOLUTION: "Show me a worked solution.",
        Message.Mode.HINT: "Can I have a hint?",
        Message.Mode.FEEDBACK: text,
        Message.Mode.QUESTION: text,
    }[Message.Mode(mode)]
    if stopped is not None:
        default_text = "Please carry on."
    hint_number = _next_hint_number(session) if mode == Message.Mode.HINT else None
    if hint_number is not None and hint_number > 1:
        default_text = "Can I have another hint?"
    with transaction.atomic():
        # One ask per student at a time, in every web process: the student's row is locked while
        # the limits are checked and the reply is created, so two asks can't both see "none
        # running" (check-then-insert let 2 of 12 simultaneous asks through with two processes).
        User.objects.select_for_update().filter(pk=user.pk).first()
        _check_limits(user=user)
        student_message = Message.objects.create(
            session=session, role=Message.Role.STUDENT, mode=mode, content=text or default_text
        )
        tutor_message = Message.objects.create(
            session=session,
            role=Message.Role.TUTOR,
            mode=mode,
            request_id=request_uuid,
            reply_to=student_message,
            continued_from=stopped,
            status=Message.Status.QUEUED,
            model_name=session.problem.problem_set.model_name,
            hint_number=hint_number,
        )
        TutoringSession.objects.filter(pk=session.pk).update(updated_at=timezone.now())
    return Ask(
        student_message_id=student_message.pk,
        tutor_message_id=tutor_message.pk,
        created=True,
        hint_number=hint_number,
    )


def tutor_ask_first(*, user: User, problem_id: int, **question: Any) -> tuple[TutoringSession, Ask]:
    """`tutor_ask` for a student with no session on the problem yet: the session is created with
    the question, in one transaction, so a refused question leaves no empty session."""
    with transaction.atomic():
        session = session_open(user=user, problem_id=problem_id)
        return session, tutor_ask(user=user, session=session, **question)


def tutor_stop(*, user: User, message_id: int) -> str:
    """Mark a reply as stopped; returns the running job's channel to notify ('' if none)."""
    message = Message.objects.filter(pk=message_id, session__student=user, role=Message.Role.TUTOR).first()
    if message is None:
        raise TutorError("not_found", "There is no such answer to stop.")
    Message.objects.filter(pk=message_id).update(stop_requested=True)
    if message.status == Message.Status.QUEUED:
        # Never started: nothing to close, finish it here.
        Message.objects.filter(pk=message_id, status=Message.Status.QUEUED).update(
            status=Message.Status.STOPPED, completed_at=timezone.now()
        )
    return message.job_channel


def reply_stalled(*, user: User, message_id: int) -> bool:
    """Whether a running reply's job has died: no heartbeat for TUTOR_CLAIM_STALE_SECONDS (its
    worker was killed), or never picked up in that time. Another job may then take it over."""
    cutoff = timezone.now() - timedelta(seconds=settings.TUTOR_CLAIM_STALE_SECONDS)
    return (
        Message.objects.filter(
            pk=message_id,
            session__student=user,
            role=Message.Role.TUTOR,
            status__in=JOB_STATUSES,
            stop_requested=False,
        )
        .filter(Q(claimed_at__lt=cutoff) | Q(claimed_at__isnull=True, created_at__lt=cutoff))
        .exists()
    )


def reply_status(*, session: TutoringSession, message_id: int) -> str:
    status = session.messages.filter(pk=message_id).values_list("status", flat=True).first()
    if status is None:
        raise TutorError("not_found", "There is no such answer here.")
    return status


def reply_running(*, message_id: int) -> bool:
    return Message.objects.filter(pk=message_id, status__in=ACTIVE_STATUSES).exists()


SOCKET_CONNECTS = Limit(
    scope="socket-connect",
    limit=settings.TUTOR_SOCKET_CONNECTS_PER_MINUTE,
    period=60,
    message="Too many connections from your account in a minute. Wait a moment, then reload the page.",
)


def socket_connect_check(*, user: User) -> None:
    """Counted in the database, so it holds across web processes; the per-process cap on open
    sockets (consumers) bounds what one process holds."""
    throttle_hit(SOCKET_CONNECTS, key=f"user:{user.pk}")


def user_sockets_close(*, user_id: int) -> None:
    """Close every socket of this user, in every process (called on logout)."""
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(events.user_group(user_id), {"type": "user.logout"})


def transcript(*, session: TutoringSession) -> list[dict[str, Any]]:
    """What a page shows on (re)load: every message, with the text so far for a running reply."""
    out = []
    # The checker's last word on each reply (its reason and, for a worked solution, the steps it
    # checked and the first that failed), as the live `verification` frame said it.
    checked: dict[int, dict[str, Any]] = {}
    for message_id, data in (
        MessageChunk.objects.filter(message__session=session, kind="verification")
        .order_by("seq")
        .values_list("message_id", "data")
    ):
        checked[message_id] = data or {}
    for message in session.messages.order_by("created_at", "id"):
        content, thinking, last_seq = message.content, message.thinking, message.next_seq - 1
        if message.role == Message.Role.TUTOR and message.status in ACTIVE_STATUSES:
            content, thinking, last_seq = events.replay_state(message_id=message.pk)
        if message.mode in HINT_LIKE_MODES:
            # The reasoning behind a hint works the answer out: teachers and admins read it in
            # the review pages, students never.
            thinking = ""
        out.append(
            {
                "message_id": message.pk,
                "role": message.role,
                "mode": message.mode,
                "status": message.status,
                "content": content,
                "thinking": thinking,
                "verification": message.verification,
                "final_answer": message.final_answer,
                "verification_reason": checked.get(message.pk, {}).get("reason", ""),
                "steps": checked.get(message.pk, {}).get("steps"),
                "hint_number": message.hint_number,
                "last_seq": last_seq,
            }
        )
    return out
