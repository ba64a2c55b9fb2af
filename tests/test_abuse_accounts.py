"""Abuse of accounts, written as the attacks of issue 11: password guessing on the login page and
the admin's, sign-up floods, and who gets to be a teacher."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories
from tutor.classroom.models import User

pytestmark = pytest.mark.django_db

GOOD = factories.PASSWORD


def try_login(client: Client, username: str, password: str, *, url: str = "", ip: str = "203.0.113.7"):
    return client.post(url or reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def text(response) -> str:
    return response.content.decode().replace("&#x27;", "'")


def test_sixty_wrong_passwords_then_the_right_one_is_locked_out() -> None:
    factories.make_student(username="ada")
    client = Client()
    statuses = [try_login(client, "ada", f"guess-{n}").status_code for n in range(60)]
    # The first nine are ordinary mistakes; the tenth locks the account.
    assert statuses[:9] == [200] * 9
    assert set(statuses[9:]) == {429}

    right = try_login(client, "ada", GOOD)
    assert right.status_code == 429
    assert right["Retry-After"] == "900"
    assert "Too many wrong passwords" in text(right)
    assert "Wait 15 minutes" in text(right)
    assert "_auth_user_id" not in client.session, "the right password must not log in during a lockout"


def test_the_lock_is_per_account_whatever_the_address() -> None:
    factories.make_student(username="ada")
    for n in range(10):
        try_login(Client(), "ada", f"guess-{n}", ip=f"198.51.100.{n}")
    # A new address, the right password: still locked.
    response = try_login(Client(), "ada", GOOD, ip="192.0.2.99")
    assert response.status_code == 429


def test_the_lock_is_per_client_across_accounts_but_leaves_other_clients_alone() -> None:
    factories.make_student(username="ben")
    attacker = Client()
    # One client spraying one password over 50 made-up accounts.
    for n in range(50):
        try_login(attacker, f"user{n}", "Summer2026!")
    response = try_login(attacker, "ben", GOOD)
    assert response.status_code == 429
    assert "Too many wrong passwords" in text(response)

    # Ben, from his own school address, is not affected.
    own = Client()
    assert try_login(own, "ben", GOOD, ip="192.0.2.10").status_code == 302
    assert own.get(reverse("home")).status_code == 200


def test_a_few_mistakes_from_a_shared_school_address_lock_nobody() -> None:
    students = [factories.make_student(username=f"pupil{n}") for n in range(30)]
    for student in students:  # each of 30 pupils mistypes once, all behind one address
        assert try_login(Client(), student.username, "oops").status_code == 200
    client = Client()
    assert try_login(client, "pupil0", GOOD).status_code == 302


def test_unknown_usernames_are_locked_the_same_way() -> None:
    """The lockout page must not tell an attacker which usernames exist."""
    factories.make_student(username="ada")
    pages = []
    for username in ("ada", "nobody-by-this-name"):
        client = Client()
        for n in range(10):
            try_login(client, username, f"guess-{n}", ip=f"198.51.100.{len(pages)}")
        pages.append(try_login(client, username, "again", ip=f"198.51.100.{len(pages)}"))
    assert [p.status_code for p in pages] == [429, 429]
    assert text(pages[0]) == text(pages[1])


def test_admin_login_is_locked_too() -> None:
    factories.make_user(username="root", role=User.Role.ADMIN, is_staff=True, is_superuser=True)
    client = Client()
    url = reverse("admin:login")
    for n in range(60):
        try_login(client, "root", f"guess-{n}", url=url)
    response = try_login(client, "root", GOOD, url=url)
    assert response.status_code == 429
    assert "Too many wrong passwords" in text(response)
    assert client.get(reverse("admin:index")).status_code == 302, "still not logged in"


def test_an_admin_unlocks_an_account_and_the_student_logs_in() -> None:
    factories.make_student(username="ada")
    for n in range(10):
        try_login(Client(), "ada", f"guess-{n}")
    assert try_login(Client(), "ada", GOOD).status_code == 429

    admin = factories.make_user(username="root", role=User.Role.ADMIN, is_staff=True, is_superuser=True)
    staff = Client()
    staff.force_login(admin)
    ada = User.objects.get(username="ada")
    response = staff.post(
        reverse("admin:classroom_user_changelist"),
        {"action": "unlock_logins", "_selected_action": [ada.pk]},
        follow=True,
    )
    assert "Unlocked logins for 1 account" in text(response)

    student = Client()
    assert try_login(student, "ada", GOOD).status_code == 302


def sign_up(client: Client, username: str, role: str = "student", *, ip: str = "203.0.113.7", **extra: str):
    data = {
        "username": username,
        "first_name": "",
        "password1": "a-long-unusual-passphrase",
        "password2": "a-long-unusual-passphrase",
        "role": role,
        "join_code": "",
        **extra,
    }
    return client.post(reverse("signup"), data, REMOTE_ADDR=ip)


def test_a_signup_flood_from_one_client_is_refused_with_a_sentence() -> None:
    bot = Client()
    # 100 tries an hour from one address fit a whole class signing up at once.
    for n in range(100):
        assert sign_up(bot, f"probe{n}", password2="mismatch").status_code == 200
    response = sign_up(bot, "bot-account")
    assert response.status_code == 429
    assert "too many sign-ups from your network" in text(response)
    assert int(response["Retry-After"]) <= 3600
    assert not User.objects.filter(username="bot-account").exists()

    # Someone at another address is unaffected.
    assert sign_up(Client(), "sam", ip="192.0.2.50").status_code == 302


def test_taken_usernames_are_told_as_sign_up_must_but_login_does_not_tell() -> None:
    """Decision (docs/security.md): sign-up has to say a username is taken; that answer is
    throttled per client. Login and lockout pages read the same for real and made-up names."""
    factories.make_student(username="ada")
    taken = sign_up(Client(), "ada")
    assert "A user with that username already exists." in text(taken)
    real = try_login(Client(), "ada", "wrong")
    made_up = try_login(Client(), "nobody-by-this-name", "wrong")

    def page(response, username: str) -> str:
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text(response)).replace(username, "")

    assert page(real, "ada") == page(made_up, "nobody-by-this-name")


def test_with_approval_a_new_teacher_waits_for_an_admin(settings) -> None:
    settings.TUTOR_TEACHER_SIGNUP = "approval"
    teacher = Client()
    response = sign_up(teacher, "mrs_lee", "teacher")
    assert response.status_code == 302
    home = teacher.get(reverse("home"))
    assert "an admin must approve it as a teacher account" in text(home)
    refused = teacher.post(reverse("classroom_create"), {"name": "Algebra 9"})
    assert refused.status_code == 403
    assert teacher.get(reverse("problem_set_upload")).status_code == 403

    admin = factories.make_user(username="root", role=User.Role.ADMIN, is_staff=True, is_superuser=True)
    staff = Client()
    staff.force_login(admin)
    lee = User.objects.get(username="mrs_lee")
    done = staff.post(
        reverse("admin:classroom_user_changelist"),
        {"action": "approve_teachers", "_selected_action": [lee.pk]},
        follow=True,
    )
    assert "Approved 1 teacher." in text(done)
    created = teacher.post(reverse("classroom_create"), {"name": "Algebra 9"})
    assert created.status_code == 302
    assert "Algebra 9" in text(teacher.get(reverse("home")))


def test_with_closed_signup_nobody_signs_up_as_a_teacher(settings) -> None:
    settings.TUTOR_TEACHER_SIGNUP = "closed"
    page = Client().get(reverse("signup"))
    assert "I'm a teacher" not in text(page)
    response = sign_up(Client(), "mrs_lee", "teacher")
    assert response.status_code == 200
    assert "Teacher accounts on this site are set up by an admin" in text(response)
    assert not User.objects.filter(username="mrs_lee").exists()
    assert sign_up(Client(), "sam", "student").status_code == 302


def test_the_demo_lets_teachers_sign_up_and_production_asks_for_approval() -> None:
    from tests.test_config import run_django

    code = "from django.conf import settings as s;print(s.TUTOR_TEACHER_SIGNUP)"
    dev = run_django("tutor.settings.dev", "shell", "--no-imports", "-c", code)
    assert dev.stdout.split() == ["open"], dev.stderr
    prod = run_django(
        "tutor.settings.production",
        "shell",
        "--no-imports",
        "-c",
        code,
        env={"DJANGO_SECRET_KEY": "k" * 50, "DJANGO_ALLOWED_HOSTS": "tutor.example.org"},
    )
    assert prod.stdout.split() == ["approval"], prod.stderr
    wrong = run_django("tutor.settings.dev", "check", env={"TUTOR_TEACHER_SIGNUP": "maybe"})
    assert wrong.returncode != 0
    assert "TUTOR_TEACHER_SIGNUP must be 'open', 'approval' or 'closed'" in wrong.stderr
