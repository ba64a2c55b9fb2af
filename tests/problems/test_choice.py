"""Choice problems (one right option, several, true/false): imported from GIFT, Moodle XML and our
YAML, graded as picked options (never read as maths: `Blue` is not e·B·l·u), and shown to the tutor
with their options (issue 16).

The GIFT questions are the examples of Moodle's documentation of the format,
https://docs.moodle.org/en/GIFT_format ("Multiple choice", "Fill-in-the-blank", "Multiple
Answers", "True-false"), plus the issue's own `The sky is {=blue ~green ~red}`. The Moodle XML
answers are the examples of https://docs.moodle.org/en/Moodle_XML_format ("Multiple choice",
"True/false"), wrapped in the <name> and <questiontext> every question has.
"""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse

from tests.clients import client_for
from tests.conftest import Personas
from tests.factories import make_assignment
from tests.problems.helpers import load
from tests.tutoring.fake import FakeLLM, solution_tokens
from tests.tutoring.sockets import socket_for
from tests.tutoring.test_tutor_stream import frames_until_done, open_and_ask
from tutor.problems.models import Problem, ProblemSet
from tutor.problems.services import problem_set_export_moodle, problem_set_export_yaml
from tutor.tutoring.models import Attempt

GIFT_FROM_MOODLE_DOCS = """\
// Multiple choice
Who's buried in Grant's tomb?{=Grant ~no one ~Napoleon ~Churchill ~Mother Teresa }

// Fill-in-the-blank
Grant is {~buried =entombed ~living} in Grant's tomb.

// Multiple Answers
What two people are entombed in Grant's tomb? {
   ~%-100%No one
   ~%50%Grant
   ~%50%Grant's wife
   ~%-100%Grant's father
}

// True-false
Grant was buried in a tomb in New York City.{T}

The sun rises in the West.{FALSE}

::Sky::The sky is {=Blue ~Green ~Red}
"""

MOODLE_XML_FROM_MOODLE_DOCS = """\
<?xml version="1.0" encoding="UTF-8"?>
<quiz>
<question type="multichoice">
  <name><text>One right answer</text></name>
  <questiontext format="html"><text><![CDATA[<p>Pick the correct answer.</p>]]></text></questiontext>
  <answer fraction="100">
    <text>The correct answer</text>
    <feedback><text>Correct!</text></feedback>
  </answer>
  <answer fraction="0">
    <text>A distractor</text>
    <feedback><text>Ooops!</text></feedback>
  </answer>
  <answer fraction="0">
    <text>Another distractor</text>
    <feedback><text>Ooops!</text></feedback>
  </answer>
  <shuffleanswers>1</shuffleanswers>
  <single>true</single>
  <answernumbering>abc</answernumbering>
</question>
<question type="multichoice">
  <name><text>Two right answers</text></name>
  <questiontext format="html"><text><![CDATA[<p>Which are <b>prime</b>?</p>]]></text></questiontext>
  <answer fraction="50" format="html"><text><![CDATA[<p>2</p>]]></text></answer>
  <answer fraction="50" format="html"><text><![CDATA[<p>3</p>]]></text></answer>
  <answer fraction="-100" format="html"><text><![CDATA[<p>4</p>]]></text></answer>
  <shuffleanswers>1</shuffleanswers>
  <single>false</single>
  <answernumbering>abc</answernumbering>
</question>
<question type="truefalse">
  <name><text>Water</text></name>
  <questiontext format="html"><text>Water boils at 100 °C at sea level.</text></questiontext>
  <answer fraction="100">
    <text>true</text>
    <feedback><text>Correct!</text></feedback>
  </answer>
  <answer fraction="0">
    <text>false</text>
    <feedback><text>Ooops!</text></feedback>
  </answer>
</question>
</quiz>
"""

OUR_YAML = """\
title: Choices
problems:
  - key: planet
    statement: Which planet is largest?
    answer_type: choice
    choices: [Mars, Jupiter, Venus]
    answer: Jupiter
  - key: primes
    statement: Which numbers are prime?
    answer_type: choice
    choices: ["2", "$\\\\sqrt{4}$", "5", "9"]
    answer: ["2", "5"]
  - key: sun
    statement: The Sun is a star.
    answer_type: truefalse
    answer: true
"""


def by_statement(problem_set: ProblemSet) -> dict[str, Problem]:
    return {p.statement: p for p in problem_set.problems.all()}


