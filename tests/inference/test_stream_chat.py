"""The Ollama layer, driving the official client against the fake server."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time

import pytest

from inference.llm import (
    LLMBusy,
    LLMConfig,
    LLMModelMissing,
    LLMServerError,
    LLMStalled,
    LLMStreamError,
    LLMTimeout,
    LLMUnavailable,
    RetryPolicy,
    build_messages,
    health,
    list_models,
    stream_chat,
    stream_chat_with_retry,
)
from inference.testing.fake_ollama import FakeOllama

from .streams import MESSAGES, PROBLEM, collect, text_of

FAST_RETRY = RetryPolicy(retries=3, base_delay=0.01, jitter=0)


def config_for(server: FakeOllama, **overrides: object) -> LLMConfig:
    return LLMConfig(host=server.url, **overrides)  # type: ignore[arg-type]


async def test_stream_assembles_text_and_ends_with_usage(fake_ollama: FakeOllama) -> None:
    fake_ollama.script.reply(["1. ", "Subtract $7$. ", "**Final answer:** ", "$\\boxed{5}$"])

    events = await collect(config_for(fake_ollama))

    assert text_of(events) == "1. Subtract $7$. **Final answer:** $\\boxed{5}$"
    done = events[-1]
    assert done.kind == "done" and done.done_reason == "stop" and not done.truncated
    assert [e.kind for e in events].count("done") == 1
    assert done.usage["eval_count"] == 4
    assert done.usage["prompt_eval_count"] > 0
    assert done.usage["total_duration_ms"] > 0 and done.usage["eval_duration_ms"] > 0
    assert done.usage["tokens_per_second"] > 0


async def test_sends_num_ctx_num_predict_and_keep_alive(fake_ollama: FakeOllama) -> None:
    await collect(LLMConfig(host=fake_ollama.url, model="phi4-reasoning", keep_alive="1h", temperature=0.2))

    body = fake_ollama.last_request.body
    assert body["model"] == "phi4-reasoning"
    assert body["keep_alive"] == "1h"
    assert body["options"] == {"num_ctx": 32768, "num_predict": 8192, "temperature": 0.2}


async def test_inline_think_split_across_chunks(fake_ollama: FakeOllama) -> None:
    fake_ollama.script.reply(["<thi", "nk>Subtract 7, ", "then divide.</th", "ink>\n\n", "$x = 5$"])

    events = await collect(config_for(fake_ollama, model="phi4-reasoning"))

    assert text_of(events, "thinking") == "Subtract 7, then divide."
    assert text_of(events) == "$x = 5$"
    assert "<" not in text_of(events) + text_of(events, "thinking")


async def test_message_thinking_field_becomes_thinking_events(fake_ollama: FakeOllama) -> None:
    fake_ollama.script.reply(["$x = 5$"], thinking=["Subtract ", "7."])

    events = await collect(config_for(fake_ollama))

    assert [e.kind for e in events] == ["thinking", "thinking", "content", "done"]
    assert text_of(events, "thinking") == "Subtract 7."


async def test_done_reason_length_is_truncated(fake_ollama: FakeOllama) -> None:
    fake_ollama.script.reply(["1. Subtract ", "7 from"], done_reason="length")

    done = (await collect(config_for(fake_ollama)))[-1]

    assert done.kind == "done" and done.done_reason == "length" and done.truncated


async def test_missing_model_names_the_pull_command(fake_ollama: FakeOllama) -> None:
    fake_ollama.remove_model("phi4-mini")

    with pytest.raises(LLMModelMissing) as raised:
        await collect(config_for(fake_ollama, model="phi4-mini"))

    # The student is told what to do; the command is for the admin.
    assert (
        raised.value.user_message
        == "The tutor isn't set up for this problem set yet. Please tell your teacher."
    )
    assert "ollama pull phi4-mini" in raised.value.admin_hint
    assert 'model "phi4-mini" not found' in raised.value.admin_hint
    assert raised.value.code == "llm_model_missing" and not raised.value.retryable


async def test_busy_is_retried_then_succeeds_with_retrying_events(fake_ollama: FakeOllama) -> None:
    fake_ollama.script.fail("busy", times=2)
    fake_ollama.script.reply("$\\boxed{5}$")

    events = [e async for e in stream_chat_with_retry(config_for(fake_ollama), MESSAGES, policy=FAST_RETRY)]

    assert [e.kind for e in events][:2] == ["retrying", "retrying"]
    assert [e.attempt for e in events[:2]] == [2, 3]
    assert "busy" in events[0].text
    assert text_of(events) == "$\\boxed{5}$"
    assert len(fake_ollama.chat_requests) == 3


async def test_busy_every_time_gives_llm_busy_after_bounded_retries(fake_ollama: FakeOllama) -> None:
    fake_ollama.script.fail("busy", times=10)

    retrying = []
    with pytest.raises(LLMBusy) as raised:
        async for event in stream_chat_with_retry(config_for(fake_ollama), MESSAGES, policy=FAST_RETRY):
            retrying.append(event)

    assert len(retrying) == 3 and all(e.kind == "retrying" for e in retrying)
    assert len(fake_ollama.chat_requests) == 4
    assert raised.value.retryable and raised.value.code == "llm_busy"
    assert [round(RetryPolicy(jitter=0).delay(n), 3) for n in (1, 2, 3)] == [0.5, 1.0, 2.0]


async def test_no_retry_once_tokens_were_sent(fake_ollama: FakeOllama) -> None:
    fake_ollama.script.fail("error_line", fault_after=2)
    policy = RetryPolicy(retries=3, base_delay=0.01, retry_on=(LLMBusy, LLMStreamError))

    with pytest.raises(LLMStreamError):
        async for _ in stream_chat_with_retry(config_for(fake_ollama), MESSAGES, policy=policy):
            pass

    assert len(fake_ollama.chat_requests) == 1


async def test_error_line_is_a_stream_error(fake_ollama: FakeOllama) -> None:
    fake_ollama.script.fail("error_line", fault_after=3, error="llama runner process has terminated")

    with pytest.raises(LLMStreamError) as raised:
        await collect(config_for(fake_ollama))

    assert "llama runner process has terminated" in raised.value.admin_hint
    assert raised.value.user_message and "llama" not in raised.value.user_message


async def test_other_http_errors_are_server_errors(fake_ollama: FakeOllama) -> None:
    fake_ollama.script.fail("http_error", status=500, error="model requires more system memory")

    with pytest.raises(LLMServerError) as raised:
        await collect(config_for(fake_ollama))

    assert "500" in raised.value.admin_hint and "more system memory" in raised.value.admin_hint


async def test_cut_stream_is_a_stream_error(fake_ollama: FakeOllama) -> None:
    fake_ollama.script.fail("cut", fault_after=2)

    received = []
    with pytest.raises(LLMStreamError):
        async for event in stream_chat(config_for(fake_ollama), MESSAGES):
            received.append(event)

    assert len(received) == 2 and all(e.kind == "content" for e in received)


async def test_body_ending_without_the_done_line_is_a_stream_error(fake_ollama: FakeOllama) -> None:
    fake_ollama.script.fail("eof", fault_after=2)

    with pytest.raises(LLMStreamError) as raised:
        await collect(config_for(fake_ollama))

    assert "without its final line" in raised.value.admin_hint


async def test_stall_mid_stream_ends_within_read_timeout(fake_ollama: FakeOllama) -> None:
    fake_ollama.script.fail("stall", fault_after=2)
    started = time.monotonic()

    with pytest.raises(LLMStalled) as raised:
        await collect(config_for(fake_ollama, read_timeout=0.5))

    assert 0.45 < time.monotonic() - started < 2.0
    assert "0.5 s" in raised.value.admin_hint
    # Giving up also hangs up, so a real Ollama would stop generating.
    assert fake_ollama.wait_for_client_close(timeout=1.0).fault == "stall"


async def test_silence_before_the_first_byte_is_a_timeout(fake_ollama: FakeOllama) -> None:
    fake_ollama.script.reply("late", delay=5.0)

    with pytest.raises(LLMTimeout):
        await collect(config_for(fake_ollama, read_timeout=0.3))


async def test_nothing_listening_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The port is free again and nothing listens on it.
    config = LLMConfig(host=f"http://127.0.0.1:{port}", connect_timeout=1.0)

    with pytest.raises(LLMUnavailable) as raised:
        await collect(config)

    assert "isn't available right now" in raised.value.user_message
    assert "127.0.0.1" not in raised.value.user_message and "ollama" not in raised.value.user_message.lower()
    assert f"Could not connect to Ollama at http://127.0.0.1:{port}" in raised.value.admin_hint
    assert raised.value.retryable

    with pytest.raises(LLMUnavailable):
        await list_models(config)
    report = await health(config)
    assert report["reachable"] is False and report["error"]["code"] == "llm_unavailable"


async def test_cancelling_the_task_closes_the_connection_promptly(fake_ollama: FakeOllama) -> None:
    fake_ollama.script.reply(["word "] * 200, tokens_per_second=20)
    first_token = asyncio.Event()

    async def consume() -> None:
        async for _ in stream_chat(config_for(fake_ollama), MESSAGES):
            first_token.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first_token.wait(), 2)
    cancelled_at = time.monotonic()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task

    record = await asyncio.to_thread(fake_ollama.wait_for_client_close, 1.0)
    assert record.client_closed_at is not None
    assert record.client_closed_at - cancelled_at < 1.0
    assert record.finished_at is None and record.chunks_sent < 200


async def test_closing_the_iterator_closes_the_connection_promptly(fake_ollama: FakeOllama) -> None:
    fake_ollama.script.reply(["word "] * 200, tokens_per_second=20)

    async with contextlib.aclosing(stream_chat(config_for(fake_ollama), MESSAGES)) as events:
        async for _ in events:
            break
        closed_at = time.monotonic()

    record = await asyncio.to_thread(fake_ollama.wait_for_client_close, 1.0)
    assert record.client_closed_at is not None and record.client_closed_at - closed_at < 1.0


async def test_list_models_and_health(fake_ollama: FakeOllama) -> None:
    config = config_for(fake_ollama)
    assert "phi4:latest" in await list_models(config)

    report = await health(config)
    assert report["reachable"] and report["model_pulled"] and report["version"] and report["error"] is None

    fake_ollama.remove_model("phi4")
    report = await health(config)
    assert report["reachable"] and not report["model_pulled"]
    assert "ollama pull phi4" in report["error"]["admin_hint"]


@pytest.mark.parametrize(
    ("mode", "attempt", "boxed"),
    [("solution", None, True), ("hint", None, False), ("feedback", "3x = 29, so x = 29/3", False)],
)
async def test_demo_brain_follows_our_prompts(
    fake_ollama: FakeOllama, mode: str, attempt: str | None, boxed: bool
) -> None:
    config = config_for(fake_ollama)
    messages = build_messages(
        mode=mode,  # type: ignore[arg-type]
        problem_statement=PROBLEM,
        history=[],
        config=config,
        student_attempt=attempt,
    )

    content = text_of(await collect(config, messages))

    assert ("\\boxed{5}" in content) is boxed
