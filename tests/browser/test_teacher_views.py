"""A teacher's pages in Debian's chromium, with screenshots (test-artifacts/): the dashboard's
grid and bars on a 390 px phone (labels at 12 px or more), the answer-key audit results, a review
transcript rendered with the reported reply marked, 'preview as a student', the upload's 'Read as'
column, and the time zone the browser reports."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests import factories
from tests.browser.axe import axe_problems
from tests.browser.fixtures import log_in, screenshot
from tests.conftest import Personas
from tests.factories import PASSWORD
from tutor.classroom.models import User
from tutor.tutoring.attempts import attempt_submit
from tutor.tutoring.models import AuditOutcome, AuditRun, Flag, Message, TutoringSession

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def _teacher(browser, site_url: str, personas: Personas, **context: object):
    page = browser.new_context(**context).new_page()
    page.set_default_timeout(15000)
    log_in(page, site_url, personas.teacher.username, PASSWORD)
    return page


def test_dashboard_grid_and_bars_read_on_a_phone(site_url: str, browser, personas: Personas) -> None:
    personas.problem.title = "Solve a linear equation with two steps"
    personas.problem.save()
    attempt_submit(student=personas.student, problem=personas.problem, answer="2")
    attempt_submit(student=personas.classmate, problem=personas.problem, answer="4")
    attempt_submit(student=personas.classmate, problem=personas.problem, answer="x=6")
    page = _teacher(browser, site_url, personas, viewport=PHONE, device_scale_factor=2, is_mobile=True)
    page.goto(site_url + reverse("class_dashboard", args=[personas.classroom.pk]))
    sizes = page.locator("#solved-bars .bar-label, #solved-bars .bar-value").evaluate_all(
        "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))"
    )
    assert sizes and min(sizes) >= 12, sizes
    grid = page.locator("#progress-grid")
    expect(grid.locator(f"tr[data-student='{personas.student.pk}'] td").first).to_have_text("✓ Solved")
    expect(grid.locator(f"tr[data-student='{personas.classmate.pk}'] td").first).to_have_text(
        "… Tried 2×, not solved"
    )
    wrong = page.locator(f"tr[data-problem='{personas.problem.pk}'] .wrong-answers li")
    expect(wrong).to_have_count(2)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways scroll"
    screenshot(page, "teacher-dashboard-phone")
    assert axe_problems(page) == []
    page.context.close()


def test_audit_results_and_a_rendered_review_transcript(site_url: str, browser, personas: Personas) -> None:
    problems = list(personas.problem_set.problems.order_by("position"))
    audit = AuditRun.objects.create(
        problem_set=personas.problem_set, requested_by=personas.teacher, total=3, processed=3, status="done"
    )
    AuditOutcome.objects.create(audit=audit, problem=problems[0], outcome="agrees", model_answer="2")
    AuditOutcome.objects.create(
        audit=audit,
        problem=problems[1],
        outcome="disagrees",
        model_answer="3",
        reason="The key says 2. The model answered 3 twice.",
    )
    AuditOutcome.objects.create(
        audit=audit,
        problem=problems[2],
        outcome="inconclusive",
        reason="The tutor's solution gave no final answer to compare with the key.",
    )
    session = TutoringSession.objects.create(student=personas.student, problem=personas.problem)
    ask = Message.objects.create(session=session, role="student", mode="solution", content="Show me")
    Message.objects.create(
        session=session,
        role="tutor",
        mode="solution",
        reply_to=ask,
        status="stopped",
        content="First halve: $\\tfrac12 (2x) = ",
    )
    reported = Message.objects.create(
        session=session,
        role="tutor",
        mode="solution",
        reply_to=ask,
        status="complete",
        content="**Subtract 3** from both sides: $2x = 4$, so $x = 3$.",
        final_answer="3",
    )
    flag = Flag.objects.create(
        kind=Flag.Kind.STUDENT_REPORT,
        session=session,
        message=reported,
        problem=personas.problem,
        detail="x is 2!",
    )

    page = _teacher(browser, site_url, personas, viewport={"width": 1280, "height": 900})
    page.goto(site_url + reverse("problem_set_detail", args=[personas.problem_set.pk]))
    page.get_by_role("link", name="Answer-key check results").click()
    expect(page.locator("#audit-summary h2")).to_have_text("Done: 1 of 3 agree, 1 disagrees, 1 inconclusive")
    expect(page.locator(f"#audit-table tr[data-problem='{problems[2].pk}'] .reason")).to_contain_text(
        "gave no final answer"
    )
    screenshot(page, "teacher-audit-results")
    assert axe_problems(page) == []

    page.goto(site_url + reverse("review_flag", args=[flag.pk]))
    bubble = page.locator(f"#message-{reported.pk}")
    expect(bubble.locator(".reported-mark")).to_contain_text("The student reported this reply")
    expect(bubble.locator(".body strong")).to_have_text("Subtract 3")
    expect(bubble.locator(".body .katex")).to_have_count(2)
    assert "$" not in bubble.locator(".body").inner_text()
    stopped = page.locator(".bubble-unfinished")
    expect(stopped.locator(".unfinished-label")).to_have_text("Stopped by the student before the end")
    expect(stopped.locator(".body")).to_have_text("First halve: …")
    screenshot(page, "teacher-review-transcript")
    assert axe_problems(page) == []

    factories.make_classroom(teacher=personas.teacher, name="Maths 11C")
    page.goto(site_url + reverse("review_queue"))
    page.get_by_role("link", name=personas.classroom.name, exact=True).click()
    expect(page.locator("table tbody tr")).to_have_count(1)
    expect(page.locator("table tbody tr")).to_contain_text("Student reported a problem")
    screenshot(page, "teacher-review-queue-one-class")
    assert axe_problems(page) == []
    page.context.close()


def test_a_running_check_updates_its_page_and_shows_the_results_when_done(
    site_url: str, browser, personas: Personas
) -> None:
    problems = list(personas.problem_set.problems.order_by("position"))
    audit = AuditRun.objects.create(
        problem_set=personas.problem_set, requested_by=personas.teacher, total=3, status="running"
    )
    page = _teacher(browser, site_url, personas, viewport={"width": 1280, "height": 900})
    page.goto(site_url + reverse("audit_results", args=[personas.problem_set.pk]))
    expect(page.locator("#audit-progress")).to_have_text("Checking: 0 of 3 problems done")
    AuditOutcome.objects.create(audit=audit, problem=problems[0], outcome="agrees", model_answer="2")
    AuditRun.objects.filter(pk=audit.pk).update(processed=1, agreed=1)
    expect(page.locator("#audit-progress")).to_have_text("Checking: 1 of 3 problems done", timeout=10000)
    for problem in problems[1:]:
        AuditOutcome.objects.create(audit=audit, problem=problem, outcome="agrees", model_answer="2")
    AuditRun.objects.filter(pk=audit.pk).update(processed=3, agreed=3, status="done")
    expect(page.locator("#audit-summary h2")).to_have_text("Done: 3 of 3 agree", timeout=10000)
    expect(page.locator("#audit-table .outcome")).to_have_text(["✓ Agrees"] * 3)
    page.context.close()


def test_preview_as_a_student_checks_answers_and_saves_nothing(
    site_url: str, browser, personas: Personas
) -> None:
    personas.problem.hints = ["Subtract $3$ from both sides."]
    personas.problem.solution = "$2x = 4$, so $x = 2$."
    personas.problem.save()
    page = _teacher(browser, site_url, personas, viewport=PHONE, is_mobile=True)
    page.goto(site_url + reverse("problem_set_detail", args=[personas.problem_set.pk]))
    page.get_by_role("link", name="Preview as a student").first.click()
    expect(page.locator("#preview-banner")).to_contain_text("Preview as a student.")
    expect(page.locator("#statement .katex").first).to_be_visible()
    expect(page.locator("#teacher-view .worked-solution .katex")).to_have_count(2)
    expect(page.locator("#teacher-view .hint-list .katex")).to_have_count(1)
    page.get_by_label("Type your answer").fill("x = 2")
    page.get_by_role("button", name="Check my answer").click()
    expect(page.locator("#preview-result")).to_contain_text("Correct")
    assert not TutoringSession.objects.exists() and not personas.problem.attempts.exists()
    screenshot(page, "teacher-preview-as-student-phone")
    assert axe_problems(page) == []
    page.context.close()


def test_the_browsers_time_zone_becomes_the_teachers(site_url: str, browser, personas: Personas) -> None:
    page = _teacher(browser, site_url, personas, timezone_id="Europe/Berlin")
    deadline = time.monotonic() + 10
    while User.objects.get(pk=personas.teacher.pk).time_zone != "Europe/Berlin":
        assert time.monotonic() < deadline, "the first page never reported the browser's time zone"
        time.sleep(0.1)
    page.goto(site_url + reverse("account_settings"))
    expect(page.get_by_label("Your time zone")).to_have_value("Europe/Berlin")
    page.get_by_label("Your time zone").select_option("America/New_York")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".message-success")).to_contain_text("America/New_York")
    page.goto(site_url + reverse("assignment_edit", args=[personas.assignment.pk]))
    expect(page.locator("#time-zone-note")).to_contain_text("America/New_York")
    screenshot(page, "teacher-time-zone")
    page.context.close()


def test_upload_shows_the_formula_and_the_latex_on_demand(
    site_url: str, browser, personas: Personas, tmp_path
) -> None:
    csv = tmp_path / "roots.csv"
    csv.write_text(
        "key,title,statement,answer,answer_type\nq1,Root,What is the square root of 2?,sqrt(2)/2,number\n"
    )
    page = _teacher(browser, site_url, personas, viewport={"width": 1280, "height": 900})
    page.goto(site_url + reverse("problem_set_upload"))
    page.get_by_label("Only check the file").check()
    page.locator("input[type=file]").set_input_files(str(csv))
    page.get_by_role("button", name="Upload").click()
    cell = page.locator("#read-as td.rendered-latex").first
    expect(cell.locator(".katex")).to_have_count(1)
    latex = cell.locator("details.read-as-latex code")
    expect(latex).to_be_hidden()
    cell.get_by_text("LaTeX").click()
    expect(latex).to_be_visible()
    screenshot(page, "teacher-upload-read-as")
    assert axe_problems(page) == []
    page.context.close()
