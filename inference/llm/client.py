"""Streaming chat with Ollama through the official `ollama.AsyncClient`.

What callers can rely on:
- `options.num_ctx`, `options.num_predict` and `keep_alive` are sent with every request;
- connect and read timeouts are always set (the client's default is to wait forever);
- inline `<think>` and `message.thinking` both come out as "thinking" events;
- a `done` event ends every successful stream, with `truncated` when Ollama hit num_predict;
- every failure is an `LLMError` subclass (see errors.py);
- cancelling the consuming task, or closing the iterator, closes the HTTP connection at once, which
  is how Ollama learns to stop generating and free the GPU.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
import ssl
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
import ollama

from .config import LLMConfig
from .errors import CLIENT_ERRORS, LLMBusy, LLMError, LLMStreamError, map_error, model_missing
from .think import ThinkParser

# "waiting" and "switched" come only from hosts.stream_chat_routed.
EventKind = Literal["content", "thinking", "retrying", "done", "waiting", "switched"]
Message = Mapping[str, Any]


@dataclass(frozen=True)
class LLMEvent:
    kind: EventKind
    text: str = ""
    # kind == "done"
    done_reason: str | None = None
    truncated: bool = False
    usage: dict[str, float | int] = field(default_factory=dict)
    # kind == "retrying": which attempt comes next, and after how many seconds
    attempt: int | None = None
    retry_in: float | None = None


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # httpx builds a fresh SSL context (reading the whole CA bundle, tens of ms of CPU) for every
    # client, even for plain http. We open a client per stream, so share one context.
    return httpx.create_ssl_context()


def make_client(config: LLMConfig) -> ollama.AsyncClient:
    """A client of its own per stream: closing it is what guarantees the connection goes away."""
    timeout = httpx.Timeout(
        connect=config.connect_timeout,
        read=config.read_timeout,
        write=config.write_timeout,
        pool=config.connect_timeout,
    )
    return ollama.AsyncClient(host=config.host, timeout=timeout, verify=_ssl_context())


def _usage(part: ollama.ChatResponse) -> dict[str, float | int]:
    eval_count = part.eval_count or 0
    eval_ns = part.eval_duration or 0
    return {
        "prompt_eval_count": part.prompt_eval_count or 0,
        "eval_count": eval_count,
        "total_duration_ms": round((part.total_duration or 0) / 1e6, 1),
        "load_duration_ms": round((part.load_duration or 0) / 1e6, 1),
        "prompt_eval_duration_ms": round((part.prompt_eval_duration or 0) / 1e6, 1),
        "eval_duration_ms": round(eval_ns / 1e6, 1),
        "tokens_per_second": round(eval_count / (eval_ns / 1e9), 2) if eval_ns else 0.0,
    }


async def stream_chat(config: LLMConfig, messages: Sequence[Message]) -> AsyncGenerator[LLMEvent, None]:
    """One streamed chat, as content / thinking events and a final done event.

    Use it under `contextlib.aclosing(...)` (or let a cancelled task unwind through it): leaving the
    loop early then closes the HTTP stream straight away instead of whenever the generator is
    garbage-collected.
    """
    client = make_client(config)
    parser = ThinkParser()
    received = False
    finished: LLMEvent | None = None
    stream: AsyncIterator[ollama.ChatResponse] | None = None
    try:
        # No network I/O happens here (the request starts on the first iteration), so a
        # ValidationError from it is a malformed message of ours and must not pass as Ollama's fault.
        stream = await client.chat(
            model=config.model,
            messages=list(messages),
            stream=True,
            keep_alive=config.keep_alive,
            options=config.options(),
        )
        try:
            async for part in stream:
                if finished is not None:
                    continue
                received = True
                if part.message.thinking:
                    yield LLMEvent("thinking", part.message.thinking)
                if part.message.content:
                    for kind, text in parser.feed(part.message.content):
                        yield LLMEvent(kind, text)
                if part.done:
                    for kind, text in parser.flush():
                        yield LLMEvent(kind, text)
                    # Read on to the end of the body before saying done: a caller that counts
                    # streams per host (hosts.py) must not start the next one while Ollama still
                    # counts this one.
                    finished = LLMEvent(
                        "done",
                        done_reason=part.done_reason,
                        truncated=part.done_reason == "length",
                        usage=_usage(part),
                    )
        except CLIENT_ERRORS as exc:
            if finished is None:
                raise map_error(exc, config, received=received) from exc
        if finished is not None:
            yield finished
            return
        # The body ended cleanly but without the final `done` line: a proxy or Ollama gave up.
        raise LLMStreamError(
            "The connection to the tutor's model broke part-way through. Please ask again.",
            f"The response stream from Ollama at {config.host} ended without its final line.",
        )
    finally:
        # Closing the inner generator exits httpx's `stream()` context, which closes the socket.
        if stream is not None:
            await stream.aclose()  # type: ignore[attr-defined]
        await client.close()


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff for errors that pass by themselves (Ollama's queue being full)."""

    retries: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    # Spread clients that were refused together, so they do not all come back together.
    jitter: float = 0.1
    retry_on: tuple[type[LLMError], ...] = (LLMBusy,)

    def delay(self, attempt: int) -> float:
        """Seconds to wait before attempt number `attempt + 1` (attempt counts from 1)."""
        base = min(self.base_delay * 2 ** (attempt - 1), self.max_delay)
        return base * (1 + random.uniform(-self.jitter, self.jitter))


