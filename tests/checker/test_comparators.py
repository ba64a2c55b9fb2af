"""Typed comparators: what a student types is judged the way a careful teacher would."""

from __future__ import annotations

import pytest

from inference.checker import Verdict, check_answer


def check(gold: str, answer: str, **kwargs: object) -> Verdict:
    return check_answer(gold=gold, answer=answer, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("gold", "answer", "kwargs", "equivalent", "status"),
    [
        # numbers: exact when both exact, 0.1 % relative otherwise, absolute floor only at 0
        ("1/3", "2/6", {}, True, "correct"),
        ("1/3", "0.333", {}, True, "correct"),
        ("1/3", "0.33", {}, False, "incorrect"),
        ("2/3", "0.67", {}, False, "incorrect"),
        ("$\\pi$", "3.14", {}, True, "correct"),
        ("$e$", "2.718", {}, True, "correct"),
        ("0.0000123", "0.0000124", {}, False, "incorrect"),
        ("6.63e-34", "6.64e-34", {}, False, "incorrect"),
        ("0", "1e-12", {}, True, "correct"),
        ("0", "0.001", {}, False, "incorrect"),
        ("1.5", "1.5e3", {}, False, "incorrect"),
        ("1.5e3", "1500", {}, True, "correct"),
        ("1000", "1,000", {}, True, "correct"),
        ("$\\infty$", "oo", {}, True, "correct"),
        # per-problem tolerance
        ("100", "105", {"tolerance": 0.1}, True, "correct"),
        ("100", "115", {"tolerance": 0.1}, False, "incorrect"),
        ("100", "100.4", {"options": {"tolerance_mode": "absolute"}, "tolerance": 0.5}, True, "correct"),
        # significant figures and decimal places are read from what was typed
        ("3.14159", "3.14", {"options": {"sig_figs": 3}}, True, "correct"),
        ("3.14159", "3.142", {"options": {"sig_figs": 3}}, False, "wrong_precision"),
        ("3.14159", "3.1", {"options": {"sig_figs": 3}}, False, "incorrect"),
        ("0.004567", "4.6e-3", {"options": {"sig_figs": 2}}, True, "correct"),
        ("2.5", "2.50", {"options": {"decimal_places": 2}}, True, "correct"),
        ("2.5", "2.5", {"options": {"decimal_places": 2}}, False, "wrong_precision"),
        # expressions
        ("x^2 - 1", "(x-1)(x+1)", {}, True, "correct"),
        ("2*(x+1)", "2(x+1)", {}, True, "correct"),
        ("x*y", "x y", {}, True, "correct"),
        ("2 sin(x) cos(x)", "sin(2x)", {}, True, "correct"),
        ("$\\sin(x)^2 + \\cos(x)^2$", "1", {}, True, "correct"),
        ("$\\sqrt{x^2}$", "|x|", {}, True, "correct"),
        ("$\\sqrt{x^2}$", "x", {}, False, "incorrect"),
        ("$\\ln(x^2)$", "$2\\ln x$", {}, False, "incorrect"),
        ("2", "2*x", {}, False, "incorrect"),
        ("x", "X", {}, False, "incorrect"),
        # equations: solution sets or proportional sides; bare values per problem
        ("x^2=4", "x=2 or x=-2", {}, True, "correct"),
        ("x^2=4", "x = \\pm 2", {}, True, "correct"),
        ("x^2-5x+6=0", "x=2, x=3", {}, True, "correct"),
        ("x^2-5x+6=0", "{2,3}", {}, True, "correct"),
        ("x^2-5x+6=0", "x=2", {}, False, "incorrect"),
        ("2x + 4 = 0", "x + 2 = 0", {}, True, "correct"),
        ("y = 2x+1", "2x - y + 1 = 0", {}, True, "correct"),
        ("y = x^2", "y = x^3", {}, False, "incorrect"),
        ("$k=1$", "1", {}, True, "correct"),
        ("x = 2", "2", {"options": {"accept_bare_value": False}}, False, "incorrect"),
        ("x + y = 3", "2x + 2y = 6", {}, True, "correct"),
        # sets, intervals, tuples, matrices
        ("{1,2}", "{2,1}", {}, True, "correct"),
        ("{1,2,3}", "{1,2}", {}, False, "incorrect"),
        ("{}", "\\emptyset", {}, True, "correct"),
        ("$\\pm 2021$", "{-2021, 2021}", {}, True, "correct"),
        ("(3,1)", "{1,3}", {}, False, "incorrect"),
        ("(1,2)", "(2,1)", {}, False, "incorrect"),
        ("[0,1)", "[0,1]", {}, False, "incorrect"),
        ("[0,1)", "[0, 1)", {}, True, "correct"),
        ("(-oo, 0]", "(-infinity, 0]", {}, True, "correct"),
        ("(0, 1)", "0 < x < 1", {"answer_type": "interval"}, True, "correct"),
        ("$[2, \\infty)$", "$x \\geq 2$", {}, True, "correct"),
        ("[[1,2],[3,4]]", "$\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}$", {}, True, "correct"),
        ("[[1,2],[3,4]]", "[[1,3],[2,4]]", {}, False, "incorrect"),
        ("[[1,2]]", "[[1],[2]]", {}, False, "incorrect"),
        ("[[0.5,2],[3,4]]", "[[1/2,2],[3,4]]", {}, True, "correct"),
        # degrees and radians
        ("$\\frac{\\pi}{6}$", "$30^\\circ$", {}, True, "correct"),
        ("$\\frac{\\pi}{2}$", "90 degrees", {}, True, "correct"),
        ("30°", "pi/6", {}, True, "correct"),
        ("$90^\\circ$", "90", {}, True, "correct"),
        ("$\\frac{\\pi}{6}$", "30", {}, False, "incorrect"),
        ("$\\frac{\\sqrt{3}}{2}$", "$\\sin(60^\\circ)$", {}, True, "correct"),
        ("$\\frac{\\pi}{3}$", "$\\frac{\\pi}{3}\\text{ rad}$", {}, True, "correct"),
        # percentages: no x100 trap
        ("$10\\%$", "0.1", {}, True, "correct"),
        ("0.35", "35%", {}, True, "correct"),
        ("35%", "35", {}, False, "incorrect"),
        ("10%", "1000", {}, False, "incorrect"),
        ("0.5", "50", {}, False, "incorrect"),
    ],
)
def test_comparator(gold: str, answer: str, kwargs: dict, equivalent: bool, status: str) -> None:
    verdict = check(gold, answer, **kwargs)
    assert (verdict.equivalent, verdict.status) == (equivalent, status), verdict
    assert verdict.reason and verdict.comparator


