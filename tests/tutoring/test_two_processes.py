"""Per-student tutor limits with two web processes on one PostgreSQL database (issue 11's race:
with check-then-insert, 2 of 12 simultaneous asks were accepted in 2 of 5 trials)."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection
from django.test import Client

from tests.browser.fixtures import AppServer
from tests.conftest import Personas, services_missing
from tests.tutoring.fake import FakeLLM, solution_tokens
from tests.tutoring.test_tutor_stream import CORRECT
from tutor.tutoring.models import Message
from tutor.tutoring.services import ACTIVE_STATUSES

pytestmark = pytest.mark.django_db(transaction=True)

TRIALS = 5
ASKS = 12


def _cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


@pytest.fixture
def two_servers(transactional_db: None, fake_llm: FakeLLM, tmp_path: Path):
    if connection.vendor != "postgresql":
        services_missing("PostgreSQL (two web processes need a shared database)")
    servers = [AppServer(fake_llm, tmp_path / f"server-{i}.log") for i in range(2)]
    for server in servers:
        server.start()
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


async def _socket(server: AppServer, cookie: str, problem_id: int):
    from websockets.asyncio.client import connect

    ws = await connect(
        f"ws://127.0.0.1:{server.port}/ws/tutor/",
        additional_headers={"Cookie": cookie, "Origin": server.url},
    )
    await ws.send(json.dumps({"type": "open", "problem_id": problem_id}))
    while json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] != "session":
        pass
    return ws


async def _answer(ws, request_id: str) -> dict:
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if frame.get("request_id") == request_id and frame["type"] in ("accepted", "error"):
            return frame


async def test_one_question_at_a_time_holds_across_two_web_processes(
    two_servers: list[AppServer], solutions_allowed: Personas, fake_llm: FakeLLM
) -> None:
    personas = solutions_allowed
    cookie = await sync_to_async(_cookie)(personas.student)
    sockets = [await _socket(two_servers[i % 2], cookie, personas.problem.pk) for i in range(ASKS)]
    try:
        for trial in range(TRIALS):
            # A slow reply, so the first accepted ask is still running when the others arrive.
            fake_llm.reply(solution_tokens(CORRECT), tokens_per_second=40)
            request_ids = [str(uuid.uuid4()) for _ in sockets]
            await asyncio.gather(
                *(
                    ws.send(json.dumps({"type": "ask", "mode": "hint", "request_id": rid}))
                    for ws, rid in zip(sockets, request_ids, strict=True)
                )
            )
            answers = await asyncio.gather(
                *(_answer(ws, rid) for ws, rid in zip(sockets, request_ids, strict=True))
            )
            accepted = [a for a in answers if a["type"] == "accepted"]
            refused = [a for a in answers if a["type"] == "error"]
            assert len(accepted) == 1, f"trial {trial}: {len(accepted)} of {ASKS} asks were accepted"
            assert {a["code"] for a in refused} == {"busy"}
            assert "still answering" in refused[0]["message"]
            # Let the reply finish before the next trial.
            for _ in range(200):
                if not await sync_to_async(
                    Message.objects.filter(pk=accepted[0]["message_id"], status__in=ACTIVE_STATUSES).exists
                )():
                    break
                await asyncio.sleep(0.1)
        created = await sync_to_async(
            Message.objects.filter(session__student=personas.student, role="tutor").count
        )()
        assert created == TRIALS
    finally:
        for ws in sockets:
            await ws.close()
