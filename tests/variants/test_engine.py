"""The template engine (inference/checker/templates.py): sampling, constraints, keys, and what it
refuses. The "variants" job is called in-process for the properties, and through the real checker
pool (a killable child) for the hostile templates, so "nothing executed" is the production path."""

from __future__ import annotations

import time
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inference.checker import check_answer, make_variants
from inference.checker.templates import Template, holds, variants_job

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

QUADRATIC = {
    "variables": {
        "a": {"range": [1, 9]},
        "b": {"range": [2, 20, 2]},
        "c": {"list": [3, 5, 7]},
        "d": "{a}*{b}",
    },
    "constraints": ["b^2 - 4*a*c > 0", "a != b"],
}


@SETTINGS
@given(seed=st.integers(0, 2**62))
def test_a_constraint_template_never_gives_a_variant_that_breaks_a_constraint(seed: int) -> None:
    values, _tries = Template(QUADRATIC).sample(seed)
    a, b, c, d = (values[name] for name in "abcd")
    assert b * b - 4 * a * c > 0
    assert a != b
    assert 1 <= a <= 9 and a.denominator == 1
    assert b in range(2, 21, 2)
    assert c in (3, 5, 7)
    assert d == a * b


def test_the_same_seed_gives_the_same_numbers_and_other_seeds_other_numbers() -> None:
    template = Template(QUADRATIC)
    assert template.sample(42) == template.sample(42)
    assert len({tuple(template.sample(seed)[0].values()) for seed in range(20)}) > 5


@pytest.mark.parametrize(
    ("answer", "answer_type", "values", "key"),
    [
        ("(-{b} + sqrt({b}^2-4*{a}*{c}))/(2*{a})", "number", {"a": 1, "b": 5, "c": 6}, "-2"),
        ("(-{b} + sqrt({b}^2-4*{a}*{c}))/(2*{a})", "number", {"a": 1, "b": 5, "c": 3}, "-5/2 + sqrt(13)/2"),
        ("{v0}*{t} - 1/2*{g}*{t}^2 m", "quantity", {"v0": 20, "t": 2, "g": "9.8"}, "20.4 m"),
        ("{a}*x^3/3 + {b}*x", "expression", {"a": 3, "b": -2}, "x^3 - 2*x"),
        ("[[{a}, {b}], [{b}*{a}, 1]]", "matrix", {"a": 2, "b": 4}, "[[2, 4], [8, 1]]"),
        ("x = {a}/{b}", "equation", {"a": 3, "b": 6}, "x = 1/2"),
    ],
)
def test_keys_are_worked_out_and_written_the_way_a_student_types_them(
    answer: str, answer_type: str, values: dict, key: str
) -> None:
    template = {"variables": {name: {"list": [value]} for name, value in values.items()}}
    result = variants_job(
        {"template": template, "texts": {"answer": answer}, "answer_type": answer_type, "seeds": [1]}
    )
    assert result["ok"], result
    assert result["variants"][0]["answer"] == key


def test_statement_hints_and_solution_get_the_numbers() -> None:
    result = variants_job(
        {
            "template": {"variables": {"a": {"list": [3]}, "b": {"list": ["0.5"]}}},
            "texts": {
                "statement": "Solve ${a}x = {b}$.",
                "hints": ["Divide by {a}."],
                "solution": "$x = {b}/{a}$, about {=b/a}.",
                "answer": "{b}/{a}",
            },
            "answer_type": "number",
            "seeds": [7],
        }
    )
    variant = result["variants"][0]
    assert variant["statement"] == "Solve $3x = 0.5$."
    assert variant["hints"] == ["Divide by 3."]
    assert variant["solution"] == "$x = 0.5/3$, about 0.1666666667."
    assert variant["values"] == {"a": "3", "b": "0.5"}
    # A decimal in the data makes the key a decimal, as a student would type it.
    assert check_answer(gold=variant["answer"], answer="1/6", answer_type="number").equivalent


def test_irrational_values_are_rounded_before_they_are_shown_and_used() -> None:
    values, _ = Template({"variables": {"r": "sqrt(2)", "s": "{r}^2"}}).sample(1)
    assert values["r"] == Fraction("1.414213562")
    assert values["s"] == values["r"] ** 2, "s is worked out from the r the student is shown"


def test_constraints_compare_exactly_and_floats_closely() -> None:
    values = {"a": Fraction(2), "b": Fraction(3)}
    assert holds("a != b", values) and not holds("a = b", values)
    assert holds("a^2 + b^2 >= 13", values) and not holds("a^2 + b^2 > 13", values)
    assert holds("sqrt(a)^2 = a", values)


def test_an_unsatisfiable_template_is_refused_after_a_bounded_number_of_tries() -> None:
    result = variants_job(
        {"template": {"variables": {"a": {"range": [1, 3]}}, "constraints": ["a > 5"]}, "seeds": [1]}
    )
    assert not result["ok"]
    assert result["field"] == "constraints"
    assert "1000 tries" in result["message"] and "a > 5" in result["message"]


MARKER = Path("/tmp/tutor-template-was-executed")