@pytest.mark.parametrize(
    ("gold", "answer", "kwargs", "equivalent", "status"),
    [
        ("10 m", "1000 cm", {}, True, "correct"),
        ("10 m", "10 cm", {}, False, "incorrect"),
        ("$10\\text{ m}$", "$10\\text{ cm}$", {}, False, "incorrect"),
        ("10 m", "10", {}, False, "units_missing"),
        ("5 kg", "5 m", {}, False, "wrong_units"),
        ("-9.81 m/s^2", "-9.81 m/s", {}, False, "wrong_units"),
        ("10", "10 m", {}, False, "incorrect"),
        ("5 m/s", "18 km/h", {}, True, "correct"),
        ("$20\\,\\mathrm{m\\,s^{-1}}$", "72 km/h", {}, True, "correct"),
        ("5 N", "5 kg m/s^2", {}, True, "correct"),
        ("1 kWh", "3.6e6 J", {}, True, "correct"),
        ("$1.2\\times10^{3}\\ \\text{W}$", "1.2 kW", {}, True, "correct"),
        ("2.5 L", "2500 cm^3", {}, True, "correct"),
        ("3 \\mu m", "0.003 mm", {}, True, "correct"),
        ("25 °C", "298.15 K", {}, True, "correct"),
        ("0 degC", "32 degF", {}, True, "correct"),
        ("25", "0.25 m", {"units": "cm"}, True, "correct"),
        ("25", "25", {"units": "cm"}, False, "units_missing"),
        ("9.81 m/s^2", "9.8 m/s^2", {"options": {"sig_figs": 2}}, True, "correct"),
    ],
)
def test_quantities_with_units(gold: str, answer: str, kwargs: dict, equivalent: bool, status: str) -> None:
    verdict = check(gold, answer, **kwargs)
    assert (verdict.equivalent, verdict.status) == (equivalent, status), verdict
    assert verdict.comparator == ("number" if gold == "10" else "quantity")


def test_reasons_speak_to_a_student() -> None:
    missing = check("10 m", "10")
    assert "units" in missing.reason.lower() and "m" in missing.reason
    precision = check("3.14159", "3.142", options={"sig_figs": 3})
    assert "4 significant figures" in precision.reason and "3 were asked" in precision.reason
    dimension = check("5 kg", "5 m")
    assert "m" in dimension.reason and "kg" in dimension.reason
    converted = check("10 m", "1000 cm")
    assert "converted" in converted.reason
    brackets = check("[0,1)", "[0,1]")
    assert "bracket" in brackets.reason
    percent = check("35%", "35")
    assert "%" in percent.reason
    exact = check("1/3", "0.33")
    assert exact.reason
    missing_solution = check("x^2-5x+6=0", "x=2")
    assert "missing" in missing_solution.reason


def test_interpreted_as_is_latex_of_the_reading() -> None:
    assert check("3/4", "3/4").interpreted_as == "\\frac{3}{4}"
    assert check("1/2", "0.5").interpreted_as == "0.5"
    assert check("x^2", "x**2").interpreted_as == "x^{2}"
    assert check("10 m", "1000 cm").interpreted_as == "1000\\ \\mathrm{cm}"
    assert check("$10\\%$", "10%").interpreted_as == "10\\%"


def test_numeric_only_marks_a_random_point_check() -> None:
    symbolic = check("x^2 - 1", "(x-1)(x+1)")
    assert symbolic.equivalent and not symbolic.numeric_only
    cardano = check("$2$", "$\\sqrt[3]{\\sqrt{108}+10}-\\sqrt[3]{\\sqrt{108}-10}$")
    assert cardano.equivalent


@pytest.mark.parametrize(
    ("answer", "where"),
    [
        ("2+", "2+"),
        ("3*/4", "/4"),
        ("x^", "x^"),
        ("1,,2", "empty"),
        ("3x @ 4", "@"),
        ("2 + (3", "bracket"),
        ("\\frac{1}{", "\\frac{1}{"),
        ("\\frac{-b\\pm\\sqrt{b^2-4ac}}{2a} + \\foo{", "\\foo"),
        ("|x", "|"),
    ],
)
def test_garbled_input_is_unparseable_with_a_reason_saying_where(answer: str, where: str) -> None:
    verdict = check("2", answer)
    assert not verdict.equivalent
    assert verdict.status == "unparseable"
    assert verdict.interpreted_as == ""
    assert where in verdict.reason, verdict.reason


def test_an_unreadable_key_is_reported_as_the_key_not_the_student() -> None:
    verdict = check("\\frac{1}{", "1")
    assert verdict.status == "bad_key" and not verdict.equivalent


def test_choice_answers_compare_as_text() -> None:
    assert check("B", "b", answer_type="choice").equivalent
    assert not check("B", "C", answer_type="choice").equivalent
