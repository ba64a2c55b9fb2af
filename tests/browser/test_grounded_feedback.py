"""Step checks on the student's page (issue 12 ★), in Debian's chromium: the wrong line of a
student's working is highlighted in their own message, a worked solution's badge says how many
steps were checked, and a wrong step of a solution is marked where it is written."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.fixtures import screenshot
from tests.browser.test_student_page import open_problem
from tests.conftest import Personas
from tests.tutoring.fake import FakeLLM, solution_tokens
from tests.tutoring.test_step_verification import BROKEN_STEP, RIGHT, WORKING_WRONG_LINE_3

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_wrong_line_of_the_students_working_is_highlighted(
    site_url: str, page, personas: Personas, fake_llm: FakeLLM
) -> None:
    fake_llm.reply(
        solution_tokens("Lines 1 and 2 are right. Look again at line 3: what is $7 - 3$?"),
        tokens_per_second=40,
    )
    open_problem(page, site_url, personas)
    page.get_by_label("Ask about your working").fill(WORKING_WRONG_LINE_3)
    page.get_by_role("button", name="Get feedback").click()
    wrong = page.wait_for_selector(".bubble-student .working-wrong", timeout=20000)
    assert wrong.get_attribute("data-line") == "3"
    assert wrong.inner_text().startswith("2x = 5")
    lines = page.locator(".bubble-student").last.locator(".working-line")
    assert lines.count() == 4
    assert page.locator(".bubble-student .working-wrong").count() == 1
    expect(page.locator(".bubble-tutor .body").last).to_contain_text("line 3", timeout=20000)
    screenshot(page, "student-working-line-3")


def test_a_solution_badge_counts_checked_steps_and_marks_a_wrong_one(
    site_url: str, page, solutions_allowed: Personas, fake_llm: FakeLLM
) -> None:
    fake_llm.reply(solution_tokens(RIGHT), tokens_per_second=60)
    open_problem(page, site_url, solutions_allowed)
    page.get_by_role("button", name="Show a worked solution").click()
    page.wait_for_selector(".bubble-tutor .badge-verified", timeout=20000)
    reply = page.locator(".bubble-tutor").last
    assert "4 steps checked" in reply.locator(".verification").inner_text()
    assert reply.locator(".step-failed").count() == 0

    # Every try gets the same broken step (the server retries TUTOR_MAX_REGENERATIONS times).
    for _ in range(3):
        fake_llm.reply(solution_tokens(BROKEN_STEP), tokens_per_second=200)
    page.reload()
    page.wait_for_selector("#connection.connection-ok")
    page.get_by_role("button", name="Show a worked solution").click()
    page.wait_for_selector(".bubble-tutor >> nth=1 >> .badge-unverified", timeout=40000)
    reply = page.locator(".bubble-tutor").nth(1)
    assert "Step 2 doesn't follow" in reply.locator(".verification").inner_text()
    marked = reply.locator(".body .step-failed")
    assert marked.count() == 1
    assert marked.get_attribute("data-failed-step") == "2"
    assert "5" in marked.inner_text()
    reply.locator(".verification").scroll_into_view_if_needed()
    screenshot(page, "student-solution-wrong-step")
