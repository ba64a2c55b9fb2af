from __future__ import annotations

from celery import shared_task
from django.conf import settings

# Reading is bounded by its child process and key checking by its budget (importers/sandbox.py,
# services.problem_set_validate); these limits add a backstop for saving, for workers whose pool
# enforces them (prefork; the threads pool the tutor's workers use does not).
SOFT_TIME_LIMIT = int(settings.PROBLEM_UPLOAD_READ_SECONDS + settings.PROBLEM_UPLOAD_CHECK_SECONDS) + 120


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    soft_time_limit=SOFT_TIME_LIMIT,
    time_limit=SOFT_TIME_LIMIT + 30,
)
def run_import_job(job_id: int) -> None:
    from .services import import_job_run

    import_job_run(job_id=job_id)
