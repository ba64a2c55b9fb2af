"""Queues again, from PostgreSQL, the work the broker has forgotten.

PostgreSQL is where every task's state lives; Redis only carries the nudge. A Redis restarted
without its data (or a publish that failed while Redis was down) leaves rows that say "queued"
with nothing in Redis that will ever run them: a student's question that is never answered, an
upload whose page says "waiting" for ever. Every worker runs a sweeper thread that, every
`TUTOR_SWEEP_SECONDS`, finds such rows and queues their task again:

- tutor answers still queued or streaming with no live claim (never claimed, or no heartbeat for
  `TUTOR_CLAIM_STALE_SECONDS`: the job that had them died with its worker),
- import jobs still waiting to start,
- answer-key audits still waiting to start,

when they are older than `TUTOR_SWEEP_GRACE_SECONDS` (time for the task to reach Redis after the
row was committed), younger than `TUTOR_SWEEP_MAX_AGE_SECONDS`, and not in any broker queue nor
held unacknowledged by a worker (for an answer whose job died, a copy held unacknowledged is the
dead worker's and doesn't count: Redis would give it out again only after the visibility timeout).
A task queued twice is harmless: each claims its row with a conditional UPDATE and a second copy
ends there; an answer taken over continues the text already shown. One worker sweeps at a time
(a Redis lock held while it reads the broker and queues), so the next one finds what it queued and
several workers don't queue the same row together.

No beat process: a thread per worker, started when the worker is ready (tutor/celery.py).
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import connections
from django.db.models import Q
from django.utils import timezone

from tutor.settings.env import env_int

logger = logging.getLogger(__name__)

SWEEP_SECONDS = env_int("TUTOR_SWEEP_SECONDS", 30, minimum=1)
SWEEP_GRACE_SECONDS = env_int("TUTOR_SWEEP_GRACE_SECONDS", 30, minimum=1)
# Older rows are left alone: nobody is waiting for them any more, and a row that keeps failing
# before its task claims it is not retried for ever.
SWEEP_MAX_AGE_SECONDS = env_int("TUTOR_SWEEP_MAX_AGE_SECONDS", 24 * 3600, minimum=60)
# At most this many rows of each kind are queued again per sweep; the next sweep takes the rest.
SWEEP_BATCH = 500
LOCK_KEY = "tutor:sweeper"
LOCK_SECONDS = 120

GENERATE_REPLY = "tutor.tutoring.tasks.generate_reply"
RUN_IMPORT_JOB = "tutor.problems.tasks.run_import_job"
AUDIT_PROBLEM_SET = "tutor.tutoring.tasks.audit_problem_set"


@dataclass(frozen=True)
class Waiting:
    """A row whose task should be in the broker. `job_died`: a job had claimed it and stopped
    its heartbeat, so a copy of its task that a worker still holds unacknowledged is the dead
    worker's (Redis would hand it out again only after the visibility timeout, many minutes)."""

    pk: int
    job_died: bool = False


@dataclass(frozen=True)
class Orphans:
    """Per task name, the ids of rows queued in PostgreSQL and unknown to the broker."""

    by_task: dict[str, list[int]]

    @property
    def count(self) -> int:
        return sum(len(ids) for ids in self.by_task.values())


# --- what PostgreSQL says should be queued ------------------------------------------------------


def _waiting_answers(now: datetime, grace: timedelta, max_age: timedelta) -> list[Waiting]:
    from tutor.tutoring.models import JOB_STATUSES, Message

    if settings.TUTOR_GENERATION != "celery":
        return []  # answers run in the web process (the embedded default), not through the broker
    stale = now - timedelta(seconds=settings.TUTOR_CLAIM_STALE_SECONDS)
    no_live_claim = Q(claimed_at__isnull=True, created_at__lt=now - grace) | Q(claimed_at__lt=stale)
    rows = Message.objects.filter(
        no_live_claim,
        role=Message.Role.TUTOR,
        status__in=JOB_STATUSES,
        stop_requested=False,
        created_at__gt=now - max_age,
    )
    return [
        Waiting(pk=pk, job_died=claimed_at is not None)
        for pk, claimed_at in rows.order_by("created_at").values_list("pk", "claimed_at")[:SWEEP_BATCH]
    ]


def _waiting_imports(now: datetime, grace: timedelta, max_age: timedelta) -> list[Waiting]:
    from tutor.problems.models import ImportJob

    rows = ImportJob.objects.filter(
        status=ImportJob.Status.QUEUED, created_at__lt=now - grace, created_at__gt=now - max_age
    )
    return [Waiting(pk=pk) for pk in rows.order_by("created_at").values_list("pk", flat=True)[:SWEEP_BATCH]]


def _waiting_audits(now: datetime, grace: timedelta, max_age: timedelta) -> list[Waiting]:
    from tutor.tutoring.models import AuditRun

    rows = AuditRun.objects.filter(
        status=AuditRun.Status.QUEUED, created_at__lt=now - grace, created_at__gt=now - max_age
    )
    return [Waiting(pk=pk) for pk in rows.order_by("created_at").values_list("pk", flat=True)[:SWEEP_BATCH]]


WAITING: dict[str, Callable[[datetime, timedelta, timedelta], list[Waiting]]] = {
    GENERATE_REPLY: _waiting_answers,
    RUN_IMPORT_JOB: _waiting_imports,
    AUDIT_PROBLEM_SET: _waiting_audits,
}


