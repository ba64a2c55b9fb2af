"""Several Ollama hosts: which one serves the next stream, never more streams on a host than its
capacity across every process, and a stream carried on by another host when its host dies.

Why a claim in Redis rather than one Celery queue per host: a worker per host with
`--concurrency=capacity` caps a host only as long as exactly one such worker runs for it (a second
`docker compose up --scale worker=2` doubles it silently), it holds the host while the checker
verifies (seconds of no GPU work), and a stream whose host dies would have to be re-queued to
another host's queue. A slot claimed per model call in Redis (a sorted set per host, one Lua call)
holds across any number of web processes and workers, is let go between a draft and its check,
and frees itself when the process holding it is killed (a lease, renewed while streaming).

- `parse_hosts("http://a:11434=2,http://b:11434=4")`: the hosts and their capacity (`=N`, the
  host's OLLAMA_NUM_PARALLEL).
- Health: each host's `/api/version` and `/api/tags` are probed when its last state is older than
  `probe_seconds` (by whichever process needs it first; a Redis key keeps it to one at a time),
  and every error a stream meets marks the host at once: unreachable hosts and hosts without the
  model are left out until a probe finds them well again.
- Waiting: when every host that can serve the model is full, streams wait in one first-come line
  per model (a sorted set; a waiter that stops asking drops out after `waiter_seconds`), and the
  caller gets `waiting` events with the place in line.
- Takeover: a host that fails part-way through a stream (refused, cut, stalled, an error line) is
  marked down and the stream goes on on another host, which is sent what was already written as
  the start of the assistant's message (Ollama continues a final assistant message), so the
  student's text continues instead of starting again.

Nothing here reads Django settings: `tutor/hosts.py` builds the pool from them. Over 400 lines on
purpose: choosing a host, its health and the takeover share one pool's state and one stream's
bookkeeping; where slots and states are kept is slots.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import random
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .client import LLMEvent, Message, RetryPolicy, has_model, health, stream_chat
from .config import LLMConfig
from .errors import (
    LLMBusy,
    LLMError,
    LLMModelMissing,
    LLMServerError,
    LLMStalled,
    LLMStreamError,
    LLMTimeout,
    LLMUnavailable,
)
from .slots import MAX_CAPACITY, STORE_ERRORS, Host, HostState, SlotStore

logger = logging.getLogger(__name__)

# A host that fails in these ways is left out and the stream moves on to another host.
HOST_FAULTS: tuple[type[LLMError], ...] = (
    LLMUnavailable,
    LLMStreamError,
    LLMStalled,
    LLMTimeout,
    LLMServerError,
)
# A stream moves to another host when its host fails so, or lacks the model.
LEAVE_HOST_ON: tuple[type[LLMError], ...] = (LLMModelMissing, *HOST_FAULTS)
SWITCHED_MESSAGE = "The tutor was interrupted and is carrying on..."


def parse_hosts(value: str, *, default_capacity: int) -> tuple[Host, ...]:
    """`http://a:11434=2, b:11434` -> hosts; a host without `=N` gets `default_capacity`.

    Fails loudly (ValueError naming the entry) on a bad URL, capacity or a host listed twice.
    """
    hosts: list[Host] = []
    for raw in value.split(","):
        entry = raw.strip()
        if not entry:
            continue
        url, capacity = entry, default_capacity
        if "=" in entry:
            url, _, number = entry.rpartition("=")
            try:
                capacity = int(number)
            except ValueError:
                raise ValueError(
                    f"OLLAMA_HOSTS entry {entry!r}: capacity {number!r} is not a number"
                ) from None
        url = url.strip().rstrip("/")
        if "://" not in url:
            url = f"http://{url}"  # as Ollama's own OLLAMA_HOST accepts host:port
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"OLLAMA_HOSTS entry {entry!r}: expected a URL like http://gpu1:11434=2")
        if not 1 <= capacity <= MAX_CAPACITY:
            raise ValueError(
                f"OLLAMA_HOSTS entry {entry!r}: capacity must be 1..{MAX_CAPACITY}, not {capacity}"
            )
        if any(h.url == url for h in hosts):
            raise ValueError(f"OLLAMA_HOSTS lists {url} twice")
        hosts.append(Host(url=url, capacity=capacity))
    return tuple(hosts)


@dataclass(frozen=True)
class Choice:
    """The answer to one try at a slot."""

    url: str | None  # the host whose slot is now ours, or None
    position: int  # place in the model's line (0 = next)
    candidates: int  # hosts that could serve the model at all (healthy, with the model)
    slots: int = 1  # streams those hosts take at once, together


@dataclass
class HostPool:
    hosts: tuple[Host, ...]
    store: SlotStore
    # A host's state older than this is probed again before it is used.
    probe_seconds: float = 10.0
    probe_timeout: float = 3.0
    # A slot is the holder's for this long after its last renewal (renewed every third of it).
    lease_seconds: float = 30.0
    # How long a student waits in line before being told the tutor is too busy.
    wait_seconds: float = 300.0
    # How often a waiting stream asks again.
    poll_seconds: float = 0.2
    # States are read from the store at most this often per process: otherwise every stream
    # waiting in line would add a Redis read to the worker's event loop at every poll.
    states_cache_seconds: float = 1.0
    _cached: tuple[float, dict[str, HostState]] | None = field(default=None, init=False, repr=False)

    async def _states(self) -> dict[str, HostState]:
        now = time.monotonic()
        if self._cached is not None and now - self._cached[0] < self.states_cache_seconds:
            return dict(self._cached[1])
        states = await self.store.states()
        self._cached = (now, states)
        return dict(states)

    async def fresh_states(self, model: str | None = None) -> dict[str, HostState]:
        """Every host's state, probing (here, at once) those whose state is stale and that no other
        process is probing right now."""
        states = await self._states()
        now = time.time()
        stale = [
            h.url
            for h in self.hosts
            if (h.url not in states or now - states[h.url].checked_at > self.probe_seconds)
            and await self.store.claim_probe(h.url, self.probe_seconds)
        ]
        if stale:
            for state in await asyncio.gather(*(self.probe(url, model) for url in stale)):
                states[state.url] = state
            self._cached = None
        # A host never probed, which another process is probing right now: wait for its result
        # rather than send a student's stream to a host that may not have the model.
        deadline = time.monotonic() + self.probe_timeout * 2 + 1
        while any(h.url not in states for h in self.hosts) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            states = await self.store.states()
        return states

    async def probe(self, url: str, model: str | None = None) -> HostState:
        config = LLMConfig(
            host=url,
            connect_timeout=self.probe_timeout,
            read_timeout=self.probe_timeout,
            write_timeout=self.probe_timeout,
        )
        report = await health(config)
        error = report["error"]
        state = HostState(
            url=url,
            reachable=bool(report["reachable"]),
            models=list(report["models"]),
            version=report["version"],
            error=error["admin_hint"] if error and not report["reachable"] else None,
            checked_at=time.time(),
        )
        if model and state.reachable and not state.serves(model):
            state.error = f"{model} is not pulled on this host (ollama pull {model})"
        await self.store.put_state(state)
        return state

    async def mark(self, url: str, error: LLMError, *, model: str) -> None:
        """A stream met `error` on `url`: leave the host out until a probe finds it well again."""
        try:
            await self._mark(url, error, model=model)
        except STORE_ERRORS:  # Redis away: this stream still avoids the host (its own `avoid`)
            logger.warning("could not record that %s failed", url, exc_info=True)

    async def _mark(self, url: str, error: LLMError, *, model: str) -> None:
        states = await self.store.states()
        state = states.get(url) or HostState(url=url, reachable=True)
        if isinstance(error, LLMModelMissing):
            state.models = [m for m in state.models if not has_model([m], model)]
            state.error = f"{model} is not pulled on this host (ollama pull {model})"
        else:
            state.reachable = False
            state.error = error.admin_hint
        state.checked_at = time.time()
        state.source = "stream"
        logger.warning("Ollama host %s left out: %s", url, state.error)
        await self.store.put_state(state)
        self._cached = None

    async def known_states(self) -> dict[str, HostState]:
        """The states in the store, or the last ones read if Redis is away (for messages)."""
        try:
            return await self.store.states()
        except STORE_ERRORS:
            return dict(self._cached[1]) if self._cached is not None else {}

    def without_store(self, model: str, avoid: set[str]) -> str | None:
        """A host for a stream when Redis can't be reached: no slot, so no cap; any host the last
        states read say is well (all of them if none was read), chosen at random to spread load."""
        states = self._cached[1] if self._cached is not None else {}
        hosts = self.candidates(states, model, avoid)
        return random.choice(hosts).url if hosts else None  # noqa: S311 - spreading, not security

    def candidates(self, states: dict[str, HostState], model: str, avoid: set[str]) -> list[Host]:
        """Hosts that may serve `model`: not avoided, and healthy with the model (a host never
        probed yet is tried; a failure then marks it)."""
        return [
            h
            for h in self.hosts
            if h.url not in avoid and (h.url not in states or states[h.url].serves(model))
        ]

    async def try_acquire(self, model: str, lease: str, avoid: set[str]) -> Choice:
        hosts = self.candidates(await self.fresh_states(model), model, avoid)
        if not hosts:
            return Choice(url=None, position=0, candidates=0)
        url, place = await self.store.try_acquire(
            model=model,
            lease=lease,
            hosts=hosts,
            lease_seconds=self.lease_seconds,
            waiter_seconds=max(5.0, self.poll_seconds * 10),
        )
        return Choice(
            url=url, position=place, candidates=len(hosts), slots=sum(h.capacity or 1 for h in hosts)
        )

    @contextlib.asynccontextmanager
    async def holding(self, url: str, lease: str) -> AsyncIterator[None]:
        """Keeps the slot renewed while the body runs; lets it go however the body ends."""

        async def renew() -> None:
            while True:
                await asyncio.sleep(self.lease_seconds / 3)
                try:
                    await self.store.renew(url, lease, self.lease_seconds)
                except Exception:  # a missed renewal only shortens the lease; the stream goes on
                    logger.warning("could not renew the slot on %s", url, exc_info=True)

        renewer = asyncio.ensure_future(renew())
        try:
            yield
        finally:
            renewer.cancel()
            # Shielded: a cancelled stream (Stop) must still give its slot back. If Redis is away
            # the slot goes by itself when its lease ends; the answer must not fail over it.
            await _quietly(asyncio.shield(self.store.release(url, lease)), "give back the slot on " + url)

    async def snapshot(self, model: str) -> list[dict[str, Any]]:
        """For the admin's capacity page: each host's health, models, slots in use and speed."""
        states = await self.fresh_states(model)
        rows = []
        for host in self.hosts:
            state = states.get(host.url)
            tokens, seconds, answers = await self.store.usage(host.url, 3600)
            rows.append(
                {
                    "url": host.url,
                    "capacity": host.capacity,
                    "in_use": await self.store.in_use(host.url),
                    "reachable": state.reachable if state else None,
                    "serves_model": state.serves(model) if state else None,
                    "models": state.models if state else [],
                    "version": state.version if state else None,
                    "error": state.error if state else None,
                    "checked_at": state.checked_at if state else None,
                    "source": state.source if state else None,
                    "answers_last_hour": answers,
                    "tokens_per_second_last_hour": round(tokens / seconds, 1) if seconds else None,
                }
            )
        return rows


def _continued(messages: Sequence[Message], written: str) -> list[Message]:
    """The request that makes a new host continue what the old one wrote."""
    request = list(messages)
    if request and request[-1].get("role") == "assistant":
        last = request[-1]
        request[-1] = {**last, "content": str(last.get("content", "")) + written}
    else:
        request.append({"role": "assistant", "content": written})
    return request


def _waiting_text(position: int) -> str:
    if position <= 0:
        return "All tutors are busy helping other students. You're next in line..."
    return f"All tutors are busy helping other students. You're number {position + 1} in line..."


async def _slot(
    pool: HostPool, config: LLMConfig, lease: str, avoid: set[str], last_error: LLMError | None
) -> AsyncGenerator[LLMEvent | str, None]:
    """Waits in line for a host with room: `waiting` events while every host is full, then the
    host's URL (its slot taken under `lease`). Raises when no host can serve the model at all."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + pool.wait_seconds
    told: int | None = None
    try:
        while True:
            try:
                choice = await pool.try_acquire(config.model, lease, avoid)
            except STORE_ERRORS:
                # Redis is away: stream without a slot (Ollama queues what is over its
                # OLLAMA_NUM_PARALLEL) rather than fail the student.
                logger.warning("the hosts' slots are unreachable; streaming without one", exc_info=True)
                fallback = pool.without_store(config.model, avoid)
                choice = Choice(url=fallback, position=0, candidates=1 if fallback else 0)
            if choice.url is not None:
                yield choice.url
                return
            if choice.candidates == 0:
                if last_error is not None:
                    raise last_error
                raise _nowhere(pool, config, await pool.known_states())
            if loop.time() > deadline:
                raise LLMBusy(
                    "The tutor is busy helping other students. Please try again in a minute.",
                    f"Every Ollama host serving {config.model} stayed full for {pool.wait_seconds:g} s "
                    "(OLLAMA_WAIT_SECONDS): add a host or raise the capacities in OLLAMA_HOSTS.",
                )
            if told != choice.position:
                told = choice.position
                yield LLMEvent("waiting", text=_waiting_text(choice.position), attempt=choice.position + 1)
            # The front of the line asks often; further back, less (a slot goes to the front). "The
            # front" is as many places as there are slots: when a round of answers ends together,
            # every freed slot has a waiter asking at the fast rate (with `// 2`, four hosts' eight
            # freed slots waited for waiters asking every 0.4-0.8 s, and rounds grew with hosts).
            await asyncio.sleep(min(pool.poll_seconds * (1 + choice.position // max(2, choice.slots)), 2.0))
    finally:
        # Given up, cancelled or served: this stream is no longer in the line.
        await _quietly(asyncio.shield(pool.store.leave_line(config.model, lease)), "leave the line")


async def stream_chat_routed(
    pool: HostPool, config: LLMConfig, messages: Sequence[Message], *, policy: RetryPolicy | None = None
) -> AsyncGenerator[LLMEvent, None]:
    """`stream_chat` on whichever host has room, carried on by another host if its host fails.

    Extra events: `waiting` (every host is full; `attempt` is the place in line, from 1) and
    `switched` (the host failed and another carries on; the content so far stays). A 503 from a
    host (its own queue full, e.g. a host shared with something else) is retried after
    `policy`'s backoff, as `stream_chat_with_retry` does.
    """
    policy = policy or RetryPolicy(base_delay=config.retry_base_delay)
    lease = uuid.uuid4().hex
    written = ""  # content already given to the caller, by any host
    avoid: set[str] = set()
    last_error: LLMError | None = None
    busy_tries = 0
    switching = False
    while True:
        url = ""
        async with contextlib.aclosing(_slot(pool, config, lease, avoid, last_error)) as waiting:
            async for step in waiting:
                if isinstance(step, str):
                    url = step
                else:
                    yield step
        if switching:
            yield LLMEvent("switched", text=SWITCHED_MESSAGE)
            switching = False
        request = _continued(messages, written) if written else list(messages)
        started = False  # this host sent something before it failed: the student is told
        try:
            async with (
                pool.holding(url, lease),
                contextlib.aclosing(stream_chat(dataclasses.replace(config, host=url), request)) as events,
            ):
                async for event in events:
                    started = True
                    if event.kind == "content":
                        written += event.text
                    elif event.kind == "done":
                        await _record_usage(pool, url, event)
                    yield event
            return
        except LLMBusy as exc:
            busy_tries += 1
            if busy_tries > policy.retries:
                raise
            delay = policy.delay(busy_tries)
            yield LLMEvent(
                "retrying",
                text=f"The tutor is busy helping other students. Trying again in about {max(1, round(delay))} s.",
                attempt=busy_tries + 1,
                retry_in=delay,
            )
            await asyncio.sleep(delay)
            last_error = exc
        except LEAVE_HOST_ON as exc:
            await pool.mark(url, exc, model=config.model)
            avoid.add(url)
            last_error = exc
            # Said only if this host had started: a host refused at once interrupted nothing.
            switching = switching or (started and not isinstance(exc, LLMModelMissing))


async def _quietly(step: Awaitable[None], what: str) -> None:
    try:
        await step
    except STORE_ERRORS:
        logger.warning("could not %s (Redis away?)", what, exc_info=True)


async def _record_usage(pool: HostPool, url: str, event: LLMEvent) -> None:
    tokens = int(event.usage.get("eval_count", 0) or 0)
    seconds = float(event.usage.get("eval_duration_ms", 0) or 0) / 1000
    try:
        await pool.store.add_usage(url, tokens, seconds)
    except Exception:  # the admin's speed figure is not worth failing an answer over
        logger.warning("could not record usage for %s", url, exc_info=True)


def _nowhere(pool: HostPool, config: LLMConfig, states: dict[str, HostState]) -> LLMError:
    """No host can serve the model: say whether they are down or lack the model."""
    reachable = [s for s in states.values() if s.reachable]
    summary = "; ".join(f"{s.url}: {s.error or 'ok'}" for s in states.values()) or "no host probed yet"
    where = ", ".join(h.url for h in pool.hosts)
    if reachable:
        return LLMModelMissing(
            "The tutor isn't set up for this problem set yet. Please tell your teacher.",
            f"No Ollama host has {config.model!r} ({summary}). Run `ollama pull {config.model}` on one of {where}.",
        )
    return LLMUnavailable(
        "The tutor isn't available right now. Please try again in a few minutes, "
        "and tell your teacher if it keeps happening.",
        f"No Ollama host answers ({summary}). Start Ollama on {where} or fix OLLAMA_HOSTS.",
    )
