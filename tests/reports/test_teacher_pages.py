"""The teacher's dashboard, grades export, review queue, and students' "this looks wrong" reports."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from tests.clients import client_for
from tests.conftest import Personas
from tutor.tutoring.attempts import attempt_submit
from tutor.tutoring.models import Flag, Message, TutoringSession

pytestmark = pytest.mark.django_db


@pytest.fixture
def activity(personas: Personas) -> Personas:
    problem = personas.problem  # key "2"
    attempt_submit(student=personas.student, problem=problem, answer="3")
    attempt_submit(student=personas.student, problem=problem, answer="2")
    attempt_submit(student=personas.classmate, problem=problem, answer="3")
    attempt_submit(student=personas.classmate, problem=problem, answer="3.0")
    attempt_submit(student=personas.classmate, problem=problem, answer="2 +")  # unreadable: not counted
    session = TutoringSession.objects.create(student=personas.classmate, problem=problem)
    # Three hint requests: two answered, one that failed (the model was down). The failed one is not a
    # hint the student got, so the Hints column says 2.
    for text, status in (
        ("Can I have a hint?", "complete"),
        ("Another hint?", "complete"),
        ("One more?", "error"),
    ):
        ask = Message.objects.create(session=session, role="student", mode="hint", content=text)
        Message.objects.create(
            session=session,
            role="tutor",
            mode="hint",
            reply_to=ask,
            status=status,
            content="Try subtracting.",
        )
    return personas


def test_dashboard_figures_match_the_attempts(activity: Personas) -> None:
    page = client_for(activity.teacher).get(reverse("class_dashboard", args=[activity.classroom.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    row = html.split(f'data-problem="{activity.problem.pk}"')[1].split("</tr>")[0]
    assert "1 of 2 (50%)" in row
    assert '<td class="attempts">4</td>' in row
    assert '<td class="tried">2</td>' in row
    assert '<td class="hints">2</td>' in row
    assert '<strong>3×</strong> <code class="reading">3</code>' in row and "That value isn" in row, (
        "3, 3 and 3.0 are one wrong answer: the checker reads them as the same number"
    )
    bars = html.split('id="solved-bars"')[1].split("</ul>")[0]
    assert "Solve for x" in bars and "50%" in bars, (
        "the chart is a list of labelled bars, text a reader can read"
    )


def test_wrong_answers_are_grouped_by_the_checkers_reading_with_its_reason(personas: Personas) -> None:
    for student, answer in (
        (personas.student, "4"),
        (personas.classmate, "4"),
        (personas.student, "x=6"),
        (personas.classmate, "x = 6"),
        (personas.classmate, "6"),
    ):
        attempt_submit(student=student, problem=personas.problem, answer=answer)
    html = (
        client_for(personas.teacher)
        .get(reverse("class_dashboard", args=[personas.classroom.pk]))
        .content.decode()
    )
    cell = (
        html.split(f'data-problem="{personas.problem.pk}"')[1]
        .split('<td class="wrong">')[1]
        .split("</td>")[0]
    )
    items = [item.split("</li>")[0] for item in cell.split("<li>")[1:]]
    assert len(items) == 2, "4 and x=6 are different mistakes"
    assert items[0].startswith('<strong>3×</strong> <code class="reading">6</code>')
    assert "<code>x=6</code>" in items[0] and "<code>x = 6</code>" in items[0]
    assert items[1].startswith('<strong>2×</strong> <code class="reading">4</code>')
    assert "That value isn" in items[1]


def test_stopped_and_failed_tutor_replies_are_not_counted(personas: Personas) -> None:
    session = TutoringSession.objects.create(student=personas.student, problem=personas.problem)
    for mode, status in (
        ("hint", "stopped"),
        ("hint", "error"),
        ("solution", "stopped"),
        ("solution", "cut_off"),
        ("solution", "complete"),
    ):
        ask = Message.objects.create(session=session, role="student", mode=mode, content="?")
        Message.objects.create(
            session=session, role="tutor", mode=mode, reply_to=ask, status=status, content="…"
        )
    html = (
        client_for(personas.teacher)
        .get(reverse("class_dashboard", args=[personas.classroom.pk]))
        .content.decode()
    )
    row = html.split(f'data-problem="{personas.problem.pk}"')[1].split("</tr>")[0]
    assert '<td class="hints">0</td>' in row
    assert '<td class="solutions">1</td>' in row


def test_grid_says_solved_tried_or_not_started_and_filters_by_assignment(activity: Personas) -> None:
    from tests import factories

    extra = factories.make_problem_set(owner=activity.teacher, title="Fractions", problems=2)
    assignment = factories.make_assignment(classroom=activity.classroom, problem_set=extra)
    teacher = client_for(activity.teacher)
    url = reverse("class_dashboard", args=[activity.classroom.pk])
    html = teacher.get(url).content.decode()
    grid = html.split('id="progress-grid"')[1].split("</table>")[0]

    def cell(student, problem_pk: int) -> str:
        row = grid.split(f'data-student="{student.pk}"')[1].split("</tr>")[0]
        return row.split(f'data-cell="{problem_pk}">')[1].split("</td>")[0]

    assert cell(activity.student, activity.problem.pk).endswith("Solved")
    assert cell(activity.classmate, activity.problem.pk).endswith("Tried 2×, not solved")
    other = activity.problem_set.problems.exclude(pk=activity.problem.pk).first()
    assert cell(activity.student, other.pk) == "Not started"
    assert grid.index("Ada") < grid.index("Ben"), "students are listed by name"
    assert "Fractions: 1. Solve for x" in grid, "columns are named as in the grades CSV"

    only = teacher.get(url, {"assignment": assignment.pk}).content.decode()
    only_grid = only.split('id="progress-grid"')[1].split("</table>")[0]
    assert f'data-cell="{activity.problem.pk}"' not in only_grid
    assert only_grid.count(f'data-cell="{extra.problems.first().pk}"') == 2
    assert "Showing 'Fractions' only." in only
    assert f'data-problem="{activity.problem.pk}"' not in only.split('id="problem-table"')[1]


def test_grades_csv(activity: Personas) -> None:
    from tests import factories

    zoe = factories.make_student(username="aaron", first_name="Zoe")  # sorted by name, not username
    activity.classroom.enrollments.create(student=zoe)
    response = client_for(activity.teacher).get(reverse("grades_csv", args=[activity.classroom.pk]))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    header, body = rows[0], rows[1:]
    assert header == [
        "student",
        "username",
        "1. Solve for x",
        "2. Solve for x",
        "3. Solve for x",
        "score",
        "out of",
        "solved",
        "attempts",
        "hints used",
        "late",
    ], "problems are named by number and title, never by their internal keys"
    assert [(r[0], r[1]) for r in body] == [("Ada", "ada"), ("Ben", "ben"), ("Zoe", "aaron")]
    ada, ben, _ = (dict(zip(header, r, strict=True)) for r in body)
    assert (ada["1. Solve for x"], ben["1. Solve for x"]) == ("1", "0")
    assert [ada[name] for name in ("score", "out of", "solved", "attempts", "hints used", "late")] == [
        "1",
        "3",
        "1",
        "2",
        "0",
        "0",
    ]
    # Ben asked for three hints: two were answered, one failed and is not counted.
    assert [ben[name] for name in ("score", "attempts", "hints used")] == ["0", "2", "2"]


def test_grades_csv_for_one_assignment_names_the_sets(activity: Personas) -> None:
    from tests import factories

    extra = factories.make_problem_set(owner=activity.teacher, title="Fractions", problems=1)
    assignment = factories.make_assignment(classroom=activity.classroom, problem_set=extra)
    teacher = client_for(activity.teacher)
    url = reverse("grades_csv", args=[activity.classroom.pk])
    header = next(csv.reader(io.StringIO(teacher.get(url).content.decode())))
    assert "Fractions: 1. Solve for x" in header and "Linear equations: 1. Solve for x" in header
    only = next(csv.reader(io.StringIO(teacher.get(url, {"assignment": assignment.pk}).content.decode())))
    assert only[2:4] == ["1. Solve for x", "score"]


def test_student_view_lists_last_answers(activity: Personas) -> None:
    page = client_for(activity.teacher).get(
        reverse("student_detail", args=[activity.classroom.pk, activity.classmate.pk])
    )
    assert "3.0" in page.content.decode()


def test_other_teachers_and_students_are_kept_out(activity: Personas) -> None:
    url = reverse("class_dashboard", args=[activity.classroom.pk])
    assert client_for(activity.other_teacher).get(url).status_code == 404
    assert client_for(activity.student).get(url).status_code == 403
    csv_url = reverse("grades_csv", args=[activity.classroom.pk])
    assert client_for(activity.other_teacher).get(csv_url).status_code == 404
    assert Client().get(url).status_code == 302


def test_student_report_lands_in_the_review_queue_and_the_teacher_resolves_it(personas: Personas) -> None:
    session = TutoringSession.objects.create(student=personas.student, problem=personas.problem)
    reply = Message.objects.create(
        session=session,
        role="tutor",
        mode="solution",
        content="So $x = 3$.",
        final_answer="3",
        status="complete",
    )
    assert client_for(personas.classmate).post(reverse("report_message", args=[reply.pk])).status_code == 404
    response = client_for(personas.student).post(
        reverse("report_message", args=[reply.pk]), {"note": "x is 2!"}
    )
    assert response.json()["ok"]
    flag = Flag.objects.get(kind=Flag.Kind.STUDENT_REPORT)
    assert flag.detail == "x is 2!"

    teacher = client_for(personas.teacher)
    queue = teacher.get(reverse("review_queue")).content.decode()
    assert "Student reported a problem" in queue
    assert "to review" in queue
    detail = teacher.get(reverse("review_flag", args=[flag.pk])).content.decode()
    assert "So $x = 3$." in detail
    teacher.post(
        reverse("review_flag", args=[flag.pk]),
        {"teacher_note": "Tutor slipped; key is right.", "resolve": "1"},
    )
    flag.refresh_from_db()
    assert flag.resolved_at is not None and flag.teacher_note.startswith("Tutor slipped")
    assert client_for(personas.other_teacher).get(reverse("review_flag", args=[flag.pk])).status_code == 404


def test_admin_lists_sessions_with_filters_search_and_csv_export(activity: Personas) -> None:
    from tutor.classroom.models import User

    admin_user = User.objects.create_superuser("root", "root@example.com", "pw-for-the-admin-123")
    client = client_for(admin_user)
    listing = client.get("/admin/tutoring/tutoringsession/?flagged__exact=0&q=ben")
    assert listing.status_code == 200
    assert "ben" in listing.content.decode()
    session = TutoringSession.objects.get(student=activity.classmate)
    assert (
        "Can I have a hint?"
        in client.get(f"/admin/tutoring/tutoringsession/{session.pk}/change/").content.decode()
    )
    export = client.post(
        "/admin/tutoring/tutoringsession/",
        {"action": "export_sessions_csv", "_selected_action": [str(session.pk)]},
    )
    assert export["Content-Type"].startswith("text/csv")
    assert "Another hint?" in export.content.decode()
    for model in ("message", "attempt", "verification", "flag"):
        assert client.get(f"/admin/tutoring/{model}/").status_code == 200


def test_a_multi_part_problem_is_solved_when_every_part_is(personas: Personas) -> None:
    from tests import factories

    stem = factories.make_problem(
        problem_set=personas.problem_set,
        key="ball",
        title="A ball thrown up",
        statement="At 20 m/s.",
        answer="",
        position=30,
    )
    part_a = factories.make_problem(
        problem_set=personas.problem_set, key="ball-a", parent=stem, answer="2", position=31
    )
    part_b = factories.make_problem(
        problem_set=personas.problem_set, key="ball-b", parent=stem, answer="2", position=32
    )
    attempt_submit(student=personas.student, problem=part_a, answer="2")
    attempt_submit(student=personas.student, problem=part_b, answer="2")
    attempt_submit(student=personas.classmate, problem=part_a, answer="2")
    teacher = client_for(personas.teacher)
    html = teacher.get(reverse("class_dashboard", args=[personas.classroom.pk])).content.decode()
    grid = html.split('id="progress-grid"')[1].split("</table>")[0]

    def cell(student) -> str:
        row = grid.split(f'data-student="{student.pk}"')[1].split("</tr>")[0]
        return row.split(f'data-cell="{stem.pk}">')[1].split("</td>")[0]

    assert cell(personas.student).endswith("Solved")
    assert cell(personas.classmate).endswith("Tried 1×, not solved")
    rows = list(
        csv.DictReader(
            io.StringIO(teacher.get(reverse("grades_csv", args=[personas.classroom.pk])).content.decode())
        )
    )
    by_name = {row["username"]: row for row in rows}
    assert by_name["ada"]["4. A ball thrown up"] == "1"
    assert by_name["ben"]["4. A ball thrown up"] == "0.5", "one part of two"
    assert by_name["ben"]["score"] == "0.5"
