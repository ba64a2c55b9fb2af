"""The tutor's headline guarantees, each tested again from the student's side (issue 18, item 10).

- By default a worked solution unlocks only after the student has had a go: the assignment's
  default policy ("after attempts", 2) is what a student meets, not a solutions-allowed fixture.
- A streamed solution never shows its final-answer line before the checker has verified it, even
  when the model boxes the answer in the middle of a sentence with more text after it.

docs/testing.md lists the mutation each test was written to kill.
"""

from __future__ import annotations

import uuid
from html.parser import HTMLParser

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import reverse

from tests.conftest import Personas
from tests.tutoring.fake import FakeLLM, solution_tokens
from tests.tutoring.sockets import socket_for
from tests.tutoring.test_tutor_stream import CORRECT, frames_until_done, visible_text

pytestmark = pytest.mark.django_db(transaction=True)

WRONG_ANSWER = "5"  # the problem is 2x + 3 = 7, so x = 2


class _SolutionButton(HTMLParser):
    """The "Show a worked solution" button and the sentence that says why it is locked."""

    def __init__(self) -> None:
        super().__init__()
        self.disabled: bool | None = None
        self.reason = ""
        self._in_reason = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id") == "ask-solution":
            self.disabled = "disabled" in found
        self._in_reason = found.get("id") == "solution-locked"

    def handle_data(self, data: str) -> None:
        if self._in_reason:
            self.reason += data

    def handle_endtag(self, tag: str) -> None:
        self._in_reason = False


def _student_client(personas: Personas) -> Client:
    client = Client()
    client.force_login(personas.student)
    return client


def solution_button(personas: Personas) -> _SolutionButton:
    response = _student_client(personas).get(reverse("problem_detail", args=[personas.problem.pk]))
    assert response.status_code == 200
    button = _SolutionButton()
    button.feed(response.content.decode())
    assert button.disabled is not None, "the problem page has no worked-solution button"
    return button


def submit(personas: Personas, answer: str) -> dict:
    response = _student_client(personas).post(
        reverse("answer_submit", args=[personas.problem.pk]), {"answer": answer}
    )
    assert response.status_code == 200, response.content
    return response.json()


async def ask_for_the_solution(ws: WebsocketCommunicator, problem_id: int) -> dict:
    """The first frame the tutor answers a request for the worked solution with."""
    await ws.send_json_to({"type": "open", "problem_id": problem_id})
    assert (await ws.receive_json_from(timeout=5))["type"] == "session"
    await ws.send_json_to({"type": "ask", "mode": "solution", "request_id": str(uuid.uuid4())})
    return await ws.receive_json_from(timeout=5)


# --- the default "solution after N attempts" lock ------------------------------------------------


async def test_by_default_the_worked_solution_is_locked_until_the_student_has_a_go(
    personas: Personas, fake_llm: FakeLLM
) -> None:
    assignment = personas.assignment
    assert (assignment.tutor_mode, assignment.solutions_after_attempts) == ("after_attempts", 2)
    button = await sync_to_async(solution_button)(personas)
    assert button.disabled
    assert "unlocks after 2 more attempts" in button.reason
    async with socket_for(personas.student) as ws:
        frame = await ask_for_the_solution(ws, personas.problem.pk)
    assert frame["type"] == "error" and frame["code"] == "solution_locked", frame
    assert "Have a go first" in frame["message"]
    assert fake_llm.requests == [], "a locked solution never reaches the model"


async def test_two_wrong_attempts_unlock_the_worked_solution(personas: Personas, fake_llm: FakeLLM) -> None:
    first = await sync_to_async(submit)(personas, WRONG_ANSWER)
    assert first["correct"] is False and first["counted"] is True
    button = await sync_to_async(solution_button)(personas)
    assert button.disabled and "unlocks after 1 more attempt." in button.reason

    await sync_to_async(submit)(personas, WRONG_ANSWER)
    assert not (await sync_to_async(solution_button)(personas)).disabled
    fake_llm.reply(solution_tokens(CORRECT))
    async with socket_for(personas.student) as ws:
        accepted = await ask_for_the_solution(ws, personas.problem.pk)
        assert accepted["type"] == "accepted", accepted
        frames = await frames_until_done(ws, accepted["message_id"])
    assert visible_text(frames) == CORRECT


async def test_a_correct_attempt_unlocks_the_worked_solution_at_once(
    personas: Personas, fake_llm: FakeLLM
) -> None:
    assert (await sync_to_async(submit)(personas, "2"))["correct"] is True
    assert not (await sync_to_async(solution_button)(personas)).disabled
    fake_llm.reply(solution_tokens(CORRECT))
    async with socket_for(personas.student) as ws:
        accepted = await ask_for_the_solution(ws, personas.problem.pk)
    assert accepted["type"] == "accepted", accepted


# --- the final answer is held back until verified ------------------------------------------------

# The model boxes its answer in the middle of a line, after a lead-in that opens the maths
# ("Thus $x = "), and goes on writing after it. Split where a careless hold-back would show the
# lead-in: each token is what Phi-4's tokenizer could plausibly send.
BOXED_MID_STREAM = [
    "We subtract $3$ from both sides, ",
    "which leaves $2x = 4$.\n\n",
    "Thus",
    " $x",
    " = ",
    "\\box",
    "ed{2}$",
    ", and a check confirms it: ",
    "$2 \\cdot 2 + 3 = 7$.\n",
]
FINAL_LINE = "Thus $x = \\boxed{2}$, and a check confirms it: $2 \\cdot 2 + 3 = 7$.\n"


async def test_a_solution_that_boxes_its_answer_mid_sentence_shows_that_line_only_once_verified(
    solutions_allowed: Personas, fake_llm: FakeLLM
) -> None:
    personas = solutions_allowed
    fake_llm.reply(BOXED_MID_STREAM)
    async with socket_for(personas.student) as ws:
        accepted = await ask_for_the_solution(ws, personas.problem.pk)
        assert accepted["type"] == "accepted", accepted
        frames = await frames_until_done(ws, accepted["message_id"])
    verification = next(f for f in frames if f["type"] == "verification")
    assert verification["status"] == "verified"
    # The held-back line arrives in the same batch as its verdict, just before it.
    released = frames[frames.index(verification) - 1]
    assert released["type"] == "delta" and released["text"].startswith("Thus"), released
    before = visible_text(frames[: frames.index(released)])
    assert before == "We subtract $3$ from both sides, which leaves $2x = 4$.\n\n", (
        "only the steps before the final-answer line are shown before verification"
    )
    assert before.count("$") % 2 == 0, "no half-open formula is shown"
    assert visible_text(frames) == "".join(BOXED_MID_STREAM)
    assert visible_text(frames).endswith(FINAL_LINE)
