"""A tutoring session is made when the student does something, not when they look (issue 16).

Opening a problem page used to create a session per view, so the admin's list was mostly empty
sessions. Now the page view and the socket's `open` create nothing; the first question does, and
a second tab that opened the problem before that still hears the reply live.
"""

from __future__ import annotations

import uuid

import pytest
from asgiref.sync import sync_to_async

from tests.clients import client_for
from tests.conftest import Personas
from tests.tutoring.fake import FakeLLM, solution_tokens
from tests.tutoring.sockets import socket_for
from tests.tutoring.test_tutor_stream import frames_until_done, visible_text
from tutor.tutoring.models import TutoringSession

pytestmark = pytest.mark.django_db(transaction=True)

HINT = "What could you do to both sides so that only the $2x$ term is left on the left?"


def sessions_of(personas: Personas) -> int:
    return TutoringSession.objects.filter(student=personas.student).count()


def view_problem_page(personas: Personas) -> int:
    return client_for(personas.student).get(f"/problems/{personas.problem.pk}/").status_code


async def test_viewing_and_opening_a_problem_creates_no_session_asking_does(
    personas: Personas, fake_llm: FakeLLM
) -> None:
    assert await sync_to_async(view_problem_page)(personas) == 200
    fake_llm.reply(solution_tokens(HINT))
    async with socket_for(personas.student) as ws, socket_for(personas.student) as other_tab:
        announced = set()
        for socket in (ws, other_tab):
            await socket.send_json_to({"type": "open", "problem_id": personas.problem.pk})
            session = await socket.receive_json_from(timeout=5)
            assert session["type"] == "session" and session["messages"] == []
            announced.add(session["session_id"])
        assert await sync_to_async(sessions_of)(personas) == 0, "looking at a problem made a session"

        # Resuming or stopping a reply that can't exist is refused plainly, and still creates nothing.
        await ws.send_json_to({"type": "resume", "message_id": 1, "after_seq": -1})
        refused = await ws.receive_json_from(timeout=5)
        assert refused["type"] == "error" and refused["code"] == "not_found"
        assert await sync_to_async(sessions_of)(personas) == 0

        # A question the tutor refuses makes no session either.
        await ws.send_json_to(
            {"type": "ask", "mode": "question", "request_id": str(uuid.uuid4()), "text": ""}
        )
        refused = await ws.receive_json_from(timeout=5)
        assert refused["type"] == "error" and refused["code"] == "bad_frame"
        assert await sync_to_async(sessions_of)(personas) == 0

        await ws.send_json_to({"type": "ask", "mode": "hint", "request_id": str(uuid.uuid4())})
        accepted = await ws.receive_json_from(timeout=5)
        assert accepted["type"] == "accepted", accepted
        frames = await frames_until_done(ws, accepted["message_id"])
        assert visible_text(frames) == HINT
        # The other tab opened the problem before the session existed and hears the reply too.
        seen = await frames_until_done(other_tab, accepted["message_id"])
        assert visible_text(seen) == HINT

    session = await TutoringSession.objects.aget(student=personas.student)
    assert announced == {str(session.pk)}, "the session frame named the session the ask then made"
    assert session.assignment_id == personas.assignment.pk
    assert await session.messages.acount() == 2

    # Reopened, the page gets the conversation back.
    async with socket_for(personas.student) as ws:
        await ws.send_json_to({"type": "open", "problem_id": personas.problem.pk})
        again = await ws.receive_json_from(timeout=5)
    assert [m["role"] for m in again["messages"]] == ["student", "tutor"]
    assert again["session_id"] == str(session.pk)


async def test_a_refused_open_creates_nothing(personas: Personas) -> None:
    async with socket_for(personas.student) as ws:
        await ws.send_json_to({"type": "open", "problem_id": personas.other_problem.pk})
        refused = await ws.receive_json_from(timeout=5)
        assert refused["type"] == "error" and refused["code"] == "not_found"
        await ws.send_json_to({"type": "ask", "mode": "hint", "request_id": str(uuid.uuid4())})
        assert (await ws.receive_json_from(timeout=5))["code"] == "bad_frame"
    assert await sync_to_async(sessions_of)(personas) == 0
