"""The socket accepts the site's own pages and refuses forged origins and anonymous users."""

from __future__ import annotations

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from tests import factories
from tutor.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


def session_cookie_for(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


def communicator(origin: bytes | None, cookie: bytes | None) -> WebsocketCommunicator:
    headers = [(b"host", b"127.0.0.1:8000")]
    if origin is not None:
        headers.append((b"origin", origin))
    if cookie is not None:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, "/ws/tutor/", headers=headers)


async def test_same_origin_socket_of_a_logged_in_student_is_accepted() -> None:
    from asgiref.sync import sync_to_async

    student = await sync_to_async(factories.make_student)()
    cookie = await sync_to_async(session_cookie_for)(student)
    ws = communicator(b"http://127.0.0.1:8000", cookie)
    connected, _ = await ws.connect()
    assert connected
    await ws.send_json_to({"type": "ping"})
    assert await ws.receive_json_from() == {"type": "pong"}
    await ws.disconnect()


async def test_foreign_origin_is_refused_even_with_a_valid_session() -> None:
    from asgiref.sync import sync_to_async

    student = await sync_to_async(factories.make_student)()
    cookie = await sync_to_async(session_cookie_for)(student)
    ws = communicator(b"https://evil.example.com", cookie)
    connected, _ = await ws.connect()
    assert not connected


async def test_anonymous_socket_is_closed_with_4401_as_documented() -> None:
    ws = communicator(b"http://127.0.0.1:8000", None)
    connected, _ = await ws.connect()
    # Accepted first, so a client can read the close code (closing before accepting shows it a
    # bare HTTP 403, which it can't tell from a foreign Origin).
    assert connected
    assert await ws.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401}
