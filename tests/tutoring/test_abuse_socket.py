"""Issue 11's socket rows, written as the attack or the curious student: a hints-only bypass after a
teacher re-assigns a set, reasoning leaking through hint mode, resume that never ends, hundreds of
sockets, a socket that outlives its logout, and (issue 12) resume crossing live events."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from tests import factories
from tests.conftest import Personas
from tests.tutoring.fake import FakeLLM, solution_tokens
from tests.tutoring.sockets import socket_for
from tests.tutoring.test_tutor_stream import CORRECT, frames_until_done, open_and_ask
from tutor.classroom.models import Assignment
from tutor.tutoring import events
from tutor.tutoring.models import Message

pytestmark = pytest.mark.django_db(transaction=True)


async def ask(ws, mode: str, text: str = "") -> dict:
    await ws.send_json_to({"type": "ask", "mode": mode, "request_id": str(uuid.uuid4()), "text": text})
    return await ws.receive_json_from(timeout=5)


# --- the solution policy is read live ---------------------------------------------------------


async def test_reassigning_a_set_as_hints_only_locks_the_solution_of_an_open_session(
    solutions_allowed: Personas, fake_llm: FakeLLM
) -> None:
    personas = solutions_allowed
    fake_llm.reply(solution_tokens(CORRECT))
    async with socket_for(personas.student) as ws:
        hint_id = await open_and_ask(ws, personas.problem.pk, mode="hint")  # the session now exists
        await frames_until_done(ws, hint_id)
        # The teacher deletes the assignment and assigns the set again, hints only.
        await sync_to_async(personas.assignment.delete)()
        await sync_to_async(factories.make_assignment)(
            classroom=personas.classroom,
            problem_set=personas.problem_set,
            tutor_mode=Assignment.TutorMode.SOCRATIC,
        )
        refused = await ask(ws, "solution")
    assert refused["type"] == "error"
    assert refused["code"] == "solution_locked"
    assert "hints only" in refused["message"]
    assert not await sync_to_async(
        Message.objects.filter(session__student=personas.student, mode="solution").exists
    )()


async def test_a_session_whose_assignment_is_gone_is_locked_not_open(
    solutions_allowed: Personas, fake_llm: FakeLLM
) -> None:
    personas = solutions_allowed
    async with socket_for(personas.student) as ws:
        await ws.send_json_to({"type": "open", "problem_id": personas.problem.pk})
        assert (await ws.receive_json_from(timeout=5))["type"] == "session"
        await sync_to_async(personas.assignment.delete)()
        refused = await ask(ws, "solution")
    assert refused["code"] in ("solution_locked", "not_found")
    assert fake_llm.requests == []


def test_the_locked_solution_button_is_really_disabled(personas: Personas) -> None:
    client = Client()
    client.force_login(personas.student)
    page = client.get(f"/problems/{personas.problem.pk}/").content.decode()
    button = page[page.index('id="ask-solution"') : page.index("Show a worked solution")]
    assert " disabled" in button
    assert 'aria-describedby="solution-locked"' in button


# --- reasoning never reaches a student in hint or feedback mode ----------------------------------

REASONING = "The student needs x. 2x = 7 - 3 = 4, so x = 2. I must not say x = 2."


@pytest.mark.parametrize("mode", ["hint", "feedback"])
async def test_the_models_reasoning_is_never_sent_in_hint_or_feedback_mode(
    personas: Personas, fake_llm: FakeLLM, mode: str
) -> None:
    fake_llm.reply(
        solution_tokens("What could you do to both sides to get the x-term alone?"),
        thinking=solution_tokens(REASONING),
    )
    async with socket_for(personas.student) as ws:
        message_id = await open_and_ask(ws, personas.problem.pk, mode=mode, text="2x = 10 so x = 5")
        frames = await frames_until_done(ws, message_id)
        # A reload shows the stored transcript: no reasoning there either.
        await ws.send_json_to({"type": "open", "problem_id": personas.problem.pk})
        session = await ws.receive_json_from(timeout=5)
    assert not [f for f in frames if f["type"] == "thinking"]
    assert "x = 2" not in str(frames)
    assert all(entry["thinking"] == "" for entry in session["messages"])
    # Teachers and admins can still read it.
    stored = await sync_to_async(Message.objects.get)(pk=message_id)
    assert "x = 2" in stored.thinking


# --- resume -------------------------------------------------------------------------------------


@pytest.mark.parametrize("delay_ms", [0, 50, 150, 500])
async def test_resume_crossing_live_events_gives_each_event_once_in_order(
    solutions_allowed: Personas, fake_llm: FakeLLM, delay_ms: int
) -> None:
    """The page reconnects: `open`, then `resume` from what it had, some time later. The events
    the socket sent in between must not come again (over a real network they crossed)."""
    personas = solutions_allowed
    fake_llm.reply(solution_tokens(CORRECT), tokens_per_second=60)
    async with socket_for(personas.student) as first:
        message_id = await open_and_ask(first, personas.problem.pk)
        seen = []
        while len([f for f in seen if f["type"] == "delta"]) < 2:
            seen.append(await first.receive_json_from(timeout=5))
    last_seen = seen[-1]["seq"]
    async with socket_for(personas.student) as ws:
        await ws.send_json_to({"type": "open", "problem_id": personas.problem.pk})
        # Live events flow to this socket while the resume is on its way.
        await asyncio.sleep(delay_ms / 1000)
        await ws.send_json_to({"type": "resume", "message_id": message_id, "after_seq": last_seen})
        received = await frames_until_done(ws, message_id, limit=20)
    session = received.pop(0)
    assert session["type"] == "session"
    reply = next(m for m in session["messages"] if m["message_id"] == message_id)
    seqs = [f["seq"] for f in received if f.get("message_id") == message_id]
    assert seqs == sorted(set(seqs)), f"duplicated or out of order: {seqs}"
    # Together with the session frame's text, nothing is missing.
    assert seqs == list(range(reply["last_seq"] + 1, seqs[-1] + 1))


async def test_resume_of_a_finished_reply_sends_the_rest_and_stops_watching_it(
    solutions_allowed: Personas, fake_llm: FakeLLM, monkeypatch
) -> None:
    personas = solutions_allowed
    fake_llm.reply(solution_tokens(CORRECT))
    async with socket_for(personas.student) as ws:
        message_id = await open_and_ask(ws, personas.problem.pk)
        frames = await frames_until_done(ws, message_id)
        last = frames[-1]["seq"]
        # This socket already sent every event: resuming from the start sends none again.
        await ws.send_json_to({"type": "resume", "message_id": message_id, "after_seq": -1})
        assert await ws.receive_nothing(timeout=0.3)
    # Count the stored-event reads the socket makes (a spy: each call still runs).
    reads: list[int] = []
    real_events_after = events.events_after

    def counting_events_after(**kwargs):
        reads.append(kwargs["message_id"])
        return real_events_after(**kwargs)

    monkeypatch.setattr(events, "events_after", counting_events_after)
    async with socket_for(personas.student) as ws:
        await ws.send_json_to({"type": "open", "problem_id": personas.problem.pk})
        await ws.receive_json_from(timeout=5)
        # A page (or an attacker) resuming past the end of a finished reply.
        await ws.send_json_to({"type": "resume", "message_id": message_id, "after_seq": last + 50})
        assert await ws.receive_nothing(timeout=3)
    # Before the fix such a socket read the log twice a second forever (300 of them held a core).
    assert len(reads) <= 1, reads


# --- too many sockets, and sockets after logout -----------------------------------------------


async def test_hundreds_of_sockets_from_one_student_are_refused_past_the_cap(
    personas: Personas, settings
) -> None:
    settings.TUTOR_SOCKETS_PER_USER = 5
    from channels.testing import WebsocketCommunicator

    from tests.tutoring.sockets import cookie_for as _cookie_for
    from tutor.asgi import application

    cookie = await sync_to_async(_cookie_for)(personas.student)
    headers = [(b"host", b"127.0.0.1:8000"), (b"origin", b"http://127.0.0.1:8000"), (b"cookie", cookie)]
    sockets = []
    try:
        for _ in range(5):
            ws = WebsocketCommunicator(application, "/ws/tutor/", headers=headers)
            assert (await ws.connect())[0]
            sockets.append(ws)
        extra = WebsocketCommunicator(application, "/ws/tutor/", headers=headers)
        await extra.connect()
        refusal = await extra.receive_json_from(timeout=5)
        closed = await extra.receive_output(timeout=5)
        assert refusal["code"] == "too_many_sockets"
        assert "too many tabs" in refusal["message"]
        assert closed == {"type": "websocket.close", "code": 4429}
        # A classmate is not affected.
        async with socket_for(personas.classmate) as other:
            await other.send_json_to({"type": "ping"})
            assert await other.receive_json_from(timeout=5) == {"type": "pong"}
        # Closing a tab makes room again.
        await sockets.pop().disconnect()
        again = WebsocketCommunicator(application, "/ws/tutor/", headers=headers)
        assert (await again.connect())[0]
        sockets.append(again)
    finally:
        for ws in sockets:
            await ws.disconnect()


async def test_logging_out_closes_the_sockets_opened_before(personas: Personas) -> None:
    from channels.testing import WebsocketCommunicator

    from tutor.asgi import application

    client = Client()
    await sync_to_async(client.force_login)(personas.student)
    from django.conf import settings as django_settings

    cookie = (
        f"{django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}"
    )
    ws = WebsocketCommunicator(
        application,
        "/ws/tutor/",
        headers=[
            (b"host", b"127.0.0.1:8000"),
            (b"origin", b"http://127.0.0.1:8000"),
            (b"cookie", cookie.encode()),
        ],
    )
    assert (await ws.connect())[0]
    await ws.send_json_to({"type": "ping"})
    assert await ws.receive_json_from(timeout=5) == {"type": "pong"}
    response = await sync_to_async(client.post)("/accounts/logout/")
    assert response.status_code == 302
    closed = await ws.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": 4401}
    await ws.disconnect()
