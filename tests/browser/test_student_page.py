"""The student's problem page in Debian's chromium: answer preview and grading, hints, a streamed
solution rendered with KaTeX and a verified badge, hostile model output, and reconnecting."""

from __future__ import annotations

import re

import pytest

from tests.browser.fixtures import log_in, screenshot
from tests.conftest import Personas
from tests.factories import PASSWORD
from tests.tutoring.fake import FakeLLM, solution_tokens

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SOLUTION = (
    "1. Subtract $3$ from both sides: $2x = 4$.\n"
    "2. Divide both sides by $2$, using \\(\\frac{4}{2} = 2\\).\n\n"
    "$$x = \\frac{4}{2}$$\n\n**Final answer:** $\\boxed{2}$"
)


def open_problem(page, site_url: str, personas: Personas) -> None:
    log_in(page, site_url, personas.student.username, PASSWORD)
    page.get_by_role("link", name="Linear equations").first.click()
    page.get_by_role("link", name=personas.problem.title).first.click()
    page.wait_for_selector("#connection.connection-ok")


def test_student_answers_gets_a_hint_and_a_verified_streamed_solution(
    site_url: str, page, solutions_allowed: Personas, fake_llm: FakeLLM
) -> None:
    personas = solutions_allowed
    open_problem(page, site_url, personas)
    assert page.locator("#statement .katex").count() >= 1, "the statement's LaTeX is rendered"

    answer = page.get_by_label("Type your answer")
    answer.fill("3x+")
    page.wait_for_selector(".preview-error")
    assert "read" in page.locator("#answer-preview").inner_text().lower()
    page.get_by_role("button", name="Check my answer").click()
    page.wait_for_selector(".result-unread")
    assert "didn't count" in page.locator("#answer-result").inner_text()

    answer.fill("4/2")
    page.wait_for_selector(".preview-ok .katex")
    assert "Your answer was read as" in page.locator("#answer-preview").inner_text()
    page.get_by_role("button", name="Check my answer").click()
    page.wait_for_selector(".result-correct")
    assert page.locator("#attempt-count").inner_text() == "1"
    screenshot(page, "student-answer-correct")

    fake_llm.reply(solution_tokens("What could you do to both sides so only $2x$ is left?"))
    page.get_by_role("button", name="Give me a hint").click()
    page.wait_for_selector(".bubble-tutor .body .katex")
    assert "both sides" in page.locator(".bubble-tutor").last.inner_text()

    fake_llm.reply(solution_tokens(SOLUTION), tokens_per_second=40)
    page.get_by_role("button", name="Show a worked solution").click()
    page.wait_for_selector(".bubble-tutor >> nth=1 >> .badge-verified", timeout=20000)
    reply = page.locator(".bubble-tutor").nth(1)
    assert reply.locator(".katex-display").count() == 1, "$$...$$ renders as display math"
    assert reply.locator(".katex").count() >= 4, "inline $..$ and \\(..\\) render too"
    assert "\\frac" not in reply.locator(".body").inner_text(), "no raw LaTeX left on the page"
    assert "Verified" in reply.inner_text()
    screenshot(page, "student-verified-solution")
    assert page.dialogs == []


def test_hostile_model_output_runs_no_script(
    site_url: str, page, solutions_allowed: Personas, fake_llm: FakeLLM
) -> None:
    personas = solutions_allowed
    hostile = (
        "Look: <img src=x onerror=alert(1)> and <script>alert(2)</script> and "
        "[click me](javascript:alert(3)) and $\\href{javascript:alert(4)}{x}$ and "
        '<a href="javascript:alert(5)">here</a> <svg onload=alert(6)></svg>\n\n$\\boxed{2}$'
    )
    fake_llm.reply(solution_tokens(hostile))
    open_problem(page, site_url, personas)
    page.get_by_role("button", name="Show a worked solution").click()
    page.wait_for_selector(".bubble-tutor .verification .badge", timeout=20000)
    page.wait_for_timeout(500)
    assert page.dialogs == [], f"a script ran: {page.dialogs}"
    assert page.locator("[onerror], [onload]").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    assert page.locator(".bubble-tutor script").count() == 0
    screenshot(page, "student-hostile-output")


def test_the_page_reconnects_mid_answer_and_shows_the_answer_once(
    site_url: str, page, solutions_allowed: Personas, fake_llm: FakeLLM
) -> None:
    personas = solutions_allowed
    words = " ".join(f"w{i:03d}" for i in range(120))
    fake_llm.reply(solution_tokens(words + "\n\nFinal answer: $\\boxed{2}$"), tokens_per_second=40)
    open_problem(page, site_url, personas)
    page.get_by_role("button", name="Show a worked solution").click()
    page.wait_for_selector(".bubble-tutor .body:has-text('w020')")
    page.evaluate("window.tutorSocket.close()")
    page.wait_for_selector("#connection.connection-down", timeout=5000)
    page.wait_for_selector("#connection.connection-ok", timeout=10000)
    page.wait_for_selector(".bubble-tutor .badge-verified", timeout=20000)
    text = page.locator(".bubble-tutor .body").inner_text()
    for i in (0, 20, 60, 119):
        assert len(re.findall(rf"\bw{i:03d}\b", text)) == 1, f"w{i:03d} should appear exactly once"
    assert page.locator(".bubble-tutor").count() == 1


def test_phone_width_and_labels(site_url: str, browser, solutions_allowed: Personas) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    log_in(page, site_url, solutions_allowed.student.username, PASSWORD)
    page.goto(f"{site_url}/problems/{solutions_allowed.problem.pk}/")
    page.wait_for_selector("#connection")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 380, f"the page scrolls sideways at phone width ({width}px)"
    unlabeled = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), textarea, select')]
              .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')).map(el => el.id)"""
    )
    assert unlabeled == []
    nameless = page.evaluate(
        "() => [...document.querySelectorAll('button')].filter(b => !b.innerText.trim() && !b.getAttribute('aria-label')).length"
    )
    assert nameless == 0
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    screenshot(page, "student-phone")
    context.close()


def test_visual_maths_editor_fills_the_answer_and_the_preview(
    site_url: str, page, solutions_allowed: Personas, fake_llm: FakeLLM
) -> None:
    personas = solutions_allowed
    open_problem(page, site_url, personas)
    page.get_by_role("button", name="Use the maths editor").click()
    editor = page.locator("math-field")
    editor.wait_for()
    editor.focus()
    page.keyboard.type("4/2")
    page.wait_for_selector(".preview-ok .katex")
    typed = page.get_by_label("Type your answer").input_value()
    assert "frac" in typed, f"the editor's LaTeX goes into the answer box: {typed!r}"
    page.get_by_role("button", name="Check my answer").click()
    page.wait_for_selector(".result-correct")
    assert not [line for line in page.console if "Content Security Policy" in line or "pageerror" in line]
    screenshot(page, "student-maths-editor")
