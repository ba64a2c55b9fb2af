"""Reads that decide who may see what. Every view goes through these."""

from __future__ import annotations

from django.db.models import QuerySet

from tutor.problems.models import Problem, ProblemSet

from .models import Assignment, Classroom, User


def classroom_list_for(*, user: User) -> QuerySet[Classroom]:
    if user.is_teacher:
        return Classroom.objects.filter(teacher=user)
    return Classroom.objects.filter(enrollments__student=user)


def assignment_list_for(*, user: User) -> QuerySet[Assignment]:
    if user.is_teacher:
        return Assignment.objects.filter(classroom__teacher=user)
    return Assignment.objects.filter(classroom__enrollments__student=user)


def problem_set_list_for(*, user: User) -> QuerySet[ProblemSet]:
    if user.is_teacher:
        return ProblemSet.objects.filter(owner=user)
    return ProblemSet.objects.filter(assignments__classroom__enrollments__student=user).distinct()


def problem_list_for(*, user: User) -> QuerySet[Problem]:
    return Problem.objects.filter(problem_set__in=problem_set_list_for(user=user))


def assignment_for_student(*, user: User, problem: Problem) -> Assignment | None:
    """The assignment through which a student reaches a problem (the earliest, if several)."""
    return (
        Assignment.objects.filter(problem_set=problem.problem_set_id, classroom__enrollments__student=user)
        .order_by("id")
        .first()
    )
