"""Every step of the tutor's worked solution is checked, not only its final answer, and a student's
own working is checked line by line before the model is asked for feedback (issue 12 ★).

End to end: the student's socket, the generation job, the checker's sandbox and the
Ollama-compatible test server speaking the real protocol.
"""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from tests.conftest import Personas
from tests.tutoring.fake import FakeLLM, solution_tokens
from tests.tutoring.sockets import socket_for
from tests.tutoring.test_tutor_stream import frames_until_done, open_and_ask, visible_text
from tutor.tutoring.models import Flag, Message

pytestmark = pytest.mark.django_db(transaction=True)

# The problem of every persona: "Solve $2x + 3 = 7$.", key 2.
RIGHT = (
    "1. **Subtract 3 from both sides:**\n   \\[\n   2x + 3 - 3 = 7 - 3\n   \\]\n"
    "   \\[\n   2x = 4\n   \\]\n"
    "2. **Divide both sides by 2:**\n   \\[\n   x = \\frac{4}{2} = 2\n   \\]\n\n"
    "**Final answer:** \\(\\boxed{2}\\)"
)
# Step 2 is wrong (7 - 3 is not 5), and the final answer is still right.
BROKEN_STEP = (
    "1. **Subtract 3 from both sides:**\n   \\[\n   2x + 3 - 3 = 7 - 3\n   \\]\n"
    "   \\[\n   2x = 5\n   \\]\n"
    "2. **Divide both sides by 2:**\n   \\[\n   x = 2\n   \\]\n\n"
    "**Final answer:** \\(\\boxed{2}\\)"
)


async def test_a_right_answer_after_a_wrong_step_is_regenerated_then_shown_unverified_and_flagged(
    solutions_allowed: Personas, fake_llm: FakeLLM, settings
) -> None:
    settings.TUTOR_MAX_REGENERATIONS = 1
    fake_llm.reply(solution_tokens(BROKEN_STEP))
    fake_llm.reply(solution_tokens(BROKEN_STEP))
    async with socket_for(solutions_allowed.student) as ws:
        message_id = await open_and_ask(ws, solutions_allowed.problem.pk)
        frames = await frames_until_done(ws, message_id, limit=30)
    # Regenerated once, with the checker's reason fed back to the model.
    assert [f["type"] for f in frames].count("reset") == 1
    assert len(fake_llm.requests) == 2
    retry = fake_llm.requests[1]["messages"][-1]["content"]
    assert "step 2: `2x = 5` does not follow from `2x + 3 - 3 = 7 - 3`" in retry
    # Still broken: shown unverified, the step named for the page to mark.
    verification = next(f for f in frames if f["type"] == "verification")
    assert verification["status"] == "unverified"
    assert verification["steps"]["failed_step"] == 2
    assert verification["steps"]["failed_latex"] == "2x = 5"
    assert verification["steps"]["reason"] == "step 2: `2x = 5` does not follow from `2x + 3 - 3 = 7 - 3`"
    assert "a step on the way" in verification["reason"]
    assert visible_text(frames) == BROKEN_STEP
    stored = await sync_to_async(Message.objects.get)(pk=message_id)
    assert stored.verification == Message.Verification.UNVERIFIED
    flag = await sync_to_async(Flag.objects.get)(message_id=message_id)
    assert flag.kind == Flag.Kind.UNVERIFIED_ANSWER
    assert "2x = 5" in flag.detail


async def test_a_fully_right_solution_says_how_many_steps_were_checked(
    solutions_allowed: Personas, fake_llm: FakeLLM
) -> None:
    fake_llm.reply(solution_tokens(RIGHT))
    async with socket_for(solutions_allowed.student) as ws:
        message_id = await open_and_ask(ws, solutions_allowed.problem.pk)
        frames = await frames_until_done(ws, message_id)
    verification = next(f for f in frames if f["type"] == "verification")
    assert verification["status"] == "verified"
    assert verification["steps"]["checked"] == 4
    assert verification["steps"]["failed_step"] is None
    assert len(fake_llm.requests) == 1
    # Streamed as before: only the final answer waited for the checker.
    before = visible_text(frames[: frames.index(verification) - 1])
    assert "boxed" not in before and "2x = 4" in before
    assert not await sync_to_async(Flag.objects.filter(message_id=message_id).exists)()


