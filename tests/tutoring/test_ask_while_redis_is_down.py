"""Asking while the broker is down (Redis restarting): the ask is accepted and stays queued in the
database for the sweeper, the socket keeps working, and nothing blocks the event loop."""

from __future__ import annotations

import socket

import pytest
from asgiref.sync import sync_to_async

from tests.conftest import Personas
from tests.tutoring.sockets import socket_for
from tests.tutoring.test_faults import celery_broker_at
from tests.tutoring.test_tutor_stream import open_and_ask
from tutor.tutoring.models import Message

pytestmark = pytest.mark.django_db(transaction=True)


def _refusing_redis_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"redis://127.0.0.1:{sock.getsockname()[1]}/0"


async def test_an_ask_with_the_broker_down_is_accepted_and_kept_for_the_sweeper(
    solutions_allowed: Personas, settings
) -> None:
    settings.TUTOR_GENERATION = "celery"
    with celery_broker_at(_refusing_redis_url(), "nobody-listens"):
        async with socket_for(solutions_allowed.student) as ws:
            message_id = await open_and_ask(ws, solutions_allowed.problem.pk)
            # The socket still answers: the failed publish neither crashed nor blocked it.
            await ws.send_json_to({"type": "ping"})
            assert await ws.receive_json_from(timeout=10) == {"type": "pong"}
    message = await sync_to_async(Message.objects.get)(pk=message_id)
    assert message.status == Message.Status.QUEUED, "left queued for the sweeper to hand on"
