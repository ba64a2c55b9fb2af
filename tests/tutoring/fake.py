"""The test Ollama server (inference.testing.fake_ollama) as the tutor tests drive it."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from inference.testing.fake_ollama import FakeOllama, tokenize


class FakeLLM:
    """The test server plus the few moves tutor tests make: queue a reply, switch a fault on and
    off for every request until cleared, or stop Ollama altogether ("down")."""

    def __init__(self, server: FakeOllama, settings) -> None:
        self.server = server
        self.settings = settings
        self.url = server.url
        self._down_url = _closed_port_url()

    def reply(self, tokens: list[str], **fields) -> None:
        self.server.script.reply(list(tokens), **fields)

    def fault(self, kind: str) -> None:
        if kind == "down":
            self.settings.OLLAMA_HOST = self._down_url
        elif kind == "missing_model":
            self.server.remove_model("phi4")
        else:
            self.server.script.fail(kind, times=50, fault_after=3)

    def clear_fault(self) -> None:
        self.settings.OLLAMA_HOST = self.url
        self.server.add_model("phi4")
        while self.server.script.pending:
            self.server.script.next_reply(None)  # type: ignore[arg-type]

    @property
    def requests(self) -> list[dict]:
        return [request.body for request in self.server.chat_requests]

    def wait_for_disconnect(self, timeout: float) -> float | None:
        try:
            return self.server.wait_for_client_close(timeout=timeout).client_closed_at
        except AssertionError:
            return None


def solution_tokens(text: str) -> list[str]:
    return tokenize(text)


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def fake_llm(settings) -> Iterator[FakeLLM]:
    with FakeOllama() as server:
        settings.OLLAMA_HOST = server.url
        yield FakeLLM(server, settings)
