"""Answer-key audits under abuse (issue 11: 20 POSTs in 0.4 s started 20 audits, each up to
2 x 500 model calls): one audit per set at a time, TUTOR_AUDITS_PER_HOUR per teacher."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.clients import client_for
from tests.conftest import Personas
from tutor.tutoring.models import AuditRun

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return response.content.decode().replace("&#x27;", "'")


def start(client: Client, problem_set):
    return client.post(reverse("problem_set_audit", args=[problem_set.pk]))


def test_twenty_audit_posts_start_one_audit(personas: Personas) -> None:
    client = client_for(personas.teacher)
    responses = [start(client, personas.problem_set) for _ in range(20)]
    assert responses[0].status_code == 302
    assert AuditRun.objects.count() == 1
    assert {r.status_code for r in responses[1:]} == {409}
    assert "An audit of this set is already running (0 of 3 problems checked)" in text(responses[1])
    assert "you can start another audit once it has finished" in text(responses[1])


def test_a_teacher_starts_a_few_audits_an_hour_then_is_asked_to_wait(personas: Personas) -> None:
    client = client_for(personas.teacher)
    sets = [factories.make_problem_set(owner=personas.teacher, title=f"Set {n}") for n in range(5)]
    for problem_set in sets[:3]:
        assert start(client, problem_set).status_code == 302
    AuditRun.objects.update(status=AuditRun.Status.DONE)  # even finished ones count towards the hour
    refused = start(client, sets[3])
    assert refused.status_code == 429
    assert "You've started as many answer-key audits as one hour allows" in text(refused)
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert AuditRun.objects.count() == 3

    # Another teacher is not affected.
    assert start(client_for(personas.other_teacher), personas.other_problem_set).status_code == 302


def test_an_audit_whose_worker_was_lost_does_not_block_the_set_forever(personas: Personas, settings) -> None:
    lost = AuditRun.objects.create(
        problem_set=personas.problem_set, requested_by=personas.teacher, status=AuditRun.Status.RUNNING
    )
    client = client_for(personas.teacher)
    assert start(client, personas.problem_set).status_code == 409
    AuditRun.objects.filter(pk=lost.pk).update(
        created_at=timezone.now() - timedelta(minutes=settings.TUTOR_AUDIT_STALE_MINUTES + 1)
    )
    assert start(client, personas.problem_set).status_code == 302
    assert AuditRun.objects.count() == 2


def test_only_the_owner_audits_a_set(personas: Personas) -> None:
    assert start(client_for(personas.other_teacher), personas.problem_set).status_code == 404
    assert start(client_for(personas.student), personas.problem_set).status_code == 403
    assert not AuditRun.objects.exists()
