"""Per-user throttles that hold across processes.

Each hit is one atomic `INSERT ... ON CONFLICT DO UPDATE ... RETURNING` on a row per
(scope, key, window): PostgreSQL and SQLite (3.35+) both run it, so two web processes can't both
read "9 of 10" and both go ahead, as the old check-then-insert limits could.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from django.db import connection

from tutor.errors import Throttled

from .models import ThrottleCounter

# Rows older than this are deleted now and then (no limit here spans more than a day).
KEEP_SECONDS = 2 * 24 * 3600


@dataclass(frozen=True)
class Limit:
    """`limit` hits per `period` seconds; `message` is what the user reads when over it."""

    scope: str
    limit: int
    period: int
    message: str


def throttle_count(*, scope: str, key: str, period: int, now: float | None = None) -> int:
    """Count one hit and return how many there have been in the current window, this one included."""
    now = time.time() if now is None else now
    window = int(now // period) * period
    table = ThrottleCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (scope, key, window_start, count) VALUES (%s, %s, %s, 1) "  # noqa: S608
            f"ON CONFLICT (scope, key, window_start) DO UPDATE SET count = {table}.count + 1 RETURNING count",
            [scope, key[:200], window],
        )
        (count,) = cursor.fetchone()
    if random.random() < 0.01:
        ThrottleCounter.objects.filter(window_start__lt=now - KEEP_SECONDS).delete()
    return int(count)


def throttle_hit(limit: Limit, *, key: str, now: float | None = None) -> None:
    """Count one hit; raise `Throttled` (HTTP 429 / an error frame) once over the limit."""
    now = time.time() if now is None else now
    count = throttle_count(scope=limit.scope, key=key, period=limit.period, now=now)
    if count > limit.limit:
        retry_after = int(limit.period - (now % limit.period)) + 1
        raise Throttled(limit.message, retry_after=retry_after)


def throttle_peek(limit: Limit, *, key: str, now: float | None = None) -> int:
    """How many hits the current window holds, without counting one."""
    now = time.time() if now is None else now
    window = int(now // limit.period) * limit.period
    row = ThrottleCounter.objects.filter(scope=limit.scope, key=key[:200], window_start=window).first()
    return row.count if row else 0


def throttle_reset(limit: Limit, *, key: str) -> None:
    ThrottleCounter.objects.filter(scope=limit.scope, key=key[:200]).delete()
