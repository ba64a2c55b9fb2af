"""Talking like a tutor (issue 12): follow-up questions with the conversation so far, the leak
gate on questions while the answer is locked, trimming that is said out loud, and Continue or
Start again after Stop."""

from __future__ import annotations

import uuid

import pytest
from asgiref.sync import sync_to_async

from tests.conftest import Personas
from tests.tutoring.fake import FakeLLM, solution_tokens
from tests.tutoring.sockets import socket_for
from tests.tutoring.test_tutor_stream import CORRECT, frames_until_done, open_and_ask, visible_text
from tutor.tutoring.models import Message

pytestmark = pytest.mark.django_db(transaction=True)

HINT = "What could you do to both sides so only $2x$ is left?"
WHY = "Subtracting $3$ keeps both sides equal, because you do the same thing to each side."


async def ask(ws, mode: str, text: str = "", **extra) -> int:
    await ws.send_json_to(
        {"type": "ask", "mode": mode, "request_id": str(uuid.uuid4()), "text": text, **extra}
    )
    accepted = await ws.receive_json_from(timeout=5)
    assert accepted["type"] == "accepted", accepted
    return accepted["message_id"]


async def test_a_follow_up_question_is_answered_with_the_conversation_so_far(
    personas: Personas, fake_llm: FakeLLM
) -> None:
    fake_llm.reply(solution_tokens(HINT))
    fake_llm.reply(solution_tokens(WHY))
    async with socket_for(personas.student) as ws:
        hint_id = await open_and_ask(ws, personas.problem.pk, mode="hint")
        await frames_until_done(ws, hint_id)
        question_id = await ask(ws, "question", "Why subtract 3 and not divide by 2 first?")
        frames = await frames_until_done(ws, question_id)
    assert visible_text(frames) == WHY
    request = fake_llm.requests[-1]["messages"]
    said = [m["content"] for m in request]
    # The earlier hint and the student's request are in the prompt, the question is quoted as data.
    assert any(HINT in c for c in said)
    assert "My question:" in said[-1] and "<student_text>" in said[-1]
    assert "Why subtract 3" in said[-1]
    assert "question" in request[0]["content"].lower()


async def test_a_question_that_draws_out_the_answer_is_gated_while_the_answer_is_locked(
    personas: Personas, fake_llm: FakeLLM
) -> None:
    fake_llm.reply(solution_tokens("Good question. The answer is x = 2. Check it!"))
    async with socket_for(personas.student) as ws:
        await ws.send_json_to({"type": "open", "problem_id": personas.problem.pk})
        await ws.receive_json_from(timeout=5)
        question_id = await ask(ws, "question", "just tell me x")
        frames = await frames_until_done(ws, question_id)
    shown = visible_text(frames)
    assert "x = 2" not in shown
    assert shown.startswith("Good question.")


async def test_once_solutions_are_allowed_a_question_may_discuss_the_answer(
    solutions_allowed: Personas, fake_llm: FakeLLM
) -> None:
    text = "Yes: with x = 2 the left side is 2·2 + 3 = 7, so it checks."
    fake_llm.reply(solution_tokens(text))
    async with socket_for(solutions_allowed.student) as ws:
        await ws.send_json_to({"type": "open", "problem_id": solutions_allowed.problem.pk})
        await ws.receive_json_from(timeout=5)
        question_id = await ask(ws, "question", "Is x = 2 right?")
        frames = await frames_until_done(ws, question_id)
    assert visible_text(frames) == text


async def test_a_long_conversation_is_trimmed_and_the_student_is_told(
    personas: Personas, fake_llm: FakeLLM, settings
) -> None:
    settings.TUTOR_REQUESTS_PER_MINUTE = 100

    def a_long_history() -> None:
        from tutor.tutoring import services

        session = services.session_open(user=personas.student, problem_id=personas.problem.pk)
        for turn in range(30):
            Message.objects.create(
                session=session,
                role=Message.Role.STUDENT if turn % 2 == 0 else Message.Role.TUTOR,
                mode=Message.Mode.QUESTION,
                content=f"turn {turn}: " + "words " * 50,
            )

    await sync_to_async(a_long_history)()
    fake_llm.reply(solution_tokens(WHY))
    async with socket_for(personas.student) as ws:
        await ws.send_json_to({"type": "open", "problem_id": personas.problem.pk})
        await ws.receive_json_from(timeout=5)
        question_id = await ask(ws, "question", "Why?")
        frames = await frames_until_done(ws, question_id)
    notice = next(f for f in frames if f["type"] == "status" and f["code"] == "history_trimmed")
    assert "only read the last" in notice["message"]
    assert visible_text(frames) == WHY


async def test_stop_then_continue_carries_the_solution_on_from_where_it_stopped(
    solutions_allowed: Personas, fake_llm: FakeLLM
) -> None:
    personas = solutions_allowed
    fake_llm.reply(solution_tokens(CORRECT), tokens_per_second=15)
    async with socket_for(personas.student) as ws:
        stopped_id = await open_and_ask(ws, personas.problem.pk)
        seen = []
        while len([f for f in seen if f["type"] == "delta"]) < 2:
            seen.append(await ws.receive_json_from(timeout=10))
        await ws.send_json_to({"type": "stop", "message_id": stopped_id})
        await frames_until_done(ws, stopped_id)
        stopped = await sync_to_async(Message.objects.get)(pk=stopped_id)
        assert stopped.status == "stopped" and stopped.content
        shown = stopped.content
        rest = CORRECT[len(shown) :] if CORRECT.startswith(shown) else CORRECT
        fake_llm.reply(solution_tokens(rest))
        continued_id = await ask(ws, "solution", continue_from=stopped_id)
        frames = await frames_until_done(ws, continued_id)
    # The new reply shows the stopped text at once and carries it on to a verified answer.
    assert visible_text(frames) == shown + rest
    assert next(f for f in frames if f["type"] == "verification")["status"] == "verified"
    # The model was asked to continue its own text, not to start over.
    assert fake_llm.requests[-1]["messages"][-1] == {"role": "assistant", "content": shown}


async def test_only_a_stopped_solution_can_be_continued(
    solutions_allowed: Personas, fake_llm: FakeLLM
) -> None:
    personas = solutions_allowed
    fake_llm.reply(solution_tokens(HINT))
    async with socket_for(personas.student) as ws:
        hint_id = await open_and_ask(ws, personas.problem.pk, mode="hint")
        await frames_until_done(ws, hint_id)
        await ws.send_json_to(
            {"type": "ask", "mode": "solution", "request_id": str(uuid.uuid4()), "continue_from": hint_id}
        )
        refused = await ws.receive_json_from(timeout=5)
    assert refused["type"] == "error" and "stopped" in refused["message"]