WORKING_WRONG_LINE_3 = "2x + 3 = 7\n2x = 7 - 3\n2x = 5\nx = 2.5"


async def test_feedback_names_the_students_first_wrong_line(personas: Personas, fake_llm: FakeLLM) -> None:
    fake_llm.reply(
        solution_tokens(
            "Lines 1 and 2 are right. In line 3 you wrote $2x = 5$, but $7 - 3$ is not $5$. What is $7 - 3$?"
        )
    )
    async with socket_for(personas.student) as ws:
        message_id = await open_and_ask(ws, personas.problem.pk, mode="feedback", text=WORKING_WRONG_LINE_3)
        frames = await frames_until_done(ws, message_id)
    checked = next(f for f in frames if f["type"] == "status" and f.get("code") == "working_checked")
    assert checked["working"]["failed_line"] == 3
    assert checked["working"]["latex"] == "2x = 5"
    # The model was told which line is wrong and that the ones before it follow; never the key.
    prompt = fake_llm.requests[0]["messages"][-1]["content"]
    assert "Line 3 does not follow: line 3: `2x = 5` does not follow from `2x = 7 - 3`" in prompt
    assert "Lines 1, 2 follow correctly" in prompt
    assert "without giving the final answer" in prompt
    assert "line 3" in visible_text(frames).lower()


async def test_working_with_no_mistake_and_a_right_last_line_is_praised_without_the_model(
    personas: Personas, fake_llm: FakeLLM
) -> None:
    async with socket_for(personas.student) as ws:
        message_id = await open_and_ask(
            ws, personas.problem.pk, mode="feedback", text="2x + 3 = 7\n2x = 4\nx = 2"
        )
        frames = await frames_until_done(ws, message_id)
    assert fake_llm.requests == []
    assert "each line follows" in visible_text(frames)
    assert frames[-1]["status"] == "complete"


async def test_working_that_is_consistent_but_unfinished_still_goes_to_the_model(
    personas: Personas, fake_llm: FakeLLM
) -> None:
    fake_llm.reply(solution_tokens("Good so far. What could you do to both sides next?"))
    async with socket_for(personas.student) as ws:
        message_id = await open_and_ask(ws, personas.problem.pk, mode="feedback", text="2x + 3 = 7\n2x = 4")
        frames = await frames_until_done(ws, message_id)
    assert len(fake_llm.requests) == 1
    assert visible_text(frames) == "Good so far. What could you do to both sides next?"


async def test_a_bare_guess_is_not_confirmed_without_the_model(personas: Personas, fake_llm: FakeLLM) -> None:
    """One line is a guess, not working: no free 'that's right' outside the answer box."""
    fake_llm.reply(solution_tokens("How did you get that? Show me your steps."))
    async with socket_for(personas.student) as ws:
        message_id = await open_and_ask(ws, personas.problem.pk, mode="feedback", text="x = 2")
        frames = await frames_until_done(ws, message_id)
    assert len(fake_llm.requests) == 1
    assert "each line follows" not in visible_text(frames)


async def test_a_wrong_step_on_the_final_answer_line_is_still_caught(
    solutions_allowed: Personas, fake_llm: FakeLLM, settings
) -> None:
    """The steps before the final answer are checked while the model still writes it; a final line
    that is a step of its own (`x = 4/3 = 2`) is checked with the rest, not waved through."""
    settings.TUTOR_MAX_REGENERATIONS = 0
    text = (
        "1. **Subtract 3 from both sides:**\n   \\[\n   2x = 4\n   \\]\n\n"
        "**Final answer:** \\(x = \\frac{4}{3} = \\boxed{2}\\)"
    )
    fake_llm.reply(solution_tokens(text))
    async with socket_for(solutions_allowed.student) as ws:
        message_id = await open_and_ask(ws, solutions_allowed.problem.pk)
        frames = await frames_until_done(ws, message_id)
    verification = next(f for f in frames if f["type"] == "verification")
    assert verification["status"] == "unverified", verification
    assert "4}{3}" in verification["steps"]["failed_latex"]
