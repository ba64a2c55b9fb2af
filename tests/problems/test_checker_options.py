"""A teacher's checker options travel from the upload to the checker and the leak gate (issue 14:
`form`, decimal comma, positive letters, up to a constant)."""

from __future__ import annotations

import pytest

from tests.conftest import Personas
from tests.problems.helpers import load
from tutor.problems.models import Problem
from tutor.tutoring import leaks

pytestmark = pytest.mark.django_db

SET = b"""
title: Forms
problems:
  - key: simplify
    statement: Simplify $\\frac{6}{8}$.
    answer: 3/4
    form: reduced_fraction
  - key: antiderivative
    statement: Find $\\int x^2\\,dx$.
    answer_type: expression
    answer: x^3/3
    up_to_constant: yes
  - key: comma
    statement: How far does it fall?
    answer: 44.1
    decimal_comma: yes
"""


def test_the_options_are_read_from_the_upload(personas: Personas) -> None:
    result = load(personas, "forms.yaml", SET)
    assert not result.errors, result.errors
    options = {p.key: p.checker_options for p in Problem.objects.filter(problem_set__title="Forms")}
    assert options["simplify"]["form"] == "reduced_fraction"
    assert options["antiderivative"]["up_to_constant"] is True
    assert options["comma"]["decimal_comma"] is True


def test_an_unknown_form_is_a_line_numbered_error(personas: Personas) -> None:
    result = load(personas, "forms.yaml", SET.replace(b"form: reduced_fraction", b"form: tidy"))
    assert any("form" in str(error) and "reduced_fraction" in str(error) for error in result.errors)


@pytest.mark.django_db(transaction=True)
async def test_a_hint_giving_the_value_in_another_form_is_still_a_leak(personas: Personas) -> None:
    from asgiref.sync import sync_to_async

    await sync_to_async(load)(personas, "forms.yaml", SET)
    problem = await sync_to_async(Problem.objects.get)(problem_set__title="Forms", key="simplify")
    decision = await leaks.check_text(text="So the fraction is 6/8, and you are done.", problem=problem)
    assert decision.leaked, decision.reason
