"""Checker starvation (issue 11): students flooding the checker with answers that run into its time
limit cannot make another student wait, nor hold up the tutor's verification of its own answer;
previews and attempts are throttled per user, and a user whose answers keep running into the time
limit is paused, with a sentence the page shows.

Through a real uvicorn server on PostgreSQL, as the issue saw it. The slow answers are LaTeX
integrals SymPy can't do (each run into the checker's time limit), varied so the cache never
answers them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import statistics
import time
import uuid
from pathlib import Path

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection
from django.test import Client

from tests import factories
from tests.browser.fixtures import AppServer, log_in
from tests.conftest import Personas, services_missing
from tests.tutoring.fake import FakeLLM, solution_tokens
from tests.tutoring.test_tutor_stream import CORRECT

pytestmark = pytest.mark.django_db(transaction=True)
logging.getLogger("httpx").setLevel(logging.WARNING)

FLOODERS = 6
ORDINARY_PREVIEW_BOUND = 1.5  # the acceptance point's bound
VERIFICATION_BOUND = 2.0  # the tutor's check's own bound: CHECKER_TIMEOUT
CSRF = "fair" * 8  # any 32 letters: the cookie and the header only have to match
NO_LIMITS = {
    # The flood test proves the checker pool's fairness alone, so the per-user limits are off.
    "TUTOR_PREVIEWS_PER_MINUTE": "100000",
    "TUTOR_ATTEMPTS_PER_MINUTE": "100000",
    "TUTOR_SLOW_ANSWERS_PER_MINUTE": "100000",
}


def slow_answer(n: int) -> str:
    # Ours: docs/checker.md lists "\\int of hard integrands" among inputs that end as a timeout.
    return rf"\int e^{{x^{{{7 + n}}}}}\sin(x^{{{5 + n % 3}}})\,dx"


def _session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _http(server: AppServer, user) -> httpx.AsyncClient:
    cookies = {settings.SESSION_COOKIE_NAME: _session_cookie(user), "csrftoken": CSRF}
    return httpx.AsyncClient(
        base_url=server.url,
        cookies=cookies,
        headers={"X-CSRFToken": CSRF, "Accept": "application/json"},
        timeout=60,
    )


def _server(fake_llm: FakeLLM, log: Path, env: dict[str, str]) -> AppServer:
    if connection.vendor != "postgresql":
        services_missing("PostgreSQL (the starvation tests run the production path)")
    server = AppServer(fake_llm, log, extra_env=env)
    server.start()
    return server


def _wait_for_a_fresh_minute() -> None:
    """The limits count per calendar minute: don't start a count just before one ends."""
    if time.time() % 60 > 40:
        time.sleep(61 - time.time() % 60)


async def _preview(client: httpx.AsyncClient, problem_id: int, answer: str) -> tuple[float, httpx.Response]:
    started = time.monotonic()
    response = await client.post(f"/problems/{problem_id}/preview", json={"answer": answer})
    return time.monotonic() - started, response


async def _ask_and_time_verification(server: AppServer, cookie: str, problem_id: int) -> float:
    """Ask for a worked solution over the socket; seconds from "verifying" to the verdict."""
    from websockets.asyncio.client import connect

    async with connect(
        f"ws://127.0.0.1:{server.port}/ws/tutor/",
        additional_headers={"Cookie": cookie, "Origin": server.url},
    ) as ws:
        await ws.send(json.dumps({"type": "open", "problem_id": problem_id}))
        while json.loads(await asyncio.wait_for(ws.recv(), 20))["type"] != "session":
            pass
        await ws.send(json.dumps({"type": "ask", "mode": "solution", "request_id": str(uuid.uuid4())}))
        verifying_at = None
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if frame["type"] == "status" and frame.get("code") == "verifying":
                verifying_at = time.monotonic()
            elif frame["type"] == "verification":
                assert verifying_at is not None
                assert frame["status"] == "verified", frame
                return time.monotonic() - verifying_at
            elif frame["type"] in ("error", "done"):
                pytest.fail(f"the tutor's answer ended without a verification: {frame}")


