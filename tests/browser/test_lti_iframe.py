"""LTI launches inside an LMS's iframe, in chromium. The course page is served by the test platform
(tests/lti/platform.py) on 127.0.0.2, a different site from the tool on 127.0.0.1, so the tool's
cookies are third-party cookies there, as in a real Moodle or Canvas.

Two browsers: one that allows third-party cookies (Chrome's default settings: a profile whose
preferences say so) launches, answers and gets a score sent, all inside the frame; one that
blocks them (Playwright's incognito-like contexts do, as Safari and Chrome incognito do) is offered
the activity in a new window, where it works."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.browser.fixtures import CHROMIUM, AppServer, screenshot
from tests.factories import make_problem_set, make_teacher
from tests.lti.platform import INSTRUCTOR, LEARNER, LineItem, LtiPlatform, ResourceLink
from tests.tutoring.fake import FakeLLM
from tutor.lti.models import LtiUser, Platform

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def lti_server(transactional_db: None, fake_llm: FakeLLM, tmp_path: Path) -> Iterator[AppServer]:
    # TUTOR_LTI=1: cookies SameSite=None; Secure (chromium keeps Secure cookies of http://127.0.0.1,
    # a potentially trustworthy origin). Eager Celery: the score goes out from the web process.
    server = AppServer(
        fake_llm, tmp_path / "server.log", extra_env={"TUTOR_LTI": "1", "CELERY_TASK_ALWAYS_EAGER": "1"}
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def lms(lti_server: AppServer) -> Iterator[LtiPlatform]:
    """A course with one activity (the teacher's problem set 'Forces', 2 problems, deep-linked)."""
    lms = LtiPlatform(host="127.0.0.2")
    tool = lti_server.url
    lms.register_tool(
        login_url=f"{tool}/lti/login/", launch_url=f"{tool}/lti/launch/", jwks_url=f"{tool}/lti/jwks/"
    )
    call_command("lti_key", "--if-missing")
    platform = Platform.objects.create(
        name="Browser LMS",
        issuer=lms.issuer,
        client_id=lms.client_id,
        auth_login_url=lms.auth_url,
        auth_token_url=lms.token_url,
        keyset_url=lms.jwks_url,
        deployment_ids=[lms.deployment_id],
    )
    teacher = make_teacher(username="lti-teacher", first_name="Ada")
    LtiUser.objects.create(issuer=lms.issuer, sub="t-100", user=teacher, platform=platform)
    problem_set = make_problem_set(owner=teacher, title="Forces", problems=2)
    lms.add_person("t-100", "Ada Lovelace", INSTRUCTOR)
    lms.add_person("s-200", "Sam Student", LEARNER)
    lms.add_person("s-201", "Ria Rao", LEARNER)
    lms.lineitems["li-1"] = LineItem(id="li-1", label="Forces", score_maximum=2, resource_link_id="link-1")
    lms.links["link-1"] = ResourceLink(
        id="link-1",
        title="Forces",
        url=f"{tool}/lti/launch/",
        custom={"phi_problem_set": str(problem_set.pk)},
        lineitem="li-1",
    )
    try:
        yield lms
    finally:
        lms.close()


def _third_party_cookies_allowed(browser, tmp_path: Path):
    """A chromium profile with third-party cookies allowed, as in Chrome's default settings."""
    profile = tmp_path / "profile"
    (profile / "Default").mkdir(parents=True)
    (profile / "Default" / "Preferences").write_text(
        json.dumps({"profile": {"cookie_controls_mode": 0, "block_third_party_cookies": False}})
    )
    return browser.browser_type.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-features=TrackingProtection3pcd"],
        viewport={"width": 1280, "height": 900},
    )


def test_inside_the_lms_frame_a_student_answers_and_the_lms_gets_the_score(lms, browser, tmp_path) -> None:
    context = _third_party_cookies_allowed(browser, tmp_path)
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        # The teacher adds an activity (deep linking): the course becomes their class, they pick
        # their set in the frame, and the signed item goes back to the LMS (our page's CSP must
        # let that form post to the LMS).
        page.goto(lms.course_page(sub="t-100", deep_link=True))
        frame = page.frame_locator("#tool")
        expect(frame.get_by_role("heading", name="Add an activity")).to_be_visible()
        frame.get_by_label("Forces (the whole set)").check()
        screenshot(page, "lti-iframe-teacher-picks")
        frame.get_by_role("button", name="Add to the course").click()
        expect(frame.locator("#added")).to_have_text("Added to the course: Forces")
        new_link = next(link_id for link_id in lms.links if link_id != "link-1")
        assert lms.lineitems[lms.links[new_link].lineitem].score_maximum == 2
        context.clear_cookies()

        page.goto(lms.course_page(sub="s-200", link_id=new_link))
        expect(frame.get_by_role("heading", name="Forces")).to_be_visible()
        expect(frame.locator("#open-new-window")).to_be_visible()
        frame.get_by_role("link", name="Solve for x").first.click()
        frame.get_by_label("Type your answer").fill("2")
        frame.get_by_role("button", name="Check my answer").click()
        expect(frame.locator(".result-correct")).to_be_visible()
        screenshot(page, "lti-iframe-student-answered")

        deadline = time.monotonic() + 10
        while not lms.lineitems[lms.links[new_link].lineitem].scores and time.monotonic() < deadline:
            time.sleep(0.1)
        score = lms.lineitems[lms.links[new_link].lineitem].scores[-1]
        assert score["userId"] == "s-200"
        assert (score["scoreGiven"], score["scoreMaximum"]) == (1, 2)

        # "Open in a new window": the same page, still signed in, outside the LMS.
        with context.expect_page() as popup_info:
            frame.locator("#open-new-window").click()
        popup = popup_info.value
        expect(popup.get_by_label("Type your answer")).to_be_visible()
        assert lms.errors == []
    finally:
        context.close()


def test_a_browser_that_blocks_third_party_cookies_is_offered_a_new_window(lms, browser, lti_server) -> None:
    # The teacher has set the course up already (their launch outside a frame).
    teacher = browser.new_context()
    teacher_page = teacher.new_page()
    teacher_page.goto(lms.login_initiation(sub="t-100", link_id="link-1"))
    expect(teacher_page.get_by_role("heading", name="Forces")).to_be_visible()
    teacher.close()

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        page.goto(lms.course_page(sub="s-201", link_id="link-1"))
        frame = page.frame_locator("#tool")
        expect(frame.locator("#lti-cookies-blocked")).to_contain_text("window of its own")
        screenshot(page, "lti-iframe-cookies-blocked")
        with context.expect_page() as popup_info:
            frame.get_by_role("link", name="Open the activity in a new window").click()
        popup = popup_info.value
        expect(popup.get_by_role("heading", name="Forces")).to_be_visible()
        assert popup.url.startswith(lti_server.url + "/sets/")
        screenshot(popup, "lti-new-window")
        assert lms.errors == []
    finally:
        context.close()
