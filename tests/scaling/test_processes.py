"""Issue 17's acceptance, with every part a real process: two uvicorn web processes, two Celery
workers and two Ollama-compatible test servers (inference/testing/fake_ollama.py run as
`python -m`), each capped at 2 streams (`--max-pending 2`: 503 beyond) and counting the most it
had open at once; PostgreSQL and Redis as in production.

Twelve students ask at once, half through each web process: every answer completes verified,
none sees a busy error, both hosts serve answers and neither ever has a third stream open. Then
one host is killed with answers streaming on it: they carry on on the other host, each shown
once."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection
from django.test import Client

from inference.testing.fake_ollama import DEMO_PROBLEMS
from tests import factories
from tests.browser.fixtures import AppServer
from tests.conftest import Personas, services_missing
from tests.worker import celery_worker
from tutor.tutoring.models import Message

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent.parent
STUDENTS = 12
CAPACITY = 2
SOLUTION = DEMO_PROBLEMS["2x + 3 = 7"].solution


@dataclass
class OllamaProcess:
    proc: subprocess.Popen
    url: str

    def stats(self) -> dict:
        return httpx.get(f"{self.url}/_fake/stats", timeout=5).json()

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)


@contextmanager
def ollama_process(log_path: Path, *, tokens_per_second: float, models: str = "") -> Iterator[OllamaProcess]:
    command = [
        sys.executable,
        "-m",
        "inference.testing.fake_ollama",
        "--port",
        "0",
        "--tokens-per-second",
        str(tokens_per_second),
        "--max-pending",
        str(CAPACITY),
        *(["--models", models] if models else []),
    ]
    with log_path.open("w") as log:
        proc = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True, start_new_session=True
        )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # "Fake Ollama (...) listening on http://127.0.0.1:PORT"
        if "listening on " not in line:
            pytest.fail(f"the test Ollama server did not start: {line}{log_path.read_text()}")
        yield OllamaProcess(proc, line.rsplit("listening on ", 1)[1].strip())
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)


@dataclass
class Site:
    web: list[AppServer]
    hosts: list[OllamaProcess]


@contextmanager
def site(tmp_path: Path, *, tokens_per_second: float, second_host_models: str = "") -> Iterator[Site]:
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        services_missing("PostgreSQL and Redis (processes share them)")
    queue = f"tutor-test-{uuid.uuid4().hex[:8]}"
    with ExitStack() as stack:
        hosts = [
            stack.enter_context(
                ollama_process(
                    tmp_path / f"ollama-{i}.log",
                    tokens_per_second=tokens_per_second,
                    models=second_host_models if i == 1 else "",
                )
            )
            for i in range(2)
        ]
        env = {
            "OLLAMA_HOSTS": ",".join(f"{h.url}={CAPACITY}" for h in hosts),
            # The first host's probe must not be older than the kill below, or a stale "healthy"
            # would be trusted for a moment; errors mark it at once anyway.
            "OLLAMA_PROBE_SECONDS": "30",
            "OLLAMA_READ_TIMEOUT": "5",
            "CELERY_QUEUE": queue,
            "TUTOR_GENERATION": "celery",
        }
        for i in range(2):
            stack.enter_context(
                celery_worker(
                    ollama_host=hosts[0].url,
                    log_path=tmp_path / f"worker-{i}.log",
                    queue=queue,
                    extra_env=env,
                )
            )
        web = [AppServer(hosts[0], tmp_path / f"web-{i}.log", extra_env=env) for i in range(2)]  # type: ignore[arg-type]
        for server in web:
            server.start()
            stack.callback(server.stop)
        yield Site(web=web, hosts=hosts)


def _cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def _class_of_students(personas: Personas) -> list[str]:
    """Twelve students in the class (one question at a time is per student), as session cookies."""
    cookies = []
    for _ in range(STUDENTS):
        student = factories.make_student()
        personas.classroom.students.add(student)
        cookies.append(_cookie(student))
    return cookies


async def _ask(server: AppServer, cookie: str, problem_id: int) -> list[dict]:
    """One student's question for a worked solution, and every frame until its reply is done."""
    from websockets.asyncio.client import connect

    async with connect(
        f"ws://127.0.0.1:{server.port}/ws/tutor/",
        additional_headers={"Cookie": cookie, "Origin": server.url},
    ) as ws:
        await ws.send(json.dumps({"type": "open", "problem_id": problem_id}))
        while json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] != "session":
            pass
        await ws.send(json.dumps({"type": "ask", "mode": "solution", "request_id": str(uuid.uuid4())}))
        frames: list[dict] = []
        message_id = None
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 60))
            frames.append(frame)
            if frame["type"] == "accepted":
                message_id = frame["message_id"]
            if frame["type"] == "error" and message_id is None:
                return frames
            if frame["type"] == "done" and frame.get("message_id") == message_id:
                return frames


