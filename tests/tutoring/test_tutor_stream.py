"""The tutor end to end: a student's socket, the generation job, the checker and an
Ollama-compatible server speaking the real HTTP protocol (started by the tests)."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from tests import factories
from tests.conftest import Personas
from tests.tutoring.fake import FakeLLM, solution_tokens
from tests.tutoring.sockets import socket_for
from tutor.tutoring import dispatch
from tutor.tutoring.leaks.gate import GENERIC_HINT
from tutor.tutoring.models import Flag, Message, TutoringSession, Verification

pytestmark = pytest.mark.django_db(transaction=True)

CORRECT = "We subtract $3$ from both sides: $2x = 4$. Dividing by $2$ gives the value of $x$.\n\n**Final answer:** $\\boxed{2}$"
WRONG = "We add $3$ to both sides: $2x = 10$. Dividing by $2$ gives the value of $x$.\n\n**Final answer:** $\\boxed{5}$"


async def frames_until_done(ws: WebsocketCommunicator, message_id: int, limit: float = 15) -> list[dict]:
    frames = []
    deadline = time.monotonic() + limit
    while True:
        frame = await ws.receive_json_from(timeout=max(0.1, deadline - time.monotonic()))
        frames.append(frame)
        if frame.get("type") == "done" and frame.get("message_id") == message_id:
            return frames


async def open_and_ask(
    ws: WebsocketCommunicator, problem_id: int, mode: str = "solution", text: str = ""
) -> int:
    await ws.send_json_to({"type": "open", "problem_id": problem_id})
    session = await ws.receive_json_from(timeout=5)
    assert session["type"] == "session", session
    await ws.send_json_to({"type": "ask", "mode": mode, "request_id": str(uuid.uuid4()), "text": text})
    accepted = await ws.receive_json_from(timeout=5)
    assert accepted["type"] == "accepted", accepted
    return accepted["message_id"]


def visible_text(frames: list[dict]) -> str:
    text = ""
    for frame in frames:
        if frame["type"] == "reset":
            text = ""
        elif frame["type"] == "delta":
            text += frame["text"]
    return text


async def test_solution_streams_is_verified_and_stored(
    solutions_allowed: Personas, fake_llm: FakeLLM
) -> None:
    personas = solutions_allowed
    personas.problem.answer = "4/2"  # a key whose text would stand out in a prompt
    await sync_to_async(personas.problem.save)()
    fake_llm.reply(solution_tokens(CORRECT))
    async with socket_for(personas.student) as ws:
        message_id = await open_and_ask(ws, personas.problem.pk)
        frames = await frames_until_done(ws, message_id)
    kinds = [f["type"] for f in frames]
    assert kinds[0] == "start"
    assert kinds.count("delta") >= 2, "the solution should arrive in several deltas"
    assert [f["seq"] for f in frames] == list(range(len(frames))), "events are numbered without gaps"
    verification = next(f for f in frames if f["type"] == "verification")
    assert verification["status"] == "verified"
    assert verification["final_answer"] == "2"
    # Nothing of the final answer is shown before the verification frame.
    before = visible_text(frames[: frames.index(verification) - 1])
    assert "boxed" not in before
    assert visible_text(frames) == CORRECT
    done = frames[-1]
    assert done["status"] == "complete"
    assert done["usage"]["eval_count"] > 0

    message = await sync_to_async(Message.objects.get)(pk=message_id)
    assert message.content == CORRECT
    assert message.final_answer == "2"
    assert message.verification == "verified"
    assert message.status == "complete"
    assert message.usage["eval_count"] > 0
    checks = await sync_to_async(list)(
        Verification.objects.filter(message_id=message_id).values("status", "equivalent")
    )
    assert checks == [{"status": "correct", "equivalent": True}]
    assert await sync_to_async(Verification.objects.filter(message_id=message_id, gold="4/2").exists)()
    request = fake_llm.requests[-1]
    assert request["options"]["num_ctx"] >= 4096
    assert "2x + 3 = 7" in str(request["messages"])
    assert "4/2" not in str(request["messages"]), "the answer key never goes into a prompt"


async def test_wrong_answer_is_regenerated_then_shown_unverified_and_flagged(
    solutions_allowed: Personas, fake_llm: FakeLLM
) -> None:
    personas = solutions_allowed
    for _ in range(3):
        fake_llm.reply(solution_tokens(WRONG))
    async with socket_for(personas.student) as ws:
        message_id = await open_and_ask(ws, personas.problem.pk)
        frames = await frames_until_done(ws, message_id, limit=30)
    assert [f["type"] for f in frames].count("reset") == 2
    verification = next(f for f in frames if f["type"] == "verification")
    assert verification["status"] == "unverified"
    assert not any(f.get("status") == "verified" for f in frames)
    assert len(fake_llm.requests) == 3
    # The checker's verdict is fed back to the model on each retry.
    assert "is incorrect: That value isn" in fake_llm.requests[1]["messages"][-1]["content"]
    flag = await sync_to_async(Flag.objects.get)(message_id=message_id)
    assert flag.kind == Flag.Kind.UNVERIFIED_ANSWER
    session = await sync_to_async(TutoringSession.objects.get)(messages__id=message_id)
    assert session.flagged


async def test_wrong_then_right_answer_ends_verified(solutions_allowed: Personas, fake_llm: FakeLLM) -> None:
    personas = solutions_allowed
    fake_llm.reply(solution_tokens(WRONG))
    fake_llm.reply(solution_tokens(CORRECT))
    async with socket_for(personas.student) as ws:
        message_id = await open_and_ask(ws, personas.problem.pk)
        frames = await frames_until_done(ws, message_id, limit=30)
    assert [f["type"] for f in frames].count("reset") == 1
    assert next(f for f in frames if f["type"] == "verification")["status"] == "verified"
    assert visible_text(frames) == CORRECT
    assert "boxed{5}" not in "".join(f.get("text", "") for f in frames)


async def test_hint_mode_never_reveals_a_leaked_answer(personas: Personas, fake_llm: FakeLLM) -> None:
    for _ in range(3):
        fake_llm.reply(solution_tokens("Subtract 3 from both sides, then divide: so $x = 2$."))
    async with socket_for(personas.student) as ws:
        message_id = await open_and_ask(ws, personas.problem.pk, mode="hint")
        frames = await frames_until_done(ws, message_id, limit=30)
    shown = visible_text(frames)
    assert "x = 2" not in shown
    # No teacher's hint to fall back on (the problem has none): a nudge that gives nothing away.
    assert shown == GENERIC_HINT
    assert not any(f["type"] == "verification" for f in frames)
    assert await sync_to_async(Flag.objects.filter(message_id=message_id, kind=Flag.Kind.HINT_LEAK).exists)()


async def test_a_clean_hint_is_shown_as_written(personas: Personas, fake_llm: FakeLLM) -> None:
    hint = "What could you do to both sides so that only the $2x$ term is left on the left?"
    fake_llm.reply(solution_tokens(hint))
    async with socket_for(personas.student) as ws:
        message_id = await open_and_ask(ws, personas.problem.pk, mode="hint")
        frames = await frames_until_done(ws, message_id)
    assert visible_text(frames) == hint
    message = await sync_to_async(Message.objects.get)(pk=message_id)
    assert message.verification == "withheld"


async def test_solution_is_refused_while_the_assignment_is_hints_only(
    personas: Personas, fake_llm: FakeLLM
) -> None:
    personas.assignment.tutor_mode = "socratic"
    await sync_to_async(personas.assignment.save)()
    async with socket_for(personas.student) as ws:
        await ws.send_json_to({"type": "open", "problem_id": personas.problem.pk})
        await ws.receive_json_from()
        await ws.send_json_to({"type": "ask", "mode": "solution", "request_id": str(uuid.uuid4())})
        frame = await ws.receive_json_from()
    assert frame["code"] == "solution_locked"
    assert "hints only" in frame["message"]
    assert fake_llm.requests == []


async def test_disconnect_at_chunk_20_and_resume_gets_exactly_the_rest(
    solutions_allowed: Personas, fake_llm: FakeLLM
) -> None:
    personas = solutions_allowed
    text = " ".join(f"step{i}" for i in range(100)) + "\n\nFinal answer: $\\boxed{2}$"
    fake_llm.reply(solution_tokens(text), tokens_per_second=60)
    async with socket_for(personas.student) as ws:
        message_id = await open_and_ask(ws, personas.problem.pk)
        seen = []
        while len([f for f in seen if f["type"] == "delta"]) < 20:
            seen.append(await ws.receive_json_from(timeout=10))
    last_seq = seen[-1]["seq"]
    await asyncio.sleep(0.3)  # the answer keeps going while the student is away
    async with socket_for(personas.student) as ws:
        await ws.send_json_to({"type": "open", "problem_id": personas.problem.pk})
        reopened = await ws.receive_json_from(timeout=5)
        await ws.send_json_to({"type": "resume", "message_id": message_id, "after_seq": last_seq})
        rest = await frames_until_done(ws, message_id, limit=20)
    # The reopened page has the text up to the session frame's last_seq; resume gives exactly the
    # events after that, although the page asked from its own older position.
    entry = next(m for m in reopened["messages"] if m["message_id"] == message_id)
    assert entry["last_seq"] >= last_seq
    assert [f["seq"] for f in rest] == list(range(entry["last_seq"] + 1, rest[-1]["seq"] + 1)), (
        "no frame lost or repeated"
    )
    assert entry["content"] + visible_text(rest) == text
    # A reload shows the same full text.
    async with socket_for(personas.student) as ws:
        await ws.send_json_to({"type": "open", "problem_id": personas.problem.pk})
        session = await ws.receive_json_from(timeout=5)
    tutor = [m for m in session["messages"] if m["role"] == "tutor"][0]
    assert tutor["content"] == text
    assert tutor["verification"] == "verified"


async def test_stop_closes_the_stream_to_ollama_within_a_second(
    solutions_allowed: Personas, fake_llm: FakeLLM
) -> None:
    personas = solutions_allowed
    fake_llm.reply(solution_tokens(" ".join(["word"] * 400)), tokens_per_second=20)
    async with socket_for(personas.student) as ws:
        message_id = await open_and_ask(ws, personas.problem.pk)
        while (await ws.receive_json_from(timeout=10))["type"] != "delta":
            pass
        stopped_at = time.monotonic()
        await ws.send_json_to({"type": "stop", "message_id": message_id})
        frames = await frames_until_done(ws, message_id)
    assert frames[-1]["status"] == "stopped"
    closed_at = fake_llm.wait_for_disconnect(timeout=2)
    assert closed_at is not None, "the test server never saw the connection close"
    assert closed_at - stopped_at < 1.0
    message = await sync_to_async(Message.objects.get)(pk=message_id)
    assert message.status == "stopped"
    assert message.content.startswith("word")


@pytest.mark.parametrize(
    ("fault", "code", "words"),
    [
        ("down", "llm_unavailable", "isn't available right now"),
        ("missing_model", "llm_model_missing", "Please tell your teacher"),
        ("busy", "llm_busy", "busy"),
        ("error_line", "llm_stream_error", ""),
        ("cut", "llm_stream_error", ""),
        ("stall", "llm_stalled", ""),
    ],
)
async def test_ollama_faults_reach_the_student_as_plain_errors_within_5_seconds(
    solutions_allowed: Personas, fake_llm: FakeLLM, settings, fault: str, code: str, words: str
) -> None:
    personas = solutions_allowed
    settings.OLLAMA_RETRY_BASE_DELAY = 0.01  # busy: the 3 retries, without sleeping 0.5 + 1 + 2 s
    fake_llm.fault(fault)
    started = time.monotonic()
    async with socket_for(personas.student) as ws:
        message_id = await open_and_ask(ws, personas.problem.pk)
        frames = await frames_until_done(ws, message_id, limit=8)
    assert time.monotonic() - started < 5
    error = next(f for f in frames if f["type"] == "error")
    assert error["code"] == code
    assert words in error["message"]
    assert "ollama" not in error["message"].lower() and "http" not in error["message"]
    assert frames[-1]["status"] == "error"
    # The admin's detail (which host, which command) is kept for the admin page, not shown.
    stored = await sync_to_async(Message.objects.get)(pk=message_id)
    assert stored.error_code == code
    if fault == "missing_model":
        assert "ollama pull phi4" in stored.error_message
    if fault == "busy":
        assert len(fake_llm.requests) == 4, "three retries before the student is told"
    # The server keeps serving others.
    fake_llm.clear_fault()
    fake_llm.reply(solution_tokens(CORRECT))
    async with socket_for(personas.classmate) as ws:
        other_id = await open_and_ask(ws, personas.problem.pk)
        frames = await frames_until_done(ws, other_id)
    assert next(f for f in frames if f["type"] == "verification")["status"] == "verified"


async def test_one_generation_at_a_time_and_a_repeated_request_id_is_one_answer(
    solutions_allowed: Personas, fake_llm: FakeLLM
) -> None:
    personas = solutions_allowed
    fake_llm.reply(solution_tokens(" ".join(["word"] * 60) + " $\\boxed{2}$"), tokens_per_second=60)
    request_id = str(uuid.uuid4())
    async with socket_for(personas.student) as ws:
        await ws.send_json_to({"type": "open", "problem_id": personas.problem.pk})
        await ws.receive_json_from()
        await ws.send_json_to({"type": "ask", "mode": "solution", "request_id": request_id})
        first = await ws.receive_json_from()
        await ws.send_json_to({"type": "ask", "mode": "solution", "request_id": request_id})
        frames = []
        while True:
            frame = await ws.receive_json_from(timeout=10)
            if frame["type"] == "accepted":
                assert frame["message_id"] == first["message_id"]
                break
            frames.append(frame)
        await ws.send_json_to({"type": "ask", "mode": "hint", "request_id": str(uuid.uuid4())})
        while True:
            frame = await ws.receive_json_from(timeout=10)
            if frame["type"] == "error":
                assert frame["code"] == "busy"
                break
        await frames_until_done(ws, first["message_id"], limit=20)
    assert await sync_to_async(Message.objects.filter(role="tutor").count)() == 1


async def test_a_redelivered_job_never_creates_a_second_answer(
    solutions_allowed: Personas, fake_llm: FakeLLM
) -> None:
    personas = solutions_allowed
    fake_llm.reply(solution_tokens(CORRECT), tokens_per_second=100)

    def queued_message() -> int:
        from tutor.tutoring import services

        session = services.session_open(user=personas.student, problem_id=personas.problem.pk)
        ask = services.tutor_ask(
            user=personas.student, session=session, mode="solution", request_id=str(uuid.uuid4())
        )
        return ask.tutor_message_id

    message_id = await sync_to_async(queued_message)()
    from tutor.tutoring.generation import generation_run

    await asyncio.gather(generation_run(message_id=message_id), generation_run(message_id=message_id))
    await generation_run(message_id=message_id)
    message = await sync_to_async(Message.objects.get)(pk=message_id)
    assert message.content == CORRECT
    starts = await sync_to_async(message.chunks.filter(kind="start").count)()
    assert starts == 1
    assert len(fake_llm.requests) == 1


async def test_rate_limit_per_minute(solutions_allowed: Personas, fake_llm: FakeLLM, settings) -> None:
    settings.TUTOR_REQUESTS_PER_MINUTE = 2
    personas = solutions_allowed
    async with socket_for(personas.student) as ws:
        for n in range(3):
            fake_llm.reply(solution_tokens(CORRECT))
            if n < 2:
                message_id = await open_and_ask(ws, personas.problem.pk)
                await frames_until_done(ws, message_id)
            else:
                await ws.send_json_to({"type": "ask", "mode": "solution", "request_id": str(uuid.uuid4())})
                frame = await ws.receive_json_from()
                assert frame["code"] == "rate_limited"


@pytest.fixture(autouse=True)
async def _let_jobs_finish():
    yield
    await dispatch.wait_for_running_jobs(10)


__all__ = ["factories"]


async def test_frames_the_channel_layer_drops_still_arrive_from_the_event_log(
    solutions_allowed: Personas, fake_llm: FakeLLM, monkeypatch
) -> None:
    """Past capacity the layer drops messages silently; a lost last frame must still arrive."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    real_group_send = layer.group_send

    async def lossy_group_send(group: str, message: dict) -> None:
        frames = [f for f in message.get("frames", []) if f["type"] not in ("verification", "done")]
        if frames or "frames" not in message:
            await real_group_send(group, {**message, "frames": frames} if "frames" in message else message)

    monkeypatch.setattr(layer, "group_send", lossy_group_send)
    personas = solutions_allowed
    fake_llm.reply(solution_tokens(CORRECT))
    async with socket_for(personas.student) as ws:
        message_id = await open_and_ask(ws, personas.problem.pk)
        frames = await frames_until_done(ws, message_id, limit=10)
    assert [f["seq"] for f in frames] == list(range(len(frames)))
    assert next(f for f in frames if f["type"] == "verification")["status"] == "verified"
    assert visible_text(frames) == CORRECT
