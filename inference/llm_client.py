"""Talking to Ollama: streaming chat through the official `ollama.AsyncClient`.

What this layer guarantees to its callers:
- `num_ctx` and `keep_alive` are always sent (Ollama's default context silently drops the
  oldest messages, which would be the problem statement);
- connect and read timeouts are set (the client's default is none), so a stalled stream ends;
- `<think>...</think>` inline in content (phi4-reasoning) and `message.thinking` both come
  out as "thinking" events, even when a tag is split across chunks;
- `done_reason == "length"` is reported as a truncated answer;
- every failure becomes a typed `LLMError` with a sentence a student can read and a hint for
  whoever runs the server;
- closing the event iterator closes the HTTP stream, so Ollama stops generating.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import ollama

# Context sizes the models are trained for; Ollama's own default is far smaller.
MODEL_CONTEXT = {"phi4": 16384, "phi4-mini": 16384, "phi4-reasoning": 32768}
DEFAULT_CONTEXT = 16384


@dataclass(frozen=True)
class LLMConfig:
    host: str
    model: str = "phi4"
    num_ctx: int | None = None
    keep_alive: str | None = "30m"
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    temperature: float = 0.2
    num_predict: int = 2048
    busy_retries: int = 2
    busy_backoff: float = 0.5

    @property
    def context(self) -> int:
        return self.num_ctx or MODEL_CONTEXT.get(self.model.split(":")[0], DEFAULT_CONTEXT)


@dataclass(frozen=True)
class LLMEvent:
    kind: str  # content | thinking | retrying | done
    text: str = ""
    done_reason: str = ""
    usage: dict[str, Any] = field(default_factory=dict)

    @property
    def truncated(self) -> bool:
        return self.done_reason == "length"


class LLMError(Exception):
    code = "llm_error"
    retryable = False

    def __init__(self, user_message: str, admin_hint: str = "") -> None:
        super().__init__(admin_hint or user_message)
        self.user_message = user_message
        self.admin_hint = admin_hint


class LLMUnavailable(LLMError):
    code = "llm_unavailable"
    retryable = True


class LLMModelMissing(LLMError):
    code = "llm_model_missing"


class LLMBusy(LLMError):
    code = "llm_busy"
    retryable = True


class LLMStreamError(LLMError):
    code = "llm_stream_error"
    retryable = True


class LLMStalled(LLMError):
    code = "llm_stalled"
    retryable = True


def _unavailable(config: LLMConfig) -> LLMUnavailable:
    return LLMUnavailable(
        f"The tutor's language model is not running. Ask your teacher to start Ollama at {config.host} "
        "(run: ollama serve).",
        f"Could not connect to Ollama at {config.host}. Start it with `ollama serve` or set OLLAMA_HOST.",
    )


def _from_response_error(exc: ollama.ResponseError, config: LLMConfig) -> LLMError:
    if exc.status_code == 404:
        return LLMModelMissing(
            f"The tutor's model {config.model} is not installed yet. Ask your teacher to run: ollama pull {config.model}",
            f"Ollama has no model {config.model!r}: run `ollama pull {config.model}` on the Ollama host.",
        )
    if exc.status_code == 503:
        return LLMBusy(
            "The tutor is very busy right now. Please try again in a minute.",
            f"Ollama's queue is full (503: {exc.error}). Raise OLLAMA_MAX_QUEUE or add capacity.",
        )
    if exc.status_code == -1:
        return LLMStreamError(
            "The tutor's model hit a problem part-way through. Please ask again.",
            f"Ollama sent an error line mid-stream: {exc.error}",
        )
    return LLMStreamError(
        "The tutor's model could not answer. Please ask again.",
        f"Ollama answered HTTP {exc.status_code}: {exc.error}",
    )


class ThinkParser:
    """Splits inline <think>...</think> out of streamed content, tags split across chunks included."""

    OPEN, CLOSE = "<think>", "</think>"

    def __init__(self) -> None:
        self._buffer = ""
        self._thinking = False

    def feed(self, text: str) -> list[tuple[str, str]]:
        self._buffer += text
        out: list[tuple[str, str]] = []
        while self._buffer:
            tag = self.CLOSE if self._thinking else self.OPEN
            kind = "thinking" if self._thinking else "content"
            index = self._buffer.find(tag)
            if index >= 0:
                if index:
                    out.append((kind, self._buffer[:index]))
                self._buffer = self._buffer[index + len(tag) :]
                self._thinking = not self._thinking
                continue
            # Keep back a tail that could be the start of a tag.
            keep = 0
            for size in range(min(len(tag) - 1, len(self._buffer)), 0, -1):
                if tag.startswith(self._buffer[-size:]):
                    keep = size
                    break
            emit = self._buffer[: len(self._buffer) - keep]
            if emit:
                out.append((kind, emit))
            self._buffer = self._buffer[len(self._buffer) - keep :]
            break
        return out

    def flush(self) -> list[tuple[str, str]]:
        if not self._buffer:
            return []
        out = [("thinking" if self._thinking else "content", self._buffer)]
        self._buffer = ""
        return out


def _usage(part: Any) -> dict[str, Any]:
    eval_count = part.eval_count or 0
    eval_ns = part.eval_duration or 0
    return {
        "prompt_eval_count": part.prompt_eval_count or 0,
        "eval_count": eval_count,
        "total_duration_ms": round((part.total_duration or 0) / 1e6, 1),
        "load_duration_ms": round((part.load_duration or 0) / 1e6, 1),
        "eval_duration_ms": round(eval_ns / 1e6, 1),
        "tokens_per_second": round(eval_count / (eval_ns / 1e9), 2) if eval_ns else 0.0,
    }


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # httpx builds a fresh context (loading every CA certificate, ~30 ms of CPU) per client;
    # fifty streams starting together would stall the event loop for over a second.
    return httpx.create_ssl_context()


def make_client(config: LLMConfig) -> ollama.AsyncClient:
    timeout = httpx.Timeout(connect=config.connect_timeout, read=config.read_timeout, write=10.0, pool=10.0)
    return ollama.AsyncClient(host=config.host, timeout=timeout, verify=_ssl_context())


async def stream_chat(config: LLMConfig, messages: list[dict[str, str]]) -> AsyncIterator[LLMEvent]:
    """One streamed chat. Closing this iterator closes the HTTP stream to Ollama."""
    client = make_client(config)
    parser = ThinkParser()
    try:
        try:
            stream = await client.chat(
                model=config.model,
                messages=messages,
                stream=True,
                keep_alive=config.keep_alive,
                options={
                    "num_ctx": config.context,
                    "temperature": config.temperature,
                    "num_predict": config.num_predict,
                },
            )
            async for part in stream:
                thinking = getattr(part.message, "thinking", None)
                if thinking:
                    yield LLMEvent("thinking", thinking)
                if part.message.content:
                    for kind, text in parser.feed(part.message.content):
                        yield LLMEvent(kind, text)
                if part.done:
                    for kind, text in parser.flush():
                        yield LLMEvent(kind, text)
                    yield LLMEvent("done", done_reason=part.done_reason or "", usage=_usage(part))
                    return
        except ollama.ResponseError as exc:
            raise _from_response_error(exc, config) from exc
        except (ConnectionError, httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise _unavailable(config) from exc
        except httpx.ReadTimeout as exc:
            raise LLMStalled(
                "The tutor's model stopped responding. Please ask again.",
                f"No data from Ollama at {config.host} for {config.read_timeout:.0f} s.",
            ) from exc
        except (httpx.RemoteProtocolError, httpx.ReadError, json.JSONDecodeError) as exc:
            raise LLMStreamError(
                "The connection to the tutor's model broke. Please ask again.",
                f"The stream from Ollama at {config.host} was cut: {exc!r}",
            ) from exc
        # The stream ended without a final `done` line: the connection was cut cleanly.
        raise LLMStreamError(
            "The connection to the tutor's model broke. Please ask again.",
            f"The stream from Ollama at {config.host} ended without a final line.",
        )
    finally:
        await client._client.aclose()


async def stream_chat_with_retry(
    config: LLMConfig, messages: list[dict[str, str]]
) -> AsyncIterator[LLMEvent]:
    """`stream_chat`, retrying a busy Ollama with backoff before the first token only."""
    attempt = 0
    while True:
        started = False
        try:
            async with contextlib.aclosing(stream_chat(config, messages)) as events:
                async for event in events:
                    started = True
                    yield event
            return
        except LLMBusy:
            if started or attempt >= config.busy_retries:
                raise
            yield LLMEvent("retrying", text=f"busy, retry {attempt + 1}")
            await asyncio.sleep(config.busy_backoff * (2**attempt))
            attempt += 1


async def health(config: LLMConfig) -> dict[str, Any]:
    """For a status page: is Ollama reachable, and is the model pulled?"""
    client = make_client(config)
    try:
        listed = await client.list()
    except (ConnectionError, httpx.HTTPError, ollama.ResponseError) as exc:
        return {"reachable": False, "model_present": False, "detail": str(exc)}
    finally:
        await client._client.aclose()
    names = {m.model for m in listed.models}
    present = config.model in names or f"{config.model}:latest" in names
    return {"reachable": True, "model_present": present, "models": sorted(n for n in names if n)}
