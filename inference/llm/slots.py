"""Where the hosts' slots, waiting lines, health and usage live: Redis, shared by every web
process and worker (`RedisStore`), or the memory of the one process of the embedded default
(`MemoryStore`). The routing that uses them is hosts.py."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from redis.exceptions import RedisError

from .client import has_model

MAX_CAPACITY = 256
# What a store raises when Redis is away: the routing then streams without a slot rather than
# failing the student (hosts.py).
STORE_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError)


@dataclass(frozen=True)
class Host:
    url: str
    # Streams at once; None: no limit (one host and no OLLAMA_HOSTS: today's single-host setup).
    capacity: int | None


@dataclass
class HostState:
    """What is known of a host's health: from the last probe, or from an error a stream met since."""

    url: str
    reachable: bool
    models: list[str] = field(default_factory=list)
    version: str | None = None
    error: str | None = None
    checked_at: float = 0.0
    # "probe" or "stream": who found this out.
    source: str = "probe"

    def serves(self, model: str) -> bool:
        return self.reachable and has_model(self.models, model)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str | bytes) -> HostState:
        return cls(**json.loads(text))


class SlotStore(Protocol):
    """Slots, waiting lines, host states and usage: shared by every process (Redis) or by one."""

    async def try_acquire(
        self, *, model: str, lease: str, hosts: Sequence[Host], lease_seconds: float, waiter_seconds: float
    ) -> tuple[str | None, int]: ...
    async def renew(self, url: str, lease: str, lease_seconds: float) -> None: ...
    async def release(self, url: str, lease: str) -> None: ...
    async def leave_line(self, model: str, lease: str) -> None: ...
    async def in_use(self, url: str) -> int: ...
    async def line_length(self, model: str) -> int: ...
    async def states(self) -> dict[str, HostState]: ...
    async def put_state(self, state: HostState) -> None: ...
    async def claim_probe(self, url: str, seconds: float) -> bool: ...
    async def add_usage(self, url: str, tokens: int, seconds: float) -> None: ...
    async def usage(self, url: str, window_seconds: int) -> tuple[int, float, int]: ...


# KEYS: the model's line, its waiters' expiry, then one slot set per host.
# ARGV: lease id, lease seconds, waiter seconds, then each host's capacity (same order as KEYS[3..]).
# Returns {index of the host taken (0: none), place in line}.
_ACQUIRE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local lease = ARGV[1]
local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for _, waiter in ipairs(gone) do
  redis.call('ZREM', KEYS[1], waiter)
  redis.call('ZREM', KEYS[2], waiter)
end
if not redis.call('ZSCORE', KEYS[1], lease) then
  redis.call('ZADD', KEYS[1], now, lease)
end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), lease)
redis.call('EXPIRE', KEYS[1], 3600)
redis.call('EXPIRE', KEYS[2], 3600)
local place = redis.call('ZRANK', KEYS[1], lease)
local free_total = 0
local best = 0
local best_free = 0
for i = 3, #KEYS do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
  local free = tonumber(ARGV[i + 1]) - redis.call('ZCARD', KEYS[i])
  if free > 0 then
    free_total = free_total + free
    if free > best_free then
      best = i
      best_free = free
    end
  end
end
if best > 0 and place < free_total then
  redis.call('ZADD', KEYS[best], now + tonumber(ARGV[2]), lease)
  redis.call('EXPIRE', KEYS[best], 3600)
  redis.call('ZREM', KEYS[1], lease)
  redis.call('ZREM', KEYS[2], lease)
  return {best - 2, place}
