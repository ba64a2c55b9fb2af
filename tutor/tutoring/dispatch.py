"""Hands a queued reply to its generation job: a Celery task, or an asyncio task in-process."""

from __future__ import annotations

import asyncio
import logging

from asgiref.sync import sync_to_async
from django.conf import settings

logger = logging.getLogger(__name__)
_running: set[asyncio.Task[None]] = set()


async def generation_enqueue(*, message_id: int) -> None:
    if settings.TUTOR_GENERATION == "celery":
        from kombu.exceptions import OperationalError

        from .tasks import generate_reply

        try:
            # Publishing is blocking I/O (0.8 s against a refusing Redis): not on the event loop.
            await sync_to_async(generate_reply.delay, thread_sensitive=False)(message_id)
        except OperationalError:
            # Redis is away: the reply stays queued in the database and the worker's sweeper
            # (tutor/sweeper.py) queues it again once Redis is back. The student is not failed.
            logger.warning("could not queue the reply %s; the sweeper will", message_id, exc_info=True)
        return
    from .generation import generation_run

    task = asyncio.get_running_loop().create_task(generation_run(message_id=message_id))
    # Keep a strong reference: the loop holds tasks only weakly.
    _running.add(task)
    task.add_done_callback(_done)


def _done(task: asyncio.Task[None]) -> None:
    _running.discard(task)
    if not task.cancelled() and task.exception() is not None:
        logger.error("generation job failed", exc_info=task.exception())


async def wait_for_running_jobs(limit_seconds: float = 30) -> None:
    """For tests and shutdown: let in-process jobs finish."""
    if _running:
        await asyncio.wait(set(_running), timeout=limit_seconds)
