"""'Preview as a student': a teacher sees one of her problems as students do, can check answers
without anything being saved, and sees the key, hints and worked solution beside it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories
from tests.clients import client_for
from tests.conftest import Personas
from tutor.tutoring.models import Attempt, TutoringSession, Verification

pytestmark = pytest.mark.django_db


def test_the_teacher_sees_the_problem_with_its_key_hints_and_solution(personas: Personas) -> None:
    problem = personas.problem
    problem.hints = ["Subtract 3 from both sides.", "Now divide by $2$."]
    problem.solution = "$2x = 4$, so $x = 2$."
    problem.save()
    teacher = client_for(personas.teacher)
    set_page = teacher.get(reverse("problem_set_detail", args=[personas.problem_set.pk])).content.decode()
    url = reverse("problem_teacher_view", args=[problem.pk])
    assert f'href="{url}"' in set_page and "Preview as a student" in set_page
    html = teacher.get(url).content.decode()
    assert "Preview as a student." in html
    assert 'id="statement-source"' in html and "Solve $2x + 3 = 7$." in html
    assert "Type your answer" in html
    key = html.split('id="teacher-view"')[1]
    assert '<dd class="answer-key"><code>2</code>' in key
    assert key.index("Subtract 3 from both sides.") < key.index("Now divide by $2$.")
    assert "$2x = 4$, so $x = 2$." in key


def test_checking_an_answer_in_the_preview_saves_nothing(personas: Personas) -> None:
    teacher = client_for(personas.teacher)
    url = reverse("problem_teacher_view", args=[personas.problem.pk])
    right = teacher.post(url, {"answer": "2"}).content.decode()
    assert "<strong>Correct</strong>" in right
    wrong = teacher.post(url, {"answer": "x = 6"}).content.decode()
    assert "<strong>Not right</strong>" in wrong and "Read as <code>6</code>" in wrong
    assert 'value="x = 6"' in wrong, "the answer stays in its box"
    assert not Attempt.objects.exists()
    assert not TutoringSession.objects.exists()
    assert not Verification.objects.exists()


def test_choice_problems_show_their_options(personas: Personas) -> None:
    problem = factories.make_problem(
        problem_set=personas.problem_set,
        key="sky",
        statement="The sky is",
        answer="blue",
        answer_type="choice",
        choices=["blue", "green", "red"],
        position=20,
    )
    teacher = client_for(personas.teacher)
    html = teacher.get(reverse("problem_teacher_view", args=[problem.pk])).content.decode()
    assert html.count('type="radio" name="answer"') == 3
    picked = teacher.post(
        reverse("problem_teacher_view", args=[problem.pk]), {"answer": "blue"}
    ).content.decode()
    assert "<strong>Correct</strong>" in picked


def test_only_the_sets_owner_can_preview(personas: Personas) -> None:
    url = reverse("problem_teacher_view", args=[personas.problem.pk])
    assert client_for(personas.other_teacher).get(url).status_code == 404
    assert client_for(personas.student).get(url).status_code == 403


def test_a_multi_part_problem_shows_each_part_and_checks_it_on_its_own(personas: Personas) -> None:
    stem = factories.make_problem(
        problem_set=personas.problem_set,
        key="ball",
        title="A ball",
        statement="Thrown up at 20 m/s.",
        answer="",
        position=30,
    )
    factories.make_problem(
        problem_set=personas.problem_set,
        key="ball-a",
        parent=stem,
        statement="How high?",
        answer="20.4",
        answer_type="quantity",
        units="m",
        position=31,
    )
    part_b = factories.make_problem(
        problem_set=personas.problem_set,
        key="ball-b",
        parent=stem,
        statement="How long?",
        answer="4.08",
        answer_type="quantity",
        units="s",
        position=32,
    )
    teacher = client_for(personas.teacher)
    url = reverse("problem_teacher_view", args=[stem.pk])
    html = teacher.get(url).content.decode()
    assert "Thrown up at 20 m/s." in html and "How high?" in html and "How long?" in html
    assert "Type your answer with units (m)" in html and "Type your answer with units (s)" in html
    checked = teacher.post(url, {"part": part_b.pk, "answer": "4.08 s"}).content.decode()
    result = checked.split('id="preview-result"')[1].split("</p>")[0]
    assert "Correct" in result
    assert checked.index('id="preview-result"') > checked.index("How long?"), "the result is under part b"