def test_gift_examples_from_moodle_docs_import_with_their_options(personas: Personas) -> None:
    result = load(personas, "grant.gift", GIFT_FROM_MOODLE_DOCS.encode())
    assert result.ok, [str(e) for e in result.errors]
    problems = by_statement(result.problem_set)
    tomb = problems["Who's buried in Grant's tomb?"]
    assert (tomb.answer_type, tomb.answer) == ("choice", "Grant")
    assert tomb.choices == ["Grant", "no one", "Napoleon", "Churchill", "Mother Teresa"]
    blank = problems["Grant is _____ in Grant's tomb."]
    assert (blank.answer, blank.choices) == ("entombed", ["buried", "entombed", "living"])
    two = problems["What two people are entombed in Grant's tomb?"]
    assert two.choices == ["No one", "Grant", "Grant's wife", "Grant's father"]
    assert two.answer.splitlines() == ["Grant", "Grant's wife"], "both options that earn marks are right"
    assert problems["Grant was buried in a tomb in New York City."].answer == "true"
    west = problems["The sun rises in the West."]
    assert (west.answer_type, west.answer, west.choices) == ("choice", "false", ["true", "false"])
    sky = problems["The sky is"]
    assert (sky.answer, sky.choices) == ("Blue", ["Blue", "Green", "Red"])
    assert not any("several answers" in w for w in result.warnings)


def test_moodle_xml_examples_from_moodle_docs_import_with_their_options(personas: Personas) -> None:
    result = load(personas, "quiz.xml", MOODLE_XML_FROM_MOODLE_DOCS.encode())
    assert result.ok, [str(e) for e in result.errors]
    problems = {p.title: p for p in result.problem_set.problems.all()}
    one = problems["One right answer"]
    assert (one.answer_type, one.answer) == ("choice", "The correct answer")
    assert one.choices == ["The correct answer", "A distractor", "Another distractor"]
    primes = problems["Two right answers"]
    assert primes.statement == "Which are prime?" and primes.choices == ["2", "3", "4"]
    assert primes.answer.splitlines() == ["2", "3"], (
        "<single>false</single>: every positive fraction is right"
    )
    water = problems["Water"]
    assert (water.answer, water.choices) == ("true", ["true", "false"])


def test_our_yaml_expresses_one_several_and_true_false_and_exports_back(personas: Personas) -> None:
    result = load(personas, "choices.yaml", OUR_YAML.encode())
    assert result.ok, [str(e) for e in result.errors]
    problems = {p.key: p for p in result.problem_set.problems.all()}
    assert (problems["planet"].answer, problems["planet"].choices) == (
        "Jupiter",
        ["Mars", "Jupiter", "Venus"],
    )
    assert problems["primes"].answer.splitlines() == ["2", "5"]
    assert (problems["sun"].answer_type, problems["sun"].answer) == ("choice", "true")
    assert problems["sun"].choices == ["true", "false"]

    before = list(result.problem_set.problems.order_by("position").values("key", "answer", "choices"))
    again = load(personas, "choices.yaml", problem_set_export_yaml(problem_set=result.problem_set).encode())
    assert again.ok, [str(e) for e in again.errors]
    after = list(again.problem_set.problems.order_by("position").values("key", "answer", "choices"))
    assert after == before

    xml = problem_set_export_moodle(problem_set=result.problem_set)
    assert "<single>false</single>" in xml
    moodle = load(personas, "choices-moodle.xml", xml.encode())
    assert moodle.ok, [str(e) for e in moodle.errors]
    back = list(moodle.problem_set.problems.order_by("position").values("key", "answer", "choices"))
    assert back == before


def test_json_says_the_same(personas: Personas) -> None:
    data = {
        "problems": [
            {
                "key": "p",
                "statement": "Primes?",
                "answer_type": "choice",
                "choices": ["2", "4", "5"],
                "answer": ["2", "5"],
            },
            {"key": "t", "statement": "Ice floats.", "answer_type": "truefalse", "answer": True},
        ]
    }
    result = load(personas, "choices.json", json.dumps(data).encode())
    assert result.ok, [str(e) for e in result.errors]
    problems = {p.key: p for p in result.problem_set.problems.all()}
    assert problems["p"].answer.splitlines() == ["2", "5"]
    assert (problems["t"].answer, problems["t"].choices) == ("true", ["true", "false"])


