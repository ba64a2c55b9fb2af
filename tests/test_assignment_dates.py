"""Dates are enforced (issue 16): before an assignment opens, its problems are not listed, not
answerable and the tutor won't open them; they appear by themselves once it opens."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import Personas
from tutor.tutoring import services
from tutor.tutoring.services import TutorError

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_set_that_opens_in_two_days_is_hidden_and_closed_to_answers_and_the_tutor(
    personas: Personas,
) -> None:
    personas.assignment.opens_at = timezone.now() + timedelta(days=2)
    personas.assignment.save()
    student = client_for(personas.student)
    assert personas.problem_set.title not in student.get("/").content.decode()
    assert student.get(f"/sets/{personas.problem_set.pk}/").status_code == 404
    assert student.get(f"/problems/{personas.problem.pk}/").status_code == 404
    answer = student.post(
        f"/problems/{personas.problem.pk}/attempts",
        json.dumps({"answer": "2"}),
        content_type="application/json",
    )
    assert answer.status_code == 404
    with pytest.raises(TutorError) as refused:
        services.session_open(user=personas.student, problem_id=personas.problem.pk)
    assert refused.value.code == "not_found"
    # The teacher still sees and manages it.
    teacher = client_for(personas.teacher)
    assert teacher.get(f"/problems/{personas.problem.pk}/").status_code == 200


def test_once_it_opens_the_set_appears(personas: Personas) -> None:
    personas.assignment.opens_at = timezone.now() - timedelta(minutes=1)
    personas.assignment.save()
    student = client_for(personas.student)
    assert personas.problem_set.title in student.get("/").content.decode()
    assert student.get(f"/problems/{personas.problem.pk}/").status_code == 200
