"""Several Ollama hosts (issue 17): OLLAMA_HOSTS, slots per host in Redis, health, takeover.

The hosts are the Ollama-compatible test server (inference/testing/fake_ollama.py), each capped
like a real one (`max_pending`: 503 beyond) and recording the most requests it had open at once.
Two pools with their own Redis connections stand for two processes here; tests/scaling/
test_processes.py runs real web processes and workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import Iterator

import pytest

from inference.llm import (
    Host,
    HostPool,
    LLMConfig,
    LLMModelMissing,
    LLMUnavailable,
    MemoryStore,
    RedisStore,
    parse_hosts,
    stream_chat_routed,
)
from inference.testing.fake_ollama import FakeOllama, tokenize
from tests.conftest import services_missing

ANSWER = "Subtract 3 from both sides, then divide by 2. The answer is 2."
MESSAGES = [{"role": "user", "content": "Solve 2x + 3 = 7."}]


def test_ollama_hosts_are_read_with_their_capacities() -> None:
    hosts = parse_hosts(" http://gpu1:11434=2, gpu2:11434 ,https://gpu3/=8,", default_capacity=4)
    assert hosts == (
        Host("http://gpu1:11434", 2),
        Host("http://gpu2:11434", 4),
        Host("https://gpu3", 8),
    )
    assert parse_hosts("", default_capacity=4) == ()


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("http://a:11434=two", "not a number"),
        ("http://a:11434=0", "capacity must be"),
        ("http://a:11434=1000", "capacity must be"),
        ("ftp://a:21=2", "expected a URL"),
        ("http://a:11434=2,http://a:11434=3", "twice"),
    ],
)
def test_a_bad_ollama_hosts_entry_is_refused_by_name(value: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_hosts(value, default_capacity=4)


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL")
    if not url:
        services_missing("Redis (the hosts' slots are shared through it)")
    return url  # type: ignore[return-value]


@pytest.fixture
def prefix() -> str:
    return f"tutor-test-{uuid.uuid4().hex[:8]}:ollama"


@contextlib.contextmanager
def _hosts(count: int, **options) -> Iterator[list[FakeOllama]]:
    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(FakeOllama(**options)) for _ in range(count)]
        for server in servers:
            server.script.respond_with(lambda request: ANSWER)
        yield servers


def _pool(hosts: list[Host], redis_url: str, prefix: str, **options) -> HostPool:
    # A store of its own: its own Redis connections, as another process would have.
    return HostPool(hosts=tuple(hosts), store=RedisStore(redis_url, prefix), **options)


async def _answer(pool: HostPool, *, model: str = "phi4") -> tuple[str, list[str]]:
    """The content of one routed stream, and the status events it gave on the way."""
    config = LLMConfig(host=pool.hosts[0].url, model=model, read_timeout=5, retry_base_delay=0.01)
    content, said = "", []
    async with contextlib.aclosing(stream_chat_routed(pool, config, MESSAGES)) as events:
        async for event in events:
            if event.kind == "content":
                content += event.text
            elif event.kind in ("waiting", "switched", "retrying"):
                said.append(event.kind)
    return content, said


async def test_no_host_gets_more_streams_than_its_capacity_from_two_processes(
    redis_url: str, prefix: str
) -> None:
    with _hosts(2, tokens_per_second=200, max_pending=2) as servers:
        hosts = [Host(s.url, 2) for s in servers]
        pools = [_pool(hosts, redis_url, prefix), _pool(hosts, redis_url, prefix)]
        results = await asyncio.gather(*(_answer(pools[i % 2]) for i in range(12)))
    assert [content for content, _ in results] == [ANSWER] * 12
    for server in servers:
        assert server.peak_in_flight == 2, "each host should be used up to its capacity, never past it"
        assert server.refused_full == 0
    # 12 asks on 4 slots: the others waited in line and were told so.
    assert sum("waiting" in said for _, said in results) >= 8
    assert all("retrying" not in said for _, said in results)


async def test_without_the_slots_the_hosts_are_overrun(redis_url: str, prefix: str) -> None:
    """The test above can fail: a capacity above the hosts' real one lets them refuse streams."""
    with _hosts(2, tokens_per_second=200, max_pending=2) as servers:
        hosts = [Host(s.url, 6) for s in servers]
        pool = _pool(hosts, redis_url, prefix)
        await asyncio.gather(*(_answer(pool) for _ in range(12)), return_exceptions=True)
    assert sum(s.refused_full for s in servers) > 0


async def test_a_host_without_the_model_is_routed_around_and_shown_to_the_admin(
    redis_url: str, prefix: str
) -> None:
    with _hosts(1, tokens_per_second=500) as (good,), FakeOllama(models=["phi4-mini"]) as bare:
        pool = _pool([Host(bare.url, 2), Host(good.url, 2)], redis_url, prefix)
        results = await asyncio.gather(*(_answer(pool) for _ in range(4)))
        rows = {row["url"]: row for row in await pool.snapshot("phi4")}
    assert [content for content, _ in results] == [ANSWER] * 4
    assert bare.chat_requests == [], "the probe found phi4 missing, so no stream was sent there"
    assert rows[bare.url]["reachable"] is True
    assert rows[bare.url]["serves_model"] is False
    assert "ollama pull phi4" in rows[bare.url]["error"]
    assert rows[good.url]["serves_model"] is True
    assert rows[good.url]["answers_last_hour"] == 4