def test_a_right_option_that_is_not_among_the_choices_is_refused_with_its_line(personas: Personas) -> None:
    text = OUR_YAML.replace('answer: ["2", "5"]', 'answer: ["2", "7"]')
    result = load(personas, "choices.yaml", text.encode())
    assert not result.ok
    assert any("'7' isn't one of the choices" in str(e) and "line 8" in str(e) for e in result.errors), [
        str(e) for e in result.errors
    ]


@pytest.fixture
def choice_set(personas: Personas) -> dict[str, Problem]:
    result = load(personas, "grant.gift", GIFT_FROM_MOODLE_DOCS.encode())
    assert result.ok, [str(e) for e in result.errors]
    make_assignment(classroom=personas.classroom, problem_set=result.problem_set)
    return by_statement(result.problem_set)


def pick(personas: Personas, problem: Problem, *options: str) -> dict:
    # What the page sends: the picked options, one per line.
    response = client_for(personas.student).post(
        reverse("answer_submit", args=[problem.pk]),
        json.dumps({"answer": "\n".join(options)}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_a_picked_option_is_graded_as_an_option_and_counts(
    personas: Personas, choice_set: dict[str, Problem]
) -> None:
    sky = choice_set["The sky is"]
    right = pick(personas, sky, "Blue")
    assert (right["counted"], right["correct"], right["interpreted_as"]) == (True, True, "Blue")
    wrong = pick(personas, sky, "Green")
    assert (wrong["counted"], wrong["correct"]) == (True, False)
    assert wrong["reason"] == "That isn't the right option."
    assert list(Attempt.objects.filter(problem=sky).order_by("pk").values_list("answer", "correct")) == [
        ("Blue", True),
        ("Green", False),
    ]
    # Not one of the options (a hand-made request), or two where one is asked: costs nothing.
    for options in (["Purple"], ["Blue", "Red"], []):
        refused = pick(personas, sky, *options)
        assert refused["counted"] is False and refused["attempts"] == 2


def test_several_right_options_must_all_be_ticked_and_true_false_is_graded(
    personas: Personas, choice_set: dict[str, Problem]
) -> None:
    two = choice_set["What two people are entombed in Grant's tomb?"]
    assert pick(personas, two, "Grant")["correct"] is False
    assert pick(personas, two, "Grant", "Grant's wife", "No one")["correct"] is False
    both = pick(personas, two, "Grant's wife", "Grant")
    assert both["correct"] is True and both["attempts"] == 3
    west = choice_set["The sun rises in the West."]
    assert pick(personas, west, "true")["correct"] is False
    assert pick(personas, west, "false")["correct"] is True


@pytest.mark.django_db(transaction=True)
async def test_the_tutor_reads_the_options(personas: Personas, fake_llm: FakeLLM) -> None:
    problem = await sync_to_async(lambda: load(personas, "grant.gift", GIFT_FROM_MOODLE_DOCS.encode()))()
    await sync_to_async(make_assignment)(classroom=personas.classroom, problem_set=problem.problem_set)
    sky = await Problem.objects.aget(problem_set=problem.problem_set, statement="The sky is")
    fake_llm.reply(solution_tokens("Look up on a clear day. What colour do you see?"))
    async with socket_for(personas.student) as ws:
        message_id = await open_and_ask(ws, sky.pk, mode="hint")
        await frames_until_done(ws, message_id)
    prompt = "\n".join(m["content"] for m in fake_llm.requests[-1]["messages"])
    assert "Choose one option" in prompt
    assert "- Blue\n- Green\n- Red" in prompt


@pytest.mark.parametrize(
    ("final_line", "verified"),
    [
        # How phi4 writes a several-answer pick: one box, the options joined in prose or by commas.
        ("$\\boxed{\\text{Mercury, Venus}}$", True),
        ("$\\boxed{\\text{Venus and Mercury}}$", True),
        ("Mercury; Venus", True),
        ("$\\boxed{\\text{Venus}}$", False),  # one of the two right options is not the answer
        ("$\\boxed{\\text{Mercury, Venus, Earth}}$", False),  # nor is a wrong one added
    ],
)
def test_a_worked_solution_naming_several_right_options_is_checked_against_a_one_per_line_key(
    final_line: str, verified: bool
) -> None:
    from inference.checker import check_model_output

    text = f"Mercury and Venus orbit inside the Earth's orbit.\n\n**Final answer:** {final_line}"
    verdict = check_model_output(gold="Mercury\nVenus", text=text, answer_type="choice")
    assert verdict.equivalent is verified, verdict.reason