async def stream_chat_with_retry(
    config: LLMConfig, messages: Sequence[Message], *, policy: RetryPolicy | None = None
) -> AsyncGenerator[LLMEvent, None]:
    """`stream_chat`, retrying `policy.retry_on` errors, but only before anything was yielded.

    Once a token has reached the caller a retry would repeat it, so later failures propagate.
    Before each retry a "retrying" event says so, so the student sees why nothing is happening.
    """
    policy = policy or RetryPolicy(base_delay=config.retry_base_delay)
    attempt = 1
    while True:
        started = False
        try:
            async with contextlib.aclosing(stream_chat(config, messages)) as events:
                async for event in events:
                    started = True
                    yield event
            return
        except policy.retry_on as exc:
            if started or attempt > policy.retries:
                raise
            delay = policy.delay(attempt)
            attempt += 1
            why = (
                "The tutor is busy helping other students."
                if isinstance(exc, LLMBusy)
                else "The tutor's model did not answer."
            )
            yield LLMEvent(
                "retrying",
                text=f"{why} Trying again in about {max(1, round(delay))} s.",
                attempt=attempt,
                retry_in=delay,
            )
            await asyncio.sleep(delay)


async def list_models(config: LLMConfig) -> list[str]:
    """Names of the models Ollama has pulled, e.g. ["phi4:latest"]."""
    client = make_client(config)
    try:
        listed = await client.list()
    except CLIENT_ERRORS as exc:
        raise map_error(exc, config, received=False) from exc
    finally:
        await client.close()
    return sorted(m.model for m in listed.models if m.model)


def has_model(names: Sequence[str], model: str) -> bool:
    """`phi4` is pulled as `phi4:latest`; a tagged name must match exactly."""
    wanted = model if ":" in model else f"{model}:latest"
    return wanted in names


async def health(config: LLMConfig) -> dict[str, Any]:
    """For the health page. Never raises an LLMError: a failure is what the page is there to show."""
    report: dict[str, Any] = {
        "host": config.host,
        "model": config.model,
        "reachable": False,
        "version": None,
        "model_pulled": False,
        "models": [],
        "error": None,
    }
    client = make_client(config)
    try:
        listed = await client.list()
        report["reachable"] = True
        # The client has no version() call. A missing version is not worth failing the page over.
        response = await client._client.get("/api/version")
        if response.status_code == 200:
            report["version"] = response.json().get("version")
    except CLIENT_ERRORS as exc:
        report["error"] = map_error(exc, config, received=False).as_dict()
        return report
    finally:
        await client.close()
    report["models"] = sorted(m.model for m in listed.models if m.model)
    report["model_pulled"] = has_model(report["models"], config.model)
    if not report["model_pulled"]:
        report["error"] = model_missing(config, "not in /api/tags").as_dict()
    return report
