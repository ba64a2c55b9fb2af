"""The final answer of a streamed solution is held back until checked, however the tokens split."""

from __future__ import annotations

import pytest

from tutor.tutoring.holdback import FinalAnswerHoldback
from tutor.tutoring.leaks import answer_candidates

SOLUTION = (
    "We subtract $7$ from both sides to get $3x = 15$.\n\n"
    "Then we divide both sides by $3$, which leaves $x$ on its own.\n\n"
    "**Final answer:** $\\boxed{5}$\n"
)


def stream(text: str, size: int) -> tuple[str, str]:
    holdback = FinalAnswerHoldback()
    shown = "".join(holdback.feed(text[i : i + size]) for i in range(0, len(text), size))
    return shown, holdback.held


@pytest.mark.parametrize("size", [1, 2, 3, 7, 16, 500])
def test_boxed_answer_is_never_shown_before_release(size: int) -> None:
    shown, held = stream(SOLUTION, size)
    assert "boxed" not in shown
    assert "Final answer" not in shown
    assert shown + held == SOLUTION
    assert shown.startswith("We subtract $7$")
    assert "divide both sides" in shown


def test_steps_stream_while_no_answer_has_appeared() -> None:
    holdback = FinalAnswerHoldback()
    shown = holdback.feed("Step one: expand the bracket to get a long line of algebra here. ")
    shown += holdback.feed("Step two: collect like terms on the left hand side carefully. ")
    assert shown.startswith("Step one")
    assert len(shown) > 40


def test_release_all_gives_the_rest_once() -> None:
    holdback = FinalAnswerHoldback()
    shown = holdback.feed(SOLUTION)
    rest = holdback.release_all()
    assert shown + rest == SOLUTION
    assert holdback.release_all() == ""


def test_hint_answer_candidates_find_equalities_boxes_and_phrases() -> None:
    text = "Try subtracting 3 first. Then $x = 2$ and the answer is 2. Also \\boxed{\\frac{4}{2}}."
    candidates = answer_candidates(text, statement="Solve $2x + 3 = 7$.")
    assert "2" in candidates
    assert "\\frac{4}{2}" in candidates
    # Mentioned from the statement, not stated as a value (every other number is a candidate).
    assert "3" not in candidates


def test_a_token_is_shown_at_once_unless_it_could_start_a_final_answer() -> None:
    """Holding a fixed number of characters delayed every token by the next one or two."""
    holdback = FinalAnswerHoldback()
    shown = holdback.feed("First we move every term with an x to the left hand side. ")
    assert shown.endswith("hand side. ")
    assert holdback.feed("Then ") == "Then "
    assert holdback.feed("we divide by 3 and get 5, the ") == "we divide by 3 and get 5, the "
    # What could still become "final answer" or "\boxed" waits for the next token.
    assert holdback.feed("fin") == ""
    assert holdback.feed("e tuning.") == "fine tuning."
    assert holdback.feed(" So \\box") == " So "
    assert holdback.feed("ed{5}") == ""
    assert holdback.held == "\\boxed{5}"
