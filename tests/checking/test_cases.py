"""The checker against labelled cases: the shared public set and our own cases by answer type."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from inference.checker import check_answer

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "checker-cases" / "public.jsonl"
COPY = Path(__file__).parent / "data" / "public.jsonl"
PUBLIC = SHARED if SHARED.exists() else COPY
TYPED = Path(__file__).parent / "data" / "typed_cases.jsonl"


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def run_case(case: dict):
    options = {
        k: case[k] for k in ("sig_figs", "decimal_places", "accept_bare_value", "tolerance_mode") if k in case
    }
    return check_answer(
        gold=case["gold"],
        answer=case["answer"],
        answer_type=case.get("answer_type"),
        tolerance=case.get("tolerance"),
        units=case.get("units"),
        options=options,
    )


@pytest.mark.parametrize("case", load(PUBLIC), ids=lambda c: f"{c['gold'][:20]} vs {c['answer'][:20]}")
def test_public_case_gets_the_labelled_verdict(case: dict) -> None:
    verdict = run_case(case)
    assert verdict.equivalent is case["equivalent"], f"{case['note']}\n-> {verdict}"
    assert verdict.reason
    if verdict.status not in ("unparseable", "hedged", "no_answer"):
        assert verdict.interpreted_as, "every verdict says how the answer was read"


@pytest.mark.parametrize("case", load(TYPED), ids=lambda c: f"{c['gold'][:20]} vs {c['answer'][:20]}")
def test_typed_case_gets_the_labelled_verdict(case: dict) -> None:
    verdict = run_case(case)
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


def test_command_line_prints_one_line_per_case_and_a_summary(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        json.dumps({"gold": "1/2", "answer": "0.5", "equivalent": True})
        + "\n"
        + json.dumps({"gold": "10 m", "answer": "10", "answer_type": "quantity"})
        + "\n"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "inference.checker", str(cases)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert (
        lines[0]["equivalent"] is True
        and lines[0]["status"] == "correct"
        and lines[0]["interpreted_as"] == "0.5"
    )
    assert "ms" in lines[0]
    assert lines[1]["status"] == "units_missing"
    assert lines[-1] == {"summary": {"cases": 1, "agree": 1, "disagree": 0}}
