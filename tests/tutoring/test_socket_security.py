"""Students reach only their own sessions over the socket; malformed and oversized frames are refused."""

from __future__ import annotations

import uuid

import pytest
from asgiref.sync import sync_to_async

from tests.conftest import Personas
from tests.tutoring.conftest import socket_for
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
