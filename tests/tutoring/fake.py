"""The test Ollama server as the tutor tests use it."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from inference.fake_server import FakeOllama, tokenize


class FakeLLM(FakeOllama):
    """FakeOllama plus a 'down' fault: the app is pointed at a port where nothing listens."""


def solution_tokens(text: str) -> list[str]:
    return tokenize(text)


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def fake_llm(settings) -> Iterator[FakeLLM]:
    server = FakeLLM()
    server.start()
    settings.OLLAMA_HOST = server.url
    down_url = closed_port_url()

    original_fault = server.fault

    def fault(kind: str) -> None:
        if kind == "down":
            settings.OLLAMA_HOST = down_url
        else:
            original_fault(kind)

    def clear_fault() -> None:
        settings.OLLAMA_HOST = server.url
        FakeOllama.clear_fault(server)

    server.fault = fault  # type: ignore[method-assign]
    server.clear_fault = clear_fault  # type: ignore[method-assign]
    try:
        yield server
    finally:
        server.stop()
