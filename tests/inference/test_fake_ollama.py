"""The fake server speaks Ollama's API: the official client, sync and async, works against it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import ollama
import pytest

from inference.testing.fake_ollama import BUSY_ERROR, ChatRequest, FakeOllama, Reply, Script, tokenize

from .streams import PROBLEM

ROOT = Path(__file__).resolve().parents[2]


def test_sync_client_streams_chunks_and_a_final_line_with_usage(fake_ollama: FakeOllama) -> None:
    fake_ollama.script.reply(["The ", "answer ", "is ", "$\\boxed{5}$"])
    client = ollama.Client(host=fake_ollama.url)

    parts = list(client.chat(model="phi4", messages=[{"role": "user", "content": PROBLEM}], stream=True))

    assert "".join(p.message.content or "" for p in parts) == "The answer is $\\boxed{5}$"
    assert [p.done for p in parts] == [False] * 4 + [True]
    last = parts[-1]
    assert last.done_reason == "stop"
    assert last.eval_count == 4
    assert last.prompt_eval_count and last.prompt_eval_count > 0
    assert last.total_duration and last.eval_duration and last.load_duration and last.prompt_eval_duration


def test_wire_format_uses_ollamas_field_names(fake_ollama: FakeOllama) -> None:
    fake_ollama.script.reply(["Hi"], thinking=["hmm"])
    with httpx.stream(
        "POST",
        f"{fake_ollama.url}/api/chat",
        json={"model": "phi4", "messages": [{"role": "user", "content": "x"}]},
    ) as response:
        assert response.headers["content-type"] == "application/x-ndjson"
        lines = [json.loads(line) for line in response.iter_lines() if line]

    assert lines[0]["message"] == {"role": "assistant", "content": "", "thinking": "hmm"}
    assert lines[1]["message"] == {"role": "assistant", "content": "Hi"}
    assert set(lines[0]) == {"model", "created_at", "message", "done"}
    assert lines[0]["created_at"].endswith("Z")
    assert set(lines[-1]) >= {
        "done_reason",
        "total_duration",
        "load_duration",
        "prompt_eval_count",
        "prompt_eval_duration",
        "eval_count",
        "eval_duration",
    }


async def test_async_client_non_streaming_and_generate(fake_ollama: FakeOllama) -> None:
    fake_ollama.script.reply("Whole answer", thinking=["trace"])
    fake_ollama.script.reply("Generated text")
    client = ollama.AsyncClient(host=fake_ollama.url)

    whole = await client.chat(model="phi4", messages=[{"role": "user", "content": "x"}], stream=False)
    generated = await client.generate(model="phi4", prompt="x", stream=False)

    assert whole.message.content == "Whole answer" and whole.message.thinking == "trace" and whole.done
    assert generated.response == "Generated text" and generated.done_reason == "stop"


def test_tags_show_version_and_root(fake_ollama: FakeOllama) -> None:
    client = ollama.Client(host=fake_ollama.url)

    assert {m.model for m in client.list().models} == {
        "phi4:latest",
        "phi4-mini:latest",
        "phi4-reasoning:latest",
    }
    assert client.show("phi4-reasoning").modelinfo["phi3.context_length"] == 32768
    assert httpx.get(f"{fake_ollama.url}/api/version").json()["version"]
    assert httpx.get(fake_ollama.url).text == "Ollama is running"


def test_missing_model_is_404_with_ollamas_words(fake_ollama: FakeOllama) -> None:
    fake_ollama.remove_model("phi4")
    client = ollama.Client(host=fake_ollama.url)

    with pytest.raises(ollama.ResponseError) as raised:
        client.chat(model="phi4", messages=[{"role": "user", "content": "x"}])

    assert raised.value.status_code == 404
    assert raised.value.error == 'model "phi4" not found, try pulling it first'
    assert fake_ollama.script.pending == 0  # a refused request does not eat a scripted reply


def test_busy_is_503_when_scripted_or_when_the_queue_is_full() -> None:
    with FakeOllama(max_pending=1, tokens_per_second=20) as server:
        server.script.fail("busy")
        with pytest.raises(ollama.ResponseError) as scripted:
            ollama.Client(host=server.url).chat(model="phi4", messages=[{"role": "user", "content": "x"}])
        assert (scripted.value.status_code, scripted.value.error) == (503, BUSY_ERROR)

        with httpx.stream(
            "POST",
            f"{server.url}/api/chat",
            json={"model": "phi4", "messages": [{"role": "user", "content": PROBLEM}]},
        ) as first:
            lines = first.iter_lines()  # held: a dropped iterator would close the stream
            next(lines)  # one stream in flight
            second = httpx.post(f"{server.url}/api/chat", json={"model": "phi4", "messages": []})
        assert second.status_code == 503 and second.json() == {"error": BUSY_ERROR}


def test_error_line_mid_stream_is_a_response_error_with_status_minus_one(fake_ollama: FakeOllama) -> None:
    fake_ollama.script.fail("error_line", fault_after=2, error="model ran out of memory")
    client = ollama.Client(host=fake_ollama.url)

    received = []
    with pytest.raises(ollama.ResponseError) as raised:
        for part in client.chat(model="phi4", messages=[{"role": "user", "content": "x"}], stream=True):
            received.append(part.message.content)

    assert len(received) == 2
    assert (raised.value.status_code, raised.value.error) == (-1, "model ran out of memory")


def test_records_each_request_body(fake_ollama: FakeOllama) -> None:
    client = ollama.Client(host=fake_ollama.url)
    client.chat(
        model="phi4",
        messages=[{"role": "user", "content": PROBLEM}],
        options={"num_ctx": 16384},
        keep_alive="30m",
    )

    record = fake_ollama.last_request
    assert record.path == "/api/chat" and record.status == 200 and record.finished_at is not None
    assert record.options["num_ctx"] == 16384 and record.body["keep_alive"] == "30m"
    assert record.client_closed_at is None


def test_responder_is_a_function_of_the_request(fake_ollama: FakeOllama) -> None:
    fake_ollama.script.respond_with(lambda request: f"{request.model} got {request.options['num_ctx']}")
    reply = ollama.Client(host=fake_ollama.url).chat(
        model="phi4-mini", messages=[{"role": "user", "content": "x"}], options={"num_ctx": 999}
    )
    assert reply.message.content == "phi4-mini got 999"


def test_demo_brain_solves_demo_problems_and_never_boxes_a_hint() -> None:
    script = Script()

    def ask(system: str, user: str, model: str = "phi4") -> str:
        request = ChatRequest(
            path="/api/chat",
            model=model,
            messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
            options={},
            body={},
        )
        return "".join(script.next_reply(request).tokens)

    assert ask("Task: write a complete worked solution.", PROBLEM).endswith("$\\boxed{5}$")
    assert "\\boxed{24\\ \\text{km/h}}" in ask("solution", "A cyclist rides 12 km in 30 minutes. Speed?")
    assert "\\boxed" not in ask("Task: give ONE Socratic hint.", PROBLEM)
    assert ask("solution", PROBLEM, model="phi4-reasoning").startswith("<think>")
    assert "\\boxed" in ask("solution", "Something the demo does not know")


def test_tokenize_round_trips() -> None:
    text = "1. Subtract $7$:\n\n  $3x = 15$ "
    assert "".join(tokenize(text)) == text
    assert Reply.text(text).tokens == tokenize(text)


def test_runs_as_a_separate_process() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "inference.testing.fake_ollama", "--port", "0", "--tokens-per-second", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        url = banner.rsplit(" ", 1)[-1].strip()
        assert url.startswith("http://127.0.0.1:"), banner
        reply = ollama.Client(host=url).chat(model="phi4", messages=[{"role": "user", "content": PROBLEM}])
        assert "\\boxed{5}" in (reply.message.content or "")
    finally:
        process.terminate()
        assert process.wait(10) == 0