@pytest.mark.parametrize(
    ("variables", "constraints", "said"),
    [
        ({"a": {"range": [1, 10**12]}}, [], "beyond"),
        ({"a": {"range": [0, 1000, 0.00001]}}, [], "more than"),
        ({"a": {"list": list(range(500))}}, [], "1 to 200"),
        ({"a": "9^9^9^9"}, [], "Powers above"),
        ({"a": {"range": [2, 3]}, "b": "a^a^a^a^a^a"}, [], "Powers above"),
        ({"a": "(2^1000)^1000"}, [], "too large"),
        ({"a": "factorial(10^7)"}, [], ""),
        ({"a": "__import__('os').system('touch /tmp/tutor-template-was-executed')"}, [], "allowed"),
        ({"a": {"range": [1, 2]}}, ["a.__class__.__bases__ == 1"], "allowed"),
        ({"a": {"range": [1, 2]}}, ["().__class__ != a"], ""),
        ({"a": "lambda: 1"}, [], ""),
        ({"a": "[x for x in range(10**9)]"}, [], ""),
        ({f"v{i}": {"range": [1, 2]} for i in range(31)}, [], "at most 30"),
        ({"a": "(" * 200 + "1" + ")" * 200}, [], ""),
        ({"sin": {"range": [1, 2]}}, [], "means something"),
        ({"a": {"range": [1, 2]}}, ["a " * 200 + "> 1"], "too long"),
    ],
    ids=lambda v: str(v)[:40],
)
def test_hostile_templates_are_refused_within_the_bound_and_nothing_runs(
    variables: dict, constraints: list, said: str
) -> None:
    MARKER.unlink(missing_ok=True)
    started = time.monotonic()
    result = make_variants(
        template={"variables": variables, "constraints": constraints},
        texts={"statement": "{a}", "answer": "{a}"},
        seeds=[1, 2, 3],
        answer_type="number",
    )
    assert time.monotonic() - started < 5, "refused within the checker's bound (2 s plus the kill grace)"
    assert result["ok"] is False, result
    assert said in result["message"]
    assert not MARKER.exists(), "nothing in a template is ever executed"


def test_the_order_variables_are_written_in_changes_nothing() -> None:
    """PostgreSQL's jsonb keeps a mapping's keys in its own order: a variable is worked out after
    the ones it uses, and the numbers of a seed don't depend on the order written."""
    written = {"c": "a*x0 + b", "b": {"range": [1, 20]}, "x0": {"range": [-9, 9]}, "a": {"range": [2, 9]}}
    reordered = dict(sorted(written.items()))
    assert Template({"variables": written}).sample(5) == Template({"variables": reordered}).sample(5)
    values, _ = Template({"variables": written}).sample(5)
    assert values["c"] == values["a"] * values["x0"] + values["b"]


def test_variables_worked_out_from_each_other_in_a_circle_are_refused() -> None:
    result = variants_job({"template": {"variables": {"a": "b + 1", "b": "a + 1"}}, "seeds": [1]})
    assert not result["ok"] and "in a circle" in result["message"]


def test_a_key_in_latex_keeps_its_own_braces() -> None:
    result = variants_job(
        {
            "template": {"variables": {"a": {"list": [3]}}},
            "texts": {"answer": "\\frac{{a}}{2}"},
            "answer_type": "number",
            "seeds": [1],
        }
    )
    assert result["ok"], result
    assert result["variants"][0]["answer"] == "3/2"


OPERATORS = {
    "<": lambda x, y: x < y,
    "<=": lambda x, y: x <= y,
    ">": lambda x, y: x > y,
    ">=": lambda x, y: x >= y,
    "!=": lambda x, y: x != y,
    "=": lambda x, y: x == y,
}


@st.composite
def templates(draw: st.DrawFn) -> tuple[dict, list[tuple[str, str, str, int, int]]]:
    variables = {}
    for name in ("a", "b", "c"):
        low = draw(st.integers(-20, 20))
        variables[name] = {"range": [low, low + draw(st.integers(0, 15))]}
    rules = []
    for _ in range(draw(st.integers(1, 3))):
        x, y = draw(st.sampled_from("abc")), draw(st.sampled_from("abc"))
        op = draw(st.sampled_from(sorted(OPERATORS)))
        k, m = draw(st.integers(-5, 5)), draw(st.integers(1, 3))
        rules.append((x, op, y, k, m))
    return {
        "variables": variables,
        "constraints": [f"{m}*{x} {op} {y}^2 + {k}" for x, op, y, k, m in rules],
    }, rules


@SETTINGS
@given(case=templates(), seed=st.integers(0, 2**40))
def test_no_random_template_ever_gives_a_variant_that_breaks_its_constraints(case: tuple, seed: int) -> None:
    template, rules = case
    result = variants_job({"template": template, "texts": {"statement": "{a} {b} {c}"}, "seeds": [seed]})
    if not result["ok"]:
        assert result["field"] == "constraints" and "tries" in result["message"], result
        return
    values = {k: Fraction(v) for k, v in result["variants"][0]["values"].items()}
    for x, op, y, k, m in rules:
        assert OPERATORS[op](m * values[x], values[y] ** 2 + k), (template, values)
