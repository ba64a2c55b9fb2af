"""Reads that decide who may see what. Every view goes through these."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from tutor.problems.models import Problem, ProblemSet

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
