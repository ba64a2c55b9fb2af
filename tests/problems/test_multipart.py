"""Multi-part problems (issue 16): the stem and every part on one page, each part graded on its own,
the problem solved when all its parts are, and the tutor for a part reading the stem with it.

The YAML is our own format (docs/problem-format.md, `parts:`); the CSV uses the documented `parent`
column; the kinematics file is the one the format docs point to (tests/data/kinematics.yaml)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse

from tests.clients import client_for
from tests.conftest import Personas
from tests.tutoring.fake import FakeLLM, solution_tokens
from tests.tutoring.sockets import socket_for
from tests.tutoring.test_tutor_stream import frames_until_done, open_and_ask
from tutor.problems.models import Problem, ProblemSet
from tutor.problems.services import problem_set_import
from tutor.tutoring.models import Attempt

DATA = Path(__file__).resolve().parents[1] / "data"

CSV = b"""key,statement,answer,answer_type,parent
tank,"A tank holds $120$ litres and drains at $8$ litres a minute.",,,
a,How many litres are left after $5$ minutes?,80,number,tank
b,After how many minutes is it empty?,15,number,tank
"""


def _assign(personas: Personas, problem_set: ProblemSet) -> None:
    from tests import factories

    factories.make_assignment(classroom=personas.classroom, problem_set=problem_set)


def _import(personas: Personas, filename: str, data: bytes) -> ProblemSet:
    result = problem_set_import(owner=personas.teacher, filename=filename, data=data)
    assert not result.errors, result.errors
    problem_set = result.problem_set
    assert problem_set is not None
    _assign(personas, problem_set)
    return problem_set


def _page(personas: Personas, problem: Problem) -> str:
    response = client_for(personas.student).get(reverse("problem_detail", args=[problem.pk]))
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.content.decode())


def _words(html: str) -> str:
    """The page as read, without its tags."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def _answer(personas: Personas, problem: Problem, text: str):
    # As the page sends it: JSON, so a refusal comes back as JSON too.
    return client_for(personas.student).post(
        reverse("answer_submit", args=[problem.pk]), {"answer": text}, content_type="application/json"
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("filename", "data", "stem_key", "stem_text", "part_texts"),
    [
        (
            "kinematics.yaml",
            (DATA / "kinematics.yaml").read_bytes(),
            "ball",
            "A ball is thrown up at 20 m/s.",
            ["How long until it stops rising?", "How high does it go?"],
        ),
        (
            "tank.csv",
            CSV,
            "tank",
            "drains at $8$ litres a minute",
            ["left after $5$ minutes", "is it empty?"],
        ),
    ],
)
def test_the_stem_and_every_part_are_on_one_page_with_an_answer_box_each(
    personas: Personas, filename: str, data: bytes, stem_key: str, stem_text: str, part_texts: list[str]
) -> None:
    problem_set = _import(personas, filename, data)
    stem = problem_set.problems.get(key=stem_key)
    parts = list(stem.parts.order_by("position", "pk"))
    assert len(parts) == 2
    html = _page(personas, stem)
    assert stem_text in html
    for part, text in zip(parts, part_texts, strict=True):
        assert text in html
        assert f'id="part-{part.pk}"' in html
        assert reverse("answer_submit", args=[part.pk]) in html
    assert "Part (a)" in html and "Part (b)" in html
    assert "0 of 2 parts right" in _words(html)
    # The stem has no box of its own, and a part's own address leads to the stem's page at that part.
    assert reverse("answer_submit", args=[stem.pk]) not in html
    response = client_for(personas.student).get(reverse("problem_detail", args=[parts[1].pk]))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('problem_detail', args=[stem.pk])}#part-{parts[1].pk}"
    # The set page lists the problem once, not its parts.
    listing = client_for(personas.student).get(reverse("problem_set_detail", args=[problem_set.pk]))
    listed = _words(listing.content.decode())
    assert not any(text in listed for text in part_texts)
    assert f"0 of {problem_set.problems.filter(parent=None).count()} solved" in listed


