"""The answer-key audit against the test Ollama server: a wrong key is flagged, a right one's
verified solution is cached and then served to students without asking the model again."""

from __future__ import annotations

import uuid

import pytest
from asgiref.sync import sync_to_async

from tests import factories
from tests.conftest import Personas
from tests.tutoring.fake import FakeLLM, solution_tokens
from tests.tutoring.sockets import socket_for
from tests.tutoring.test_tutor_stream import frames_until_done
from tutor.tutoring.audit import audit_run
from tutor.tutoring.models import AuditRun, CachedSolution, Flag

pytestmark = pytest.mark.django_db(transaction=True)


async def test_audit_flags_a_wrong_key_and_caches_a_verified_solution(
    solutions_allowed: Personas, fake_llm: FakeLLM
) -> None:
    personas = solutions_allowed

    def setup() -> tuple[int, int, int]:
        right = personas.problem  # "Solve 2x + 3 = 7", key 2
        wrong = factories.make_problem(
            problem_set=personas.problem_set,
            key="wrong",
            statement="What is $2 + 2$?",
            answer="5",
            position=9,
        )
        unreadable = factories.make_problem(
            problem_set=personas.problem_set,
            key="garbled",
            statement="What is $3 + 3$?",
            answer="6 +",
            position=10,
        )
        personas.problem_set.problems.exclude(pk__in=[right.pk, wrong.pk, unreadable.pk]).delete()
        audit = AuditRun.objects.create(
            problem_set=personas.problem_set, requested_by=personas.teacher, total=3
        )
        return audit.pk, right.pk, wrong.pk

    audit_id, right_id, wrong_id = await sync_to_async(setup)()
    fake_llm.reply(solution_tokens("Subtract 3, divide by 2.\n\n**Final answer:** $\\boxed{2}$"))
    fake_llm.reply(solution_tokens("Two and two make four.\n\n**Final answer:** $\\boxed{4}$"))
    fake_llm.reply(solution_tokens("Counting up from 2: 3, 4.\n\n**Final answer:** $\\boxed{4}$"))
    await audit_run(audit_id=audit_id)

    audit = await sync_to_async(AuditRun.objects.get)(pk=audit_id)
    assert (audit.status, audit.processed, audit.agreed, audit.flagged) == ("done", 3, 1, 2)
    flags = await sync_to_async(list)(
        Flag.objects.order_by("kind").values("kind", "problem_id", "model_answer", "detail")
    )
    kinds = {f["kind"]: f for f in flags}
    assert kinds["key_disagreement"]["problem_id"] == wrong_id
    assert kinds["key_disagreement"]["model_answer"] == "4"
    assert "The key says 5" in kinds["key_disagreement"]["detail"]
    assert "could not be read" in kinds["key_unparseable"]["detail"]
    cached = await sync_to_async(CachedSolution.objects.get)(problem_id=right_id)
    assert cached.final_answer == "2" and cached.verification == "verified"
    assert len(fake_llm.requests) == 3

    async with socket_for(personas.student) as ws:
        await ws.send_json_to({"type": "open", "problem_id": right_id})
        await ws.receive_json_from()
        await ws.send_json_to({"type": "ask", "mode": "solution", "request_id": str(uuid.uuid4())})
        accepted = await ws.receive_json_from()
        frames = await frames_until_done(ws, accepted["message_id"])
    assert next(f for f in frames if f["type"] == "verification")["status"] == "verified"
    assert len(fake_llm.requests) == 3, "the cached solution was served without asking the model"


async def test_a_cached_solution_with_a_broken_step_is_not_served(
    solutions_allowed: Personas, fake_llm: FakeLLM
) -> None:
    """The audit checks the final answer; the steps are checked when a student is served the cached
    solution, like a fresh one's (issue 12): a broken step means the model writes a new one."""
    personas = solutions_allowed
    broken = "Subtract 3: $2x = 5$, so $x = 2$.\n\n**Final answer:** $\\boxed{2}$"
    right = "Subtract 3: $2x = 4$, so $x = 2$.\n\n**Final answer:** $\\boxed{2}$"
    await sync_to_async(CachedSolution.objects.create)(
        problem=personas.problem,
        model_name=personas.problem_set.model_name,
        content=broken,
        final_answer="2",
        verification="verified",
        answer_key=personas.problem.answer,
    )
    fake_llm.reply(solution_tokens(right))
    async with socket_for(personas.student) as ws:
        await ws.send_json_to({"type": "open", "problem_id": personas.problem.pk})
        await ws.receive_json_from()
        await ws.send_json_to({"type": "ask", "mode": "solution", "request_id": str(uuid.uuid4())})
        accepted = await ws.receive_json_from()
        frames = await frames_until_done(ws, accepted["message_id"])
        # Reloading the page: the transcript says how many steps were checked, as the live frame did.
        await ws.send_json_to({"type": "open", "problem_id": personas.problem.pk})
        session = await ws.receive_json_from()
    verification = next(f for f in frames if f["type"] == "verification")
    assert verification["status"] == "verified"
    assert "2x = 5" not in "".join(f.get("text", "") for f in frames)
    assert len(fake_llm.requests) == 1, "the model wrote a fresh solution"
    reply = next(m for m in session["messages"] if m["message_id"] == accepted["message_id"])
    assert reply["steps"] == verification["steps"] and reply["steps"]["checked"] >= 1
    assert reply["verification_reason"] == verification["reason"]
