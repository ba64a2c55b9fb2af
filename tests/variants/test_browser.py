"""Two students open the same randomised problem in Debian's chromium: each reads their own
numbers (rendered, no template braces left), answers with their own key and is told it is right;
the classmate's answer is wrong for them. Screenshots: tests/browser/artifacts (variants-*.png)."""

from __future__ import annotations

import re

import pytest

from tests.browser.fixtures import log_in, screenshot
from tests.conftest import Personas
from tests.factories import PASSWORD, make_assignment
from tests.problems.helpers import load

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

THROW = b"""\
key: throws
title: Throws
problems:
  - key: throw
    title: A thrown ball
    statement: "A ball is thrown straight up at {v0} m/s. Taking $g = {g}\\\\ \\\\text{m/s}^2$, how high is it after {t} s?"
    variables:
      v0: {range: [12, 30]}
      t: {range: [0.5, 2, 0.5]}
      g: 9.8
    constraints: ["v0*t - g*t^2/2 > 1"]
    answer: "{v0}*{t} - 1/2*{g}*{t}^2 m"
    answer_type: quantity
    units: m
    tolerance: 1%
"""


def numbers(page) -> tuple[float, float]:
    text = page.locator("#statement").inner_text()
    assert "{" not in text, text
    found = re.search(r"thrown straight up at (\d+) m/s.*after ([\d.]+) s", text, re.S)
    assert found, text
    return float(found.group(1)), float(found.group(2))


def check(page, answer: str, expected: str) -> str:
    page.locator("#answer-input").fill(answer)
    page.get_by_role("button", name="Check my answer").click()
    page.wait_for_selector(f"#answer-result.{expected}")
    return page.locator("#answer-result").inner_text()


def test_two_students_read_and_answer_their_own_numbers(site_url: str, browser, personas: Personas) -> None:
    result = load(personas, "throws.yaml", THROW)
    assert result.ok, [str(e) for e in result.errors]
    make_assignment(classroom=personas.classroom, problem_set=result.problem_set)
    problem = result.problem_set.problems.get()
    heights = {}
    pages = {}
    for student in (personas.student, personas.classmate):
        context = browser.new_context(viewport={"width": 390, "height": 844})
        page = context.new_page()
        page.set_default_timeout(15000)
        log_in(page, site_url, student.username, PASSWORD)
        page.goto(f"{site_url}/problems/{problem.pk}/")
        page.wait_for_selector("#statement .katex")  # the LaTeX with the numbers in it is rendered
        v0, t = numbers(page)
        heights[student.username] = v0 * t - 9.8 * t * t / 2
        pages[student.username] = page
    ada, ben = heights[personas.student.username], heights[personas.classmate.username]
    if abs(ada - ben) < 0.05 * max(abs(ada), abs(ben)):
        pytest.skip("the two variants happen to have heights within the 1% tolerance")
    page = pages[personas.student.username]
    assert "Not yet" in check(page, f"{ben:.3g} m", "result-wrong")
    assert "Correct" in check(page, f"{ada:.4g} m", "result-correct")
    screenshot(page, "variants-ada")
    other = pages[personas.classmate.username]
    assert "Correct" in check(other, f"{ben:.4g} m", "result-correct")
    screenshot(other, "variants-ben")
