"""Join codes under attack (issue 11: 887 wrong guesses in 10 s), and the teacher's answers to a
leaked code: a new code, and removing a student."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.clients import client_for
from tests.conftest import Personas
from tutor.classroom.models import Classroom, Enrollment

pytestmark = pytest.mark.django_db

ATTACKER_IP = "203.0.113.9"


def join(client: Client, code: str):
    return client.post(reverse("classroom_join"), {"code": code})


def text(response) -> str:
    return response.content.decode().replace("&#x27;", "'")


def test_887_wrong_guesses_are_cut_off_after_ten(personas: Personas) -> None:
    guesser = factories.make_student(username="guesser")
    client = client_for(guesser, ip=ATTACKER_IP)
    statuses = [
        join(client, f"ZZZZ{n:03d}".replace("0", "A").replace("1", "B")).status_code for n in range(887)
    ]
    assert statuses[:10] == [302] * 10, "the first ten wrong codes get the ordinary answer"
    assert set(statuses[10:]) == {429}

    # Even the right code is refused now: guessing can't be continued by a lucky hit.
    refused = join(client, personas.classroom.join_code)
    assert refused.status_code == 429
    assert "too many wrong class codes" in text(refused)
    assert "Check the code with your teacher" in text(refused)
    assert not Enrollment.objects.filter(student=guesser).exists()

    # A classmate elsewhere joins as usual.
    newcomer = factories.make_student(username="newcomer")
    response = join(client_for(newcomer, ip="192.0.2.30"), personas.classroom.join_code)
    assert response.status_code == 302
    assert Enrollment.objects.filter(student=newcomer, classroom=personas.classroom).exists()


def test_guessing_from_many_accounts_on_one_client_is_cut_off(personas: Personas) -> None:
    accounts = [factories.make_student(username=f"sock{n}") for n in range(8)]
    statuses = []
    for account in accounts:  # 8 accounts × 9 wrong codes: each stays under its own limit
        client = client_for(account, ip=ATTACKER_IP)
        statuses += [join(client, "QQQQQQQ").status_code for _ in range(9)]
    assert statuses[:60] == [302] * 60
    assert set(statuses[60:]) == {429}
    response = join(client_for(accounts[0], ip=ATTACKER_IP), personas.classroom.join_code)
    assert "too many wrong class codes from your network" in text(response)


def test_right_codes_do_not_use_up_the_allowance(personas: Personas) -> None:
    student = factories.make_student(username="joiner")
    client = client_for(student, ip=ATTACKER_IP)
    for _ in range(9):
        join(client, "QQQQQQQ")
    for _ in range(20):  # joining (or re-joining) with the right code is not a guess
        assert join(client, personas.classroom.join_code).status_code == 302
    assert join(client, "QQQQQQQ").status_code == 302  # the tenth wrong code is still answered
    assert join(client, "QQQQQQQ").status_code == 429


def test_a_signup_with_a_code_after_the_limit_still_makes_the_account(personas: Personas) -> None:
    for n in range(60):
        join(client_for(factories.make_student(username=f"bot{n // 9}-{n}"), ip=ATTACKER_IP), "QQQQQQQ")
    response = Client().post(
        reverse("signup"),
        {
            "username": "sam",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
            "role": "student",
            "join_code": personas.classroom.join_code,
        },
        REMOTE_ADDR=ATTACKER_IP,
        follow=True,
    )
    assert response.status_code == 200
    assert "Your account is ready, but: There have been too many wrong class codes" in text(response)


def test_the_teacher_gives_the_class_a_new_code_and_the_old_one_stops_working(personas: Personas) -> None:
    teacher = client_for(personas.teacher, ip="192.0.2.1")
    old = personas.classroom.join_code
    response = teacher.post(reverse("classroom_rotate_code", args=[personas.classroom.pk]), follow=True)
    new = Classroom.objects.get(pk=personas.classroom.pk).join_code
    assert new != old
    assert f"New class code: {new}" in text(response)
    assert personas.classroom.students.count() == 2, "students already in the class stay"

    latecomer = client_for(factories.make_student(username="late"), ip="192.0.2.2")
    assert "No class has that code" in text(
        latecomer.post(reverse("classroom_join"), {"code": old}, follow=True)
    )
    assert join(latecomer, new)["Location"] == reverse("classroom_detail", args=[personas.classroom.pk])


def test_the_teacher_removes_a_student_who_loses_the_class(personas: Personas) -> None:
    teacher = client_for(personas.teacher, ip="192.0.2.1")
    page = teacher.get(reverse("classroom_detail", args=[personas.classroom.pk]))
    assert f"Remove {personas.student.display_name} from the class" in text(page)
    url = reverse("classroom_remove_student", args=[personas.classroom.pk, personas.student.pk])
    response = teacher.post(url, follow=True)
    assert f"{personas.student.display_name} is no longer in {personas.classroom.name}" in text(response)
    assert "give the class a new code" in text(response)

    student = client_for(personas.student, ip="192.0.2.3")
    assert student.get(reverse("classroom_detail", args=[personas.classroom.pk])).status_code == 404
    assert student.get(reverse("problem_detail", args=[personas.problem.pk])).status_code == 404
    assert personas.problem_set.title not in text(student.get(reverse("home")))
    assert list(personas.classroom.students.all()) == [personas.classmate]

    again = teacher.post(url)
    assert again.status_code == 404
    assert "isn't in this class" in text(again)


def test_only_the_class_teacher_can_change_the_code_or_remove_students(personas: Personas) -> None:
    rotate = reverse("classroom_rotate_code", args=[personas.classroom.pk])
    remove = reverse("classroom_remove_student", args=[personas.classroom.pk, personas.classmate.pk])
    other = client_for(personas.other_teacher, ip="192.0.2.4")
    assert other.post(rotate).status_code == 404
    assert other.post(remove).status_code == 404
    student = client_for(personas.student, ip="192.0.2.5")
    assert student.post(rotate).status_code == 403
    assert student.post(remove).status_code == 403
    assert Classroom.objects.get(pk=personas.classroom.pk).join_code == personas.classroom.join_code
    assert personas.classroom.students.count() == 2
