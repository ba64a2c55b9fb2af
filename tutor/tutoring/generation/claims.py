"""Which job runs a reply. A job claims its message with a conditional UPDATE and keeps the claim
fresh with a heartbeat; a claim silent for TUTOR_CLAIM_STALE_SECONDS belongs to a dead job (its
worker was killed) and may be taken over. Settings are read on every call, not at import: a test
or an operator who changes them is obeyed at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .. import events
from ..db import db_call
from ..models import JOB_STATUSES, Message


def stale_after() -> timedelta:
    return timedelta(seconds=settings.TUTOR_CLAIM_STALE_SECONDS)


def heartbeat_seconds() -> float:
    return min(2.0, settings.TUTOR_CLAIM_STALE_SECONDS / 3)


@db_call
def claim(message_id: int, job_channel: str) -> int | None:
    """Take the message for this job; returns the next event number, or None if it isn't ours."""
    now = timezone.now()
    # Our own channel too: a retried claim whose first try committed is still ours.
    claimable = (
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - stale_after()) | Q(job_channel=job_channel)
    )
    claimed = Message.objects.filter(claimable, pk=message_id, status__in=JOB_STATUSES).update(
        claimed_at=now, status=Message.Status.STREAMING, job_channel=job_channel
    )
    return events.next_seq_for(message_id) if claimed else None


def _heartbeat(message_id: int, job_channel: str, next_seq: int | None) -> tuple[str, bool]:
    """Refresh this job's claim. Returns ("held" | "lost" | "finished", stop requested)."""
    fields: dict[str, Any] = {"claimed_at": timezone.now()}
    if next_seq is not None:
        fields["next_seq"] = next_seq
    held = Message.objects.filter(pk=message_id, job_channel=job_channel, status__in=JOB_STATUSES).update(
        **fields
    )
    if held:
        return "held", Message.objects.filter(pk=message_id, stop_requested=True).exists()
    active = Message.objects.filter(pk=message_id, status__in=JOB_STATUSES).exists()
    return ("lost" if active else "finished"), False


# Not thread-sensitive: fifty streams' heartbeats must not queue behind each other on one thread.
heartbeat = db_call(_heartbeat, thread_sensitive=False)


@db_call  # on the shared thread: a page's next read of the reply is queued behind it
def finish(message_id: int, **fields: Any) -> None:
    """Write the reply's final state and release the claim."""
    fields.setdefault("completed_at", timezone.now())
    fields["job_channel"] = ""
    Message.objects.filter(pk=message_id).update(**fields)
