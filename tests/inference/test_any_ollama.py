"""Assertions that hold for any phi4, so they also run against a real Ollama:

    OLLAMA_TEST_REAL=1 OLLAMA_HOST=http://127.0.0.1:11434 .venv/bin/python -m pytest tests/inference -p no:django

(scripted-only tests skip themselves then; see docs/ollama.md).
"""

from __future__ import annotations

from inference.llm import LLMConfig, build_messages, health, stream_chat
from inference.testing.pytest_plugin import OllamaTarget

from .streams import PROBLEM


async def test_a_solution_streams_and_ends_with_done(ollama_target: OllamaTarget) -> None:
    config = LLMConfig(host=ollama_target.url, model=ollama_target.model, num_predict=1024, read_timeout=120)
    messages = build_messages(mode="solution", problem_statement=PROBLEM, history=[], config=config)

    events = [e async for e in stream_chat(config, messages)]

    content = "".join(e.text for e in events if e.kind == "content")
    assert content.strip()
    assert events[-1].kind == "done" and events[-1].usage["eval_count"] > 0
    if not events[-1].truncated:
        assert "\\boxed" in content


async def test_health_reports_the_model_pulled(ollama_target: OllamaTarget) -> None:
    report = await health(LLMConfig(host=ollama_target.url, model=ollama_target.model))
    assert report["reachable"] and report["model_pulled"], report
