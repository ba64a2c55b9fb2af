"""Abuse of accounts, written as the attacks of issue 11: password guessing on the login page and
the admin's, sign-up floods, and who gets to be a teacher."""

from __future__ import annotations

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
