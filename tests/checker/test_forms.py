"""Typing the question back is refused without costing an attempt; a per-problem form is enforced;
unknown words are named instead of multiplied out."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from inference.checker import NOT_JUDGED, Status, check_answer


@pytest.mark.parametrize(
    ("gold", "answer", "operation"),
    [
        ("2", "\\int_0^1 (2x+1)\\,dx", "an integral"),
        ("3x^2 sin(x) + x^3 cos(x)", "\\frac{d}{dx} x^3 \\sin x", "a derivative"),
        ("1", "\\lim_{x\\to 0} \\frac{\\sin x}{x}", "a limit"),
        ("55", "\\sum_{k=1}^{10} k", "a sum"),
        ("3628800", "\\prod_{k=1}^{10} k", "a product"),
        ("-1", "2*3-1*5", "a calculation"),
        ("-1", "\\det\\begin{pmatrix}2&1\\\\5&3\\end{pmatrix}", "a determinant"),
        ("120", "n!", "a factorial"),
        ("10", "\\binom{5}{2}", "a binomial coefficient"),
    ],
)
def test_an_answer_that_still_does_the_work_is_refused_without_costing_an_attempt(
    gold: str, answer: str, operation: str
) -> None:
    verdict = check_answer(gold=gold, answer=answer)
    assert (verdict.equivalent, verdict.status) == (False, Status.WORK_IT_OUT), verdict
    assert operation in verdict.reason and "work it out" in verdict.reason
    assert verdict.status in NOT_JUDGED


@pytest.mark.parametrize(
    ("gold", "answer"),
    [
        ("120", "5!"),  # a factorial of a number is a number
        ("17", "16+1"),  # short arithmetic is left to the value check
        ("1/2", "4^(-1/2)"),
        ("(n+1)!", "(n+1)*n!"),  # the key has the factorial too
        ("x<2 or x>2", "x != 2"),  # != is not a factorial
    ],
)
def test_answers_that_only_look_like_the_question_are_judged(gold: str, answer: str) -> None:
    verdict = check_answer(gold=gold, answer=answer)
    assert verdict.equivalent, verdict


@pytest.mark.parametrize(
    ("gold", "answer", "form", "ok", "words"),
    [
        ("x+3", "(x^2-9)/(x-3)", "simplified", False, "simplified"),
        ("x+3", "x+3", "simplified", True, ""),
        ("(x+1)^2", "x^2+2x+1", "simplified", True, ""),
        ("x^2-1", "(x-1)*(x+1)", "expanded", False, "expanded"),
        ("2x+2", "2*(x+1)", "expanded", False, "expanded"),
        ("x^2-1", "x^2-1", "expanded", True, ""),
        ("2x-2", "2*(x-1)", "factored", True, ""),
        ("2x-2", "2x-2", "factored", False, "factorised"),
        ("2*(x+2)*(x+3)", "(x+2)*(2x+6)", "factored", False, "factorised"),
        ("x^3-x+1", "x^3-x+1", "factored", True, ""),
        ("1/2", "2/4", "reduced_fraction", False, "lowest terms"),
        ("1/2", "0.5", "reduced_fraction", False, "lowest terms"),
        ("1/2", "\\frac{1}{2}", "reduced_fraction", True, ""),
        ("3/4", "0.75", "decimal", True, ""),
        ("3/4", "3/4", "decimal", False, "decimal"),
        ("sqrt(2)", "1.4142", "exact", False, "exact"),
        ("sqrt(2)", "sqrt(2)", "exact", True, ""),
    ],
)
def test_a_form_asked_for_is_enforced_with_a_reason_naming_it(
    gold: str, answer: str, form: str, ok: bool, words: str
) -> None:
    verdict = check_answer(gold=gold, answer=answer, options={"form": form}, tolerance=0.001)
    if ok:
        assert verdict.equivalent, verdict
    else:
        assert (verdict.equivalent, verdict.status) == (False, Status.WRONG_FORM), verdict
        assert words in verdict.reason and "right value" in verdict.reason


def test_a_wrong_value_in_the_asked_form_is_just_wrong() -> None:
    verdict = check_answer(gold="x^2-1", answer="x^2+1", options={"form": "expanded"})
    assert verdict.status == Status.INCORRECT


def test_an_unknown_form_is_a_bad_key() -> None:
    assert check_answer(gold="1", answer="1", options={"form": "tidy"}).status == Status.BAD_KEY


@pytest.mark.parametrize(
    ("gold", "answer"),
    [
        ("1/sin(3x)", "cosec(3x)"),
        ("1+csch(3x)", "1+cosech(3x)"),
        ("ln(x+sqrt(x^2+1))", "asinh(x)"),
        ("-1", "signum(-3)"),
        ("2", "lg(100)"),
        ("x*y", "xy"),
        ("2*pi*r", "2pir"),
    ],
)
def test_known_functions_get_their_meaning(gold: str, answer: str) -> None:
    verdict = check_answer(gold=gold, answer=answer)
    assert verdict.equivalent, verdict


@pytest.mark.parametrize(
    ("gold", "answer", "named", "suggestion"),
    [
        ("1/sin(3x)", "cosecc(3x)", "cosecc", "cosec"),
        ("1", "odd", "odd", ""),
        ("5", "five", "five", ""),
        ("sin(x)", "sinn(x)", "sinn", "sin"),
    ],
)
def test_an_unknown_word_is_named_not_multiplied_out(
    gold: str, answer: str, named: str, suggestion: str
) -> None:
    verdict = check_answer(gold=gold, answer=answer)
    assert (verdict.equivalent, verdict.status) == (False, Status.UNPARSEABLE), verdict
    assert f"I don't know '{named}'" in verdict.reason
    if suggestion:
        assert f"did you mean {suggestion}?" in verdict.reason


def test_the_command_line_takes_form_and_model_text(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    lines = [
        {"gold": "x+3", "answer": "(x^2-9)/(x-3)", "form": "simplified", "equivalent": False},
        {"gold": "2", "answer": "\\int_0^1 (2x+1)\\,dx", "equivalent": False},
        {"gold": "{-2, 1}", "text": "So the roots are $\\boxed{-2}$ and $\\boxed{1}$.", "equivalent": True},
    ]
    cases.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "inference.checker", str(cases)],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=120,
        check=True,
    ).stdout.splitlines()
    verdicts = [json.loads(line) for line in out[:-1]]
    assert [v["status"] for v in verdicts] == [Status.WRONG_FORM, Status.WORK_IT_OUT, Status.CORRECT]
    summary = json.loads(out[-1])["summary"]
    assert summary["agree"] == 3 and summary["crashes"] == 0 and summary["cases_per_second"] > 0


@pytest.mark.parametrize(
    ("gold", "answer", "equal"),
    [
        ("odd", "odd", True),
        ("odd", "even", False),
        ("even", "Even.", True),
        ("$\\text{Evelyn}$", "\\text{Evelyn}", True),
        ("$\\text{Evelyn}$", "Carla", False),
    ],
)
def test_a_word_key_is_compared_as_text(gold: str, answer: str, equal: bool) -> None:
    verdict = check_answer(gold=gold, answer=answer)
    assert verdict.equivalent is equal and verdict.status in (Status.CORRECT, Status.INCORRECT), verdict


@pytest.mark.parametrize(
    ("gold", "answer", "equal", "words"),
    [
        ("x^3/3 + C", "x^3/3 + c", True, "up to the constant"),
        ("x^3/3 + C", "x^3/3 + 5 + k", True, "up to the constant"),
        ("sin(2x) + C", "2 sin(x) cos(x) + K", True, "up to the constant"),
        ("x^3/3 + C", "x^3/3", False, "constant of integration"),
        ("x^3/3 + C", "x^2/2 + C", False, "isn't equal"),
    ],
)
def test_an_antiderivative_key_is_matched_up_to_its_constant_when_asked(
    gold: str, answer: str, equal: bool, words: str
) -> None:
    verdict = check_answer(gold=gold, answer=answer, options={"up_to_constant": True})
    assert verdict.equivalent is equal and words in verdict.reason, verdict


def test_without_the_option_a_lone_letter_in_a_key_is_a_quantity() -> None:
    # "A + B + C" may be three angles: k is not C.
    assert not check_answer(gold="A + B + C", answer="A + B + k").equivalent


def test_the_preview_names_a_word_close_to_a_known_name() -> None:
    from inference.checker import preview_answer

    assert "did you mean cosec?" in preview_answer(answer="cosecc(3x)").message
    assert preview_answer(answer="2xy").message == "Your answer was read as shown."
