"""The demo set's randomised problems (algebra, calculus, physics with units, linear algebra): on
many variants each key is worked out without failing, and is right by an independent computation
of the same maths from the variant's numbers."""

from __future__ import annotations

from fractions import Fraction

import pytest

from inference.checker import check_answer
from inference.checker.templates import variants_job
from tutor.problems.demo import DEMO_SET

RANDOMISED = {p["key"]: p for p in DEMO_SET["problems"] if p.get("template")}
SEEDS = list(range(40))


def expected(key: str, v: dict[str, Fraction]) -> str:
    if key == "rand-alg":
        return str((v["c"] - v["b"]) / v["a"])
    if key == "rand-calc":
        return f"{v['a'] * v['n']}*x^{v['n'] - 1} + {v['b']}"
    if key == "rand-phys":
        return f"{float(v['v0'] * v['t'] - v['g'] * v['t'] ** 2 / 2)} m"
    return str(v["a"] * v["d"] - v["b"] * v["c"])


def test_the_demo_has_four_randomised_problems_one_per_subject() -> None:
    assert sorted(p["topic"] for p in RANDOMISED.values()) == [
        "Algebra",
        "Calculus",
        "Linear algebra",
        "Physics",
    ]
    assert RANDOMISED["rand-phys"]["units"] == "m"


@pytest.mark.parametrize("key", sorted(RANDOMISED))
def test_every_variant_of_a_demo_problem_has_a_right_key(key: str) -> None:
    problem = RANDOMISED[key]
    result = variants_job(
        {
            "template": problem["template"],
            "texts": {k: problem.get(k) for k in ("statement", "answer", "hints", "solution")},
            "answer_type": problem["answer_type"],
            "units": problem.get("units"),
            "seeds": SEEDS,
        }
    )
    assert result["ok"], result
    assert len({tuple(v["values"].values()) for v in result["variants"]}) > 10, (
        "students get different numbers"
    )
    for variant in result["variants"]:
        values = {name: Fraction(text) for name, text in variant["values"].items()}
        assert "{" not in variant["statement"].replace("{pmatrix}", "").replace("{m/s}", ""), variant
        verdict = check_answer(
            gold=variant["answer"],
            answer=expected(key, values),
            answer_type=problem["answer_type"],
            tolerance=problem.get("tolerance"),
            units=problem.get("units"),
        )
        assert verdict.equivalent, (variant, verdict)
