"""'This looks wrong' under abuse (issue 11: 50 reports in 0.5 s, duplicates, a 200-row queue that
spam buries): one open report per reply, an optional note, a throttle, and a queue that keeps the
checker's flags on top."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.clients import client_for
from tests.conftest import Personas, services_missing
from tutor.reports.services import message_report
from tutor.tutoring.models import Flag, Message, TutoringSession


def tutor_reply(student, problem, text: str = "So $x = 3$.") -> Message:
    session, _ = TutoringSession.objects.get_or_create(student=student, problem=problem)
    return Message.objects.create(
        session=session, role="tutor", mode="solution", content=text, final_answer="3", status="complete"
    )


def report(client: Client, message: Message, note: str = ""):
    return client.post(reverse("report_message", args=[message.pk]), {"note": note})


@pytest.mark.django_db
def test_fifty_reports_in_a_burst_make_one_report_and_then_a_polite_429(personas: Personas) -> None:
    reply = tutor_reply(personas.student, personas.problem)
    client = client_for(personas.student)
    responses = [report(client, reply) for _ in range(50)]

    first = responses[0].json()
    assert first == {
        "ok": True,
        "created": True,
        "message": "Thanks! Your teacher will take a look at this reply.",
    }
    assert all(r.status_code == 200 and r.json()["created"] is False for r in responses[1:20])
    assert "You already reported this reply" in responses[1].json()["message"]
    refused = responses[20]
    assert refused.status_code == 429
    assert refused.json()["message"].startswith("Thanks, you've sent a lot of reports this hour")
    assert int(refused["Retry-After"]) <= 3600
    assert {r.status_code for r in responses[20:]} == {429}
    assert Flag.objects.filter(kind=Flag.Kind.STUDENT_REPORT).count() == 1


@pytest.mark.django_db
def test_a_second_report_updates_the_note_and_a_reviewed_one_can_be_reported_again(
    personas: Personas,
) -> None:
    reply = tutor_reply(personas.student, personas.problem)
    client = client_for(personas.student)
    report(client, reply)
    flag = Flag.objects.get()
    assert flag.detail == "The student marked this reply as looking wrong."
    report(client, reply, note="  The key says 2, the tutor said 3.  ")
    report(client, reply)  # no note: the earlier note stays
    flag.refresh_from_db()
    assert flag.detail == "The key says 2, the tutor said 3."
    assert Flag.objects.count() == 1

    flag.resolved_at = flag.created_at
    flag.save()
    assert report(client, reply, note="Still wrong after the fix?").json()["created"] is True
    assert Flag.objects.filter(resolved_at__isnull=True).get().detail == "Still wrong after the fix?"


@pytest.mark.django_db
def test_nobody_reports_someone_elses_reply(personas: Personas) -> None:
    reply = tutor_reply(personas.student, personas.problem)
    response = report(client_for(personas.classmate), reply)
    assert response.status_code == 404
    assert response.json()["message"] == "That reply isn't one you can report."
    assert not Flag.objects.exists()


@pytest.mark.django_db
def test_report_spam_does_not_bury_the_checkers_flags_or_other_students(personas: Personas) -> None:
    # The checker's flag, raised before the spam started.
    unverified = Flag.objects.create(
        kind=Flag.Kind.UNVERIFIED_ANSWER, problem=personas.problem, detail="Could not verify x = 7."
    )
    genuine = message_report(
        student=personas.classmate, message_id=tutor_reply(personas.classmate, personas.problem).pk
    )[0]
    # Ada reports 200 replies over several days (each day's allowance, written directly).
    spam_session = TutoringSession.objects.create(student=personas.student, problem=personas.problem)
    for n in range(200):
        message = Message.objects.create(session=spam_session, role="tutor", mode="hint", content=f"hint {n}")
        Flag.objects.create(
            kind=Flag.Kind.STUDENT_REPORT, session=spam_session, message=message, problem=personas.problem
        )

    teacher = client_for(personas.teacher)
    page = teacher.get(reverse("review_queue")).content.decode()
    rows = page.split("<tbody>")[1].split("</tbody>")[0].split("<tr")[1:]
    assert len(rows) == 50, "one page at a time"
    assert f"/review/{unverified.pk}/" in rows[0], "the checker's flag stays on top"
    assert "Page 1 of 5" in page
    # Reports are counted per student, and each count is a filter.
    for name, student, count in (("Ada", personas.student, 200), ("Ben", personas.classmate, 1)):
        assert f'<a href="?kind=student_report&amp;student={student.pk}">{name}: {count} open</a>' in page
    assert '<a href="?kind=student_report">Student reported a problem: 201 open</a>' in page
    assert '<a href="?kind=unverified_answer">Tutor answer could not be verified: 1 open</a>' in page
    bens = teacher.get(
        reverse("review_queue"), {"kind": "student_report", "student": personas.classmate.pk}
    ).content.decode()
    assert f"/review/{genuine.pk}/" in bens
    assert bens.count("<tr") == 2  # header and Ben's one report


@pytest.mark.django_db(transaction=True)
def test_simultaneous_reports_of_one_reply_make_one_flag_on_postgresql() -> None:
    if connection.vendor != "postgresql":
        services_missing("PostgreSQL")
    teacher = factories.make_teacher()
    student = factories.make_student()
    problem_set = factories.make_problem_set(owner=teacher)
    reply = tutor_reply(student, problem_set.problems.get())
    barrier = threading.Barrier(8)
    created: list[bool] = []

    def press() -> None:
        try:
            barrier.wait()
            created.append(message_report(student=student, message_id=reply.pk, note="wrong")[1])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=press) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(created) == [False] * 7 + [True]
    assert Flag.objects.filter(message=reply).count() == 1
