"""Who sees what: a student, their classmate, their teacher, and people from another class."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.clients import client_for
from tests.conftest import Personas

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url_name",
    ["home", "classroom_detail", "problem_set_detail", "problem_detail"],
)
def test_anonymous_visitors_are_sent_to_login(personas: Personas, url_name: str) -> None:
    args = {
        "home": [],
        "classroom_detail": [personas.classroom.pk],
        "problem_set_detail": [personas.problem_set.pk],
        "problem_detail": [personas.problem.pk],
    }[url_name]
    url = reverse(url_name, args=args)
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert f"next={url}" in response["Location"]


def test_student_sees_their_assigned_set_and_its_problems(personas: Personas) -> None:
    client = client_for(personas.student)
    response = client.get(reverse("problem_set_detail", args=[personas.problem_set.pk]))
    assert response.status_code == 200
    assert "Linear equations" in response.content.decode()
    assert client.get(reverse("problem_detail", args=[personas.problem.pk])).status_code == 200


def test_student_cannot_see_another_class_set_or_problem(personas: Personas) -> None:
    client = client_for(personas.student)
    assert client.get(reverse("problem_set_detail", args=[personas.other_problem_set.pk])).status_code == 404
    assert client.get(reverse("problem_detail", args=[personas.other_problem.pk])).status_code == 404
    assert client.get(reverse("classroom_detail", args=[personas.other_classroom.pk])).status_code == 404
    home = client.get(reverse("home")).content.decode()
    assert "Linear equations" in home
    assert "Kinematics" not in home


def test_teacher_cannot_see_another_teachers_class(personas: Personas) -> None:
    client = client_for(personas.teacher)
    assert client.get(reverse("classroom_detail", args=[personas.classroom.pk])).status_code == 200
    assert client.get(reverse("classroom_detail", args=[personas.other_classroom.pk])).status_code == 404
    assert client.get(reverse("problem_set_detail", args=[personas.other_problem_set.pk])).status_code == 404
    home = client.get(reverse("home")).content.decode()
    assert "Maths 10B" in home
    assert "Physics 11A" not in home


def test_teacher_sees_join_code_and_roster_but_student_sees_no_roster(personas: Personas) -> None:
    teacher_page = client_for(personas.teacher).get(reverse("classroom_detail", args=[personas.classroom.pk]))
    assert personas.classroom.join_code in teacher_page.content.decode()
    assert "Ben" in teacher_page.content.decode()
    student_page = client_for(personas.student).get(reverse("classroom_detail", args=[personas.classroom.pk]))
    assert student_page.status_code == 200
    assert "Students (" not in student_page.content.decode()


def test_student_cannot_create_a_class(personas: Personas) -> None:
    response = client_for(personas.student).post(reverse("classroom_create"), {"name": "Sneaky"})
    assert response.status_code == 403
