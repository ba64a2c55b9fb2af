"""Sign-up, log-in, classes and join codes, as a new teacher and a new student would use them."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tutor.classroom.models import Classroom, User

pytestmark = pytest.mark.django_db


def sign_up(client: Client, username: str, role: str, join_code: str = "") -> object:
    return client.post(
        reverse("signup"),
        {
            "username": username,
            "first_name": username.title(),
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
            "role": role,
            "join_code": join_code,
        },
    )


def test_teacher_signs_up_creates_a_class_and_a_student_joins_with_the_code() -> None:
    teacher_client = Client()
    response = sign_up(teacher_client, "mrs_lee", "teacher")
    assert response.status_code == 302
    assert User.objects.get(username="mrs_lee").role == User.Role.TEACHER

    response = teacher_client.post(reverse("classroom_create"), {"name": "Algebra 9"})
    classroom = Classroom.objects.get(name="Algebra 9")
    assert response["Location"] == reverse("classroom_detail", args=[classroom.pk])
    assert len(classroom.join_code) == 7

    student_client = Client()
    # Lower case and spaces are forgiven: codes are copied off a whiteboard.
    spaced = " ".join(classroom.join_code.lower())
    response = sign_up(student_client, "sam", "student", join_code=spaced)
    assert response.status_code == 302
    sam = User.objects.get(username="sam")
    assert list(sam.classes_joined.all()) == [classroom]
    page = student_client.get(reverse("classroom_detail", args=[classroom.pk]))
    assert page.status_code == 200


def test_a_wrong_join_code_says_what_to_do() -> None:
    client = Client()
    sign_up(client, "sam", "student")
    response = client.post(reverse("classroom_join"), {"code": "ZZZZZZZ"}, follow=True)
    assert "No class has that code" in response.content.decode()
    response = client.post(reverse("classroom_join"), {"code": "hello!?0"}, follow=True)
    assert "doesn&#x27;t look like a class code" in response.content.decode()


def test_signup_cannot_make_an_admin() -> None:
    response = sign_up(Client(), "mallory", "admin")
    assert response.status_code == 200
    assert not User.objects.filter(username="mallory").exists()


def test_login_page_and_wrong_password_message() -> None:
    User.objects.create_user(username="ada", password="right-password-123")
    client = Client()
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert 'autocomplete="current-password"' in page.content.decode()
    bad = client.post(reverse("login"), {"username": "ada", "password": "wrong"})
    assert "don't match" in bad.content.decode() or "don&#x27;t match" in bad.content.decode()
    good = client.post(reverse("login"), {"username": "ada", "password": "right-password-123"})
    assert good.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    out = client.post(reverse("logout"))
    assert out.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_pages_carry_a_content_security_policy_without_inline_script() -> None:
    response = Client().get(reverse("login"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]


def test_load_demo_is_repeatable_and_gives_working_logins() -> None:
    from django.core.management import call_command

    call_command("load_demo", verbosity=0)
    call_command("load_demo", verbosity=0)
    classroom = Classroom.objects.get(join_code="DEMAT24")
    assert classroom.students.count() == 2
    problems = classroom.assignments.get().problem_set.problems.all()
    assert problems.count() >= 10
    assert {p.topic for p in problems} >= {"Algebra", "Calculus", "Linear algebra", "Physics"}
    assert any(p.units for p in problems)
    client = Client()
    assert client.login(username="ada", password="tutor-demo-2026")
