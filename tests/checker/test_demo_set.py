"""Every problem of the demo set: the scripted phi4 answer that `make fake-ollama` gives is
verified against the demo key (what a new user sees on the first run)."""

from __future__ import annotations

import pytest

from inference.checker import check_model_output
from inference.testing.fake_ollama import ChatRequest, phi4_demo
from tutor.problems.demo import DEMO_SET


def _answerable() -> list[dict]:
    """Each problem a student answers, as the tutor reads it: a part after its stem (issue 16).
    Randomised problems have no fixed statement to script an answer for: tests/variants/test_demo.py."""
    out = []
    for problem in DEMO_SET["problems"]:
        if problem.get("template"):
            continue
        if not problem.get("parts"):
            out.append(problem)
        for part in problem.get("parts", []):
            out.append(
                {
                    **part,
                    "key": f"{problem['key']}-{part['key']}",
                    "statement": f"{problem['statement']}\n\n{part['statement']}",
                }
            )
    return out


@pytest.mark.parametrize("problem", _answerable(), ids=lambda p: p["key"])
def test_demo_solution_verifies_against_the_demo_key(problem: dict) -> None:
    messages = [
        {"role": "system", "content": "Give a complete worked solution."},
        {"role": "user", "content": f"The problem:\n<problem>\n{problem['statement']}\n</problem>"},
    ]
    reply = phi4_demo(ChatRequest(path="/api/chat", model="phi4", messages=messages, options={}, body={}))
    text = "".join(reply.tokens)
    assert "boxed" in text, f"no scripted solution matched {problem['key']}"
    verdict = check_model_output(
        gold=problem["answer"],
        text=text,
        problem=problem["statement"],
        answer_type=problem.get("answer_type"),
        tolerance=problem.get("tolerance"),
        units=problem.get("units"),
        options=problem.get("checker_options"),
    )
    assert verdict.equivalent, verdict


def test_a_follow_up_question_in_the_demo_is_answered_as_a_question_not_with_a_solution() -> None:
    from inference.llm.prompts import SYSTEM_PROMPTS

    problem = _answerable()[0]
    messages = [
        {"role": "system", "content": SYSTEM_PROMPTS["question"]},
        {"role": "user", "content": f"The problem:\n<problem>\n{problem['statement']}\n</problem>"},
        {"role": "user", "content": "I have a question.\n\nWhy do we do the same to both sides?"},
    ]
    reply = phi4_demo(ChatRequest(path="/api/chat", model="phi4", messages=messages, options={}, body={}))
    text = "".join(reply.tokens)
    assert "boxed" not in text and "Final answer" not in text
    assert "both sides" in text
