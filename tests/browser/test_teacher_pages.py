"""A teacher in Debian's chromium: the dashboard agrees with what a student just did in the
browser, the grades CSV downloads, and a flagged session is reviewed."""

from __future__ import annotations

import csv
import io

import pytest

from tests.browser.fixtures import log_in, screenshot
from tests.browser.test_student_page import open_problem
from tests.conftest import Personas
from tests.factories import PASSWORD
from tests.tutoring.fake import FakeLLM, solution_tokens

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dashboard_matches_the_students_attempts_and_a_flag_is_reviewed(
    site_url: str, browser, solutions_allowed: Personas, fake_llm: FakeLLM
) -> None:
    personas = solutions_allowed
    student = browser.new_context().new_page()
    open_problem(student, site_url, personas)
    for answer, outcome in (("7", ".result-wrong"), ("2", ".result-correct")):
        student.get_by_label("Type your answer").fill(answer)
        student.get_by_role("button", name="Check my answer").click()
        student.wait_for_selector(outcome)
        student.locator("#answer-result").evaluate("el => el.className = 'result'")
    # A tutor answer that never checks out gets flagged for the teacher.
    for _ in range(3):
        fake_llm.reply(solution_tokens("Add 3 to both sides, so $x = 5$.\n\n$\\boxed{5}$"))
    student.get_by_role("button", name="Show a worked solution").click()
    student.wait_for_selector(".bubble-tutor .badge-unverified", timeout=20000)
    student.context.close()

    teacher = browser.new_context(accept_downloads=True).new_page()
    log_in(teacher, site_url, personas.teacher.username, PASSWORD)
    teacher.goto(f"{site_url}/classes/{personas.classroom.pk}/dashboard/")
    row = teacher.locator(f"tr[data-problem='{personas.problem.pk}']")
    assert "1 of 2 (50%)" in row.locator(".solved").inner_text()
    assert row.locator(".attempts").inner_text() == "2"
    assert row.locator(".solutions").inner_text() == "1"
    screenshot(teacher, "teacher-dashboard")

    with teacher.expect_download() as download:
        teacher.get_by_role("link", name="Download grades (CSV)").click()
    rows = list(csv.reader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    header = rows[0]
    ada = next(r for r in rows if r[header.index("username")] == personas.student.username)
    assert [ada[header.index(name)] for name in ("score", "out of", "attempts", "late")] == [
        "1",
        "3",
        "2",
        "0",
    ]

    teacher.get_by_role("link", name="Review queue").first.click()
    teacher.locator("table").get_by_role("link", name="Tutor answer could not be verified").first.click()
    assert "Add 3 to both sides" in teacher.locator(".transcript").inner_text()
    teacher.get_by_label("Your note").fill("The key is right; the tutor added instead of subtracting.")
    teacher.get_by_role("button", name="Save and mark reviewed").click()
    teacher.wait_for_selector("text=Marked as reviewed.")
    assert "reviewed" in teacher.locator("table").inner_text()
    screenshot(teacher, "teacher-review-queue")
    teacher.context.close()
