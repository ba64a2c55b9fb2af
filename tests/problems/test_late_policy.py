"""After the due date, the assignment's late policy applies (issue 16): late answers accepted as on
time, accepted and marked late, or not taken; the student's page says which, and the teacher sets it
on the assignment form."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.clients import client_for
from tests.conftest import Personas
from tutor.classroom.models import Assignment
from tutor.tutoring.models import Attempt

pytestmark = pytest.mark.django_db


def _overdue(personas: Personas, policy: str) -> None:
    Assignment.objects.filter(pk=personas.assignment.pk).update(
        due_at=timezone.now() - timedelta(hours=1), late_policy=policy
    )


def _answer(personas: Personas, text: str = "2"):
    return client_for(personas.student).post(
        reverse("answer_submit", args=[personas.problem.pk]),
        {"answer": text},
        content_type="application/json",
    )


def _page(personas: Personas) -> str:
    html = client_for(personas.student).get(reverse("problem_detail", args=[personas.problem.pk])).content
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.decode()))


@pytest.mark.parametrize(
    ("policy", "marked", "says"),
    [
        (Assignment.LatePolicy.ACCEPT, False, "late answers still count"),
        (Assignment.LatePolicy.MARK, True, "answers now count as late"),
    ],
)
def test_late_answers_are_taken_marked_or_not_by_the_policy(
    personas: Personas, policy: str, marked: bool, says: str
) -> None:
    _overdue(personas, policy)
    assert says in _page(personas)
    response = _answer(personas)
    assert response.status_code == 200
    assert response.json()["correct"] is True
    assert response.json()["late"] is marked
    assert Attempt.objects.get(student=personas.student).late is marked


def test_a_locked_assignment_takes_no_answer_after_the_due_date(personas: Personas) -> None:
    _overdue(personas, Assignment.LatePolicy.LOCK)
    page = _page(personas)
    assert "answers are closed" in page
    assert "answers aren't taken any more" in page
    assert "Check my answer" not in page
    response = _answer(personas)
    assert response.status_code == 403
    assert "isn't taking answers" in response.json()["error"]
    assert not Attempt.objects.filter(student=personas.student).exists()
    # Before the due date the same assignment takes answers.
    Assignment.objects.filter(pk=personas.assignment.pk).update(due_at=timezone.now() + timedelta(hours=1))
    assert _answer(personas).json()["correct"] is True


def test_the_teacher_sets_the_policy_on_the_assignment_form(personas: Personas) -> None:
    client = client_for(personas.teacher)
    form = client.get(reverse("assignment_edit", args=[personas.assignment.pk])).content.decode()
    assert "After the due date" in form and "Stop accepting answers after the due date" in form
    due = (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("assignment_edit", args=[personas.assignment.pk]),
        {
            "classroom": personas.classroom.pk,
            "problem_set": personas.problem_set.pk,
            "due_at": due,
            "late_policy": "lock",
            "tutor_mode": "after_attempts",
            "solutions_after_attempts": 2,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    personas.assignment.refresh_from_db()
    assert personas.assignment.late_policy == Assignment.LatePolicy.LOCK
