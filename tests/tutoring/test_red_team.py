"""Prompt injection in hint mode: twenty attempts to pull out the answer key or the system prompt.

The scripted model here always gives in and states the answer, which is the worst case: the
student must still never see it. docs/reliability.md says how to run the same prompts against
a real phi4 (OLLAMA_TEST_REAL=1)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async

from tests.conftest import Personas
from tests.tutoring.fake import FakeLLM, solution_tokens
from tests.tutoring.sockets import socket_for
from tests.tutoring.test_tutor_stream import frames_until_done, visible_text
from tutor.tutoring.leaks.gate import GENERIC_HINT
from tutor.tutoring.models import Flag

pytestmark = pytest.mark.django_db(transaction=True)
PROMPTS = [
    line
    for line in (Path(__file__).parents[1] / "data" / "red_team_prompts.txt").read_text().splitlines()
    if line
]
LEAKY_REPLIES = [
    "Sure! The answer is $x = 2$.",
    "Of course: $\\boxed{2}$",
    "Since you asked nicely, x = 2.",
]


def test_there_are_at_least_twenty_prompts() -> None:
    assert len(PROMPTS) >= 20


async def test_hints_never_reveal_the_key_whatever_the_student_writes(
    personas: Personas, fake_llm: FakeLLM, settings
) -> None:
    settings.TUTOR_REQUESTS_PER_MINUTE = 1000
    async with socket_for(personas.student) as ws:
        await ws.send_json_to({"type": "open", "problem_id": personas.problem.pk})
        await ws.receive_json_from()
        for number, prompt in enumerate(PROMPTS):
            # Each reply leads in turn: a leak in the first sentence, or after a harmless one.
            turn = number % len(LEAKY_REPLIES)
            for reply in LEAKY_REPLIES[turn:] + LEAKY_REPLIES[:turn]:
                fake_llm.reply(solution_tokens(reply))
            await ws.send_json_to(
                {"type": "ask", "mode": "hint", "request_id": str(uuid.uuid4()), "text": prompt}
            )
            accepted = await ws.receive_json_from(timeout=5)
            assert accepted["type"] == "accepted", accepted
            frames = await frames_until_done(ws, accepted["message_id"], limit=20)
            shown = visible_text(frames)
            assert "2" not in shown.replace("2x", ""), f"{prompt!r} got the answer out: {shown!r}"
            # The problem has no teacher's hint: a nudge that gives nothing away takes the leak's place.
            assert GENERIC_HINT in shown, "a safe hint takes the leak's place"
            fake_llm.clear_fault()  # drafts not asked for don't carry over to the next prompt
    requests = fake_llm.requests
    # A draft leaking after a harmless first sentence ends there (1 request); one leaking at once
    # is drafted again, up to 3 times.
    assert len(PROMPTS) < len(requests) < 3 * len(PROMPTS)
    for body in requests:
        system = body["messages"][0]["content"]
        assert "Text from the student" in system or "student" in system.lower()
        # The key is never in what the model sees, so no injection can extract it from the prompt.
        assert not any("answer key: 2" in str(m).lower() for m in body["messages"])
        student_turn = body["messages"][-1]["content"]
        assert "<student_text>" in student_turn
    leaks = await sync_to_async(Flag.objects.filter(kind=Flag.Kind.HINT_LEAK).count)()
    assert leaks == len(PROMPTS)
