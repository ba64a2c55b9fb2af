"""The hint ladder (issue 16): the teacher's hints first, in their order and without the model;
then the model's, each asked to go one step further than the last; every hint's number is shown
(the `accepted` frame, the transcript) and recorded. The teacher's worked solution is on the page
once the assignment lets the student see solutions."""

from __future__ import annotations

import re
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse

from tests.clients import client_for
from tests.conftest import Personas
from tests.tutoring.fake import FakeLLM, solution_tokens
from tests.tutoring.sockets import socket_for
from tests.tutoring.test_tutor_stream import frames_until_done, visible_text
from tutor.classroom.models import Assignment
from tutor.problems.models import Problem
from tutor.tutoring.models import Message

TEACHER_HINTS = ["Subtract 3 from both sides.", "Now divide both sides by 2."]
MODEL_HINT = "Check your value: put it back into $2x + 3$ and see whether you get $7$."


async def _hint(ws, text: str = "") -> tuple[dict, list[dict]]:
    await ws.send_json_to({"type": "ask", "mode": "hint", "request_id": str(uuid.uuid4()), "text": text})
    accepted = await ws.receive_json_from(timeout=5)
    assert accepted["type"] == "accepted", accepted
    return accepted, await frames_until_done(ws, accepted["message_id"])


@pytest.mark.django_db(transaction=True)
async def test_teacher_hints_come_first_then_the_model_goes_one_step_further(
    personas: Personas, fake_llm: FakeLLM
) -> None:
    await Problem.objects.filter(pk=personas.problem.pk).aupdate(hints=TEACHER_HINTS)
    fake_llm.reply(solution_tokens(MODEL_HINT))
    async with socket_for(personas.student) as ws:
        await ws.send_json_to({"type": "open", "problem_id": personas.problem.pk})
        await ws.receive_json_from(timeout=5)
        shown = []
        for number in (1, 2, 3):
            accepted, frames = await _hint(ws)
            assert accepted["hint_number"] == number
            shown.append(visible_text(frames))
        # Reloading the page: the transcript carries each hint's number.
        await ws.send_json_to({"type": "open", "problem_id": personas.problem.pk})
        session = await ws.receive_json_from(timeout=5)
    assert shown == [*TEACHER_HINTS, MODEL_HINT]
    # The teacher's hints cost no model call; the third hint is the model's, told where it stands.
    assert len(fake_llm.requests) == 1
    said = [m["content"] for m in fake_llm.requests[0]["messages"]]
    assert "This is hint 3" in said[-1] and "one step further" in said[-1]
    assert any(TEACHER_HINTS[1] in c for c in said[:-1]), "the earlier hints are in the prompt"
    numbers = [m["hint_number"] for m in session["messages"] if m["role"] == "tutor"]
    assert numbers == [1, 2, 3]
    stored = await sync_to_async(list)(
        Message.objects.filter(role=Message.Role.TUTOR).order_by("id").values_list("hint_number", "content")
    )
    assert stored == [(1, TEACHER_HINTS[0]), (2, TEACHER_HINTS[1]), (3, MODEL_HINT)]


@pytest.mark.django_db
def test_the_teachers_solution_is_shown_once_solutions_are_released(personas: Personas) -> None:
    Problem.objects.filter(pk=personas.problem.pk).update(solution="Subtract $3$: $2x = 4$, so $x = 2$.")
    url = reverse("problem_detail", args=[personas.problem.pk])

    def page() -> str:
        return re.sub(r"\s+", " ", client_for(personas.student).get(url).content.decode())

    Assignment.objects.filter(pk=personas.assignment.pk).update(tutor_mode=Assignment.TutorMode.SOCRATIC)
    assert "Your teacher's worked solution" not in page()
    assert "so $x = 2$" not in page()
    Assignment.objects.filter(pk=personas.assignment.pk).update(tutor_mode=Assignment.TutorMode.SOLUTIONS)
    assert "Your teacher's worked solution" in page()
    assert "so $x = 2$" in page()
