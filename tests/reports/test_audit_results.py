"""The answer-key audit's results page: per problem, whether the tutor agrees with the key, and
why a result is inconclusive; a summary ("1 of 4 agree"); linked from the set page."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse

from tests import factories
from tests.clients import client_for
from tests.conftest import Personas
from tests.tutoring.fake import FakeLLM, solution_tokens
from tutor.tutoring.audit import audit_run
from tutor.tutoring.models import AuditOutcome, AuditRun

pytestmark = pytest.mark.django_db(transaction=True)


def _four_problems(personas: Personas) -> int:
    right = personas.problem  # "Solve 2x + 3 = 7", key 2
    factories.make_problem(
        problem_set=personas.problem_set,
        key="wrong",
        title="Two and two",
        statement="What is $2 + 2$?",
        answer="5",
        position=9,
    )
    factories.make_problem(
        problem_set=personas.problem_set,
        key="garbled",
        title="Three and three",
        statement="What is $3 + 3$?",
        answer="6 +",
        position=10,
    )
    factories.make_problem(
        problem_set=personas.problem_set,
        key="vague",
        title="A vague one",
        statement="Describe $x$.",
        answer="7",
        position=11,
    )
    personas.problem_set.problems.exclude(key__in=[right.key, "wrong", "garbled", "vague"]).delete()
    return AuditRun.objects.create(
        problem_set=personas.problem_set, requested_by=personas.teacher, total=4
    ).pk


async def test_results_page_lists_each_problems_outcome_and_a_summary(
    personas: Personas, fake_llm: FakeLLM
) -> None:
    audit_id = await sync_to_async(_four_problems)(personas)
    fake_llm.reply(solution_tokens("Subtract 3, divide by 2.\n\n**Final answer:** $\\boxed{2}$"))
    fake_llm.reply(solution_tokens("Two and two make four.\n\n**Final answer:** $\\boxed{4}$"))
    fake_llm.reply(solution_tokens("Counting up: 3, 4.\n\n**Final answer:** $\\boxed{4}$"))
    fake_llm.reply(solution_tokens("It depends on what you mean; I can't say."))
    await audit_run(audit_id=audit_id)

    outcomes = await sync_to_async(dict)(
        AuditOutcome.objects.filter(audit_id=audit_id).values_list("problem__key", "outcome")
    )
    assert outcomes == {
        personas.problem.key: "agrees",
        "wrong": "disagrees",
        "garbled": "unreadable",
        "vague": "inconclusive",
    }

    def page() -> str:
        response = client_for(personas.teacher).get(reverse("audit_results", args=[personas.problem_set.pk]))
        assert response.status_code == 200
        return response.content.decode()

    html = await sync_to_async(page)()
    assert "Done: 1 of 4 agree, 1 disagrees, 1 unreadable key, 1 inconclusive" in html
    rows = {
        key: html.split(f" {title}</a>")[1].split("</tr>")[0]
        for key, title in (
            ("wrong", "Two and two"),
            ("garbled", "Three and three"),
            ("vague", "A vague one"),
        )
    }
    assert "Disagrees" in rows["wrong"] and "<code>4</code>" in rows["wrong"]
    assert "Key could not be read" in rows["garbled"]
    assert "Inconclusive" in rows["vague"] and "gave no final answer" in rows["vague"]


def test_the_set_page_links_to_the_results_and_outsiders_are_kept_out(personas: Personas) -> None:
    teacher = client_for(personas.teacher)
    set_page = teacher.get(reverse("problem_set_detail", args=[personas.problem_set.pk])).content.decode()
    url = reverse("audit_results", args=[personas.problem_set.pk])
    assert f'href="{url}"' in set_page
    assert "haven't been checked yet" in teacher.get(url).content.decode()
    assert client_for(personas.other_teacher).get(url).status_code == 404
    assert client_for(personas.student).get(url).status_code == 403


def test_an_unfinished_audit_says_how_far_it_got(personas: Personas) -> None:
    audit = AuditRun.objects.create(
        problem_set=personas.problem_set,
        requested_by=personas.teacher,
        total=3,
        processed=1,
        agreed=1,
        status=AuditRun.Status.RUNNING,
    )
    AuditOutcome.objects.create(audit=audit, problem=personas.problem, outcome="agrees", model_answer="2")
    html = (
        client_for(personas.teacher)
        .get(reverse("audit_results", args=[personas.problem_set.pk]))
        .content.decode()
    )
    assert "Checking: 1 of 3 problems done" in html
    assert html.count("still to check") == 2


def test_the_progress_can_be_polled(personas: Personas) -> None:
    audit = AuditRun.objects.create(
        problem_set=personas.problem_set,
        requested_by=personas.teacher,
        total=3,
        processed=1,
        agreed=1,
        status=AuditRun.Status.RUNNING,
    )
    AuditOutcome.objects.create(audit=audit, problem=personas.problem, outcome="agrees", model_answer="2")
    url = reverse("audit_results", args=[personas.problem_set.pk])
    assert client_for(personas.teacher).get(url, {"format": "json"}).json() == {
        "running": True,
        "processed": 1,
        "total": 3,
        "summary": "1 of 3 agree",
    }
    assert client_for(personas.other_teacher).get(url, {"format": "json"}).status_code == 404