@pytest.mark.django_db
def test_each_part_is_graded_on_its_own_and_the_problem_is_solved_when_all_are(personas: Personas) -> None:
    problem_set = _import(personas, "tank.csv", CSV)
    stem = problem_set.problems.get(key="tank")
    part_a, part_b = stem.parts.order_by("position", "pk")

    # Part (a)'s key is not part (b)'s: each part is checked against its own.
    assert _answer(personas, part_b, "80").json()["correct"] is False
    assert _answer(personas, part_a, "80").json()["correct"] is True
    html = _page(personas, stem)
    assert "1 of 2 parts right" in _words(html)
    assert re.search(r'id="solved-state" hidden', html), "one part right is not the whole problem"
    assert re.search(rf'id="solved-state-{part_a.pk}"(?! hidden)', html)

    assert _answer(personas, part_b, "15").json()["correct"] is True
    html = _page(personas, stem)
    assert "2 of 2 parts right" in _words(html)
    assert not re.search(r'id="solved-state" hidden', html)
    assert "1 of 1 solved in this set" in _words(html)

    # The stem itself takes no answer: it has none of its own.
    response = _answer(personas, stem, "15")
    assert response.status_code == 400
    assert "answer each part" in response.json()["error"]
    assert Attempt.objects.filter(problem=stem).count() == 0


@pytest.mark.django_db(transaction=True)
async def test_the_tutor_for_a_part_reads_the_stem_with_it(personas: Personas, fake_llm: FakeLLM) -> None:
    problem_set = await sync_to_async(_import)(personas, "tank.csv", CSV)
    part_b = await Problem.objects.aget(problem_set=problem_set, key="tank-b")
    fake_llm.reply(solution_tokens("How many litres does it lose each minute?"))
    async with socket_for(personas.student) as ws:
        message_id = await open_and_ask(ws, part_b.pk, mode="hint")
        await frames_until_done(ws, message_id)
    prompt = "\n".join(m["content"] for m in fake_llm.requests[-1]["messages"])
    assert "drains at $8$ litres a minute" in prompt  # the stem
    assert "After how many minutes is it empty?" in prompt  # the part
    assert prompt.index("drains at") < prompt.index("After how many minutes")


@pytest.mark.django_db
def test_a_moodle_cloze_question_becomes_a_problem_with_a_part_per_blank(personas: Personas) -> None:
    problem_set = _import(personas, "cloze.xml", (DATA / "cloze.xml").read_bytes())
    example, line = problem_set.problems.filter(parent=None).order_by("position", "pk")
    parts = list(example.parts.order_by("position", "pk"))
    assert [p.answer_type for p in parts] == ["choice", "text", "number"]
    assert parts[0].answer == "Correct answer"
    assert parts[0].choices == [
        "Wrong answer",
        "Another wrong answer",
        "Correct answer",
        "Answer that gives half the credit",
    ]
    assert parts[2].answer == "23.8" and parts[2].tolerance is not None
    html = _page(personas, example)
    assert "embedded right here **(a)**" in html and "short answer **(b)**" in html
    assert "What goes in blank (c)?" in html
    assert "Feedback for" not in html  # Moodle's per-answer feedback is not part of the text

    gradient, intercept, equation = line.parts.order_by("position", "pk")
    assert _answer(personas, gradient, "2").json()["correct"] is True
    assert _answer(personas, intercept, "2").json()["correct"] is False
    assert _answer(personas, intercept, "1").json()["correct"] is True
    assert _answer(personas, equation, "y = 1 + 2x").json()["correct"] is True
    assert "3 of 3 parts right" in _words(_page(personas, line))


@pytest.mark.django_db
def test_a_cloze_blank_with_no_right_answer_is_refused_with_its_question(personas: Personas) -> None:
    bad = b"""<quiz><question type="multianswer"><name><text>No key</text></name>
    <questiontext format="html"><text>Pick {1:MULTICHOICE:one~two}.</text></questiontext></question></quiz>"""
    result = problem_set_import(owner=personas.teacher, filename="bad.xml", data=bad)
    assert result.problem_set is None
    assert any("blank (a) of 'No key' has no right answer" in e.message for e in result.errors)
