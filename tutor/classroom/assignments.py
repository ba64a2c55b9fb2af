"""Assignments: a teacher gives one of their problem sets to one of their classes, with dates and
what the tutor may do. Services here; who may see what is in selectors.py (including the
solution policy, read live on every request)."""

from __future__ import annotations

from datetime import datetime

from tutor.errors import Forbidden
from tutor.problems.models import ProblemSet

from .models import Assignment, Classroom, User


def _check_assignment(*, teacher: User, classroom: Classroom, problem_set: ProblemSet) -> None:
    if not teacher.is_teacher or classroom.teacher_id != teacher.pk or problem_set.owner_id != teacher.pk:
        raise Forbidden("Teachers assign their own problem sets to their own classes.")


def assignment_create(
    *,
    teacher: User,
    classroom: Classroom,
    problem_set: ProblemSet,
    opens_at: datetime | None = None,
    due_at: datetime | None = None,
    late_policy: str = Assignment.LatePolicy.MARK,
    solutions_release_at: datetime | None = None,
    tutor_mode: str = Assignment.TutorMode.AFTER_ATTEMPTS,
    solutions_after_attempts: int = 2,
    same_numbers: bool = False,
) -> Assignment:
    _check_assignment(teacher=teacher, classroom=classroom, problem_set=problem_set)
    return Assignment.objects.create(
        classroom=classroom,
        problem_set=problem_set,
        opens_at=opens_at,
        due_at=due_at,
        late_policy=late_policy,
        solutions_release_at=solutions_release_at,
        tutor_mode=tutor_mode,
        solutions_after_attempts=solutions_after_attempts,
        same_numbers=same_numbers,
    )


ASSIGNMENT_FIELDS = (
    "classroom",
    "problem_set",
    "opens_at",
    "due_at",
    "late_policy",
    "solutions_release_at",
    "tutor_mode",
    "solutions_after_attempts",
    "same_numbers",
)


def assignment_update(*, teacher: User, assignment: Assignment, **changes: object) -> Assignment:
    unknown = set(changes) - set(ASSIGNMENT_FIELDS)
    if unknown:
        raise TypeError(f"assignment_update() got unknown fields {sorted(unknown)}")
    _check_assignment(teacher=teacher, classroom=assignment.classroom, problem_set=assignment.problem_set)
    for name, value in changes.items():
        setattr(assignment, name, value)
    _check_assignment(teacher=teacher, classroom=assignment.classroom, problem_set=assignment.problem_set)
    assignment.save()
    return assignment


def assignment_delete(*, teacher: User, assignment: Assignment) -> None:
    _check_assignment(teacher=teacher, classroom=assignment.classroom, problem_set=assignment.problem_set)
    assignment.delete()
