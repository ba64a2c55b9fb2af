"""Importing each format teachers already have, and exporting back."""

from __future__ import annotations

import pytest

from tests.conftest import Personas
from tests.problems.helpers import DATA, load, zip_of
from tutor.problems.models import Problem
from tutor.problems.services import problem_set_export_moodle, problem_set_export_yaml

pytestmark = pytest.mark.django_db


def test_our_yaml_format_with_parts_units_tolerance_and_hints(personas: Personas) -> None:
    result = load(personas, "kinematics.yaml")
    assert result.ok, [str(e) for e in result.errors]
    problem_set = result.problem_set
    assert (problem_set.key, problem_set.title, problem_set.model_name) == (
        "kinematics-1",
        "Kinematics warm-up",
        "phi4-mini",
    )
    speed = problem_set.problems.get(key="speed")
    assert (speed.answer, speed.answer_type, speed.tolerance, speed.difficulty) == (
        "75 km/h",
        "quantity",
        0.01,
        1,
    )
    assert speed.hints == ["Speed is distance divided by time.", "Divide 150 by 2."]
    assert speed.solution.startswith("$v = ") and speed.topic == "Physics"
    assert problem_set.problems.get(key="roots").answer_type == "equation"
    stem = problem_set.problems.get(key="ball")
    parts = list(stem.parts.order_by("position"))
    assert [p.key for p in parts] == ["ball-a", "ball-b"]
    assert (parts[1].units, parts[1].sig_figs) == ("m", 2)
    assert [p.key for p in problem_set.problems.order_by("position")] == [
        "speed",
        "roots",
        "ball",
        "ball-a",
        "ball-b",
    ]
    read = {key: latex for key, _, latex in result.read_as}
    # The checker's reading, as LaTeX (75\ \frac{\mathrm{km}}{\mathrm{h}} since the checker writes units
    # through pint); a stem with no key of its own isn't listed.
    assert read["speed"].startswith("75") and "km" in read["speed"] and "ball" not in read
    assert (result.created, result.updated) == (5, 0)


def test_json_with_choices_intervals_matrices_and_options(personas: Personas) -> None:
    result = load(personas, "geometry.json")
    assert result.ok, [str(e) for e in result.errors]
    problems = {p.key: p for p in result.problem_set.problems.all()}
    assert result.problem_set.model_name == "phi4-reasoning"
    area = problems["area"]
    assert (area.answer_type, area.units, area.tolerance, area.difficulty) == ("quantity", "cm^2", 0.005, 2)
    assert area.checker_options == {"decimal_places": 2}
    assert area.hints == ["The area of a circle is $\\pi r^2$.", "Square the radius first."]
    assert (problems["shape"].answer_type, problems["shape"].choices[1]) == ("choice", "triangle")
    assert (problems["ineq"].answer_type, problems["ineq"].difficulty) == ("interval", 3)
    assert problems["rot-a"].answer_type == "matrix" and problems["rot-a"].parent == problems["rot"]
    assert problems["rot-b"].checker_options == {"accept_bare_value": True}
    read = {key: latex for key, _, latex in result.read_as}
    assert "pmatrix" in read["rot-a"] or "matrix" in read["rot-a"]


def test_csv(personas: Personas) -> None:
    result = load(personas, "algebra.csv")
    assert result.ok, [str(e) for e in result.errors]
    assert (result.problem_set.key, result.problem_set.source_format) == ("algebra", "csv")
    problems = {p.key: p for p in result.problem_set.problems.all()}
    assert problems["lin1"].hints == ["Subtract 7 first.", "Then divide by 3."]
    assert (problems["g"].answer_type, problems["g"].tolerance, problems["g"].sig_figs) == (
        "quantity",
        0.01,
        3,
    )
    assert problems["set1"].answer == "{2, 3}" and problems["set1"].difficulty == 3
    assert {k: latex for k, _, latex in result.read_as}["frac"] == "\\frac{3}{4}"


def test_csv_parts_and_choices(personas: Personas) -> None:
    data = (
        b"key,parent,statement,answer,answer_type,choices\n"
        b"tri,,A right triangle has legs 3 and 4.,,,\n"
        b"a,tri,How long is the hypotenuse?,5,number,\n"
        b"b,tri,Is it isosceles?,no,choice,yes | no\n"
    )
    result = load(personas, "triangles.csv", data)
    assert result.ok, [str(e) for e in result.errors]
    stem = result.problem_set.problems.get(key="tri")
    assert [(p.key, p.answer) for p in stem.parts.order_by("position")] == [("tri-a", "5"), ("tri-b", "no")]
    assert stem.parts.get(key="tri-b").choices == ["yes", "no"]


def test_moodle_xml(personas: Personas) -> None:
    result = load(personas, "quiz.xml")
    assert result.ok, [str(e) for e in result.errors]
    problems = {p.title: p for p in result.problem_set.problems.all()}
    fall = problems["Free fall"]
    assert (fall.answer, fall.answer_type, fall.units, fall.tolerance) == ("44.1", "quantity", "m", 0.5)
    assert fall.checker_options["tolerance_mode"] == "absolute"
    assert fall.hints == ["Use d = ½ g t²."] and "44.1 m" in fall.solution
    assert "How far does it fall" in fall.statement and "<p>" not in fall.statement
    assert "m/s^2" in fall.statement  # <sup>2</sup>
    assert problems["Derivative"].answer_type == "expression"
    force = problems["Units of force"]
    assert (force.answer, force.answer_type, force.choices) == (
        "newton",
        "choice",
        ["joule", "newton", "watt"],
    )
    assert "Random speeds" not in problems
    assert any("calculated question" in w and "line 26" in w for w in result.warnings)
    assert result.problem_set.title == "Mechanics"


