"""Labelled cases drawn from peers' public answer-test suites, each line naming its source.

data/peer_cases.jsonl: STACK's answer-test fixtures (AlgEquiv, NumRelative, NumAbsolute,
NumSigFigs, NumDecPlaces, Units, FacForm, Expanded, LowestTerms), Math-Verify's tests
(test_all.py), and WeBWorK MathObjects behaviour (inequalities, fractions, limited numeric,
disabled functions). Where our documented policy differs from the peer, the case is listed
below with the reason, and expected to disagree (strict: fixing one means updating the list).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inference.checker import Status, check_answer, check_model_output

CASES_FILE = Path(__file__).resolve().parent / "data" / "peer_cases.jsonl"
CASES = [json.loads(line) for line in CASES_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]
OPTION_KEYS = ("sig_figs", "decimal_places", "accept_bare_value", "tolerance_mode", "form", "decimal_comma")

# (gold, answer or text) -> why we differ from the peer on purpose.
KNOWN_DISAGREEMENTS: dict[tuple[str, str], str] = {
    (
        "1",
        "sqrt(k/m)*sqrt(m/k)",
    ): "letters are not assumed positive unless the problem says so (positive_letters)",
}


def _params() -> list:
    params = []
    for index, case in enumerate(CASES):
        answer = case.get("answer", case.get("text", ""))
        reason = KNOWN_DISAGREEMENTS.get((case["gold"], answer))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(case, marks=marks, id=f"{index}:{case['source'].split()[0]}"))
    return params


def test_there_are_at_least_300_cases_each_with_a_source() -> None:
    assert len(CASES) >= 300
    assert all(case.get("source") for case in CASES)


@pytest.mark.parametrize("case", _params())
def test_peer_case(case: dict) -> None:
    options = {**case.get("options", {}), **{key: case[key] for key in OPTION_KEYS if key in case}}
    common = {
        "answer_type": case.get("answer_type"),
        "tolerance": case.get("tolerance"),
        "units": case.get("units"),
        "options": options,
    }
    if "text" in case:
        verdict = check_model_output(gold=case["gold"], text=case["text"], **common)
    else:
        verdict = check_answer(gold=case["gold"], answer=case["answer"], **common)
    assert verdict.status != Status.ERROR, verdict
    assert verdict.equivalent is case["equivalent"], f"{case['source']}: {verdict}"
    assert verdict.reason
