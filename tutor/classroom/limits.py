"""Throttles on sign-up and join codes. Built per call so the settings in force apply."""

from __future__ import annotations

import time

from django.conf import settings

from tutor.errors import Throttled
from tutor.limits.services import Limit, throttle_peek

HOUR = 3600


def signup_limit() -> Limit:
    return Limit(
        scope="signup-client",
        limit=settings.TUTOR_SIGNUPS_PER_CLIENT_PER_HOUR,
        period=HOUR,
        message="There have been too many sign-ups from your network in the last hour. "
        "Wait a while and try again, or ask your teacher for help.",
    )


def join_failures_per_user() -> Limit:
    return Limit(
        scope="join-failures-user",
        limit=settings.TUTOR_JOIN_FAILURES_PER_USER_PER_HOUR,
        period=HOUR,
        message="That's too many wrong class codes for now. Check the code with your teacher, "
        "then try again later.",
    )


def join_failures_per_client() -> Limit:
    return Limit(
        scope="join-failures-client",
        limit=settings.TUTOR_JOIN_FAILURES_PER_CLIENT_PER_HOUR,
        period=HOUR,
        message="There have been too many wrong class codes from your network. "
        "Check the code with your teacher, then try again later.",
    )


def refuse_if_spent(limit: Limit, *, key: str) -> None:
    """Refuse before doing anything when the window's allowance is already used up.

    Used where only failures count: the failure itself is counted afterwards with `throttle_hit`.
    Two guesses racing each other may both pass this check, so a window can see a guess or two
    more than the limit; never unbounded.
    """
    if throttle_peek(limit, key=key) >= limit.limit:
        now = time.time()
        raise Throttled(limit.message, retry_after=int(limit.period - (now % limit.period)) + 1)
