"""Every labelled case in shared/checker-cases/public.jsonl gets its labelled verdict."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from inference.checker import check_answer

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO / ".." / "shared" / "checker-cases" / "public.jsonl"
COPY = Path(__file__).resolve().parent / "data" / "public.jsonl"
CASES_FILE = SHARED if SHARED.exists() else COPY


def _cases() -> list[dict]:
    lines = CASES_FILE.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


CASES = _cases()


def test_the_copy_matches_the_shared_file_when_both_exist() -> None:
    if SHARED.exists():
        assert COPY.read_text(encoding="utf-8") == SHARED.read_text(encoding="utf-8")
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", CASES, ids=[f"{c['gold'][:20]} vs {c['answer'][:20]}" for c in CASES])
def test_public_case(case: dict) -> None:
    verdict = check_answer(gold=case["gold"], answer=case["answer"], answer_type=case.get("answer_type"))
    assert verdict.equivalent is case["equivalent"], verdict
    assert verdict.status in {"correct", "incorrect", "wrong_units", "units_missing", "unparseable"}
    assert verdict.reason, "every verdict explains itself"
    assert isinstance(verdict.interpreted_as, str) and verdict.comparator


def test_command_line_reports_every_case_and_full_agreement() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "inference.checker", str(CASES_FILE)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=True,
    )
    lines = [json.loads(line) for line in completed.stdout.splitlines()]
    verdicts, summary = lines[:-1], lines[-1]
    assert len(verdicts) == len(CASES)
    for line in verdicts:
        assert {"equivalent", "status", "interpreted_as", "ms", "comparator", "reason"} <= set(line)
        assert isinstance(line["equivalent"], bool) and isinstance(line["ms"], float | int)
    counts = summary["summary"]
    assert (counts["labelled"], counts["agree"], counts["disagree"]) == (len(CASES), len(CASES), 0)
    assert counts["crashes"] == 0 and counts["cases_per_second"] > 0


def test_command_line_passes_options_and_counts_no_agreement_without_labels(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    rows = [
        {"gold": "3.14159", "answer": "3.14", "sig_figs": 3},
        {"gold": "10 m", "answer": "10"},
        {"gold": "100", "answer": "105", "tolerance": 0.1},
        {"gold": "x=2", "answer": "2", "accept_bare_value": False},
    ]
    cases.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, "-m", "inference.checker", str(cases)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=True,
    )
    out = [json.loads(line) for line in completed.stdout.splitlines()]
    assert [o["status"] for o in out[:-1]] == ["correct", "units_missing", "correct", "incorrect"]
    assert out[-1]["summary"]["labelled"] == 0 and out[-1]["summary"]["cases"] == 4
