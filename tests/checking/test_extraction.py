"""Finding the final answer in a model's text, and checking without a key by substitution."""

from __future__ import annotations

import threading

import pytest

from inference.checker import acheck_answer, check_model_output, extract_final_answer, verify_by_substitution


@pytest.mark.parametrize(
    ("text", "answer", "status"),
    [
        ("Step 1... so $x = 5$.\n\n**Final answer:** $\\boxed{5}$", "5", "ok"),
        ("We get $\\boxed{\\dfrac{3}{4}}$.", "\\dfrac{3}{4}", "ok"),
        ("First $\\boxed{2}$ then we refine to $\\boxed{3}$.", "3", "multiple"),
        ("Final answer: 42", "42", "ok"),
        ("The answer is $7\\ \\text{m}$.", "7\\ \\text{m}", "ok"),
        ("It could be 5 or 6, I'm not sure.\nFinal answer: 5 or 6", None, "hedged"),
        ("It is $\\boxed{5}$ or $\\boxed{6}$.", None, "hedged"),
        ("I have no idea.", None, "none"),
    ],
)
def test_extraction(text: str, answer: str | None, status: str) -> None:
    found = extract_final_answer(text)
    assert found.status == status
    assert found.answer == answer


def test_model_output_is_checked_against_the_key() -> None:
    text = "Subtract 7: $3x = 15$. Divide by 3.\n\n**Final answer:** $\\boxed{5}$"
    assert check_model_output(gold="5", text=text).equivalent
    wrong = check_model_output(gold="4", text=text)
    assert not wrong.equivalent and wrong.interpreted_as == "5"


def test_verification_by_substitution_without_a_key() -> None:
    problem = "Solve for $x$: $3x + 7 = 22$."
    good = verify_by_substitution(problem=problem, answer="So $\\boxed{5}$")
    assert good.equivalent and good.status == "verified_by_substitution"
    bad = verify_by_substitution(problem=problem, answer="So $\\boxed{4}$")
    assert not bad.equivalent and bad.status == "incorrect"
    both = verify_by_substitution(
        problem="Find all real solutions of $x^2 - 5x + 6 = 0$.", answer="$\\boxed{\\{2, 3\\}}$"
    )
    assert both.equivalent
    system = verify_by_substitution(
        problem="Solve $x + y = 3$ and $x - y = 1$.", answer="$\\boxed{x = 2, y = 1}$"
    )
    assert system.equivalent
    nothing = verify_by_substitution(problem="What is the capital of France?", answer="Paris")
    assert nothing.status in ("not_verified", "no_answer")


def test_usable_from_threads_and_async_code() -> None:
    results: list[bool] = []

    def worker(n: int) -> None:
        from inference.checker import check_answer

        results.append(check_answer(gold=f"{n}/4", answer=str(n / 4)).equivalent)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(1, 9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True] * 8


async def test_async_api() -> None:
    verdict = await acheck_answer(gold="x^2 - 1", answer="(x-1)(x+1)")
    assert verdict.equivalent