async def test_a_host_that_loses_the_model_after_its_probe_is_left_out_at_the_first_404(
    redis_url: str, prefix: str
) -> None:
    with _hosts(2, tokens_per_second=500) as (first, second):
        pool = _pool([Host(first.url, 4), Host(second.url, 1)], redis_url, prefix)
        await pool.fresh_states("phi4")  # both probed with phi4 pulled
        first.remove_model("phi4")
        content, _ = await _answer(pool)
        content_again, _ = await _answer(pool)
    assert content == content_again == ANSWER
    assert [r.status for r in first.chat_requests] == [404], "tried once, then left out"
    assert len(second.chat_requests) == 2


async def test_a_host_that_is_down_is_routed_around(redis_url: str, prefix: str) -> None:
    with _hosts(1, tokens_per_second=500) as (good,):
        down = _closed_port_url()
        pool = _pool([Host(down, 2), Host(good.url, 2)], redis_url, prefix)
        results = await asyncio.gather(*(_answer(pool) for _ in range(3)))
        rows = {row["url"]: row for row in await pool.snapshot("phi4")}
    assert [content for content, _ in results] == [ANSWER] * 3
    assert all("switched" not in said for _, said in results), "nothing was shown, so nothing was interrupted"
    assert rows[down]["reachable"] is False
    assert "Could not connect" in rows[down]["error"]


async def test_a_host_that_went_down_since_its_check_is_left_out_without_a_word_to_the_student(
    redis_url: str, prefix: str
) -> None:
    with _hosts(2, tokens_per_second=500) as (first, second):
        pool = _pool([Host(first.url, 4), Host(second.url, 1)], redis_url, prefix)
        await pool.fresh_states("phi4")  # both well
        first.stop()
        content, said = await _answer(pool)
        content_again, said_again = await _answer(pool)
    assert content == content_again == ANSWER
    assert said == said_again == [], "nothing had been shown, so nothing was 'interrupted'"
    assert len(second.chat_requests) == 2


async def test_with_no_host_left_the_student_gets_the_usual_errors(redis_url: str, prefix: str) -> None:
    pool = _pool([Host(_closed_port_url(), 2)], redis_url, prefix)
    with pytest.raises(LLMUnavailable):
        await _answer(pool)
    with FakeOllama(models=["phi4-mini"]) as bare:
        pool = _pool([Host(bare.url, 2)], redis_url, prefix)
        with pytest.raises(LLMModelMissing) as missing:
            await _answer(pool)
    assert "ollama pull phi4" in missing.value.admin_hint


async def test_a_host_that_dies_mid_stream_is_taken_over_and_the_text_continues(
    redis_url: str, prefix: str
) -> None:
    with _hosts(2, tokens_per_second=500) as (first, second):
        pool = _pool([Host(first.url, 1), Host(second.url, 1)], redis_url, prefix)
        await pool.fresh_states("phi4")
        # The first host (most free slots, first listed) cuts the connection after 5 chunks.
        first.script.reply(tokenize(ANSWER), fault="cut", fault_after=5)
        content, said = await _answer(pool)
    assert content == ANSWER, "the student's text goes on where it stopped, nothing repeated"
    assert said == ["switched"]
    written = "".join(tokenize(ANSWER)[:5])
    assert second.last_request.body["messages"][-1] == {"role": "assistant", "content": written}


async def test_a_waiting_stream_that_is_stopped_leaves_the_line(redis_url: str, prefix: str) -> None:
    with _hosts(1, tokens_per_second=20) as (host,):
        pool = _pool([Host(host.url, 1)], redis_url, prefix)
        first = asyncio.ensure_future(_answer(pool))
        await asyncio.sleep(0.3)
        waiting = asyncio.ensure_future(_answer(pool))
        await asyncio.sleep(0.3)
        assert await pool.store.line_length("phi4") == 1
        waiting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiting
        assert await pool.store.line_length("phi4") == 0
        assert await pool.store.in_use(host.url) == 1
        await first
        assert await pool.store.in_use(host.url) == 0


async def test_without_redis_one_process_keeps_to_the_capacities_too() -> None:
    with _hosts(2, tokens_per_second=200, max_pending=2) as servers:
        pool = HostPool(hosts=tuple(Host(s.url, 2) for s in servers), store=MemoryStore())
        results = await asyncio.gather(*(_answer(pool) for _ in range(8)))
    assert [content for content, _ in results] == [ANSWER] * 8
    assert [s.peak_in_flight for s in servers] == [2, 2]


async def test_with_redis_away_answers_still_stream_without_slots(prefix: str) -> None:
    """Redis down (restarting): no slots can be taken or given back, and no line kept, but the
    student's answer still streams, on a host picked at random, instead of failing."""
    with _hosts(2, tokens_per_second=500) as servers:
        pool = _pool([Host(s.url, 2) for s in servers], _closed_port_url().replace("http", "redis"), prefix)
        results = await asyncio.gather(*(_answer(pool) for _ in range(4)))
    assert [content for content, _ in results] == [ANSWER] * 4
    assert sum(len(s.chat_requests) for s in servers) == 4
