"""The shared throttle: counts per window, says when to come back, holds under concurrent hits."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from tests.conftest import services_missing
from tutor.errors import Throttled
from tutor.limits.services import Limit, throttle_count, throttle_hit, throttle_peek

PREVIEWS = Limit(scope="test-preview", limit=3, period=60, message="Too many previews; wait a minute.")


@pytest.mark.django_db
def test_the_fourth_hit_in_a_window_is_refused_with_when_to_retry() -> None:
    for _ in range(3):
        throttle_hit(PREVIEWS, key="ada", now=1_000_000.0)
    with pytest.raises(Throttled) as refused:
        throttle_hit(PREVIEWS, key="ada", now=1_000_010.0)
    assert refused.value.status == 429
    assert refused.value.message == "Too many previews; wait a minute."
    # The window is [999 960, 1 000 020): 10 s are left, and the answer rounds up.
    assert refused.value.retry_after == 11
    # Another user and the next window are unaffected.
    throttle_hit(PREVIEWS, key="ben", now=1_000_010.0)
    throttle_hit(PREVIEWS, key="ada", now=1_000_020.0)
    assert throttle_peek(PREVIEWS, key="ada", now=1_000_020.0) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_hits_are_each_counted_once() -> None:
    if connection.vendor != "postgresql":
        services_missing("PostgreSQL")
    seen: list[int] = []
    lock = threading.Lock()

    def hit() -> None:
        try:
            for _ in range(10):
                count = throttle_count(scope="race", key="ada", period=60, now=5_000_000.0)
                with lock:
                    seen.append(count)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=hit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(seen) == list(range(1, 81))