def _shown(frames: list[dict]) -> str:
    text = ""
    for frame in frames:
        if frame["type"] == "reset":
            text = ""
        elif frame["type"] == "delta":
            text += frame["text"]
    return text


def _assert_whole_and_verified(answers: list[list[dict]]) -> None:
    for frames in answers:
        assert [f for f in frames if f["type"] == "error"] == [], "no student sees an error"
        codes = [f["code"] for f in frames if f["type"] == "status"]
        assert "busy_retrying" not in codes, "no student sees a busy host"
        assert next(f for f in frames if f["type"] == "verification")["status"] == "verified"
        assert frames[-1]["status"] == "complete"
        assert _shown(frames) == SOLUTION, "each answer is shown whole and once"


async def test_twelve_students_at_once_on_two_hosts_of_two_streams_each(
    solutions_allowed: Personas, tmp_path: Path
) -> None:
    cookies = await sync_to_async(_class_of_students)(solutions_allowed)
    with site(tmp_path, tokens_per_second=60) as running:
        answers = await asyncio.gather(
            *(
                _ask(running.web[i % 2], cookie, solutions_allowed.problem.pk)
                for i, cookie in enumerate(cookies)
            )
        )
        stats = [host.stats() for host in running.hosts]
    _assert_whole_and_verified(answers)
    for stat in stats:
        assert stat["refused_full"] == 0, stats
        assert stat["peak_in_flight"] <= CAPACITY, stats
        assert stat["completed"] > 0, f"both hosts should serve answers: {stats}"
    # (What a student waiting for a free host is told is checked in test_socket.py: here, how many
    # wait depends on how fast the workers start their jobs.)
    stored = await sync_to_async(list)(
        Message.objects.filter(role="tutor").values_list("status", "verification")
    )
    assert sorted(stored) == [("complete", "verified")] * STUDENTS


async def test_killing_a_host_mid_answer_moves_its_answers_to_the_other_host(
    solutions_allowed: Personas, tmp_path: Path
) -> None:
    cookies = await sync_to_async(_class_of_students)(solutions_allowed)
    with site(tmp_path, tokens_per_second=15) as running:
        first, second = running.hosts
        asking = asyncio.gather(
            *(
                _ask(running.web[i % 2], cookie, solutions_allowed.problem.pk)
                for i, cookie in enumerate(cookies[:4])
            )
        )
        # Both hosts busy with two answers each, a few words in.
        for _ in range(200):
            if all(h.stats()["in_flight"] == CAPACITY for h in running.hosts):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        first.kill()
        answers = await asyncio.wait_for(asking, 90)
        stats = second.stats()
    _assert_whole_and_verified(answers)
    resumed = sum(any(f.get("code") == "resumed" for f in frames) for frames in answers)
    assert resumed == 2, "the two answers on the killed host carried on on the other one"
    assert stats["completed"] == 4 and stats["refused_full"] == 0 and stats["peak_in_flight"] <= CAPACITY


async def test_a_host_without_the_model_gets_no_answers_and_the_admin_sees_why(
    solutions_allowed: Personas, tmp_path: Path
) -> None:
    cookies = await sync_to_async(_class_of_students)(solutions_allowed)
    admin = await sync_to_async(factories.make_user)(role="admin", is_staff=True)
    admin_cookie = await sync_to_async(_cookie)(admin)
    with site(tmp_path, tokens_per_second=60, second_host_models="phi4-mini:latest") as running:
        first, bare = running.hosts
        answers = await asyncio.gather(
            *(
                _ask(running.web[i % 2], cookie, solutions_allowed.problem.pk)
                for i, cookie in enumerate(cookies[:4])
            )
        )
        async with httpx.AsyncClient(headers={"Cookie": admin_cookie}, timeout=10) as client:
            page = await client.get(f"{running.web[1].url}/admin/capacity/?format=json")
        stats = [host.stats() for host in running.hosts]
    _assert_whole_and_verified(answers)
    assert stats[1]["chats"] == 0, "no answer was sent to the host without phi4"
    assert stats[0]["completed"] == 4 and stats[0]["peak_in_flight"] <= CAPACITY
    rows = {row["url"]: row for row in page.json()["hosts"]}
    assert rows[bare.url]["reachable"] is True and rows[bare.url]["serves_model"] is False
    assert "ollama pull phi4" in rows[bare.url]["error"]
    assert rows[first.url]["answers_last_hour"] == 4
