"""The Ollama hosts as the settings name them (OLLAMA_HOSTS), for the generation jobs and the
admin's capacity page. The routing itself is inference/llm/hosts.py; docs/scaling.md says how to
run several hosts."""

from __future__ import annotations

import functools
from collections.abc import AsyncGenerator, Sequence

from django.conf import settings

from inference.llm import (
    Host,
    HostPool,
    LLMConfig,
    LLMEvent,
    MemoryStore,
    RedisStore,
    SlotStore,
    parse_hosts,
    stream_chat_routed,
    stream_chat_with_retry,
)
from inference.llm.client import Message
from inference.llm.slots import STORE_ERRORS


def host_pool() -> HostPool | None:
    """None without OLLAMA_HOSTS: OLLAMA_HOST alone, streamed to as before (no slots, no probes).
    Read on every call, so a test or an operator that changes the settings is obeyed."""
    if not settings.OLLAMA_HOSTS:
        return None
    hosts = parse_hosts(settings.OLLAMA_HOSTS, default_capacity=settings.OLLAMA_HOST_CAPACITY)
    return _pool(
        hosts,
        settings.REDIS_URL or "",
        _prefix(),
        settings.OLLAMA_PROBE_SECONDS,
        settings.OLLAMA_WAIT_SECONDS,
    )


def _prefix() -> str:
    # The channel layer's prefix: a test run's own, shared with the processes it starts.
    config = settings.CHANNEL_LAYERS["default"].get("CONFIG", {})
    return f"{config.get('prefix', 'tutor')}:ollama"


@functools.cache
def _store(redis_url: str, prefix: str) -> SlotStore:
    # Without Redis (the embedded default) there is one process, and its memory is the whole truth.
    return RedisStore(redis_url, prefix) if redis_url else MemoryStore()


@functools.cache
def _pool(hosts: tuple[Host, ...], redis_url: str, prefix: str, probe: float, wait: float) -> HostPool:
    return HostPool(hosts=hosts, store=_store(redis_url, prefix), probe_seconds=probe, wait_seconds=wait)


def model_stream(config: LLMConfig, messages: Sequence[Message]) -> AsyncGenerator[LLMEvent, None]:
    """The stream a generation job reads: through the hosts' slots when there are several."""
    pool = host_pool()
    if pool is None:
        return stream_chat_with_retry(config, messages)
    return stream_chat_routed(pool, config, messages)


# The student's status frame for the routing's own events (docs/websocket-protocol.md): "resumed"
# is what a takeover by another job already says, and means the same to the page.
_STATUS_CODES = {"waiting": "waiting_in_line", "switched": "resumed"}


def host_status(event: LLMEvent) -> tuple[str, str, dict[str, object]]:
    from tutor.tutoring import events

    return events.status(_STATUS_CODES[event.kind], event.text)


def admin_pool() -> HostPool:
    """The pool the capacity page shows: OLLAMA_HOSTS, or OLLAMA_HOST alone with no limit."""
    pool = host_pool()
    if pool is not None:
        return pool
    hosts = (Host(url=settings.OLLAMA_HOST, capacity=None),)
    return _pool(
        hosts,
        settings.REDIS_URL or "",
        _prefix(),
        settings.OLLAMA_PROBE_SECONDS,
        settings.OLLAMA_WAIT_SECONDS,
    )


async def capacity_report(models: Sequence[str]) -> dict[str, object]:
    """Each host's health, models, streams in use against its capacity and speed over the last
    hour; the students waiting in line for a host, per model. Probes stale hosts on the way."""
    pool = admin_pool()
    primary = models[0] if models else settings.OLLAMA_MODEL
    report: dict[str, object] = {"limited": host_pool() is not None, "model": primary, "store_error": None}
    try:
        report["hosts"] = await pool.snapshot(primary)
        report["waiting"] = {model: await pool.store.line_length(model) for model in models}
    except STORE_ERRORS as exc:
        # The page must still say what is wrong when Redis is the problem.
        report["store_error"] = f"Redis can't be reached ({exc}): the hosts' slots and health are unknown."
        report["hosts"], report["waiting"] = [], {}
    return report
