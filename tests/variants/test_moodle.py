"""Moodle calculated questions: imported as randomised problems (dataset definitions become ranges
or lists, formulas our syntax), shown as variants, exported back as calculated questions with ten
dataset items, and imported again unchanged. The questions follow the examples of Moodle's
documentation (docs.moodle.org/en/Calculated_question_type, .../Calculated_multichoice_question_type)
and the XML Moodle 4.x writes for them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories
from tests.clients import client_for
from tests.conftest import Personas
from tests.problems.helpers import load
from tutor.problems import variants
from tutor.problems.models import Problem
from tutor.problems.services import problem_set_export_moodle

pytestmark = pytest.mark.django_db


def dataset(name: str, low: str, high: str, decimals: int, values: list[str]) -> str:
    items = "".join(
        f"<dataset_item><number>{n}</number><value>{v}</value></dataset_item>"
        for n, v in enumerate(values, 1)
    )
    return (
        "<dataset_definition><status><text>private</text></status>"
        f"<name><text>{name}</text></name><type>calculated</type>"
        "<distribution><text>uniform</text></distribution>"
        f"<minimum><text>{low}</text></minimum><maximum><text>{high}</text></maximum>"
        f"<decimals><text>{decimals}</text></decimals><itemcount>{len(values)}</itemcount>"
        f"<dataset_items>{items}</dataset_items><number_of_items>{len(values)}</number_of_items>"
        "</dataset_definition>"
    )


RECTANGLE = f"""<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category"><category><text>$course$/Top/Areas</text></category></question>
  <question type="calculated">
    <name><text>Rectangle</text></name>
    <questiontext format="html"><text><![CDATA[<p>What is the area of a rectangle of sides {{A}} cm and {{B}} cm? (Its perimeter is {{=2*({{A}}+{{B}})}} cm.)</p>]]></text></questiontext>
    <generalfeedback format="html"><text>Area = {{A}} × {{B}}</text></generalfeedback>
    <answer fraction="100">
      <text>{{A}}*{{B}}</text>
      <tolerance>0.01</tolerance><tolerancetype>1</tolerancetype>
      <correctanswerformat>1</correctanswerformat><correctanswerlength>2</correctanswerlength>
    </answer>
    <units><unit><multiplier>1</multiplier><unit_name>cm^2</unit_name></unit></units>
    <dataset_definitions>
      {dataset("A", "1", "10", 1, ["2.5", "7.1", "3.4"])}
      {dataset("B", "2", "20", 0, ["4", "15", "9"])}
    </dataset_definitions>
  </question>
  <question type="calculatedsimple">
    <name><text>Circle</text></name>
    <questiontext format="html"><text>A circle has radius {{r}}. What is its area?</text></questiontext>
    <answer fraction="100"><text>pi() * pow({{r}}, 2)</text><tolerance>0.001</tolerance><tolerancetype>1</tolerancetype></answer>
    <dataset_definitions>{dataset("r", "1", "9", 0, ["3", "5"])}</dataset_definitions>
  </question>
  <question type="calculatedmulti">
    <name><text>Sum</text></name>
    <questiontext format="html"><text>What is {{a}} + {{b}}?</text></questiontext>
    <answer fraction="100"><text>{{={{a}}+{{b}}}}</text></answer>
    <answer fraction="0"><text>{{={{a}}*{{b}}}}</text></answer>
    <answer fraction="0"><text>{{={{a}}-{{b}}}}</text></answer>
    <dataset_definitions>
      {dataset("a", "5", "9", 0, ["5"])}
      {dataset("b", "2", "4", 0, ["2"])}
    </dataset_definitions>
  </question>
  <question type="calculated">
    <name><text>Remainder</text></name>
    <questiontext format="html"><text>What is {{n}} mod 3?</text></questiontext>
    <answer fraction="100"><text>fmod({{n}}, 3)</text></answer>
    <dataset_definitions>{dataset("n", "10", "20", 0, ["11"])}</dataset_definitions>
  </question>
