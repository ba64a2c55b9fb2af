"""A student answers a single-choice, a multiple-answer and a true/false problem on a phone-wide
page in Debian's chromium, by keyboard and by tapping (issue 16). The problems are imported from
the GIFT examples of Moodle's documentation (see tests/problems/test_choice.py)."""

from __future__ import annotations

import pytest

from tests.browser.fixtures import log_in, screenshot
from tests.conftest import Personas
from tests.factories import PASSWORD, make_assignment
from tests.problems.helpers import load
from tests.problems.test_choice import GIFT_FROM_MOODLE_DOCS, by_statement

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def check(page, expected: str) -> str:
    page.get_by_role("button", name="Check my answer").click()
    page.wait_for_selector(f"#answer-result.{expected}")
    return page.locator("#answer-result").inner_text()


def assert_fits_the_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways at phone width ({width}px)"


def test_student_answers_choice_multiple_answer_and_true_false_on_a_phone(
    site_url: str, browser, personas: Personas
) -> None:
    result = load(personas, "grant.gift", GIFT_FROM_MOODLE_DOCS.encode())
    assert result.ok, [str(e) for e in result.errors]
    make_assignment(classroom=personas.classroom, problem_set=result.problem_set)
    problems = by_statement(result.problem_set)
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, site_url, personas.student.username, PASSWORD)

    # One right option: radio buttons, no text box; the keyboard moves between them.
    page.goto(f"{site_url}/problems/{problems['The sky is'].pk}/")
    assert page.locator("#answer-input").count() == 0, "options, not a box to type a guess into"
    options = page.get_by_role("group", name="Pick one answer")
    assert options.get_by_role("radio").count() == 3
    check(page, "result-unread")  # nothing picked yet: said so, nothing sent
    assert "Pick an answer first" in page.locator("#answer-result").inner_text()
    page.get_by_role("radio", name="Blue").focus()
    page.keyboard.press("ArrowDown")  # to Green, as arrow keys do in a radio group
    assert page.get_by_role("radio", name="Green").is_checked()
    assert "Not yet" in check(page, "result-wrong")
    page.get_by_text("Blue", exact=True).tap()  # the whole row is the target, not just the dot
    assert page.get_by_role("radio", name="Blue").is_checked()
    text = check(page, "result-correct")
    assert "Correct" in text and "eBlu" not in page.content()
    assert page.locator("#attempt-count").inner_text() == "2"
    assert page.locator("#attempt-list li").first.text_content().startswith("Blue")
    assert_fits_the_phone(page)
    screenshot(page, "choice-single-phone")

    # Several right options: checkboxes, ticked with the space bar; all of them, and no others.
    two = problems["What two people are entombed in Grant's tomb?"]
    page.goto(f"{site_url}/problems/{two.pk}/")
    boxes = page.get_by_role("checkbox")
    assert boxes.count() == 4
    page.get_by_role("checkbox", name="Grant", exact=True).focus()
    page.keyboard.press("Space")
    check(page, "result-wrong")
    page.get_by_role("checkbox", name="Grant", exact=True).focus()
    page.keyboard.press("Tab")  # on to "Grant's wife"
    page.keyboard.press("Space")
    assert page.get_by_role("checkbox", name="Grant's wife").is_checked()
    check(page, "result-correct")
    assert page.locator("#attempt-list li").first.text_content().startswith("Grant; Grant's wife")
    assert_fits_the_phone(page)
    screenshot(page, "choice-multiple-phone")

    # True/false: two big buttons, labelled True and False.
    page.goto(f"{site_url}/problems/{problems['The sun rises in the West.'].pk}/")
    assert page.get_by_role("radio").count() == 2
    page.get_by_text("True", exact=True).tap()
    check(page, "result-wrong")
    page.get_by_text("False", exact=True).tap()
    check(page, "result-correct")
    box = page.locator("label.choice").first.bounding_box()
    assert box is not None and box["height"] >= 44, "a target a thumb can hit"
    assert_fits_the_phone(page)
    screenshot(page, "choice-true-false-phone")
    assert errors == []
    context.close()
