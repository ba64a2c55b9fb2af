"""Our own labelled cases, of the same kinds as the public ones (and the traps around them)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inference.checker import check_answer

CASES_FILE = Path(__file__).resolve().parent / "data" / "labelled_cases.jsonl"
CASES = [json.loads(line) for line in CASES_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]
OPTION_KEYS = ("sig_figs", "decimal_places", "accept_bare_value", "tolerance_mode")


@pytest.mark.parametrize("case", CASES, ids=[f"{c['gold'][:18]} vs {c['answer'][:18]}" for c in CASES])
def test_labelled_case(case: dict) -> None:
    verdict = check_answer(
        gold=case["gold"],
        answer=case["answer"],
        answer_type=case.get("answer_type"),
        tolerance=case.get("tolerance"),
        units=case.get("units"),
        options={key: case[key] for key in OPTION_KEYS if key in case},
    )
    assert verdict.equivalent is case["equivalent"], verdict
    assert verdict.reason
