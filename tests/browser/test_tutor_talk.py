"""Talking with the tutor in Chromium (issue 12): a follow-up question from the question box, and a
stopped worked solution carried on with Continue."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.fixtures import screenshot
from tests.browser.test_student_page import SOLUTION, open_problem
from tests.conftest import Personas
from tests.tutoring.fake import FakeLLM, solution_tokens

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_question_then_stop_and_continue(
    site_url: str, page, solutions_allowed: Personas, fake_llm: FakeLLM
) -> None:
    personas = solutions_allowed
    open_problem(page, site_url, personas)

    fake_llm.reply(solution_tokens("Because subtracting $3$ from both sides keeps them equal."))
    page.get_by_label("Ask the tutor a question").fill("Why subtract 3 first?")
    page.get_by_role("button", name="Ask", exact=True).click()
    answer = page.locator(".bubble-tutor").last
    answer.locator(".body .katex").first.wait_for()
    assert "Tutor · answer" in answer.inner_text()
    assert "keeps them equal" in answer.inner_text()

    fake_llm.reply(solution_tokens(SOLUTION), tokens_per_second=8)
    page.get_by_role("button", name="Show a worked solution").click()
    expect(page.locator(".bubble-tutor").nth(1).locator(".body")).to_have_text(re.compile(r"\S.{10,}"))
    page.get_by_role("button", name="Stop").click()
    stopped = page.locator(".bubble-tutor").last
    stopped.get_by_role("button", name="Continue").wait_for()
    assert "Stopped." in stopped.inner_text()
    shown = stopped.locator(".body").inner_text()

    fake_llm.reply(solution_tokens("(continued) so $x = 2$.\n\n**Final answer:** $\\boxed{2}$"))
    stopped.get_by_role("button", name="Continue").click()
    page.locator(".bubble-tutor").last.locator(".badge-verified").wait_for()
    continued = page.locator(".bubble-tutor").last.inner_text()
    assert shown.strip()[:10] in continued, "the continued reply starts with what was shown"
    assert "(continued)" in continued
    screenshot(page, "student-continue-after-stop")


def test_this_looks_wrong_sends_an_optional_note_to_the_teacher(
    site_url: str, page, solutions_allowed: Personas, fake_llm: FakeLLM
) -> None:
    from tutor.tutoring.models import Flag

    personas = solutions_allowed
    open_problem(page, site_url, personas)
    fake_llm.reply(solution_tokens(SOLUTION))
    page.get_by_role("button", name="Show a worked solution").click()
    reply = page.locator(".bubble-tutor").last
    reply.get_by_role("button", name="This looks wrong").click()
    reply.get_by_label("What looks wrong? (optional)").fill("Step 2 divides by the wrong number")
    reply.get_by_role("button", name="Send to my teacher").click()
    thanks = reply.locator(".report-thanks")
    expect(thanks).not_to_be_empty()
    assert reply.get_by_label("What looks wrong? (optional)").is_hidden()
    flag = Flag.objects.get(message__session__student=personas.student)
    assert "Step 2 divides by the wrong number" in flag.detail
    screenshot(page, "student-report-note")


def test_a_solution_stopped_mid_formula_shows_no_raw_latex_live_or_after_reload(
    site_url: str, page, solutions_allowed: Personas, fake_llm: FakeLLM
) -> None:
    """A reply that ended part-way keeps an unclosed formula held back (" …"), as while it streamed,
    instead of showing `$2x = \\tfrac` as text; after a reload it is still labelled "Stopped."."""
    from tutor.tutoring.models import Message
    from tutor.tutoring.services import session_start

    personas = solutions_allowed
    session = session_start(student=personas.student, problem=personas.problem)
    asked = Message.objects.create(
        session=session, role="student", mode="solution", content="Show me a worked solution."
    )
    Message.objects.create(
        session=session,
        role="tutor",
        mode="solution",
        reply_to=asked,
        status=Message.Status.STOPPED,
        content="We subtract $3$ from both sides: $2x = \\tfrac{8",
    )
    open_problem(page, site_url, personas)
    stopped = page.locator(".bubble-tutor").last
    stopped.get_by_role("button", name="Continue").wait_for()
    assert "Stopped." in stopped.inner_text()
    body = stopped.locator(".body")
    expect(body.locator(".katex").first).to_be_visible()  # the closed $3$ is rendered
    assert "$" not in body.inner_text() and "tfrac" not in body.inner_text(), body.inner_text()
    screenshot(page, "student-stopped-mid-formula")
