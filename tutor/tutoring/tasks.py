from __future__ import annotations

import asyncio
import threading
from concurrent.futures import TimeoutError as FutureTimeout

from asgiref.sync import async_to_sync
from celery import shared_task
from django.conf import settings

_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


def generation_loop() -> asyncio.AbstractEventLoop:
    """One event loop per worker process, on its own thread, runs every generation of the process.

    A generation is mostly waiting on Ollama; fifty of them share one loop cheaply. Giving each
    task its own loop (async_to_sync per task) cost a loop, Redis connections and HTTP clients per
    answer, and fifty such threads fought over the GIL: 7 tokens/s per stream instead of 30
    (docs/benchmarks.md). Created lazily, so a prefork child makes its own after the fork.
    """
    global _loop
    with _loop_lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="generation-loop", daemon=True).start()
            _loop = loop
        return _loop


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def generate_reply(message_id: int) -> None:
    """Celery entry for a generation job. Safe to redeliver: the job claims its message first.

    Run the worker with `--pool=threads --concurrency=N`: each task's thread only waits here while
    the shared loop streams the answer. (The threads pool has no time limits; this wait has one.)
    """
    from .generation import generation_run

    future = asyncio.run_coroutine_threadsafe(generation_run(message_id=message_id), generation_loop())
    try:
        future.result(timeout=settings.CELERY_TASK_TIME_LIMIT)
    except FutureTimeout:
        future.cancel()
        raise


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def audit_problem_set(audit_id: int) -> None:
    from .audit import audit_run

    async_to_sync(audit_run)(audit_id=audit_id)
