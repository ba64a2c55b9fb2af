"""Teachers assign their own sets to their own classes, with dates and the tutor's behaviour."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories
from tests.clients import client_for
from tests.conftest import Personas
from tutor.classroom import assignments
from tutor.classroom.models import Assignment
from tutor.errors import Forbidden

pytestmark = pytest.mark.django_db


def form(personas: Personas, problem_set, **changes: object) -> dict:
    data = {
        "classroom": personas.classroom.pk,
        "problem_set": problem_set.pk,
        "opens_at": "2026-11-23T08:00",
        "due_at": "2026-11-30T17:00",
        "solutions_release_at": "2026-12-01T08:00",
        "tutor_mode": "after_attempts",
        "solutions_after_attempts": 3,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_teacher_assigns_edits_and_removes(personas: Personas) -> None:
    teacher = client_for(personas.teacher)
    new_set = factories.make_problem_set(owner=personas.teacher, title="Quadratics", problems=2)
    page = teacher.get(reverse("assignment_create") + f"?set={new_set.pk}&classroom={personas.classroom.pk}")
    html = page.content.decode()
    for field in ("classroom", "problem_set", "opens_at", "due_at", "solutions_release_at", "tutor_mode"):
        assert f'<label for="id_{field}">' in html
    assert f'<option value="{new_set.pk}" selected>' in html
    assert personas.other_problem_set.title not in html and personas.other_classroom.name not in html

    response = teacher.post(reverse("assignment_create"), form(personas, new_set))
    assert response.status_code == 302 and response["Location"] == reverse(
        "classroom_detail", args=[personas.classroom.pk]
    )
    assignment = personas.classroom.assignments.get(problem_set=new_set)
    assert (assignment.tutor_mode, assignment.solutions_after_attempts) == ("after_attempts", 3)
    assert (assignment.opens_at.day, assignment.due_at.day, assignment.solutions_release_at.month) == (
        23,
        30,
        12,
    )
    class_page = teacher.get(response["Location"]).content.decode()
    assert "Quadratics" in class_page and reverse("assignment_edit", args=[assignment.pk]) in class_page

    edited = teacher.post(
        reverse("assignment_edit", args=[assignment.pk]),
        form(personas, new_set, tutor_mode="socratic", due_at="2026-12-02T17:00", solutions_release_at=None),
    )
    assert edited.status_code == 302
    assignment.refresh_from_db()
    assert (assignment.tutor_mode, assignment.due_at.day, assignment.solutions_release_at) == (
        "socratic",
        2,
        None,
    )

    removed = teacher.post(reverse("assignment_delete", args=[assignment.pk]))
    assert removed.status_code == 302
    assert not Assignment.objects.filter(pk=assignment.pk).exists()


def test_form_errors_are_explained(personas: Personas) -> None:
    teacher = client_for(personas.teacher)
    new_set = factories.make_problem_set(owner=personas.teacher, title="Quadratics")
    backwards = teacher.post(
        reverse("assignment_create"),
        form(personas, new_set, opens_at="2026-11-30T08:00", due_at="2026-11-23T17:00"),
    )
    assert backwards.status_code == 400
    assert "The due date is before the opening date." in backwards.content.decode()
    no_count = teacher.post(reverse("assignment_create"), form(personas, new_set, solutions_after_attempts=0))
    assert "Say after how many attempts" in no_count.content.decode()
    twice = teacher.post(reverse("assignment_create"), form(personas, personas.problem_set))
    assert twice.status_code == 400 and "already exists" in twice.content.decode()
    assert not personas.classroom.assignments.filter(problem_set=new_set).exists()


def test_other_teachers_and_students_cannot_touch_assignments(personas: Personas) -> None:
    assignment = personas.assignment
    other = client_for(personas.other_teacher)
    assert other.get(reverse("assignment_edit", args=[assignment.pk])).status_code == 404
    assert (
        other.post(
            reverse("assignment_edit", args=[assignment.pk]), form(personas, personas.problem_set)
        ).status_code
        == 404
    )
    assert other.post(reverse("assignment_delete", args=[assignment.pk])).status_code == 404
    # Their own set into someone else's class, or someone else's set into their own class: not a choice.
    sneaky = other.post(
        reverse("assignment_create"),
        {
            "classroom": personas.classroom.pk,
            "problem_set": personas.other_problem_set.pk,
            "tutor_mode": "solutions",
            "solutions_after_attempts": 1,
        },
    )
    assert sneaky.status_code == 400 and "Select a valid choice" in sneaky.content.decode()
    borrow = other.post(
        reverse("assignment_create"),
        {
            "classroom": personas.other_classroom.pk,
            "problem_set": personas.problem_set.pk,
            "tutor_mode": "solutions",
            "solutions_after_attempts": 1,
        },
    )
    assert borrow.status_code == 400 and "Select a valid choice" in borrow.content.decode()
    student = client_for(personas.student)
    assert student.get(reverse("assignment_create")).status_code == 403
    assert student.get(reverse("assignment_edit", args=[assignment.pk])).status_code == 403
    assert student.post(reverse("assignment_delete", args=[assignment.pk])).status_code == 403
    assert Assignment.objects.filter(pk=assignment.pk, tutor_mode=assignment.tutor_mode).exists()


def test_the_services_check_ownership_too(personas: Personas) -> None:
    with pytest.raises(Forbidden):
        assignments.assignment_create(
            teacher=personas.other_teacher,
            classroom=personas.other_classroom,
            problem_set=personas.problem_set,
        )
    with pytest.raises(Forbidden):
        assignments.assignment_update(
            teacher=personas.teacher, assignment=personas.assignment, classroom=personas.other_classroom
        )
    with pytest.raises(Forbidden):
        assignments.assignment_delete(teacher=personas.other_teacher, assignment=personas.assignment)
    assert Assignment.objects.filter(pk=personas.assignment.pk, classroom=personas.classroom).exists()
