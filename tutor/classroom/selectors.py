"""Reads that decide who may see what. Every view goes through these."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from tutor.problems.models import Problem, ProblemSet
from tutor.tutoring.models import Attempt

from .models import Assignment, Classroom, User


def classroom_list_for(*, user: User) -> QuerySet[Classroom]:
    if user.is_teacher:
        return Classroom.objects.filter(teacher=user)
    return Classroom.objects.filter(enrollments__student=user)


def _open_now() -> Q:
    """Assignments a student may see: no opening date, or one that has passed (read at each request)."""
    return Q(opens_at__isnull=True) | Q(opens_at__lte=timezone.now())


def assignment_list_for(*, user: User) -> QuerySet[Assignment]:
    if user.is_teacher:
        return Assignment.objects.filter(classroom__teacher=user)
    return Assignment.objects.filter(_open_now(), classroom__enrollments__student=user)


def problem_set_list_for(*, user: User) -> QuerySet[ProblemSet]:
    if user.is_teacher:
        return ProblemSet.objects.filter(owner=user)
    open_assignments = assignment_list_for(user=user)
    return ProblemSet.objects.filter(assignments__in=open_assignments).distinct()


def problem_list_for(*, user: User) -> QuerySet[Problem]:
    return Problem.objects.filter(problem_set__in=problem_set_list_for(user=user))


def assignment_for_student(*, user: User, problem: Problem) -> Assignment | None:
    """The assignment through which a student reaches a problem (the earliest, if several)."""
    return assignment_list_for(user=user).filter(problem_set=problem.problem_set_id).order_by("id").first()


def solution_policy_for(*, student: User, problem: Problem) -> tuple[bool, str]:
    """Whether the worked solution may be shown, read live from every assignment that gives this
    student this problem: a copy on the session could go stale or NULL and turn "locked" into "open".
    With no assignment it is locked; with several, the strictest wins."""
    assignments = list(
        assignment_list_for(user=student).filter(problem_set=problem.problem_set_id).order_by("id")
    )
    if not assignments:
        return False, "This problem isn't part of an assignment right now, so the worked solution is locked."
    for assignment in assignments:
        allowed, why = _assignment_allows_solution(assignment=assignment, student=student, problem=problem)
        if not allowed:
            return False, why
    return True, ""


def _assignment_allows_solution(
    *, assignment: Assignment, student: User, problem: Problem
) -> tuple[bool, str]:
    now = timezone.now()
    if assignment.solutions_release_at and now >= assignment.solutions_release_at:
        return True, ""
    if assignment.tutor_mode == Assignment.TutorMode.SOLUTIONS:
        return True, ""
    if assignment.tutor_mode == Assignment.TutorMode.SOCRATIC:
        return False, "Your teacher has set this assignment to hints only. Ask for a hint!"
    if problem.attempts.filter(student=student, correct=True).exists():
        return True, ""
    tries = problem.attempts.filter(student=student).count()
    needed = assignment.solutions_after_attempts
    if tries >= needed:
        return True, ""
    left = needed - tries
    return (
        False,
        f"Have a go first: the worked solution unlocks after {left} more attempt{'s' if left != 1 else ''}.",
    )


def assignment_is_late(*, assignment: Assignment | None, now: datetime | None = None) -> bool:
    """An answer sent now counts as late: its assignment has a due date and it has passed."""
    if assignment is None or assignment.due_at is None:
        return False
    return (now or timezone.now()) > assignment.due_at


LOCKED_MESSAGE = (
    "The due date has passed and your teacher isn't taking answers for this assignment any more. "
    "You can still ask the tutor about it."
)


def late_state(*, assignment: Assignment | None, now: datetime | None = None) -> str:
    """What an answer sent now is, by the assignment's late policy: "" (on time, or late answers
    accepted as on time), "late" (accepted and marked late) or "locked" (not accepted)."""
    if assignment is None or not assignment_is_late(assignment=assignment, now=now):
        return ""
    if assignment.late_policy == Assignment.LatePolicy.ACCEPT:
        return ""
    return "locked" if assignment.late_policy == Assignment.LatePolicy.LOCK else "late"


def solved_problem_ids(*, student: User, problem_set_ids: Iterable[int]) -> set[int]:
    """Problems of these sets the student has solved: a correct attempt, late or not. A multi-part
    problem is solved when every one of its parts is."""
    set_ids = list(problem_set_ids)
    solved = set(
        Attempt.objects.filter(student=student, correct=True, problem__problem_set__in=set_ids)
        .values_list("problem_id", flat=True)
        .distinct()
    )
    parts: dict[int, list[int]] = {}
    for stem_id, part_id in Problem.objects.filter(problem_set__in=set_ids, parent__isnull=False).values_list(
        "parent_id", "pk"
    ):
        parts.setdefault(stem_id, []).append(part_id)
    for stem_id, part_ids in parts.items():
        if all(part_id in solved for part_id in part_ids):
            solved.add(stem_id)
        else:
            solved.discard(stem_id)
    return solved


@dataclass(frozen=True)
class Progress:
    solved: int
    total: int

    @property
    def done(self) -> bool:
        return self.total > 0 and self.solved >= self.total


def problem_set_progress_for(*, student: User, problem_set_ids: Iterable[int]) -> dict[int, Progress]:
    """ "3 of 12 solved" per set, counting the problems the set page lists (not a multi-part's parts)."""
    set_ids = list(problem_set_ids)
    solved = solved_problem_ids(student=student, problem_set_ids=set_ids)
    listed = Problem.objects.filter(problem_set__in=set_ids, parent__isnull=True).values_list(
        "problem_set_id", "pk"
    )
    totals: dict[int, list[int]] = {set_id: [0, 0] for set_id in set_ids}
    for set_id, problem_id in listed:
        totals[set_id][1] += 1
        if problem_id in solved:
            totals[set_id][0] += 1
    return {set_id: Progress(solved=s, total=t) for set_id, (s, t) in totals.items()}
