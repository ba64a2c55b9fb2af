"""A student on a phone-wide page (390 px) in Debian's chromium: answers a problem right, sees it
solved and a "Next problem" button, the attempts list shows answers from the maths editor as
formulas (not their LaTeX) without the page growing wider than the screen, and after "Give me a
hint" the focus is on the new reply (issue 16)."""

from __future__ import annotations

import pytest

from tests.browser.fixtures import log_in, screenshot
from tests.conftest import Personas
from tests.factories import PASSWORD
from tests.tutoring.fake import FakeLLM, solution_tokens
from tutor.tutoring.models import Attempt

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
# What MathLive puts in the answer box for a long expression: one unbroken line of LaTeX.
LONG_EDITOR_ANSWER = (
    r"\frac{123456789}{987654321}+\sqrt{\frac{1234567890123}{9876543210987}}"
    r"+\frac{x^{2}+2x+1}{x^{3}-3x^{2}+3x-1}+\frac{1}{2}\cdot\frac{1}{3}\cdot\frac{1}{4}\cdot\frac{1}{5}"
    # A fraction can't be broken across lines: wider than the phone on its own.
    r"+\frac{123456789012345678901234567890123456789012345678901234567890}{2}"
)


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_a_right_answer_shows_solved_and_next_and_the_page_fits_a_phone(
    site_url: str, browser, personas: Personas, fake_llm: FakeLLM
) -> None:
    first, second = list(personas.problem_set.problems.order_by("position"))[:2]
    # An earlier wrong try typed in the maths editor.
    Attempt.objects.create(
        student=personas.student,
        problem=first,
        answer=LONG_EDITOR_ANSWER,
        correct=False,
        status="incorrect",
        reason="That's not it yet.",
    )
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, site_url, personas.student.username, PASSWORD)
    assert "0 of 3 solved" in page.locator(".assignment-list").inner_text()

    page.goto(f"{site_url}/problems/{first.pk}/")
    page.wait_for_selector("#connection.connection-ok")
    earlier = page.locator("#attempt-list .attempt-answer").first
    assert earlier.locator(".katex").count() == 1, "the editor's answer is shown as a formula"
    assert "\\frac" not in earlier.inner_text()
    assert page_width(page) <= 390, "a long formula scrolls in its own box"
    assert page.locator("#solved-state").is_hidden() and page.locator("#next-problem").is_hidden()

    page.get_by_label("Type your answer").fill(r"\frac{8}{4}")  # as the maths editor writes it
    page.get_by_role("button", name="Check my answer").click()
    page.wait_for_selector(".result-correct")
    result = page.locator("#answer-result").inner_text()
    assert "Correct" in result and "Correct Correct" not in result.replace(".", "")
    assert page.locator("#attempt-list li").first.locator(".katex").count() == 1
    assert page.locator("#solved-state").is_visible()
    assert "1 of 3 solved" in page.locator("#set-progress").inner_text()
    next_button = page.locator("#next-problem")
    assert next_button.is_visible() and next_button.inner_text().startswith("Go on to the next problem")
    assert page_width(page) <= 390
    screenshot(page, "progress-solved-phone")

    fake_llm.reply(solution_tokens("What could you do to both sides so only $2x$ is left?"))
    page.get_by_role("button", name="Give me a hint").click()
    page.wait_for_selector(".bubble-tutor .body .katex")
    focused_in_reply = page.evaluate(
        "() => { const a = document.activeElement; const r = a && a.closest('.bubble-tutor');"
        " return !!r && r === document.querySelector('#chat .bubble-tutor:last-of-type'); }"
    )
    assert focused_in_reply, "focus is on the new reply, not <body>"
    in_view = page.evaluate(
        "() => { const r = document.querySelector('#chat .bubble-tutor:last-of-type').getBoundingClientRect();"
        " return r.top < window.innerHeight && r.bottom > 0; }"
    )
    assert in_view, "the chat scrolled to the reply"
    assert page_width(page) <= 390
    screenshot(page, "progress-hint-phone")

    next_button.click()
    page.wait_for_url(f"{site_url}/problems/{second.pk}/")
    page.get_by_role("link", name=personas.problem_set.title).first.click()
    rows = page.locator(".problem-list li")
    assert "Solved" in rows.nth(0).inner_text() and "Solved" not in rows.nth(1).inner_text()
    assert "1 of 3 solved" in page.locator("#set-progress").inner_text()
    assert page_width(page) <= 390
    screenshot(page, "progress-set-phone")
    assert errors == []
    context.close()
