from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    # Imported lazily below: the checker and inference tests run without Django.
    from tutor.classroom.models import Assignment, Classroom, User
    from tutor.problems.models import Problem, ProblemSet

# Shared fixtures, registered once for the whole tree (pytest honours `pytest_plugins` only here).
# Import helpers from these modules; never import fixtures, or another conftest, by module.
pytest_plugins = [
    "inference.testing.pytest_plugin",  # fake_ollama, ollama_target
    "tests.tutoring.fake",  # fake_llm: the test Ollama server, as the tutor tests drive it
    "tests.browser.fixtures",  # app_server, site_url, browser, page
]

# Property tests explore new random inputs on a developer's machine; in CI they replay the same
# derandomised examples, so a run can't fail on luck. A crash found locally becomes a labelled case.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("ci", derandomize=True)
if os.environ.get("CI") == "true":
    _hypothesis_settings.load_profile("ci")

# CI sets this: tests of the production path must fail, not skip, without PostgreSQL and Redis.
REQUIRE_SERVICES = os.environ.get("TUTOR_REQUIRE_SERVICES") == "1"


def services_missing(what: str) -> None:
    """Skip on a developer machine without the service; fail in CI."""
    message = f"{what} is not configured (set DATABASE_URL / REDIS_URL, as .ci/run does)."
    if REQUIRE_SERVICES:
        pytest.fail(message)
    pytest.skip(message)


@dataclass
class Personas:
    """A class with its teacher and two students, plus an outsider teacher and student."""

    teacher: User
    student: User
    classmate: User
    other_teacher: User
    other_student: User
    classroom: Classroom
    other_classroom: Classroom
    problem_set: ProblemSet
    other_problem_set: ProblemSet
    problem: Problem
    other_problem: Problem
    assignment: Assignment


@pytest.fixture
def personas(db: None) -> Personas:
    from tests import factories

    teacher = factories.make_teacher(username="ms_rivera", first_name="Ms Rivera")
    student = factories.make_student(username="ada", first_name="Ada")
    classmate = factories.make_student(username="ben", first_name="Ben")
    other_teacher = factories.make_teacher(username="mr_okafor", first_name="Mr Okafor")
    other_student = factories.make_student(username="cy", first_name="Cy")
    classroom = factories.make_classroom(teacher=teacher, name="Maths 10B", students=(student, classmate))
    other_classroom = factories.make_classroom(
        teacher=other_teacher, name="Physics 11A", students=(other_student,)
    )
    problem_set = factories.make_problem_set(owner=teacher, title="Linear equations", problems=3)
    other_problem_set = factories.make_problem_set(owner=other_teacher, title="Kinematics", problems=2)
    assignment = factories.make_assignment(classroom=classroom, problem_set=problem_set)
    factories.make_assignment(classroom=other_classroom, problem_set=other_problem_set)
    return Personas(
        teacher=teacher,
        student=student,
        classmate=classmate,
        other_teacher=other_teacher,
        other_student=other_student,
        classroom=classroom,
        other_classroom=other_classroom,
        problem_set=problem_set,
        other_problem_set=other_problem_set,
        problem=problem_set.problems.order_by("position").first(),
        other_problem=other_problem_set.problems.order_by("position").first(),
        assignment=assignment,
    )


@pytest.fixture
def solutions_allowed(personas: Personas) -> Personas:
    """The same people, on an assignment that lets the tutor show worked solutions."""
    personas.assignment.tutor_mode = "solutions"
    personas.assignment.save()
    return personas


@pytest.fixture(autouse=True)
def _close_connections_left_by_async_code():
    """Async tests reach the database from asgiref's worker thread; close that thread's
    connections after each test, or PostgreSQL refuses to drop the test database."""
    yield
    from django.conf import settings

    if not settings.configured:
        return
    from asgiref.sync import SyncToAsync
    from django.db import connections

    SyncToAsync.single_thread_executor.submit(connections.close_all).result()


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    """Each test runs on its own event loop, but `get_channel_layer()` caches one layer per
    process. channels_redis keeps an asyncio.Lock for its receive loop; a test that ended while a
    receive held it left it bound to a dead loop, and the next test failed with "is bound to a
    different event loop". A fresh layer object per test keeps tests independent."""
    from django.conf import settings

    if settings.configured:
        from channels.layers import channel_layers

        channel_layers.backends = {}
    yield


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Close the PostgreSQL connection pool before the test database is dropped."""
    yield
    from django.db import connections

    with django_db_blocker.unblock():
        for connection in connections.all():
            close_pool = getattr(connection, "close_pool", None)
            if close_pool is not None:
                close_pool()
