"""No input raises inside a worker: every failure comes back as a verdict with a reason.

Before issue 14 these inputs raised TypeError inside the worker, killed it, and came back as
`timeout` ("too big or complicated") after 30-700 ms. A crash is now its own status, `error`,
logged with its traceback; these tests fail on it.
"""

from __future__ import annotations

import pytest

from inference.checker import Status, check_answer, check_model_output, pool

# (key, answer, expected equivalent): ordinary answers a class would type.
ORDINARY = [
    ("{(1,2),(3,4)}", "{(3,4),(1,2)}", True),
    ("{(1,2),(3,4)}", "{(1,2),(3,5)}", False),
    ("{(1,2),(3,4)}", "$\\{(1,2),(3,4)\\}$", True),
    ("{(1,2),(3,4)}", "(1,2) and (3,4)", True),
    ("D = (0, 1)", "D=(0,1)", True),
    # Found by the grammar property test in CI: a relation SymPy decides at once (0! != 0 is True).
    ("0!=0", "0!=0", True),
    ("1=1", "1=1", True),
    ("D = (0, 1)", "(0, 1)", True),
    ("(0,1)", "D = (0, 1)", True),
    ("D = (0, 1)", "D = (0, 2)", False),
    ("n=1, 2, 3", "n=1,2,3", True),
    ("n=1, 2, 3", "{1, 2, 3}", True),
    ("n=1, 2, 3", "n=1, 2", False),
    ("x<-1 or x>2", "{-1,2}", False),
    ("{-1,2}", "x<-1 or x>2", False),
    ("(-oo,1) U (2,oo)", "x<1 or x>2", True),
    ("(-oo,1) U (2,oo)", "x<1 or x>3", False),
    ("{2,-2}", "{±2}", True),
    ("{2,-2,3}", "{x = ±2, 3}", True),
    ("{2,-2}", "\\{\\pm 2, 3\\}", False),
    ("x = 3 ± sqrt(2)", "x=3+sqrt(2) or x=3-sqrt(2)", True),
    ("{1,2}", "1 and 2", True),
    ("6 and 8", "{8, 6}", True),
    ("ln(\\infty)", "3.14", False),
    ("2", "-3=\\pi", False),
    ("2", "pi/(1,2)", False),
    ("2", "|(1,y)|", False),
    ("2", "(1,2) < 3", False),
]


@pytest.mark.parametrize(("gold", "answer", "equivalent"), ORDINARY, ids=lambda v: str(v)[:20])
def test_ordinary_answer_gets_a_verdict_not_a_crash(gold: str, answer: str, equivalent: bool) -> None:
    verdict = check_answer(gold=gold, answer=answer)
    assert verdict.status not in (Status.ERROR, Status.TIMEOUT), verdict
    assert verdict.equivalent is equivalent, verdict
    assert verdict.reason


@pytest.mark.parametrize(
    ("gold", "text", "equivalent"),
    [
        ("{(1,2),(3,4)}", "The points are $\\boxed{(1,2)}$ and $\\boxed{(3,4)}$.", True),
        ("{1,-2}", "So $\\boxed{-2}$ and $\\boxed{1}$.", True),
        ("x^2+x-2=0", "So $\\boxed{x=-2}$ and $\\boxed{x=1}$.", True),
        ("(1,2)", "\\boxed{1}, \\boxed{2}", True),
        # A number key: boxes side by side are not a list, the last one is the answer.
        ("2", "\\boxed{2} and \\boxed{1}", False),
    ],
)
def test_boxed_answers_joined_by_and_are_read_as_the_list(gold: str, text: str, equivalent: bool) -> None:
    verdict = check_model_output(gold=gold, text=text)
    assert verdict.status not in (Status.ERROR, Status.TIMEOUT), verdict
    assert verdict.equivalent is equivalent, verdict


def test_a_crash_inside_the_worker_is_reported_as_an_error_not_a_timeout() -> None:
    checker = pool()
    kills_before = checker.kills
    result = checker.run({"kind": "crash"}, use_cache=False)
    assert result["status"] == Status.ERROR
    assert "RuntimeError" in result["error"]  # the traceback, for the log
    assert "reported" in result["reason"]
    # The worker answered: it was not killed and replaced as a hung one would be.
    assert checker.kills == kills_before
    assert check_answer(gold="1/2", answer="0.5", use_cache=False).equivalent
