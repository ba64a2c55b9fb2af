"""Merged from the older tests/checking copy (what it had that tests/checker didn't): typed cases by
answer type, verdicts that explain themselves, extraction cases, and one more hostile power tower."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from inference.checker import check_answer, check_model_output, extract_final_answer

TYPED = Path(__file__).parent / "data" / "typed_cases.jsonl"
TYPED_CASES = [json.loads(line) for line in TYPED.read_text(encoding="utf-8").splitlines() if line.strip()]
OPTION_KEYS = ("sig_figs", "decimal_places", "accept_bare_value", "tolerance_mode")


@pytest.mark.parametrize("case", TYPED_CASES, ids=lambda c: f"{c['gold'][:20]} vs {c['answer'][:20]}")
def test_typed_case_gets_the_labelled_verdict(case: dict) -> None:
    verdict = check_answer(
        gold=case["gold"],
        answer=case["answer"],
        answer_type=case.get("answer_type"),
        tolerance=case.get("tolerance"),
        units=case.get("units"),
        options={k: case[k] for k in OPTION_KEYS if k in case},
    )
    assert verdict.equivalent is case["equivalent"], str(verdict)


@pytest.mark.parametrize(
    ("gold", "answer", "kwargs", "status", "words"),
    [
        ("10 m", "10", {}, "units_missing", "Units are missing"),
        ("5 kg", "5 m", {}, "wrong_units", "don't fit"),
        ("10 m", "10 cm", {}, "incorrect", "0.1 m"),
        (
            "2.5",
            "2.5",
            {"options": {"sig_figs": 3}},
            "wrong_precision",
            "2 significant figures and 3 were asked",
        ),
        ("5", "5 or 6", {}, "hedged", "one answer"),
        ("[0, 1)", "[0, 1]", {"answer_type": "interval"}, "incorrect", "brackets"),
        ("25%", "25", {}, "incorrect", "% sign"),
        ("1/3", "333/1000", {}, "incorrect", "exact"),
        ("2", "3x +", {}, "unparseable", "couldn't read"),
        ("2", "(2+3", {}, "unparseable", "brackets don't match"),
    ],
)
def test_verdicts_explain_themselves(gold: str, answer: str, kwargs: dict, status: str, words: str) -> None:
    verdict = check_answer(gold=gold, answer=answer, **kwargs)
    assert verdict.status == status, verdict
    assert words in verdict.reason, verdict.reason


def test_expression_fallback_to_numeric_evaluation_is_marked() -> None:
    # simplify() can't always prove these equal; evaluation at random points can.
    verdict = check_answer(gold="sin(x)^2", answer="(1 - cos(2x))/2", answer_type="expression")
    assert verdict.equivalent
    different = check_answer(gold="sqrt(x^2)", answer="x", answer_type="expression")
    assert not different.equivalent


@pytest.mark.parametrize(
    ("text", "answer", "status"),
    [
        ("Step 1... so $x = 5$.\n\n**Final answer:** $\\boxed{5}$", "5", "ok"),
        ("We get $\\boxed{\\dfrac{3}{4}}$.", "\\dfrac{3}{4}", "ok"),
        ("First $\\boxed{2}$ then we refine to $\\boxed{3}$.", "3", "multiple"),
        ("Final answer: 42", "42", "ok"),
        ("It could be 5 or 6, I'm not sure.\nFinal answer: 5 or 6", None, "hedged"),
        ("It is $\\boxed{5}$ or $\\boxed{6}$.", None, "hedged"),
        ("I have no idea.", None, "none"),
    ],
)
def test_extraction(text: str, answer: str | None, status: str) -> None:
    found = extract_final_answer(text)
    assert (found.status, found.answer) == (status, answer)


def test_a_latex_power_tower_in_model_output_is_bounded() -> None:
    started = time.monotonic()
    assert not check_model_output(gold="2", text="So the answer is $\\boxed{10^{10^{10^{10}}}}$").equivalent
    assert time.monotonic() - started < 6.0
