"""The production path: the real Redis channel layer and a real Celery worker."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from tests.conftest import Personas, services_missing
from tests.tutoring.fake import FakeLLM, solution_tokens
from tests.tutoring.sockets import socket_for
from tests.tutoring.test_tutor_stream import CORRECT, frames_until_done, open_and_ask
from tutor.tutoring.events import session_group
from tutor.tutoring.models import Message

pytestmark = pytest.mark.django_db(transaction=True)


def require_redis_layer() -> None:
    if not type(get_channel_layer()).__module__.startswith("channels_redis."):
        services_missing("The Redis channel layer")


@pytest.mark.parametrize("layer", ["pubsub", "core"])
async def test_a_socket_idle_for_10_seconds_on_redis_stays_open(
    personas: Personas, settings, layer: str
) -> None:
    """redis-py 8's default socket_timeout=5 made channels_redis drop idle sockets (code 1011).

    The pub/sub layer (the default) survives a 5 s socket timeout on its own, so on it alone this
    test could not fail; the core layer (CHANNEL_LAYER=core) drops the socket, and does so again if
    `socket_timeout: None` ever goes from the settings' hosts (checked with that mutation)."""
    require_redis_layer()
    config = settings.CHANNEL_LAYERS["default"]["CONFIG"]
    backend = {"pubsub": "pubsub.RedisPubSubChannelLayer", "core": "core.RedisChannelLayer"}[layer]
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": f"channels_redis.{backend}",
            "CONFIG": {"hosts": config["hosts"], "prefix": config["prefix"]},
        }
    }
    async with socket_for(personas.student) as ws:
        await ws.send_json_to({"type": "open", "problem_id": personas.problem.pk})
        session = await ws.receive_json_from(timeout=5)
        await asyncio.sleep(10.5)
        assert await ws.receive_nothing(timeout=0.1), (
            "the idle socket received something unexpected (a close?)"
        )
        await ws.send_json_to({"type": "ping"})
        assert await ws.receive_json_from(timeout=5) == {"type": "pong"}
        frame = {"type": "status", "message_id": 10**9, "seq": 0, "code": "probe", "message": "still here"}
        await get_channel_layer().group_send(
            session_group(session["session_id"]), {"type": "tutor.events", "frames": [frame]}
        )
        assert await ws.receive_json_from(timeout=5) == frame


async def test_a_celery_worker_runs_the_generation_over_redis(
    solutions_allowed: Personas, fake_llm: FakeLLM, settings, tmp_path: Path
) -> None:
    require_redis_layer()
    if not os.environ.get("DATABASE_URL"):
        services_missing("PostgreSQL")
    from tests.worker import celery_worker
    from tutor.celery import app

    personas = solutions_allowed
    fake_llm.reply(solution_tokens(CORRECT))
    settings.TUTOR_GENERATION = "celery"
    with celery_worker(ollama_host=fake_llm.url, log_path=tmp_path / "worker.log") as (_, queue):
        app.conf.task_default_queue = queue
        app.conf.task_always_eager = False
        try:
            async with socket_for(personas.student) as ws:
                message_id = await open_and_ask(ws, personas.problem.pk)
                frames = await frames_until_done(ws, message_id, limit=30)
        finally:
            app.conf.task_default_queue = settings.CELERY_TASK_DEFAULT_QUEUE
    assert next(f for f in frames if f["type"] == "verification")["status"] == "verified"
    message = await sync_to_async(Message.objects.get)(pk=message_id)
    assert message.content == CORRECT
    assert "generate_reply" in (tmp_path / "worker.log").read_text()


__all__ = ["uuid"]
