"""A page on another site can't use a student's login to talk to the tutor (issue 18, item 10).

An independent second test of the Origin check: the app under uvicorn in its own process, a real
websocket client (the `websockets` library, as a browser would connect), the student's real
session cookie. tests/test_websocket_auth.py checks the same rule in-process.
docs/testing.md lists the mutation this was written to kill.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from websockets import InvalidStatus
from websockets.asyncio.client import connect

from tests.browser.fixtures import AppServer
from tests.conftest import Personas
from tests.tutoring.sockets import cookie_for
from tutor.tutoring.models import TutoringSession

pytestmark = pytest.mark.django_db(transaction=True)

FOREIGN_ORIGINS = [
    "https://evil.example.com",
    "http://127.0.0.1.evil.example.com",  # the site's host as a prefix of another
    "null",  # a sandboxed iframe or a file:// page
]


async def open_problem(server: AppServer, cookie: bytes, origin: str, problem_id: int) -> dict | int:
    """The tutor's answer to opening a problem, or the HTTP status the handshake was refused with."""
    try:
        async with connect(
            f"ws://127.0.0.1:{server.port}/ws/tutor/",
            origin=origin,  # type: ignore[arg-type]
            additional_headers={"Cookie": cookie.decode()},
            open_timeout=10,
        ) as ws:
            await ws.send(json.dumps({"type": "open", "problem_id": problem_id}))
            return json.loads(await asyncio.wait_for(ws.recv(), 10))
    except InvalidStatus as exc:
        return exc.response.status_code


@pytest.mark.parametrize("origin", FOREIGN_ORIGINS)
async def test_a_foreign_page_with_the_students_cookie_is_refused_by_the_real_server(
    app_server: AppServer, personas: Personas, origin: str
) -> None:
    cookie = await sync_to_async(cookie_for)(personas.student)
    assert await open_problem(app_server, cookie, origin, personas.problem.pk) == 403
    assert not await TutoringSession.objects.filter(student=personas.student).aexists(), (
        "a refused socket must not have opened anything for the student"
    )
    # The same cookie from the site's own page works: it was the Origin that was refused.
    frame = await open_problem(app_server, cookie, app_server.url, personas.problem.pk)
    assert isinstance(frame, dict) and frame["type"] == "session", frame