def test_moodle_calculated_truefalse_units_and_repeated_names(personas: Personas) -> None:
    result = load(personas, "calculated.xml")
    assert result.ok, [str(e) for e in result.errors]
    problems = {p.key: p for p in result.problem_set.problems.all()}
    speed = problems["speed"]
    # A randomised problem (issue 13): datasets with saved values only are lists of them.
    assert speed.statement == "A car goes {d} km in {t} h. What is its speed in km/h?"
    assert speed.template == {"variables": {"d": {"list": [90, 150]}, "t": {"list": [2]}}}
    assert (speed.answer, speed.units, speed.tolerance) == ("{d} / {t}", "km/h", 0.01)
    assert speed.checker_options == {"tolerance_mode": "relative"}
    light = problems["light"]  # markdown text is kept as written, '<' included
    assert light.statement == "Light is faster than sound, and $2 < 3$."
    assert (light.answer, light.choices) == ("true", ["true", "false"])
    gravity = problems["light-2"]  # the same name twice gets a second key
    assert (gravity.units, gravity.tolerance) == ("m/s^2", 0.1)  # the unit with multiplier 1
    assert gravity.hints == ["It is close to 10.", "Think of a falling apple."]
    assert any("an essay question" in w and "line 46" in w for w in result.warnings)


def test_gift(personas: Personas) -> None:
    result = load(personas, "circuits.gift")
    assert result.ok, [str(e) for e in result.errors]
    problems = {p.title: p for p in result.problem_set.problems.all()}
    ohm = problems["Ohm's law"]
    assert (ohm.answer, ohm.tolerance, ohm.solution) == ("3", 0.1, "R = V / I = 3 ohms")
    assert ohm.checker_options["tolerance_mode"] == "absolute"
    span = problems["Range"]
    assert float(span.answer) == pytest.approx(3.14) and span.tolerance == pytest.approx(0.01)
    assert problems["Weighted"].answer == "0.333"
    carrier = problems["Charge carrier"]
    assert (carrier.answer, carrier.answer_type) == ("electrons", "choice")
    assert carrier.choices == ["electrons", "protons", "neutrons"]
    assert (problems["Capital"].answer, problems["Capital"].answer_type) == ("carbon dioxide", "text")
    assert result.problem_set.title == "Electricity"


def test_gift_true_false_weights_escapes_and_skipped_types(personas: Personas) -> None:
    result = load(personas, "extras.gift")
    assert result.ok, [str(e) for e in result.errors]
    problems = {p.key: p for p in result.problem_set.problems.all()}
    assert (problems["earth"].answer, problems["earth"].choices) == ("false", ["true", "false"])
    assert problems["weighted"].answer == "2"
    assert problems["ratio"].statement == "Write the ratio 1:2 as a fraction {simplest}."
    assert problems["missing"].statement == "The derivative of $x^2$ is _____ for every real $x$."
    assert problems["missing"].answer_type == "expression"
    multi = problems["multi-line"]
    assert (multi.answer, multi.tolerance, multi.solution) == ("42", None, "Six sevens are forty-two.")
    assert "match" not in problems and "essay" not in problems
    assert any("matching question" in w and "line 10" in w for w in result.warnings)


def test_a_zip_of_good_files_imports_them_together(personas: Personas) -> None:
    data = zip_of(
        {
            "a/algebra.csv": (DATA / "algebra.csv").read_bytes(),
            "circuits.gift": (DATA / "circuits.gift").read_bytes(),
            "README.md": b"notes",
            "__MACOSX/._algebra.csv": b"\0\0",
        }
    )
    result = load(personas, "term1.zip", data)
    assert result.ok, [str(e) for e in result.errors]
    assert result.problem_set.key == "term1"
    assert result.problem_set.problems.count() == 9
    assert any("README.md" in w for w in result.warnings)


def test_yaml_export_imports_back_unchanged(personas: Personas) -> None:
    first = load(personas, "kinematics.yaml").problem_set
    first_json = load(personas, "geometry.json").problem_set
    for problem_set in (first, first_json):
        before = list(problem_set.problems.order_by("position").values())
        exported = problem_set_export_yaml(problem_set=problem_set)
        again = load(personas, f"{problem_set.key}.yaml", exported.encode())
        assert again.ok, [str(e) for e in again.errors]
        assert again.problem_set.pk == problem_set.pk and again.created == 0
        after = list(problem_set.problems.order_by("position").values())
        ignore = {"updated_at"}
        assert [{k: v for k, v in p.items() if k not in ignore} for p in after] == [
            {k: v for k, v in p.items() if k not in ignore} for p in before
        ]


def test_moodle_export_imports_back(personas: Personas) -> None:
    problem_set = load(personas, "kinematics.yaml").problem_set
    xml = problem_set_export_moodle(problem_set=problem_set)
    assert "<idnumber>ball-b</idnumber>" in xml
    back = load(personas, "kinematics-moodle.xml", xml.encode())
    assert back.ok, [str(e) for e in back.errors]
    speed = back.problem_set.problems.get(key="speed")
    # 1 % of 75 km/h becomes Moodle's absolute tolerance of 0.75 km/h.
    assert (speed.answer, speed.units, speed.tolerance) == ("75", "km/h", 0.75)
    assert speed.hints == Problem.objects.get(problem_set=problem_set, key="speed").hints
    part = back.problem_set.problems.get(key="ball-b")
    assert part.statement.startswith("A ball is thrown up") and part.statement.endswith(
        "How high does it go?"
    )
    assert back.problem_set.problems.get(key="roots").answer_type == "equation"
