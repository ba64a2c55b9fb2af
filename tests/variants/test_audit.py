"""The answer-key audit of a randomised problem: the tutor solves five sample variants, each
checked against its own key; the result says which variants failed, and the flags name them."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from tests import factories
from tests.conftest import Personas
from tests.tutoring.fake import FakeLLM, solution_tokens
from tutor.problems import variants
from tutor.tutoring.audit import audit_run
from tutor.tutoring.models import AuditOutcome, AuditRun, CachedSolution, Flag

pytestmark = pytest.mark.django_db(transaction=True)


def boxed(value: str) -> list[str]:
    return solution_tokens(f"Add them up.\n\n**Final answer:** $\\boxed{{{value}}}$")


async def test_the_audit_checks_five_variants_and_says_which_failed(
    personas: Personas, fake_llm: FakeLLM
) -> None:
    def setup() -> tuple[int, int, list[dict]]:
        problem = factories.make_problem(
            problem_set=personas.problem_set,
            key="sum",
            statement="What is {a} + {b}?",
            answer="{a}+{b}",
            template={"variables": {"a": {"range": [10, 99]}, "b": {"range": [10, 99]}}},
        )
        personas.problem_set.problems.exclude(pk=problem.pk).delete()
        audit = AuditRun.objects.create(
            problem_set=personas.problem_set, requested_by=personas.teacher, total=1
        )
        samples = variants._compute(problem, list(range(variants.AUDIT_VARIANTS)))["variants"]
        return audit.pk, problem.pk, samples

    audit_id, problem_id, samples = await sync_to_async(setup)()
    for sample in samples[:4]:
        fake_llm.reply(boxed(sample["answer"]))
    wrong = str(int(samples[4]["answer"]) + 1)
    fake_llm.reply(boxed(wrong))
    fake_llm.reply(boxed(wrong))
    await audit_run(audit_id=audit_id)

    assert len(fake_llm.requests) == 6, "five variants, the last one asked twice"
    for sample, request in zip(samples, fake_llm.requests, strict=False):
        a, b = sample["values"]["a"], sample["values"]["b"]
        assert f"What is {a} + {b}?" in str(request["messages"]), "each variant is solved with its numbers"
    result = await sync_to_async(AuditOutcome.objects.get)(audit_id=audit_id, problem_id=problem_id)
    values = samples[4]["values"]
    assert result.outcome == "disagrees"
    assert (
        f"1 of 5 sample variants disagree with their key: variant 5 (a = {values['a']}, b = {values['b']})"
        in result.reason
    )
    flag = await sync_to_async(Flag.objects.get)(problem_id=problem_id)
    assert flag.detail.startswith("In variant 5 (") and f"The key says {samples[4]['answer']}" in flag.detail
    assert not await sync_to_async(CachedSolution.objects.filter(problem_id=problem_id).exists)(), (
        "a verified solution of one variant is never served to another student"
    )
