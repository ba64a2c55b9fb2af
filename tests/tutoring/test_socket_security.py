"""Students reach only their own sessions over the socket; malformed and oversized frames are refused."""

from __future__ import annotations

import uuid

import pytest
from asgiref.sync import sync_to_async

from tests.conftest import Personas
from tests.tutoring.sockets import socket_for
from tutor.tutoring.models import Message, TutoringSession

pytestmark = pytest.mark.django_db(transaction=True)


async def test_student_cannot_open_a_problem_from_another_class(personas: Personas) -> None:
    async with socket_for(personas.student) as ws:
        await ws.send_json_to({"type": "open", "problem_id": personas.other_problem.pk})
        frame = await ws.receive_json_from()
        assert frame["type"] == "error"
        assert frame["code"] == "not_found"


async def test_student_cannot_resume_or_stop_a_classmates_reply(personas: Personas) -> None:
    def classmates_reply() -> int:
        session = TutoringSession.objects.create(student=personas.classmate, problem=personas.problem)
        return Message.objects.create(
            session=session, role=Message.Role.TUTOR, mode="solution", content="secret working"
        ).pk

    message_id = await sync_to_async(classmates_reply)()
    async with socket_for(personas.student) as ws:
        await ws.send_json_to({"type": "open", "problem_id": personas.problem.pk})
        session = await ws.receive_json_from()
        assert session["type"] == "session"
        assert session["messages"] == []
        await ws.send_json_to({"type": "resume", "message_id": message_id, "after_seq": -1})
        assert (await ws.receive_json_from())["code"] == "not_found"
        await ws.send_json_to({"type": "stop", "message_id": message_id})
        assert (await ws.receive_json_from())["code"] == "not_found"
    stopped = await sync_to_async(Message.objects.filter(pk=message_id, stop_requested=True).exists)()
    assert not stopped


async def test_teacher_cannot_open_a_tutoring_session(personas: Personas) -> None:
    async with socket_for(personas.teacher) as ws:
        await ws.send_json_to({"type": "open", "problem_id": personas.problem.pk})
        assert (await ws.receive_json_from())["code"] == "not_found"


async def test_garbage_and_unknown_frames_get_a_plain_error_and_the_socket_stays_open(
    personas: Personas,
) -> None:
    async with socket_for(personas.student) as ws:
        await ws.send_to(text_data="{not json")
        assert (await ws.receive_json_from())["code"] == "bad_frame"
        await ws.send_to(text_data="[1, 2, 3]")
        assert (await ws.receive_json_from())["code"] == "bad_frame"
        await ws.send_json_to({"type": "launch_missiles"})
        assert (await ws.receive_json_from())["code"] == "bad_frame"
        await ws.send_json_to({"type": "ask", "mode": "solution", "request_id": str(uuid.uuid4())})
        assert (await ws.receive_json_from())["message"] == "Open a problem first."
        await ws.send_json_to({"type": "ping"})
        assert await ws.receive_json_from() == {"type": "pong"}


async def test_oversized_frame_closes_the_socket(personas: Personas) -> None:
    async with socket_for(personas.student) as ws:
        await ws.send_to(text_data='{"type": "ask", "text": "' + "x" * 20000 + '"}')
        frame = await ws.receive_json_from()
        assert frame["code"] == "frame_too_large"
        closed = await ws.receive_output()
        assert closed == {"type": "websocket.close", "code": 4413}


HOSTILE_FINAL_ANSWERS = [
    "9^{9^{9^{9}}}",
    "(x+1)^{20000}",
    "10000000!",
    "\\operatorname{__import__}('os').system('touch /tmp/tutor-pwned')",
    "__import__('os').system('touch /tmp/tutor-pwned')",
    "1" * 6000,
]


@pytest.mark.parametrize("answer", HOSTILE_FINAL_ANSWERS, ids=lambda a: a[:20])
async def test_hostile_checker_input_through_the_socket_is_refused_within_a_bound(
    solutions_allowed: Personas, fake_llm, settings, answer: str
) -> None:
    """What the checker reads over the socket path is the model's final answer (the student's own
    answers go through the attempt form, tests/checker/test_hostile.py). A reply whose boxed
    answer is hostile ends unverified within seconds, runs nothing, and the server keeps serving."""
    import os
    import time

    from tests.tutoring.fake import solution_tokens
    from tests.tutoring.test_tutor_stream import CORRECT, frames_until_done, open_and_ask
    from tutor.tutoring import dispatch

    settings.TUTOR_MAX_REGENERATIONS = 0
    fake_llm.reply(solution_tokens(f"Working it out.\n\n**Final answer:** $\\boxed{{{answer}}}$"))
    fake_llm.reply(solution_tokens(CORRECT))
    started = time.monotonic()
    async with socket_for(solutions_allowed.student) as ws:
        message_id = await open_and_ask(ws, solutions_allowed.problem.pk)
        frames = await frames_until_done(ws, message_id, limit=15)
        elapsed = time.monotonic() - started
        verification = next(f for f in frames if f["type"] == "verification")
        assert verification["status"] == "unverified"
        assert elapsed < 12, f"the hostile answer held the reply for {elapsed:.1f} s"
        # Another student, straight after: the checker still answers.
        async with socket_for(solutions_allowed.classmate) as other:
            other_id = await open_and_ask(other, solutions_allowed.problem.pk)
            other_frames = await frames_until_done(other, other_id, limit=15)
        assert next(f for f in other_frames if f["type"] == "verification")["status"] == "verified"
    assert not os.path.exists("/tmp/tutor-pwned")  # noqa: ASYNC240 - a test's one-off check
    await dispatch.wait_for_running_jobs(10)
