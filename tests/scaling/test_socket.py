"""What a student sees of several Ollama hosts, through the tutor's socket (issue 17): the reply
carries on when its host dies part-way, and a wait for a free host is said, not silent."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async

from inference.testing.fake_ollama import ChatRequest, FakeOllama, Reply
from tests.conftest import Personas
from tests.tutoring.fake import solution_tokens
from tests.tutoring.sockets import socket_for
from tests.tutoring.test_tutor_stream import CORRECT, frames_until_done, open_and_ask, visible_text
from tutor.tutoring.models import Message

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two_hosts(settings):
    with FakeOllama(tokens_per_second=200) as first, FakeOllama(tokens_per_second=200) as second:
        settings.OLLAMA_HOSTS = f"{first.url}=1,{second.url}=1"
        yield first, second


async def test_a_host_dying_mid_answer_leaves_the_student_one_whole_verified_answer(
    solutions_allowed: Personas, two_hosts: tuple[FakeOllama, FakeOllama]
) -> None:
    calls = []

    def first_one_cuts(request: ChatRequest) -> Reply:
        # Whichever host takes the stream first cuts it after 6 chunks; the other one finishes it.
        calls.append(request)
        if len(calls) == 1:
            return Reply(tokens=solution_tokens(CORRECT), fault="cut", fault_after=6)
        return Reply.text(CORRECT)

    for host in two_hosts:
        host.script.respond_with(first_one_cuts)
    async with socket_for(solutions_allowed.student) as ws:
        message_id = await open_and_ask(ws, solutions_allowed.problem.pk)
        frames = await frames_until_done(ws, message_id)
    assert visible_text(frames) == CORRECT, "the text goes on where it stopped, nothing shown twice"
    assert [f["code"] for f in frames if f["type"] == "status"][:1] == ["resumed"]
    assert next(f for f in frames if f["type"] == "verification")["status"] == "verified"
    assert frames[-1]["status"] == "complete"
    message = await sync_to_async(Message.objects.get)(pk=message_id)
    assert message.content == CORRECT
    served = [len(h.chat_requests) for h in two_hosts]
    assert sorted(served) == [1, 1], "one host cut the stream, the other carried it on"


async def test_a_student_waiting_for_a_free_host_is_told_their_place_in_line(
    solutions_allowed: Personas, settings
) -> None:
    with FakeOllama(tokens_per_second=40) as host:
        settings.OLLAMA_HOSTS = f"{host.url}=1"
        host.script.respond_with(lambda request: CORRECT)
        async with (
            socket_for(solutions_allowed.student) as first,
            socket_for(solutions_allowed.classmate) as second,
        ):
            first_id = await open_and_ask(first, solutions_allowed.problem.pk)
            await asyncio.to_thread(host.wait_for_requests, 1, 5)  # the first one is streaming
            second_id = await open_and_ask(second, solutions_allowed.problem.pk)
            second_frames = await frames_until_done(second, second_id, limit=30)
            await frames_until_done(first, first_id, limit=30)
    waiting = [f for f in second_frames if f["type"] == "status" and f["code"] == "waiting_in_line"]
    assert waiting and "You're next in line" in waiting[0]["message"]
    assert visible_text(second_frames) == CORRECT
    assert host.peak_in_flight == 1