# --- what the broker knows ----------------------------------------------------------------------


def _task_and_id(message: Any) -> tuple[str, int] | None:
    """(task name, first argument) of a message as kombu's Redis transport stores it."""
    try:
        task = message["headers"]["task"]
        body = message["body"]
        if message.get("properties", {}).get("body_encoding") == "base64":
            body = base64.b64decode(body)
        args = json.loads(body)[0]
        return (task, int(args[0])) if args else None
    except (ValueError, KeyError, TypeError, IndexError):
        # Not one of ours (another app's message, or a serializer we don't use): it can't be
        # one of the rows we look for, so it changes nothing.
        return None


def _queue_names(client: Any, channel: Any) -> set[str]:
    """Every queue bound in the broker (kombu keeps each exchange's bindings in a set), so queues
    added by routing are read too, not only the default one."""
    names: set[str] = set()
    for key in client.scan_iter(match=channel.keyprefix_queue % "*", count=500):
        for member in client.smembers(key):
            names.add(member.decode().split(channel.sep)[-1])
    return names


@dataclass(frozen=True)
class BrokerTasks:
    """(task, id) of the messages waiting in a queue, and of those delivered to a worker and not
    yet acknowledged (running, or held by a worker that died)."""

    queued: set[tuple[str, int]]
    delivered: set[tuple[str, int]]

    def knows(self, task: str, row: Waiting) -> bool:
        key = (task, row.pk)
        return key in self.queued or (key in self.delivered and not row.job_died)


def broker_tasks(*, channel: Any) -> BrokerTasks:
    client = channel.client
    queued: list[Any] = []
    for queue in _queue_names(client, channel):
        for priority in channel.priority_steps:
            queued.extend(_loads(raw) for raw in client.lrange(channel._q_for_pri(queue, priority), 0, -1))
    delivered: list[Any] = []
    for raw in client.hvals(channel.unacked_key):
        entry = _loads(raw)  # [message, exchange, routing key]
        delivered.append(entry[0] if isinstance(entry, list) and entry else None)
    return BrokerTasks(queued=_task_ids(queued), delivered=_task_ids(delivered))


def _task_ids(messages: list[Any]) -> set[tuple[str, int]]:
    return {found for message in messages if (found := _task_and_id(message)) is not None}


def _loads(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


# --- the sweep --------------------------------------------------------------------------------


def _enqueue(task: str, pk: int) -> None:
    """Through the same paths the app queues them by, so routing applies as it does there."""
    if task == GENERATE_REPLY:
        from tutor.tutoring.dispatch import generation_enqueue

        async_to_sync(generation_enqueue)(message_id=pk)
    elif task == RUN_IMPORT_JOB:
        from tutor.problems.tasks import run_import_job

        run_import_job.delay(pk)
    elif task == AUDIT_PROBLEM_SET:
        from tutor.tutoring.tasks import audit_problem_set

        audit_problem_set.delay(pk)
    else:  # pragma: no cover - WAITING and this list are kept together
        raise ValueError(f"the sweeper does not know how to queue {task}")


def queued_work_sweep(
    *,
    grace_seconds: int = SWEEP_GRACE_SECONDS,
    max_age_seconds: int = SWEEP_MAX_AGE_SECONDS,
    exclusive: bool = False,
) -> Orphans:
    """Queue again every waiting row the broker doesn't know. Returns what was queued.

    `exclusive`: skip this sweep if another worker is sweeping. The lock is held while reading the
    broker and queueing, so a worker that sweeps next sees what this one queued and leaves it."""
    from tutor.celery import app

    now = timezone.now()
    grace, max_age = timedelta(seconds=grace_seconds), timedelta(seconds=max_age_seconds)
    waiting = {task: finder(now, grace, max_age) for task, finder in WAITING.items()}
    if not any(waiting.values()):
        return Orphans(by_task={})
    with app.connection_for_read() as connection:
        client = connection.default_channel.client
        # Expires by itself if its holder dies mid-sweep.
        lock = client.lock(LOCK_KEY, timeout=LOCK_SECONDS)
        if exclusive and not lock.acquire(blocking=False):
            return Orphans(by_task={})
        try:
            known = broker_tasks(channel=connection.default_channel)
            orphans = Orphans(
                by_task={
                    task: [row.pk for row in rows if not known.knows(task, row)]
                    for task, rows in waiting.items()
                }
            )
            for task, ids in orphans.by_task.items():
                for pk in ids:
                    _enqueue(task, pk)
                if ids:
                    logger.warning(
                        "sweeper: %s for %d row(s) waiting in the database with no task a live "
                        "worker will run (Redis lost it, or its worker died); queued again: %s",
                        task,
                        len(ids),
                        _short(ids),
                    )
        finally:
            if exclusive:
                lock.release()
    return orphans


def _short(ids: Iterable[int]) -> str:
    ids = list(ids)
    return ", ".join(map(str, ids[:20])) + (f" and {len(ids) - 20} more" if len(ids) > 20 else "")


# --- the thread in each worker ----------------------------------------------------------------


class Sweeper:
    def __init__(self, interval: float = SWEEP_SECONDS) -> None:
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tutor-sweeper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                queued_work_sweep(exclusive=True)
            except Exception:
                # Redis or PostgreSQL down: say so and look again next time; the worker goes on.
                logger.exception(
                    "sweeper: could not look for forgotten tasks; trying again in %s s", self.interval
                )
            finally:
                connections.close_all()  # this thread's only
