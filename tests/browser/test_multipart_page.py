"""A multi-part problem in chromium on a phone (issue 16): the stem and both parts on one page, each
part answered and marked on its own, the problem solved when both are, and the tutor asked about
part (b) reading the stem with it. The problem is the two-part ball of tests/data/kinematics.yaml,
uploaded as a teacher would."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.fixtures import log_in, screenshot
from tests.conftest import Personas
from tests.factories import PASSWORD, make_assignment
from tests.tutoring.fake import FakeLLM, solution_tokens
from tutor.problems.services import problem_set_import

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DATA = Path(__file__).resolve().parents[1] / "data"
PHONE = {"width": 390, "height": 844}


def test_a_student_answers_each_part_and_asks_about_one(
    site_url: str, browser, personas: Personas, fake_llm: FakeLLM
) -> None:
    result = problem_set_import(
        owner=personas.teacher, filename="kinematics.yaml", data=(DATA / "kinematics.yaml").read_bytes()
    )
    assert result.problem_set is not None, result.errors
    make_assignment(classroom=personas.classroom, problem_set=result.problem_set)
    ball = result.problem_set.problems.get(key="ball")
    part_a, part_b = ball.parts.order_by("position", "pk")

    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, site_url, personas.student.username, PASSWORD)
    # A part's own address opens the problem at that part.
    page.goto(f"{site_url}/problems/{part_b.pk}/")
    assert page.url.endswith(f"/problems/{ball.pk}/#part-{part_b.pk}")
    page.wait_for_selector("#connection.connection-ok")
    assert "A ball is thrown up at 20 m/s" in page.locator("#statement").inner_text()
    assert page.get_by_role("heading", name="Part (a)").is_visible()
    assert page.get_by_role("heading", name="Part (b)").is_visible()
    assert "0 of 2 parts right" in page.locator("#parts-progress").inner_text()

    solution_button = page.get_by_role("button", name="Show a worked solution")
    assert solution_button.is_disabled(), "part (a) has no attempts yet"
    box_a = page.get_by_label("Type your answer to part (a)")
    box_a.fill("3 s")
    page.get_by_role("button", name="Check my answer to part (a)").click()
    page.wait_for_selector(f"#answer-result-{part_a.pk}.result-wrong")
    box_a.fill("2 s")
    page.get_by_role("button", name="Check my answer to part (a)").click()
    page.wait_for_selector(f"#answer-result-{part_a.pk}.result-correct")
    assert page.locator(f"#solved-state-{part_a.pk}").is_visible()
    # Part (a) solved: its worked solution may be shown (the tutor is on part (a)).
    expect(solution_button).to_be_enabled()
    assert "1 of 2 parts right" in page.locator("#parts-progress").inner_text()
    assert page.locator("#solved-state").is_hidden(), "one part is not the whole problem"
    assert page.locator(f"#answer-result-{part_b.pk}").inner_text() == ""

    page.get_by_label("Type your answer to part (b)").fill("20 m")
    page.get_by_role("button", name="Check my answer to part (b)").click()
    page.wait_for_selector(f"#answer-result-{part_b.pk}.result-correct")
    assert page.locator("#solved-state").is_visible()
    assert "2 of 2 parts right" in page.locator("#parts-progress").inner_text()
    assert page.locator("#next-problem").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "multipart-solved-phone")

    fake_llm.reply(solution_tokens("How fast is the ball moving at the top?"))
    page.get_by_label("Which part do you want help with?").select_option(label="Part (b)")
    page.wait_for_selector("#connection.connection-ok")
    page.get_by_role("button", name="Give me a hint").click()
    page.wait_for_selector(".bubble-tutor .body:has-text('at the top')")
    assert "hint 1" in page.locator(".bubble-tutor .who").last.inner_text()
    prompt = "\n".join(m["content"] for m in fake_llm.requests[-1]["messages"])
    assert "A ball is thrown up at 20 m/s" in prompt and "How high does it go?" in prompt
    screenshot(page, "multipart-tutor-part-b")
    assert errors == []
    context.close()