end
return {0, place}
"""


class RedisStore:
    """The shared store: every key under `prefix`, so test runs and deployments don't mix."""

    def __init__(self, url: str, prefix: str) -> None:
        self.url = url
        self.prefix = prefix
        # redis.asyncio connections belong to the event loop that opened them: one client per loop.
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def _client(self) -> Any:
        import redis.asyncio

        loop = asyncio.get_running_loop()
        with self._lock:
            client = self._clients.get(loop)
            if client is None:
                client = redis.asyncio.Redis.from_url(
                    self.url, socket_timeout=5, socket_connect_timeout=5, health_check_interval=30
                )
                self._clients[loop] = client
            return client

    def _key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    async def try_acquire(
        self, *, model: str, lease: str, hosts: Sequence[Host], lease_seconds: float, waiter_seconds: float
    ) -> tuple[str | None, int]:
        if not hosts:
            return None, 0
        keys = [
            self._key("line", model),
            self._key("waiters", model),
            *(self._key("slots", h.url) for h in hosts),
        ]
        args = [lease, lease_seconds, waiter_seconds, *(h.capacity or MAX_CAPACITY for h in hosts)]
        index, place = await self._client().eval(_ACQUIRE, len(keys), *keys, *args)
        return (hosts[int(index) - 1].url if int(index) else None), int(place)

    async def renew(self, url: str, lease: str, lease_seconds: float) -> None:
        client = self._client()
        seconds, micros = await client.time()
        await client.zadd(self._key("slots", url), {lease: seconds + micros / 1e6 + lease_seconds}, xx=True)

    async def release(self, url: str, lease: str) -> None:
        await self._client().zrem(self._key("slots", url), lease)

    async def leave_line(self, model: str, lease: str) -> None:
        client = self._client()
        await client.zrem(self._key("line", model), lease)
        await client.zrem(self._key("waiters", model), lease)

    async def in_use(self, url: str) -> int:
        client = self._client()
        seconds, micros = await client.time()
        return int(await client.zcount(self._key("slots", url), seconds + micros / 1e6, "+inf"))

    async def line_length(self, model: str) -> int:
        client = self._client()
        seconds, micros = await client.time()
        return int(await client.zcount(self._key("waiters", model), seconds + micros / 1e6, "+inf"))

    async def states(self) -> dict[str, HostState]:
        raw = await self._client().hgetall(self._key("state"))
        return {k.decode(): HostState.from_json(v) for k, v in raw.items()}

    async def put_state(self, state: HostState) -> None:
        await self._client().hset(self._key("state"), state.url, state.to_json())

    async def claim_probe(self, url: str, seconds: float) -> bool:
        return bool(await self._client().set(self._key("probing", url), "1", nx=True, px=int(seconds * 1000)))

    async def add_usage(self, url: str, tokens: int, seconds: float) -> None:
        minute = int(time.time() // 60)
        key = self._key("usage", url, str(minute))
        client = self._client()
        async with client.pipeline(transaction=False) as pipe:
            pipe.hincrby(key, "answers", 1)
            pipe.hincrby(key, "tokens", tokens)
            pipe.hincrbyfloat(key, "seconds", seconds)
            pipe.expire(key, 3700)
            await pipe.execute()

    async def usage(self, url: str, window_seconds: int) -> tuple[int, float, int]:
        """(tokens, seconds spent generating them, answers) over the last `window_seconds`."""
        minute = int(time.time() // 60)
        client = self._client()
        async with client.pipeline(transaction=False) as pipe:
            for m in range(minute - window_seconds // 60 + 1, minute + 1):
                pipe.hgetall(self._key("usage", url, str(m)))
            buckets = await pipe.execute()
        tokens = sum(int(b.get(b"tokens", 0)) for b in buckets)
        seconds = sum(float(b.get(b"seconds", 0)) for b in buckets)
        answers = sum(int(b.get(b"answers", 0)) for b in buckets)
        return tokens, seconds, answers


class MemoryStore:
    """The same bookkeeping for one process (the embedded default, with no Redis)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: dict[str, dict[str, float]] = {}
        self._lines: dict[str, dict[str, tuple[float, float]]] = {}  # model -> lease -> (arrived, expires)
        self._states: dict[str, HostState] = {}
        self._probing: dict[str, float] = {}
        self._usage: dict[str, list[tuple[float, int, float]]] = {}

    async def try_acquire(
        self, *, model: str, lease: str, hosts: Sequence[Host], lease_seconds: float, waiter_seconds: float
    ) -> tuple[str | None, int]:
        now = time.time()
        with self._lock:
            line = self._lines.setdefault(model, {})
            for waiter, (_, expires) in list(line.items()):
                if expires <= now:
                    del line[waiter]
            arrived = line[lease][0] if lease in line else now
            line[lease] = (arrived, now + waiter_seconds)
            place = sorted(line, key=lambda w: line[w][0]).index(lease)
            best, best_free, free_total = None, 0, 0
            for host in hosts:
                slots = self._slots.setdefault(host.url, {})
                for held, expires in list(slots.items()):
                    if expires <= now:
                        del slots[held]
                free = (host.capacity or MAX_CAPACITY) - len(slots)
                if free > 0:
                    free_total += free
                    if free > best_free:
                        best, best_free = host, free
            if best is not None and place < free_total:
                self._slots[best.url][lease] = now + lease_seconds
                del line[lease]
                return best.url, place
            return None, place

    async def renew(self, url: str, lease: str, lease_seconds: float) -> None:
        with self._lock:
            slots = self._slots.setdefault(url, {})
            if lease in slots:
                slots[lease] = time.time() + lease_seconds

    async def release(self, url: str, lease: str) -> None:
        with self._lock:
            self._slots.get(url, {}).pop(lease, None)

    async def leave_line(self, model: str, lease: str) -> None:
        with self._lock:
            self._lines.get(model, {}).pop(lease, None)

    async def in_use(self, url: str) -> int:
        now = time.time()
        with self._lock:
            return sum(expires > now for expires in self._slots.get(url, {}).values())

    async def line_length(self, model: str) -> int:
        now = time.time()
        with self._lock:
            return sum(expires > now for _, expires in self._lines.get(model, {}).values())

    async def states(self) -> dict[str, HostState]:
        with self._lock:
            return {url: dataclasses.replace(state) for url, state in self._states.items()}

    async def put_state(self, state: HostState) -> None:
        with self._lock:
            self._states[state.url] = state

    async def claim_probe(self, url: str, seconds: float) -> bool:
        now = time.time()
        with self._lock:
            if self._probing.get(url, 0) > now:
                return False
            self._probing[url] = now + seconds
            return True

    async def add_usage(self, url: str, tokens: int, seconds: float) -> None:
        with self._lock:
            self._usage.setdefault(url, []).append((time.time(), tokens, seconds))

    async def usage(self, url: str, window_seconds: int) -> tuple[int, float, int]:
        since = time.time() - window_seconds
        with self._lock:
            rows = [row for row in self._usage.get(url, []) if row[0] >= since]
            self._usage[url] = rows
        return sum(r[1] for r in rows), sum(r[2] for r in rows), len(rows)
