"""The tutor on a randomised problem: the prompt sent to the Ollama-compatible test server holds
the student's own numbers (the same as on their page), and the verification gate checks the
model's answer against the student's own key, so a solution right for a classmate's numbers is not
verified for this student."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from tests import factories
from tests.conftest import Personas
from tests.tutoring.fake import FakeLLM, solution_tokens
from tests.tutoring.sockets import socket_for
from tests.tutoring.test_tutor_stream import frames_until_done, open_and_ask
from tutor.problems import variants
from tutor.problems.models import Problem

pytestmark = pytest.mark.django_db(transaction=True)


def boxed(value: str) -> str:
    return f"Multiply the width by the height.\n\n**Final answer:** $\\boxed{{{value}}}$"


def make_area_problem(personas: Personas) -> Problem:
    return factories.make_problem(
        problem_set=personas.problem_set,
        key="area",
        statement="A rectangle is {w} cm wide and {h} cm high. What is its area?",
        answer="{w}*{h}",
        template={"variables": {"w": {"range": [11, 999]}, "h": {"range": [11, 999]}}},
    )


def numbers(personas: Personas, problem: Problem, student) -> tuple[str, str, str]:
    variant = variants.resolve(problem=problem, user=student).variant
    return variant.value_of["w"], variant.value_of["h"], variant.answer


async def test_the_prompt_has_the_students_numbers_and_the_gate_checks_their_key(
    solutions_allowed: Personas, fake_llm: FakeLLM
) -> None:
    personas = solutions_allowed
    problem = await sync_to_async(make_area_problem)(personas)
    w, h, key = await sync_to_async(numbers)(personas, problem, personas.student)
    fake_llm.reply(solution_tokens(boxed(key)))
    async with socket_for(personas.student) as ws:
        message_id = await open_and_ask(ws, problem.pk)
        frames = await frames_until_done(ws, message_id)
    verification = next(f for f in frames if f["type"] == "verification")
    assert verification["status"] == "verified", verification
    prompt = str(fake_llm.requests[-1]["messages"])
    assert f"A rectangle is {w} cm wide and {h} cm high" in prompt
    assert "{w}" not in prompt and "{h}" not in prompt

    def page_and_rows() -> tuple[str, int]:
        from django.urls import reverse

        from tests.clients import client_for
        from tutor.problems.models import Variant

        page = client_for(personas.student).get(reverse("problem_detail", args=[problem.pk])).content.decode()
        return page, Variant.objects.filter(problem=problem, user=personas.student).count()

    page, rows = await sync_to_async(page_and_rows)()
    assert f"A rectangle is {w} cm wide and {h} cm high" in page, "the page and the socket: the same numbers"
    assert rows == 1, "one stored variant, read by the page and by the tutor"


async def test_a_solution_right_for_a_classmates_numbers_is_not_verified(
    solutions_allowed: Personas, fake_llm: FakeLLM
) -> None:
    personas = solutions_allowed
    problem = await sync_to_async(make_area_problem)(personas)
    _, _, mine = await sync_to_async(numbers)(personas, problem, personas.student)
    bw, bh, theirs = await sync_to_async(numbers)(personas, problem, personas.classmate)
    assert mine != theirs
    for _ in range(3):
        fake_llm.reply(solution_tokens(boxed(theirs)))
    async with socket_for(personas.student) as ws:
        message_id = await open_and_ask(ws, problem.pk)
        frames = await frames_until_done(ws, message_id, limit=30)
    verification = next(f for f in frames if f["type"] == "verification")
    assert verification["status"] == "unverified"
    assert len(fake_llm.requests) == 3, "the classmate's answer was refused and regenerated"
    assert f"{bw} cm wide and {bh} cm high" not in str(fake_llm.requests[0]["messages"])

    # The teacher reviewing the flagged reply sees this student's key, not the template.
    def review_page() -> str:
        from django.urls import reverse

        from tests.clients import client_for
        from tutor.tutoring.models import Flag

        flag = Flag.objects.get(problem=problem, kind=Flag.Kind.UNVERIFIED_ANSWER)
        return client_for(personas.teacher).get(reverse("review_flag", args=[flag.pk])).content.decode()

    page = await sync_to_async(review_page)()
    assert f"<code>{mine}</code>" in page and "{w}" not in page


async def test_a_hint_that_gives_away_the_students_own_key_is_held_back(
    personas: Personas, fake_llm: FakeLLM
) -> None:
    problem = await sync_to_async(make_area_problem)(personas)
    _, _, key = await sync_to_async(numbers)(personas, problem, personas.student)
    leak = f"The area is {key}."
    for _ in range(3):
        fake_llm.reply([leak])
    async with socket_for(personas.student) as ws:
        message_id = await open_and_ask(ws, problem.pk, mode="hint")
        frames = await frames_until_done(ws, message_id, limit=30)
    shown = "".join(f.get("text", "") for f in frames if f["type"] == "delta")
    assert key not in shown, shown


async def test_a_verified_solution_is_cached_for_its_variant_only(
    solutions_allowed: Personas, fake_llm: FakeLLM
) -> None:
    """A randomised problem's verified worked solution is kept for its own numbers: the same student
    asking again is served it without the model; a classmate with other numbers gets a fresh one,
    checked against their own key (issue 13, "cached verified solutions per variant")."""
    from tutor.tutoring.models import CachedSolution

    personas = solutions_allowed
    problem = await sync_to_async(make_area_problem)(personas)
    _, _, key = await sync_to_async(numbers)(personas, problem, personas.student)
    _, _, other_key = await sync_to_async(numbers)(personas, problem, personas.classmate)
    assert key != other_key
    fake_llm.reply(solution_tokens(boxed(key)))
    fake_llm.reply(solution_tokens(boxed(other_key)))
    async with socket_for(personas.student) as ws:
        first = await open_and_ask(ws, problem.pk)
        await frames_until_done(ws, first)
    assert await sync_to_async(CachedSolution.objects.filter(problem=problem).count)() == 1
    async with socket_for(personas.student) as ws:
        again = await open_and_ask(ws, problem.pk)
        frames = await frames_until_done(ws, again)
    assert next(f for f in frames if f["type"] == "verification")["status"] == "verified"
    assert len(fake_llm.requests) == 1, "the same numbers: served from the cache"
    async with socket_for(personas.classmate) as ws:
        theirs = await open_and_ask(ws, problem.pk)
        frames = await frames_until_done(ws, theirs)
    verification = next(f for f in frames if f["type"] == "verification")
    assert verification["status"] == "verified" and verification["final_answer"] == other_key
    assert len(fake_llm.requests) == 2, "other numbers: a fresh solution, not the first student's"
    assert await sync_to_async(CachedSolution.objects.filter(problem=problem).count)() == 2


async def test_the_teachers_hint_and_the_step_check_use_the_students_numbers(
    solutions_allowed: Personas, fake_llm: FakeLLM, settings
) -> None:
    """The hint ladder's first hint is the teacher's, with the student's own numbers; a worked
    solution whose final answer is right but whose step is wrong for these numbers is not verified."""
    from tests.tutoring.test_tutor_stream import visible_text

    settings.TUTOR_MAX_REGENERATIONS = 0
    personas = solutions_allowed

    def make() -> Problem:
        problem = make_area_problem(personas)
        problem.hints = ["Multiply {w} by {h}."]
        problem.save()
        return problem

    problem = await sync_to_async(make)()
    w, h, key = await sync_to_async(numbers)(personas, problem, personas.student)
    wrong_step = int(key) + 1
    fake_llm.reply(
        solution_tokens(
            f"The area is width times height: $A = {w} \\times {h} = {wrong_step}$.\n\n**Final answer:** $\\boxed{{{key}}}$"
        )
    )
    async with socket_for(personas.student) as ws:
        hint = await open_and_ask(ws, problem.pk, mode="hint")
        hint_frames = await frames_until_done(ws, hint)
        await ws.send_json_to(
            {"type": "ask", "mode": "solution", "request_id": "6f1b8d2e-1c1a-4a8e-9c7d-2f9a1f3b4c5d"}
        )
        accepted = await ws.receive_json_from(timeout=5)
        frames = await frames_until_done(ws, accepted["message_id"])
    assert visible_text(hint_frames) == f"Multiply {w} by {h}."
    verification = next(f for f in frames if f["type"] == "verification")
    assert verification["status"] == "unverified", verification
    assert str(wrong_step) in verification["steps"]["failed_latex"]
