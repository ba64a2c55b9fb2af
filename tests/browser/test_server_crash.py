"""The web server killed mid-answer and started again, seen from Chromium: the page says it lost
the connection, reconnects by itself, and ends with the whole answer once, verified."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.fixtures import AppServer, screenshot
from tests.browser.test_student_page import open_problem
from tests.conftest import Personas
from tests.tutoring.fake import FakeLLM, solution_tokens

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_page_survives_the_server_being_killed_mid_answer(
    page, solutions_allowed: Personas, fake_llm: FakeLLM, tmp_path: Path
) -> None:
    personas = solutions_allowed
    words = " ".join(f"w{i:03d}" for i in range(200))
    fake_llm.reply(solution_tokens(words + "\n\nFinal answer: $\\boxed{2}$"), tokens_per_second=40)
    # What the model says when the new server's job asks it to continue the text so far.
    fake_llm.reply(solution_tokens(" and that is all.\n\nFinal answer: $\\boxed{2}$"), tokens_per_second=40)
    server = AppServer(fake_llm, tmp_path / "server.log", extra_env={"TUTOR_CLAIM_STALE_SECONDS": "2"})
    server.start()
    try:
        open_problem(page, server.url, personas)
        page.get_by_role("button", name="Show a worked solution").click()
        page.wait_for_selector(".bubble-tutor .body:has-text('w020')")
        server.kill()  # SIGKILL: the answer's job dies with the process
        page.wait_for_selector("#connection.connection-down", timeout=5000)
        server.start()
        page.wait_for_selector("#connection.connection-ok", timeout=15000)
        page.wait_for_selector(".bubble-tutor .badge-verified", timeout=30000)
        text = page.locator(".bubble-tutor .body").inner_text()
        screenshot(page, "student-after-server-crash")
    finally:
        server.stop()
    shown = re.findall(r"\bw\d{3}\b", text)
    assert shown, text
    assert len(shown) == len(set(shown)), "a word of the answer appears twice"
    assert shown == [f"w{i:03d}" for i in range(len(shown))], "the text so far was lost or reordered"
    assert len(shown) >= 21, "what the student had seen before the crash is gone"
    assert text.count("and that is all") == 1
    assert page.locator(".bubble-tutor").count() == 1
    assert len(fake_llm.requests) == 2
    assert fake_llm.requests[1]["messages"][-1]["role"] == "assistant"
