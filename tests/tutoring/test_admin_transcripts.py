"""The admin's tutoring sessions (issue 16): a session's page is its conversation, read-only; the
list can show only sessions where something was asked; the CSV has the class and the answers.

Before, a session's page was a stacked form per message (~4 750 px for 8 messages) with the
student, problem and assignment in editable drop-downs.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.test import Client

from tests.clients import client_for
from tests.conftest import Personas
from tests.factories import make_problem
from tutor.classroom.models import User
from tutor.problems.models import Variant
from tutor.tutoring.attempts import attempt_submit
from tutor.tutoring.models import Attempt, Flag, Message, TutoringSession

pytestmark = pytest.mark.django_db

SESSIONS = "/admin/tutoring/tutoringsession/"
SCRIPT = "<script>alert('x')</script>"


@pytest.fixture
def admin_client(personas: Personas) -> Client:
    return client_for(User.objects.create_superuser("root", "root@example.com", "pw-for-the-admin-123"))


@pytest.fixture
def conversation(personas: Personas) -> TutoringSession:
    session = TutoringSession.objects.create(
        student=personas.student, problem=personas.problem, assignment=personas.assignment
    )
    turns = [
        ("student", "hint", "Can I have a hint?"),
        ("tutor", "hint", "What could you do to **both sides** so that only $2x$ is left?"),
        ("student", "feedback", f"I think x = 3 {SCRIPT}"),
        ("tutor", "feedback", "Check your subtraction: $7 - 3$ is not $6$."),
        ("student", "question", "Why subtract?"),
        ("tutor", "question", "To undo the $+3$.\n\n- one\n- two"),
        ("student", "solution", "Show me a worked solution."),
        ("tutor", "solution", "$$2x + 3 = 7 \\Rightarrow x = 2$$\n\n**Final answer:** $\\boxed{2}$"),
    ]
    for role, mode, content in turns:
        Message.objects.create(session=session, role=role, mode=mode, content=content, status="complete")
    reply = session.messages.filter(role="tutor", mode="feedback").get()
    Flag.objects.create(
        kind=Flag.Kind.STUDENT_REPORT,
        session=session,
        message=reply,
        problem=personas.problem,
        detail="wrong!",
    )
    return session


def rows_in_result_table(html: str) -> set[str]:
    table = re.search(r'<table id="result_list".*?</table>', html, re.S)
    if table is None:
        return set()
    return set(re.findall(rf'href="{SESSIONS}([0-9a-f-]+)/change/', table.group(0)))


def test_a_session_page_is_the_conversation_and_nothing_on_it_can_be_edited(
    personas: Personas, conversation: TutoringSession, admin_client: Client
) -> None:
    attempt_submit(student=personas.student, problem=personas.problem, answer="3")
    page = admin_client.get(f"{SESSIONS}{conversation.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    turns = re.findall(r'<li class="turn turn-(student|tutor)"', html)
    assert turns == ["student", "tutor"] * 4, "the eight messages, in order, as turns"
    assert "What could you do to **both sides** so that only $2x$ is left?" in html
    assert SCRIPT not in html and "&lt;script&gt;" in html, "the student's text is escaped"
    assert "The student's answers (1)" in html and "<code>3</code>" in html
    assert "Student reported a problem" in html and "wrong!" in html
    assert personas.classroom.name in html
    # Read-only: no form field for who, what or where, no save button, no message forms.
    for field in ("student", "problem", "assignment", "flagged"):
        assert f'name="{field}"' not in html, field
    assert 'name="_save"' not in html and 'name="messages-TOTAL_FORMS"' not in html
    assert "<textarea" not in html
    # And the server refuses an edit sent anyway, and adding a session by hand.
    other = User.objects.get(username=personas.classmate.username)
    refused = admin_client.post(f"{SESSIONS}{conversation.pk}/change/", {"student": other.pk})
    assert refused.status_code == 403
    conversation.refresh_from_db()
    assert conversation.student_id == personas.student.pk
    assert admin_client.get(f"{SESSIONS}add/").status_code == 403


def test_messages_answers_and_verifications_are_read_only_too(
    personas: Personas, conversation: TutoringSession, admin_client: Client
) -> None:
    attempt_submit(student=personas.student, problem=personas.problem, answer="3")
    message = conversation.messages.first()
    attempt = Attempt.objects.get()
    for url in (
        f"/admin/tutoring/message/{message.pk}/change/",
        f"/admin/tutoring/attempt/{attempt.pk}/change/",
        f"/admin/tutoring/verification/{attempt.verifications.get().pk}/change/",
    ):
        page = admin_client.get(url)
        assert page.status_code == 200, url
        assert 'name="_save"' not in page.content.decode(), url
    assert (
        admin_client.post(f"/admin/tutoring/attempt/{attempt.pk}/change/", {"correct": "on"}).status_code
        == 403
    )
    attempt.refresh_from_db()
    assert not attempt.correct
    for model in ("message", "attempt", "verification", "flag"):
        assert admin_client.get(f"/admin/tutoring/{model}/add/").status_code == 403, model


def test_the_has_messages_filter(
    personas: Personas, conversation: TutoringSession, admin_client: Client
) -> None:
    # A session with nothing asked: made before issue 16 by opening the page.
    empty = TutoringSession.objects.create(student=personas.classmate, problem=personas.problem)
    listing = admin_client.get(SESSIONS).content.decode()
    assert "has messages" in listing
    assert rows_in_result_table(listing) == {str(conversation.pk), str(empty.pk)}
    with_messages = admin_client.get(SESSIONS, {"has_messages": "yes"}).content.decode()
    assert rows_in_result_table(with_messages) == {str(conversation.pk)}
    without = admin_client.get(SESSIONS, {"has_messages": "no"}).content.decode()
    assert rows_in_result_table(without) == {str(empty.pk)}
    # The empty ones can be cleared out (deleting stays allowed: docs/security.md).
    admin_client.post(
        SESSIONS + "?has_messages=no",
        {"action": "delete_selected", "_selected_action": [str(empty.pk)], "post": "yes"},
    )
    assert list(TutoringSession.objects.values_list("pk", flat=True)) == [conversation.pk]


def test_the_csv_has_the_class_and_the_students_answers_in_time_order(
    personas: Personas, conversation: TutoringSession, admin_client: Client
) -> None:
    attempt_submit(student=personas.student, problem=personas.problem, answer="-7")
    attempt_submit(student=personas.student, problem=personas.problem, answer="2")
    attempt_submit(student=personas.classmate, problem=personas.problem, answer="5")  # not in this session
    export = admin_client.post(
        SESSIONS, {"action": "export_sessions_csv", "_selected_action": [str(conversation.pk)]}
    )
    assert export["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    assert {row["class"] for row in rows} == {personas.classroom.name}
    assert [row["role"] for row in rows] == ["student", "tutor"] * 4 + ["answer", "answer"]
    answers = [row for row in rows if row["role"] == "answer"]
    assert [(a["content"], a["correct"]) for a in answers] == [("'-7", "False"), ("2", "True")], (
        "the student's answers, oldest first, a leading minus written as text"
    )
    assert rows[0]["content"] == "Can I have a hint?" and rows[0]["student"] == personas.student.username
    times = [row["time"] for row in rows]
    assert times == sorted(times)


def test_a_flags_record_is_read_only_and_its_review_note_is_not(
    conversation: TutoringSession, admin_client: Client
) -> None:
    flag = Flag.objects.get()
    html = admin_client.get(f"/admin/tutoring/flag/{flag.pk}/change/").content.decode()
    assert 'name="teacher_note"' in html and 'name="_save"' in html
    for field in ("kind", "detail", "problem", "session", "message"):
        assert f'name="{field}"' not in html, field
    admin_client.post(
        f"/admin/tutoring/flag/{flag.pk}/change/",
        {"teacher_note": "Looked at it.", "kind": Flag.Kind.HINT_LEAK, "detail": "changed"},
    )
    flag.refresh_from_db()
    assert (flag.teacher_note, flag.kind, flag.detail) == (
        "Looked at it.",
        Flag.Kind.STUDENT_REPORT,
        "wrong!",
    )


def test_the_page_shows_the_problem_as_the_student_had_it(
    personas: Personas, conversation: TutoringSession, admin_client: Client
) -> None:
    page = admin_client.get(f"{SESSIONS}{conversation.pk}/change/").content.decode()
    assert personas.problem.statement in page and f"<code>{personas.problem.answer}</code>" in page

    # A randomised problem: the student's own numbers and key, from their stored variant.
    Variant.objects.create(
        problem=personas.problem,
        user=personas.student,
        assignment=personas.assignment,
        seed=1,
        statement="Solve $2x + 5 = 11$.",
        answer="3",
        template_hash="t",
    )
    page = admin_client.get(f"{SESSIONS}{conversation.pk}/change/").content.decode()
    assert "Problem (this student's own numbers)" in page
    assert "Solve $2x + 5 = 11$." in page and "<code>3</code>" in page

    # A part: its stem comes first, as the student and the tutor read it.
    part = make_problem(
        problem_set=personas.problem_set, key="q1b", parent=personas.problem, statement="Now check it."
    )
    on_part = TutoringSession.objects.create(student=personas.classmate, problem=part)
    page = admin_client.get(f"{SESSIONS}{on_part.pk}/change/").content.decode()
    assert f"{personas.problem.statement}<br><br>Now check it." in page
