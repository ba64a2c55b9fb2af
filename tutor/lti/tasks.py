from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import timezone


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_score(row_id: int) -> None:
    """Send one outbox row; on failure, come back when its back-off is over. A copy of this task
    that is lost (a broker restart) is made up by `retry_scores`, run by `manage.py lti_scores`."""
    from .grades import score_send

    row = score_send(row_id=row_id)
    if row is None or row.status != row.Status.FAILED or row.next_try_at is None:
        return
    # Eager Celery (the embedded default) would run the retry at once, ignoring its time; and Redis
    # hands a task held past its visibility timeout to another worker (copies of a long-delayed
    # retry). Short waits are queued here; the rest are left to the retry pass (`lti_scores`).
    wait = (row.next_try_at - timezone.now()).total_seconds()
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    if not send_score.app.conf.task_always_eager and wait < visibility / 2:
        send_score.apply_async((row_id,), eta=row.next_try_at)


@shared_task(acks_late=True, ignore_result=True)
def retry_scores() -> None:
    from .grades import scores_due

    for row_id in scores_due():
        send_score.delay(row_id)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def sync_roster(context_id: int) -> None:
    from .roster import roster_sync

    roster_sync(context_id=context_id)
