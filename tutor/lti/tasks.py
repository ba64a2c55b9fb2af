from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_score(row_id: int) -> None:
    """Send one outbox row; on failure, come back when its back-off is over. A copy of this task
    that is lost (a broker restart) is made up by `retry_scores`, run by `manage.py lti_scores`."""
    from .grades import score_send

    row = score_send(row_id=row_id)
    # Eager Celery (the embedded default) would run the retry at once, ignoring its time: there,
    # `manage.py lti_scores` makes the retry pass instead.
    if row is not None and row.status == row.Status.FAILED and not send_score.app.conf.task_always_eager:
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
