"""axe-core in Debian's chromium on every kind of page a student, a teacher and an admin open
(issue 16): no violations of the rules axe runs by default (WCAG 2.x A and AA, best practices) and
no aria-* attribute naming an id that isn't on the page. Each page is checked as it is after
loading, and the problem page again with a tutor's reply and a solved answer on it (where the two
"Next problem" links were). axe-core is fetched by tests/browser/axe.py (pinned, sha512-checked).
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.axe import axe_problems
from tests.browser.fixtures import log_in, screenshot
from tests.conftest import Personas
from tests.factories import PASSWORD, make_assignment
from tests.tutoring.fake import FakeLLM, solution_tokens
from tutor.classroom.models import User
from tutor.problems.models import ImportJob
from tutor.tutoring.models import Attempt, Flag, Message, TutoringSession

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BROKEN_CSV = b"key,statement,answer,answer_type\nq1,Solve 2x = 4,2,number\nq2,What is 1/0?,1/,expression\n"
SOLUTION = (
    "1. Subtract $3$ from both sides: $2x = 4$.\n2. Divide both sides by $2$.\n\n"
    "$$x = \\frac{4}{2}$$\n\n**Final answer:** $\\boxed{2}$"
)
GOOD_CSV = b"key,statement,answer,answer_type\nq1,Solve $2x = 4$.,2,number\nq2,Expand $(x+1)^2$.,x^2+2x+1,expression\n"
HINT = "What could you do to **both sides** so that only $2x$ is left on the left?"


def check(page, name: str) -> None:
    page.wait_for_load_state("load")
    screenshot(page, f"axe-{name}")
    problems = axe_problems(page)
    assert problems == [], f"{name} ({page.url}):\n" + "\n".join(problems)


def some_activity(personas: Personas) -> TutoringSession:
    """A wrong answer, a conversation and a student's report, so the teacher's pages have rows."""
    Attempt.objects.create(
        student=personas.classmate,
        problem=personas.problem,
        assignment=personas.assignment,
        answer="3",
        status="incorrect",
        reason="That value isn't right.",
    )
    session = TutoringSession.objects.create(
        student=personas.classmate, problem=personas.problem, assignment=personas.assignment
    )
    Message.objects.create(session=session, role="student", mode="hint", content="Can I have a hint?")
    reply = Message.objects.create(
        session=session, role="tutor", mode="hint", content=HINT, status="complete", verification="withheld"
    )
    Flag.objects.create(
        kind=Flag.Kind.STUDENT_REPORT,
        session=session,
        message=reply,
        problem=personas.problem,
        detail="This doesn't help me.",
    )
    return session


def test_the_student_pages_have_no_accessibility_violations(
    site_url: str, page, personas: Personas, fake_llm: FakeLLM
) -> None:
    page.goto(f"{site_url}/accounts/login/")
    check(page, "login")
    page.get_by_label("Username").fill(personas.student.username)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_selector(".error, [role=alert]")
    check(page, "login-wrong-password")
    page.goto(f"{site_url}/accounts/signup/")
    check(page, "signup")
    page.get_by_label("Username").fill(personas.student.username)  # taken
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_selector(".error")
    check(page, "signup-errors")

    log_in(page, site_url, personas.student.username, PASSWORD)
    check(page, "home-student")
    page.get_by_label("Class code").fill("ZZZZZZZ")
    page.get_by_role("button", name="Join").click()
    page.wait_for_selector(".message-error")
    check(page, "home-student-wrong-code")
    page.goto(f"{site_url}/sets/{personas.problem_set.pk}/")
    check(page, "problem-set")
    page.goto(f"{site_url}/problems/{personas.problem.pk}/")
    page.wait_for_selector("#connection.connection-ok")
    check(page, "problem")
    assert not TutoringSession.objects.filter(student=personas.student).exists(), "looking made a session"

    fake_llm.reply(solution_tokens(HINT))
    page.get_by_role("button", name="Give me a hint").click()
    page.wait_for_selector(".bubble-tutor .body .katex")
    focused_in_reply = page.evaluate(
        "() => !!document.activeElement && !!document.activeElement.closest('#chat .bubble-tutor')"
    )
    assert focused_in_reply, "after asking, focus is on the new reply"
    assert TutoringSession.objects.filter(student=personas.student).count() == 1, "asking made one"
    answer = page.get_by_label("Type your answer")
    answer.fill("3")
    page.get_by_role("button", name="Check my answer").click()
    page.wait_for_selector(".result-wrong")
    page.get_by_role("button", name="This looks wrong").click()
    page.get_by_label("What looks wrong? (optional)").fill("It doesn't say what to do.")
    page.get_by_role("button", name="Send to my teacher").click()
    page.wait_for_selector(".report-thanks:not(:empty)")
    check(page, "problem-reply-wrong-reported")

    answer.fill("2")
    page.get_by_role("button", name="Check my answer").click()
    page.wait_for_selector(".result-correct")
    check(page, "problem-reply-solved")

    # A right answer unlocks the worked solution; one stopped half-way, with its Continue button.
    fake_llm.reply(solution_tokens(SOLUTION), tokens_per_second=8)
    page.get_by_role("button", name="Show a worked solution").click()
    solution = page.locator(".bubble-tutor").nth(1)
    expect(solution.locator(".body")).to_have_text(re.compile(r"\S.{10,}"))
    page.get_by_role("button", name="Stop").click()
    solution.get_by_role("button", name="Continue").wait_for()
    check(page, "problem-stopped")
    page.set_viewport_size({"width": 390, "height": 844})
    check(page, "problem-reply-solved-phone")


def test_the_teacher_pages_have_no_accessibility_violations(site_url: str, page, personas: Personas) -> None:
    some_activity(personas)
    flag = Flag.objects.get()
    log_in(page, site_url, personas.teacher.username, PASSWORD)
    check(page, "home-teacher")
    for name, url in [
        ("class", reverse("classroom_detail", args=[personas.classroom.pk])),
        ("class-dashboard", reverse("class_dashboard", args=[personas.classroom.pk])),
        ("student-detail", reverse("student_detail", args=[personas.classroom.pk, personas.classmate.pk])),
        ("review-queue", reverse("review_queue")),
        ("review-flag", reverse("review_flag", args=[flag.pk])),
        ("upload", reverse("problem_set_upload")),
        ("assignment-form", reverse("assignment_create")),
        ("assignment-edit", reverse("assignment_edit", args=[personas.assignment.pk])),
        ("problem-set-teacher", f"/sets/{personas.problem_set.pk}/"),
        ("problem-teacher", f"/problems/{personas.problem.pk}/"),
        ("settings", reverse("account_settings")),
        ("preview-as-student", reverse("problem_teacher_view", args=[personas.problem.pk])),
        ("audit-results", reverse("audit_results", args=[personas.problem_set.pk])),
        ("not-found", f"/problems/{personas.other_problem.pk}/"),
    ]:
        page.goto(site_url + url)
        check(page, name)

    page.set_viewport_size({"width": 390, "height": 844})
    for name, url in [
        ("class-dashboard-phone", reverse("class_dashboard", args=[personas.classroom.pk])),
        ("review-queue-phone", reverse("review_queue")),
    ]:
        page.goto(site_url + url)
        check(page, name)
    page.set_viewport_size({"width": 1280, "height": 900})

    # Forms sent with mistakes: each error is tied to its field.
    page.goto(site_url + reverse("assignment_create"))
    page.locator("#id_classroom").select_option(index=1)
    page.locator("#id_opens_at").fill("2030-03-10T09:00")
    page.locator("#id_due_at").fill("2030-03-01T09:00")  # before it opens
    page.get_by_role("button", name="Assign").click()
    page.wait_for_selector(".error")
    check(page, "assignment-form-errors")
    page.goto(site_url + reverse("problem_set_upload"))
    page.get_by_label("Problem set file").evaluate("input => input.removeAttribute('required')")
    page.get_by_role("button", name="Upload").click()
    page.wait_for_selector(".error")
    check(page, "upload-no-file")

    # An upload with a mistake in it: the list of errors with their lines.
    page.goto(site_url + reverse("problem_set_upload"))
    page.get_by_label("Problem set file").set_input_files(
        files=[{"name": "week-3.csv", "mimeType": "text/csv", "buffer": BROKEN_CSV}]
    )
    page.get_by_role("button", name="Upload").click()
    page.wait_for_selector(".error, [role=alert]")
    check(page, "upload-errors")

    # A good one: the page says what was imported and how each key was read.
    page.get_by_label("Problem set file").set_input_files(
        files=[{"name": "week-4.csv", "mimeType": "text/csv", "buffer": GOOD_CSV}]
    )
    page.get_by_role("button", name="Upload").click()
    page.wait_for_selector(".message-success")
    check(page, "upload-done")

    # A big upload is read in the background, with a progress page.
    job = ImportJob.objects.create(
        owner=personas.teacher,
        filename="big.csv",
        data=b"",
        status=ImportJob.Status.RUNNING,
        total=40,
        processed=12,
    )
    page.goto(site_url + reverse("import_job", args=[job.pk]))
    check(page, "import-job")


def test_the_admins_session_page_is_a_short_readable_conversation(
    site_url: str, page, personas: Personas
) -> None:
    session = some_activity(personas)
    for n in range(3):  # eight messages, as in the 4 750 px example
        Message.objects.create(session=session, role="student", mode="question", content=f"Why step {n}?")
        Message.objects.create(
            session=session, role="tutor", mode="question", status="complete", content=f"Because $x_{n} = 2$."
        )
    User.objects.create_superuser("root", "root@example.com", PASSWORD)
    page.goto(f"{site_url}/admin/login/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{site_url}/admin/")

    page.goto(f"{site_url}/admin/tutoring/tutoringsession/{session.pk}/change/")
    page.wait_for_selector(".admin-transcript .turn-tutor .katex")
    assert page.locator(".admin-transcript .turn").count() == 8
    assert page.locator(".admin-transcript strong", has_text="both sides").count() == 1, (
        "Markdown is rendered"
    )
    assert "$x_0" not in page.locator("#content-main").inner_text(), "LaTeX is rendered"
    assert page.locator("#tutoringsession_form select, #tutoringsession_form textarea").count() == 0
    height = page.evaluate("document.documentElement.scrollHeight")
    screenshot(page, "axe-admin-session")
    assert height < 1800, f"the session page is {height} px high for 8 messages"
    # Django's own navigation repeats "Add" per model in its table rows and sidebar: not ours to rename.
    problems = axe_problems(page, links=False)
    assert problems == [], "\n".join(problems)
    page.emulate_media(color_scheme="dark")  # the admin follows the system's dark mode
    screenshot(page, "axe-admin-session-dark")
    problems = axe_problems(page, links=False)
    assert problems == [], "dark mode:\n" + "\n".join(problems)
    page.emulate_media(color_scheme="light")

    page.goto(f"{site_url}/admin/tutoring/tutoringsession/?has_messages=yes")
    assert page.locator("#result_list tbody tr").count() == 1
    screenshot(page, "axe-admin-sessions")
    problems = axe_problems(page, links=False)
    assert problems == [], "\n".join(problems)


def test_choice_and_multi_part_problem_pages_have_no_accessibility_violations(
    site_url: str, page, personas: Personas
) -> None:
    from tests.problems.helpers import load
    from tests.problems.test_choice import GIFT_FROM_MOODLE_DOCS, by_statement

    choices = load(personas, "grant.gift", GIFT_FROM_MOODLE_DOCS.encode())
    kinematics = load(personas, "kinematics.yaml")
    for imported in (choices, kinematics):
        assert imported.problem_set is not None, [str(e) for e in imported.errors]
        make_assignment(classroom=personas.classroom, problem_set=imported.problem_set)
    log_in(page, site_url, personas.student.username, PASSWORD)

    page.goto(f"{site_url}/problems/{by_statement(choices.problem_set)['The sky is'].pk}/")
    check(page, "choice")
    page.get_by_role("radio").first.check()
    page.get_by_role("button", name="Check my answer").click()
    page.wait_for_selector("#answer-result.result-correct, #answer-result.result-wrong")
    check(page, "choice-answered")

    ball = kinematics.problem_set.problems.get(key="ball")
    page.goto(f"{site_url}/problems/{ball.pk}/")
    page.wait_for_selector("#connection.connection-ok")
    check(page, "multi-part")
    page.get_by_label("Type your answer to part (a)").fill("2 s")
    page.get_by_role("button", name="Check my answer to part (a)").click()
    page.wait_for_selector(".result-correct")
    check(page, "multi-part-one-right")