@pytest.fixture
def flood_server(transactional_db: None, fake_llm: FakeLLM, tmp_path: Path):
    server = _server(fake_llm, tmp_path / "server.log", NO_LIMITS)
    try:
        yield server
    finally:
        server.stop()


async def test_a_flood_of_slow_previews_starves_neither_another_student_nor_the_tutor(
    flood_server: AppServer, solutions_allowed: Personas, fake_llm: FakeLLM
) -> None:
    personas = solutions_allowed
    problem_id = personas.problem.pk

    def make_flooders():
        students = [factories.make_student(username=f"flooder{i}") for i in range(FLOODERS)]
        for student in students:
            personas.classroom.enrollments.create(student=student)
        return students

    flooders = await sync_to_async(make_flooders)()
    clients = [await sync_to_async(_http)(flood_server, user) for user in flooders]
    ordinary = await sync_to_async(_http)(flood_server, personas.classmate)
    cookie = f"{settings.SESSION_COOKIE_NAME}={await sync_to_async(_session_cookie)(personas.student)}"
    stop = asyncio.Event()
    flood_results: list[tuple[float, int, str]] = []

    async def flood(index: int, client: httpx.AsyncClient) -> None:
        n = index * 100_000
        while not stop.is_set():
            n += 1
            seconds, response = await _preview(client, problem_id, slow_answer(n))
            flood_results.append((seconds, response.status_code, response.json().get("message", "")))

    # Warm the server's checker before the clock matters.
    _, warm = await _preview(ordinary, problem_id, "1")
    assert warm.status_code == 200
    flooding = [asyncio.create_task(flood(i, client)) for i, client in enumerate(clients)]
    try:
        await asyncio.sleep(4.0)  # the flood fills the queue and its answers run into the limit
        latencies = []
        for n in range(12):
            seconds, response = await _preview(ordinary, problem_id, f"{n + 2}/{n + 3}")
            assert response.status_code == 200 and response.json()["ok"], response.text
            latencies.append(seconds)
            await asyncio.sleep(0.25)
        health = []
        for _ in range(5):  # a plain sync view of the same process, for the record
            started = time.monotonic()
            assert (await ordinary.get("/healthz")).status_code == 200
            health.append(time.monotonic() - started)
        fake_llm.reply(solution_tokens(CORRECT), tokens_per_second=400)
        verification = await _ask_and_time_verification(flood_server, cookie, problem_id)
    finally:
        stop.set()
        await asyncio.gather(*flooding, return_exceptions=True)
        for client in [*clients, ordinary]:
            await client.aclose()

    timeouts = [r for r in flood_results if "too big" in r[2]]
    print(
        f"\nflood: {len(flood_results)} slow previews answered, {len(timeouts)} ran into the limit, "
        f"median {statistics.median(r[0] for r in flood_results):.2f} s each"
        f"\nordinary preview: max {max(latencies):.3f} s, median {statistics.median(latencies):.3f} s"
        f"\ntutor's verification (verifying -> verdict): {verification:.3f} s"
        f"\n/healthz: max {max(health):.3f} s"
    )
    assert len(timeouts) >= FLOODERS, "the flood really ran into the checker's time limit"
    assert max(latencies) < ORDINARY_PREVIEW_BOUND
    assert verification < VERIFICATION_BOUND


@pytest.fixture
def paused_server(transactional_db: None, fake_llm: FakeLLM, tmp_path: Path):
    server = _server(fake_llm, tmp_path / "server.log", {**NO_LIMITS, "TUTOR_SLOW_ANSWERS_PER_MINUTE": "2"})
    try:
        yield server
    finally:
        server.stop()


