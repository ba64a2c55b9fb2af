"""Pytest fixtures for code that talks to Ollama.

Import them into a conftest (pytest only honours `pytest_plugins` in the root conftest):

    from inference.testing.pytest_plugin import fake_ollama, ollama_target  # noqa: F401

- `fake_ollama`: a fresh `FakeOllama` per test (own script, own records), started and stopped
  around the test. Tests that script replies or faults use it.
- `ollama_target`: where to send requests, as an `OllamaTarget`. Against the fake by default;
  against a real Ollama when `OLLAMA_TEST_REAL=1` and `OLLAMA_HOST` are set, for tests whose
  assertions hold for any phi4 (e.g. "a stream ends with a done event").

With OLLAMA_TEST_REAL=1, `fake_ollama` skips its test: scripted-only tests cannot run on a real
model. OLLAMA_TEST_MODEL picks the real model (default phi4).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from inference.testing.fake_ollama import FakeOllama


@dataclass(frozen=True)
class OllamaTarget:
    url: str
    model: str
    # None against a real Ollama.
    fake: FakeOllama | None

    @property
    def real(self) -> bool:
        return self.fake is None


def real_ollama_requested() -> bool:
    """True for OLLAMA_TEST_REAL=1; fails loudly when OLLAMA_HOST is missing, rather than silently
    testing the fake when someone meant to test the real thing."""
    flag = os.environ.get("OLLAMA_TEST_REAL", "")
    if flag not in ("", "0", "1"):
        raise pytest.UsageError(f"OLLAMA_TEST_REAL must be 0 or 1, got {flag!r}")
    if flag != "1":
        return False
    if not os.environ.get("OLLAMA_HOST"):
        raise pytest.UsageError("OLLAMA_TEST_REAL=1 needs OLLAMA_HOST, e.g. http://127.0.0.1:11434")
    return True


def _real_url() -> str:
    host = os.environ["OLLAMA_HOST"]
    return host if "://" in host else f"http://{host}"


@pytest.fixture
def fake_ollama() -> Iterator[FakeOllama]:
    if real_ollama_requested():
        pytest.skip("scripted-only test: OLLAMA_TEST_REAL=1 runs against a real Ollama")
    with FakeOllama() as server:
        yield server


@pytest.fixture
def ollama_target() -> Iterator[OllamaTarget]:
    if real_ollama_requested():
        yield OllamaTarget(url=_real_url(), model=os.environ.get("OLLAMA_TEST_MODEL", "phi4"), fake=None)
        return
    with FakeOllama() as server:
        yield OllamaTarget(url=server.url, model="phi4", fake=server)
