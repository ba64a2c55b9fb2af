"""Finding the model's final answer, checking it, and checking without a key by substitution."""

from __future__ import annotations

import pytest

from inference.checker import (
    aextract_final_answer,
    check_model_output,
    extract_final_answer,
    verify_by_substitution,
)


@pytest.mark.parametrize(
    ("text", "answer", "status"),
    [
        ("Step 1... so $x = 5$.\n\n**Final answer:** $\\boxed{5}$", "5", "ok"),
        ("We get $\\boxed{\\dfrac{3}{4}}$.", "\\dfrac{3}{4}", "ok"),
        ("Nested: $\\boxed{\\frac{\\sqrt{2}}{2}}$", "\\frac{\\sqrt{2}}{2}", "ok"),
        # several different boxes: the last one, flagged "multiple"
        ("First $\\boxed{2}$, then correcting: $\\boxed{3}$.", "3", "multiple"),
        ("So $\\boxed{4}$. Check: yes, $\\boxed{4}$.", "4", "ok"),
        ("Final answer: 42", "42", "ok"),
        ("**Final Answer**\n\n$$x = 7$$", "x = 7", "ok"),
        ("The answer is $7\\ \\text{m}$.", "7\\ \\text{m}", "ok"),
        ("Thus we obtain \\(\\frac{1}{2}\\).", "\\frac{1}{2}", "ok"),
        ("so it is 4", "4", "ok"),
        # hedging is not an answer
        ("It could be 5 or 6, I'm not sure.\nFinal answer: 5 or 6", None, "hedged"),
        ("It is $\\boxed{5}$ or $\\boxed{6}$.", None, "hedged"),
        ("$\\boxed{5 \\text{ or } 6}$", None, "hedged"),
        ("I have no idea.", None, "none"),
    ],
)
def test_extraction(text: str, answer: str | None, status: str) -> None:
    found = extract_final_answer(text)
    assert (found.answer, found.status) == (answer, status), found


def test_extraction_reports_how_the_answer_was_read() -> None:
    assert extract_final_answer("So $\\boxed{\\dfrac{3}{4}}$").latex == "\\frac{3}{4}"
    assert extract_final_answer("Final answer: $x = \\pm 2$").latex == "x = -2 \\text{ or } x = 2"
    assert extract_final_answer("I have no idea.").latex == ""


async def test_async_extraction() -> None:
    found = await aextract_final_answer("Therefore $\\boxed{12}$.")
    assert found.answer == "12" and found.status == "ok"


def test_model_output_is_checked_against_the_key() -> None:
    text = "Subtract 7: $3x = 15$. Divide by 3.\n\n**Final answer:** $\\boxed{5}$"
    right = check_model_output(gold="5", text=text)
    assert right.equivalent and right.status == "correct" and right.interpreted_as == "5"
    wrong = check_model_output(gold="4", text=text)
    assert not wrong.equivalent and wrong.interpreted_as == "5"


def test_model_output_statuses() -> None:
    hedged = check_model_output(gold="5", text="It is either $\\boxed{5}$ or $\\boxed{6}$.")
    assert (hedged.equivalent, hedged.status) == (False, "hedged")
    nothing = check_model_output(gold="5", text="I cannot solve this.")
    assert (nothing.equivalent, nothing.status) == (False, "no_answer")
    # A key that is a list of solutions reads "2 or -2" in one box as that list.
    listed = check_model_output(gold="x^2=4", text="So $\\boxed{2 \\text{ or } -2}$.")
    assert listed.equivalent
    units = check_model_output(gold="10 m", text="The length is $\\boxed{10}$.")
    assert units.status == "units_missing"
    short = check_model_output(gold="3/4", text="0.75")
    assert short.equivalent


def test_verification_by_substitution_without_a_key() -> None:
    problem = "Solve for $x$: $3x + 7 = 22$."
    good = verify_by_substitution(problem=problem, answer="So $\\boxed{5}$")
    assert (good.equivalent, good.status, good.comparator) == (
        True,
        "verified_by_substitution",
        "substitution",
    )
    assert good.interpreted_as == "5"
    bad = verify_by_substitution(problem=problem, answer="So $\\boxed{4}$")
    assert (bad.equivalent, bad.status) == (False, "incorrect")
    both = verify_by_substitution(
        problem="Find all real solutions of $x^2 - 5x + 6 = 0$.", answer="$\\boxed{\\{2, 3\\}}$"
    )
    assert both.equivalent
    system = verify_by_substitution(
        problem="Solve $x + y = 3$ and $x - y = 1$.", answer="$\\boxed{x = 2, y = 1}$"
    )
    assert system.equivalent
    nothing = verify_by_substitution(problem="What is the capital of France?", answer="Paris")
    assert nothing.status in ("not_verified", "no_answer") and not nothing.equivalent


def test_model_output_without_a_key_uses_substitution() -> None:
    verdict = check_model_output(gold=None, problem="Solve $2x = 10$.", text="Divide by 2: $\\boxed{5}$")
    assert verdict.status == "verified_by_substitution"
