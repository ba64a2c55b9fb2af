from __future__ import annotations

from asgiref.sync import async_to_sync
from celery import shared_task


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def generate_reply(message_id: int) -> None:
    """Celery entry for a generation job. Safe to redeliver: the job claims its message first."""
    from .generation import generation_run

    async_to_sync(generation_run)(message_id=message_id)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def audit_problem_set(audit_id: int) -> None:
    from .audit import audit_run

    async_to_sync(audit_run)(audit_id=audit_id)