</quiz>
"""


def problems_of(result) -> dict[str, Problem]:
    assert result.ok, [str(e) for e in result.errors]
    return {p.key: p for p in result.problem_set.problems.all()}


def test_calculated_questions_import_as_randomised_problems(personas: Personas) -> None:
    problems = problems_of(load(personas, "areas.xml", RECTANGLE.encode()))
    rectangle = problems["rectangle"]
    assert rectangle.template == {"variables": {"A": {"range": [1, 10, 0.1]}, "B": {"range": [2, 20]}}}
    assert rectangle.answer == "{A} * {B}"
    assert (rectangle.units, rectangle.tolerance, rectangle.answer_type) == ("cm^2", 0.01, "quantity")
    assert "{=2 * (A + B)}" in rectangle.statement
    assert problems["circle"].answer == "pi * {r} ^ 2"
    total = problems["sum"]
    assert (total.answer_type, total.answer) == ("choice", "{=a + b}")
    assert total.choices == ["{=a + b}", "{=a * b}", "{=a - b}"]
    # fmod can't be keyed by the tutor: the old import with the first saved values, said in a note.
    assert problems["remainder"].template == {} and problems["remainder"].answer == "2"


def test_a_student_sees_and_is_graded_on_a_variant_of_an_imported_question(personas: Personas) -> None:
    result = load(personas, "areas.xml", RECTANGLE.encode())
    factories.make_assignment(classroom=personas.classroom, problem_set=result.problem_set)
    rectangle = problems_of(result)["rectangle"]
    samples = [row for row in result.read_as if row[0].startswith("rectangle (variant")]
    assert len(samples) == 3
    variant = variants.resolve(problem=rectangle, user=personas.student).variant
    a, b = float(variant.value_of["A"]), float(variant.value_of["B"])
    assert f"sides {variant.value_of['A']} cm and {variant.value_of['B']} cm" in variant.statement
    response = client_for(personas.student).post(
        reverse("answer_submit", args=[rectangle.pk]), {"answer": f"{a * b:.6g} cm^2"}
    )
    assert response.json()["correct"] is True
    total = problems_of(result)["sum"]
    choice = variants.resolve(problem=total, user=personas.student)
    x, y = int(choice.variant.value_of["a"]), int(choice.variant.value_of["b"])
    assert choice.answer == str(x + y) and choice.choices == [str(x + y), str(x * y), str(x - y)]


def test_a_calculated_question_exports_and_imports_back_the_same(personas: Personas) -> None:
    first = load(personas, "areas.xml", RECTANGLE.encode())
    exported = problem_set_export_moodle(problem_set=first.problem_set)
    assert exported.count('<question type="calculated">') == 2  # rectangle; remainder is fixed now
    assert '<question type="calculatedmulti">' in exported
    assert "<text>{A} * {B}</text>" in exported and "pow({r}, 2)" in exported and "pi()" in exported
    assert exported.count("<dataset_item>") == 10 * 2 + 10 + 10 * 2
    again = load(personas, "areas.xml", exported.encode())
    assert again.ok and again.updated == 4, [str(e) for e in again.errors]
    before, after = problems_of(first), problems_of(again)
    for key in ("rectangle", "circle", "sum"):
        old, new = before[key], after[key]
        fields = (
            "template",
            "statement",
            "answer",
            "answer_type",
            "units",
            "tolerance",
            "choices",
            "solution",
        )
        assert [getattr(old, f) for f in fields] == [getattr(new, f) for f in fields], key


def test_constraints_and_same_for_everyone_travel_as_question_tags(personas: Personas) -> None:
    yaml_set = b"""\
key: tagged
problems:
  - key: diff
    statement: What is {a} - {b}?
    variables: {a: {range: [1, 9]}, b: {range: [1, 9]}}
    constraints: ["a > b"]
    same_for_everyone: yes
    answer: "{a} - {b}"
"""
    first = load(personas, "tagged.yaml", yaml_set)
    exported = problem_set_export_moodle(problem_set=first.problem_set)
    assert "<tag><text>phi-constraint: a &gt; b</text></tag>" in exported
    again = problems_of(load(personas, "tagged.xml", exported.encode()))["diff"]
    assert again.template["constraints"] == ["a > b"] and again.template["same_for_everyone"] is True
