"""Hints stream a sentence at a time, each through the leak gate first (issue 12): the student
reads the first sentence while the model writes the next, and a leaking sentence never leaves."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from tests.conftest import Personas
from tests.tutoring.fake import FakeLLM, solution_tokens
from tests.tutoring.sockets import socket_for
from tests.tutoring.test_tutor_stream import frames_until_done, open_and_ask, visible_text
from tutor.problems.models import Problem
from tutor.tutoring.models import Flag, Message

pytestmark = pytest.mark.django_db(transaction=True)

CLEAN = (
    "Look at what is being done to $x$ on the left. "
    "Which operation would undo the $+3$? "
    "Try doing the same thing to both sides and see what is left."
)


async def test_a_clean_hint_arrives_sentence_by_sentence(personas: Personas, fake_llm: FakeLLM) -> None:
    fake_llm.reply(solution_tokens(CLEAN), tokens_per_second=40)
    async with socket_for(personas.student) as ws:
        message_id = await open_and_ask(ws, personas.problem.pk, mode="hint")
        frames = await frames_until_done(ws, message_id)
    deltas = [f["text"] for f in frames if f["type"] == "delta"]
    assert len(deltas) == 3, deltas
    assert deltas[0] == "Look at what is being done to $x$ on the left."
    assert visible_text(frames) == CLEAN
    assert frames[-1]["status"] == "complete"
    stored = await sync_to_async(Message.objects.get)(pk=message_id)
    assert stored.content == CLEAN


async def test_a_leaking_second_sentence_is_never_sent(personas: Personas, fake_llm: FakeLLM) -> None:
    await Problem.objects.filter(pk=personas.problem.pk).aupdate(hints=["Subtract 3 from both sides."])
    fake_llm.reply(
        solution_tokens(
            "Good start, you set it up well. Then you get x = 2, which you can check. Well done!"
        ),
        tokens_per_second=40,
    )
    async with socket_for(personas.student) as ws:
        message_id = await open_and_ask(
            ws, personas.problem.pk, mode="feedback", text="2x + 3 = 7 so 2x = 10"
        )
        frames = await frames_until_done(ws, message_id)
    shown = visible_text(frames)
    assert shown.startswith("Good start, you set it up well.")
    assert "x = 2" not in shown and "Well done" not in shown
    # The teacher's hint takes the place of the rest, and the teacher hears about it.
    assert shown.endswith("Subtract 3 from both sides.")
    flag = await sync_to_async(Flag.objects.get)(message_id=message_id)
    assert flag.kind == Flag.Kind.HINT_LEAK
    # The model's stream was closed at the leak, not read to the end.
    assert fake_llm.wait_for_disconnect(timeout=5) is not None


async def test_a_draft_that_leaks_at_once_is_drafted_again(personas: Personas, fake_llm: FakeLLM) -> None:
    fake_llm.reply(solution_tokens("The answer is 2. Check it by substituting."))
    fake_llm.reply(solution_tokens(CLEAN))
    async with socket_for(personas.student) as ws:
        message_id = await open_and_ask(ws, personas.problem.pk, mode="hint")
        frames = await frames_until_done(ws, message_id)
    assert visible_text(frames) == CLEAN
    assert len(fake_llm.requests) == 2
    assert not await sync_to_async(Flag.objects.filter(message_id=message_id).exists)()
