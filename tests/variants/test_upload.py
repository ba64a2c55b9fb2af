"""Uploading randomised problems: the template syntax of our YAML/JSON, three sample variants
with their keys shown before saving, an unsatisfiable or hostile template refused with its line,
and the YAML export uploading back unchanged."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from tests.clients import client_for
from tests.conftest import Personas
from tests.problems.helpers import load
from tutor.problems.models import Problem
from tutor.problems.services import problem_set_export_yaml

pytestmark = pytest.mark.django_db

QUADRATIC = b"""\
key: roots
title: Roots
problems:
  - key: root
    statement: Find the larger root of ${a}x^2 + {b}x + {c} = 0$.
    variables:
      a: {range: [1, 5]}
      b: {range: [5, 20]}
      c: {list: [1, 2, 3]}
    constraints:
      - b^2 - 4*a*c > 0
      - a != c
    answer: "(-{b} + sqrt({b}^2-4*{a}*{c}))/(2*{a})"
    hints: ["Use the quadratic formula with a = {a}."]
  - key: fall
    statement: A ball is thrown up at {v0} m/s. Where is it after {t} s? Take g = {g} m/s^2.
    variables:
      v0: {range: [10, 30]}
      t: {range: [0.5, 2, 0.5]}
      g: 9.8
    answer: "{v0}*{t} - 1/2*{g}*{t}^2 m"
    answer_type: quantity
"""


def test_a_template_is_saved_and_three_sample_variants_are_shown_with_their_keys(personas: Personas) -> None:
    result = load(personas, "roots.yaml", QUADRATIC)
    assert result.ok, [str(e) for e in result.errors]
    problem = Problem.objects.get(problem_set=result.problem_set, key="root")
    assert problem.template == {
        "variables": {"a": {"range": [1, 5]}, "b": {"range": [5, 20]}, "c": {"list": [1, 2, 3]}},
        "constraints": ["b^2 - 4*a*c > 0", "a != c"],
    }
    samples = [row for row in result.read_as if row[0].startswith("root (variant")]
    assert len(samples) == 3
    assert all("a = " in label and "b = " in label for label, _, _ in samples)
    falls = [row for row in result.read_as if row[0].startswith("fall (variant")]
    assert len(falls) == 3 and all(key.endswith(" m") for _, key, _ in falls), falls


def test_the_upload_page_previews_the_sample_variants(personas: Personas) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for(personas.teacher).post(
        reverse("problem_set_upload"),
        {"file": SimpleUploadedFile("roots.yaml", QUADRATIC), "dry_run": "on"},
    )
    page = response.content.decode()
    assert page.count("root (variant") == 3, page


def test_an_unsatisfiable_template_is_refused_at_upload_with_its_line(personas: Personas) -> None:
    data = QUADRATIC.replace(b"- a != c", b"- a > 5")
    result = load(personas, "roots.yaml", data)
    assert not result.ok
    messages = [str(e) for e in result.errors]
    assert any(m.startswith("roots.yaml, line 10, constraints:") and "1000 tries" in m for m in messages), (
        messages
    )
    assert not Problem.objects.filter(key="root").exists(), "nothing saved"


@pytest.mark.parametrize(
    ("variable", "line", "said"),
    [
        ("b: {range: [5, 100000000000]}", 8, "beyond"),
        ('b: "9^9^9^9"', 8, "Powers above"),
        ("b: \"__import__('os').system('id')\"", 8, "allowed"),
        ('b: "{q}*2"', 8, "isn't a variable"),
    ],
)
def test_a_hostile_or_broken_variable_is_refused_with_its_own_line(
    personas: Personas, variable: str, line: int, said: str
) -> None:
    data = QUADRATIC.replace(b"b: {range: [5, 20]}", variable.encode())
    result = load(personas, "roots.yaml", data)
    messages = [str(e) for e in result.errors]
    assert any(m.startswith(f"roots.yaml, line {line}, variables:") and said in m for m in messages), messages


def test_a_key_that_cant_be_read_with_the_values_is_refused_with_the_problems_line(
    personas: Personas,
) -> None:
    data = QUADRATIC.replace(b'"(-{b} + sqrt({b}^2-4*{a}*{c}))/(2*{a})"', b'"{a} +* {b}"')
    messages = [str(e) for e in load(personas, "roots.yaml", data).errors]
    assert any(m.startswith("roots.yaml, line 4, answer:") for m in messages), messages


def test_json_says_templates_the_same_way(personas: Personas) -> None:
    document = {
        "key": "j",
        "problems": [
            {
                "statement": "What is {a} + {b}?",
                "answer": "{a}+{b}",
                "variables": {"a": {"range": [1, 9]}, "b": {"list": [10, 20]}},
                "constraints": ["a != 5"],
                "same_for_everyone": "yes",
            }
        ],
    }
    result = load(personas, "j.json", json.dumps(document).encode())
    assert result.ok, [str(e) for e in result.errors]
    problem = result.problem_set.problems.get()
    assert problem.template["same_for_everyone"] is True


def test_the_yaml_export_uploads_back_unchanged(personas: Personas) -> None:
    first = load(personas, "roots.yaml", QUADRATIC)
    exported = problem_set_export_yaml(problem_set=first.problem_set)
    again = load(personas, "roots.yaml", exported.encode())
    assert again.ok and again.updated == 2, [str(e) for e in again.errors]
    assert problem_set_export_yaml(problem_set=again.problem_set) == exported


def test_named_mistakes_are_read_and_a_badly_written_one_is_refused(personas: Personas) -> None:
    with_mistake = QUADRATIC.replace(
        b'    hints: ["Use the quadratic formula with a = {a}."]\n',
        b'    hints: ["Use the quadratic formula with a = {a}."]\n'
        b'    mistakes:\n      - {answer: "(-{b} - sqrt({b}^2-4*{a}*{c}))/(2*{a})", says: That is the smaller root.}\n',
    )
    result = load(personas, "roots.yaml", with_mistake)
    assert result.ok, [str(e) for e in result.errors]
    problem = Problem.objects.get(problem_set=result.problem_set, key="root")
    assert problem.template["mistakes"] == [
        {"answer": "(-{b} - sqrt({b}^2-4*{a}*{c}))/(2*{a})", "says": "That is the smaller root."}
    ]
    broken = with_mistake.replace(b"says: That is the smaller root.", b"tells: oops")
    messages = [str(e) for e in load(personas, "roots.yaml", broken).errors]
    assert any(m.startswith("roots.yaml, line 4, mistakes:") for m in messages), messages


def test_a_randomised_quantity_without_units_is_refused(personas: Personas) -> None:
    data = QUADRATIC.replace(b'answer: "{v0}*{t} - 1/2*{g}*{t}^2 m"', b'answer: "{v0}*{t} - 1/2*{g}*{t}^2"')
    messages = [str(e) for e in load(personas, "roots.yaml", data).errors]
    assert any(m.startswith("roots.yaml, line 15, units: a quantity needs units") for m in messages), messages
