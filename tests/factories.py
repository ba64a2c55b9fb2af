"""Small factories: the people and things the tests talk about."""

from __future__ import annotations

import itertools

from tutor.classroom.models import Assignment, Classroom, Enrollment, User
from tutor.problems.models import Problem, ProblemSet

PASSWORD = "correct-horse-battery"  # noqa: S105
_counter = itertools.count(1)


def make_user(*, role: str = User.Role.STUDENT, username: str | None = None, **extra: object) -> User:
    username = username or f"{role}{next(_counter)}"
    return User.objects.create_user(username=username, password=PASSWORD, role=role, **extra)


def make_teacher(**extra: object) -> User:
    return make_user(role=User.Role.TEACHER, **extra)


def make_student(**extra: object) -> User:
    return make_user(role=User.Role.STUDENT, **extra)


def make_classroom(*, teacher: User, name: str = "Maths 10B", students: tuple[User, ...] = ()) -> Classroom:
    classroom = Classroom.objects.create(teacher=teacher, name=name)
    for student in students:
        Enrollment.objects.create(classroom=classroom, student=student)
    return classroom


def make_problem_set(*, owner: User, title: str = "Linear equations", problems: int = 1) -> ProblemSet:
    problem_set = ProblemSet.objects.create(owner=owner, title=title, key=f"set-{next(_counter)}")
    for index in range(problems):
        make_problem(problem_set=problem_set, key=f"q{index + 1}", position=index + 1)
    return problem_set


def make_problem(*, problem_set: ProblemSet, key: str = "q1", **fields: object) -> Problem:
    defaults: dict[str, object] = {
        "title": "Solve for x",
        "statement": "Solve $2x + 3 = 7$.",
        "answer": "2",
        "answer_type": Problem.AnswerType.NUMBER,
        # No teacher hints: the first hint a test asks for comes from the model (the ladder gives the
        # teacher's hints first). Tests of the ladder or of the fallback pass hints=[...].
        "hints": [],
    }
    defaults.update(fields)
    return Problem.objects.create(problem_set=problem_set, key=key, **defaults)


def make_assignment(*, classroom: Classroom, problem_set: ProblemSet, **fields: object) -> Assignment:
    return Assignment.objects.create(classroom=classroom, problem_set=problem_set, **fields)