async def test_a_student_whose_answers_keep_running_into_the_limit_is_paused(
    paused_server: AppServer, personas: Personas
) -> None:
    _wait_for_a_fresh_minute()
    client = await sync_to_async(_http)(paused_server, personas.student)
    classmate = await sync_to_async(_http)(paused_server, personas.classmate)
    try:
        for n in range(2):
            _, response = await _preview(client, personas.problem.pk, slow_answer(500 + n))
            assert response.status_code == 200 and "too big" in response.json()["message"]
        _, refused = await _preview(client, personas.problem.pk, "4/2")
        assert refused.status_code == 429
        assert "paused for 2 minutes" in refused.json()["error"]
        assert int(refused.headers["Retry-After"]) > 60
        attempt = await client.post(f"/problems/{personas.problem.pk}/attempts", json={"answer": "2"})
        assert attempt.status_code == 429 and "simpler form" in attempt.json()["error"]
        # Only that student is paused.
        _, other = await _preview(classmate, personas.problem.pk, "4/2")
        assert other.status_code == 200 and other.json()["ok"]
    finally:
        await client.aclose()
        await classmate.aclose()


async def test_the_preview_after_the_limit_is_refused_with_a_sentence_on_any_database(
    async_client, personas: Personas, settings
) -> None:
    # In-process, so it also runs on SQLite (the embedded default); the page test below shows it.
    settings.TUTOR_PREVIEWS_PER_MINUTE = 2
    _wait_for_a_fresh_minute()
    await async_client.aforce_login(personas.student)
    url = f"/problems/{personas.problem.pk}/preview"
    for answer in ("1/2", "3/4"):
        response = await async_client.post(url, {"answer": answer}, content_type="application/json")
        assert response.status_code == 200 and response.json()["ok"]
    refused = await async_client.post(url, {"answer": "4/2"}, content_type="application/json")
    assert refused.status_code == 429
    assert refused.json()["error"].startswith("You're typing faster than we can show previews.")
    assert int(refused.headers["Retry-After"]) >= 1
    # The limit is the student's own: a classmate previews as usual.
    await async_client.aforce_login(personas.classmate)
    other = await async_client.post(url, {"answer": "4/2"}, content_type="application/json")
    assert other.status_code == 200


@pytest.fixture
def throttled_server(transactional_db: None, fake_llm: FakeLLM, tmp_path: Path):
    env = {"TUTOR_PREVIEWS_PER_MINUTE": "3", "TUTOR_ATTEMPTS_PER_MINUTE": "2"}
    server = _server(fake_llm, tmp_path / "server.log", env)
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.browser
def test_the_page_says_when_previews_and_attempts_are_over_the_limit(
    throttled_server: AppServer,
    page,
    personas: Personas,
) -> None:
    _wait_for_a_fresh_minute()
    log_in(page, throttled_server.url, personas.student.username, factories.PASSWORD)
    page.goto(f"{throttled_server.url}/problems/{personas.problem.pk}/")
    answer = page.get_by_label("Type your answer")
    preview = page.locator("#answer-preview")
    for n, text in enumerate(["1", "1/2", "3/4"]):
        with page.expect_response(lambda r: r.url.endswith("/preview")) as response:
            answer.fill(text)
        assert response.value.status == 200, f"preview {n + 1} of 3 is allowed"
        page.wait_for_selector(".preview-ok")
    with page.expect_response(lambda r: r.url.endswith("/preview")) as response:
        answer.fill("4/2")
    refused = response.value
    assert refused.status == 429 and int(refused.headers["retry-after"]) >= 1
    page.wait_for_selector(".preview-error")
    assert "faster than we can show previews" in preview.inner_text()

    check = page.get_by_role("button", name="Check my answer")
    for expected in ("Correct", "Correct"):
        check.click()
        page.wait_for_selector(".result-correct")
        assert expected in page.locator("#answer-result").inner_text()
        page.evaluate("document.getElementById('answer-result').className = 'result'")
    check.click()
    page.wait_for_selector(".result-refused")
    assert "a lot of answers in one minute" in page.locator("#answer-result").inner_text()
    assert page.locator("#attempt-count").inner_text() == "2", "the refused answer cost no attempt"
