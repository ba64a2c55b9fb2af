"""The review queue and a flag's transcript: the reported reply is marked, unfinished replies are
labelled, the text is handed to the page's Markdown + KaTeX renderer (never as HTML), and the
queue can be narrowed to one class."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from tests import factories
from tests.clients import client_for
from tests.conftest import Personas
from tutor.tutoring.models import Flag, Message, TutoringSession

pytestmark = pytest.mark.django_db


def _conversation(personas: Personas) -> tuple[Flag, Message, Message]:
    session = TutoringSession.objects.create(student=personas.student, problem=personas.problem)
    ask = Message.objects.create(session=session, role="student", mode="solution", content="Show me")
    stopped = Message.objects.create(
        session=session,
        role="tutor",
        mode="solution",
        reply_to=ask,
        status="stopped",
        content="Start with $\\tfrac12 (2x) = ",
    )
    ask2 = Message.objects.create(session=session, role="student", mode="solution", content="Again please")
    reported = Message.objects.create(
        session=session,
        role="tutor",
        mode="solution",
        reply_to=ask2,
        status="complete",
        content="**Subtract 3**, so $x = 3$.<script>alert(1)</script>",
        final_answer="3",
    )
    flag = Flag.objects.create(
        kind=Flag.Kind.STUDENT_REPORT,
        session=session,
        message=reported,
        problem=personas.problem,
        detail="x is 2!",
    )
    return flag, stopped, reported


def test_the_transcript_marks_the_reported_reply_and_labels_the_stopped_one(personas: Personas) -> None:
    flag, stopped, reported = _conversation(personas)
    html = client_for(personas.teacher).get(reverse("review_flag", args=[flag.pk])).content.decode()
    reported_bubble = html.split(f'id="message-{reported.pk}"')[1].split("</li>")[0]
    stopped_bubble = html.split(f'id="message-{stopped.pk}"')[1].split("</li>")[0]
    assert "The student reported this reply" in reported_bubble
    assert "reported" not in stopped_bubble
    assert "Stopped by the student before the end" in stopped_bubble
    assert "Stopped" not in reported_bubble
    # The text goes to render.js (marked + DOMPurify + KaTeX) as JSON data, never as markup.
    source = html.split(f'id="message-source-{reported.pk}" type="application/json">')[1].split("</script>")[
        0
    ]
    assert json.loads(source) == reported.content
    assert "<script>alert(1)</script>" not in html
    assert 'class="body rendered" data-source-id="message-source-' in reported_bubble
    assert "js/render.js" in html and "katex" in html


def test_the_queue_can_show_one_class_only(personas: Personas) -> None:
    flag, _, _ = _conversation(personas)
    second = factories.make_classroom(teacher=personas.teacher, name="Maths 11C", students=())
    pupil = factories.make_student(username="dora", first_name="Dora")
    second.enrollments.create(student=pupil)
    other_set = factories.make_problem_set(owner=personas.teacher, title="Vectors", problems=1)
    factories.make_assignment(classroom=second, problem_set=other_set)
    problem = other_set.problems.get()
    session = TutoringSession.objects.create(student=pupil, problem=problem)
    theirs = Flag.objects.create(kind=Flag.Kind.STUDENT_REPORT, session=session, problem=problem, detail="?")
    audit_flag = Flag.objects.create(kind=Flag.Kind.KEY_DISAGREEMENT, problem=problem, detail="key?")

    teacher = client_for(personas.teacher)
    everything = teacher.get(reverse("review_queue")).content.decode()
    for f in (flag, theirs, audit_flag):
        assert reverse("review_flag", args=[f.pk]) in everything
    assert "Maths 10B" in everything and "Maths 11C" in everything

    only = teacher.get(reverse("review_queue"), {"classroom": second.pk}).content.decode()
    assert reverse("review_flag", args=[theirs.pk]) in only
    assert reverse("review_flag", args=[audit_flag.pk]) in only, "the audit's flag on the class's set"
    assert reverse("review_flag", args=[flag.pk]) not in only
    assert 'aria-current="page">Maths 11C</a>' in only
    # Another teacher's class id narrows nothing to their flags.
    foreign = teacher.get(
        reverse("review_queue"), {"classroom": personas.other_classroom.pk}
    ).content.decode()
    assert reverse("review_flag", args=[flag.pk]) in foreign
