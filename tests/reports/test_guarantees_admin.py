"""The admin's session search finds the sessions asked for, and only those (issue 18, item 10).

The older test passed on the search box echoing the query back; this one reads the result rows.
docs/testing.md lists the mutation it was written to kill.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.conftest import Personas
from tutor.classroom.models import User
from tutor.tutoring.models import Message, TutoringSession

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/tutoring/tutoringsession/"


@pytest.fixture
def admin(personas: Personas) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw-for-the-admin-123"))
    return client


def listed_sessions(admin: Client, query: str) -> set[str]:
    """The sessions in the result table of a search, by the link each row has to its page."""
    page = admin.get(CHANGELIST, {"q": query})
    assert page.status_code == 200
    html = page.content.decode()
    table = re.search(r'<table id="result_list".*?</table>', html, re.S)
    if table is None:  # no results: the admin shows no table
        return set()
    return set(re.findall(rf'href="{CHANGELIST}([0-9a-f-]+)/change/', table.group(0)))


def test_searching_by_student_or_message_lists_only_the_matching_sessions(
    personas: Personas, admin: Client
) -> None:
    ada = TutoringSession.objects.create(student=personas.student, problem=personas.problem)
    Message.objects.create(session=ada, role="student", mode="hint", content="Why do we subtract three?")
    ben = TutoringSession.objects.create(student=personas.classmate, problem=personas.problem)
    Message.objects.create(session=ben, role="student", mode="hint", content="Can I have a hint?")
    cy = TutoringSession.objects.create(student=personas.other_student, problem=personas.other_problem)

    ada, ben, cy = str(ada.pk), str(ben.pk), str(cy.pk)

    assert listed_sessions(admin, "") == {ada, ben, cy}
    assert listed_sessions(admin, personas.classmate.username) == {ben}
    assert listed_sessions(admin, "subtract three") == {ada}
    assert listed_sessions(admin, "nobody-is-called-this") == set()
