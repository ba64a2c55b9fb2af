"""A logged-in student's socket on the app in this process (channels' WebsocketCommunicator)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from tutor.asgi import application

ORIGIN = b"http://127.0.0.1:8000"


def cookie_for(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


@asynccontextmanager
async def socket_for(user, *, origin: bytes = ORIGIN) -> AsyncIterator[WebsocketCommunicator]:
    cookie = await sync_to_async(cookie_for)(user)
    ws = WebsocketCommunicator(
        application,
        "/ws/tutor/",
        headers=[(b"host", b"127.0.0.1:8000"), (b"origin", origin), (b"cookie", cookie)],
    )
    connected, _ = await ws.connect()
    assert connected
    try:
        yield ws
    finally:
        await ws.disconnect()
