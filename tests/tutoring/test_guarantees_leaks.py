"""The leak gate catches the right value stated without its units (issue 18, item 10).

A student who asked for a hint on "what is the car's average speed?" (key 75 km/h) and reads
"the speed is 75" has been given the answer: the units are the easy part. docs/testing.md lists the
mutation this was written to kill (the gate no longer treating "units missing" as a match).
"""

from __future__ import annotations

import pytest

from tutor.problems.models import Problem
from tutor.tutoring.leaks import check_text

STATEMENT = "A car travels 150 km in 2 hours. What is its average speed?"
UNITS_IN_THE_KEY = Problem(answer="75 km/h", statement=STATEMENT, answer_type="quantity")
UNITS_IN_THEIR_FIELD = Problem(answer="75", units="km/h", statement=STATEMENT, answer_type="quantity")

BARE_VALUES = [
    "Nearly there: the speed is 75.",
    "So $v = 75$.",
    "Divide the distance by the time and you get 75, which is the average speed.",
    "\\[ v = \\frac{150}{2} = 75 \\]",
]

ALLOWED = [
    "Average speed is distance divided by time. What are the distance and the time here?",
    # Another bare number is not the answer: a "units missing" verdict alone doesn't make a leak.
    "If a car went 100 km in 2 hours, its speed would be 50. Now try it with your numbers.",
]


@pytest.mark.parametrize("problem", [UNITS_IN_THE_KEY, UNITS_IN_THEIR_FIELD], ids=["75 km/h", "75 + km/h"])
@pytest.mark.parametrize("text", BARE_VALUES, ids=[t[:30] for t in BARE_VALUES])
async def test_the_value_without_its_units_gives_the_answer_away(problem: Problem, text: str) -> None:
    decision = await check_text(text=text, problem=problem)
    assert decision.leaked, decision.reason


OVER_BLOCKED = pytest.mark.xfail(
    strict=True,
    reason="with the units inside the key ('75 km/h') every bare number reads as 'units missing' and "
    "is blocked: the gate only re-checks the value when the units are in their own field",
)


@pytest.mark.parametrize(
    ("problem", "text"),
    [
        (UNITS_IN_THE_KEY, ALLOWED[0]),
        pytest.param(UNITS_IN_THE_KEY, ALLOWED[1], marks=OVER_BLOCKED),
        (UNITS_IN_THEIR_FIELD, ALLOWED[0]),
        (UNITS_IN_THEIR_FIELD, ALLOWED[1]),
    ],
)
async def test_a_hint_that_keeps_the_value_back_still_passes(problem: Problem, text: str) -> None:
    decision = await check_text(text=text, problem=problem)
    assert not decision.leaked, decision.reason
