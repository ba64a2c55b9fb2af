"""The Redis broker transport, with the fix a worker needs to live through a Redis restart.

With an answer running, a Redis restart made the worker log `Restoring 1 unacknowledged
message(s)` and `CRITICAL Unrecoverable error: AttributeError('NoneType' object has no attribute
'hostname')`, then exit once the running answer finished (celery 5.7.0 and kombu 5.7.0, the
latest releases; upstream celery/celery#10205 and #10302, kombu#582, not fixed in a release).

What happens: on the lost connection Celery's consumer calls `Connection.collect()`, which makes
kombu's Connection let go of its transport (`transport.client = None`), and then closes the
connection. Closing the channel restores the running task's unacknowledged message, and kombu
builds a fresh Redis pool for that from `transport.client`: the AttributeError. It is not a
connection error, so Celery gives up instead of reconnecting. The running task's late ack on the
old channel later takes the same path.

Here each channel keeps the connection it was opened on and builds that pool from it. The
restore then either works (Redis is back) or fails with redis's ConnectionError, which Celery
expects and recovers from; the late ack reaches the restarted Redis. Either way every task is safe
to run twice (each claims its row in PostgreSQL with a conditional UPDATE), and what Redis forgets
the sweeper (tutor/sweeper.py) queues again from PostgreSQL.

tests/tutoring/test_faults.py::test_the_worker_survives_a_redis_restart_mid_answer fails without it.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis


class Channel(redis.Channel):
    def __init__(self, connection: Any, *args: Any, **kwargs: Any) -> None:
        # The kombu Connection: its address outlives the transport's reference to it.
        self._opened_on = connection.client
        super().__init__(connection, *args, **kwargs)

    def _connparams(self, asynchronous: bool = False) -> dict[str, Any]:
        transport = self.connection
        if transport.client is not None or self._opened_on is None:
            return super()._connparams(asynchronous=asynchronous)
        transport.client = self._opened_on
        try:
            return super()._connparams(asynchronous=asynchronous)
        finally:
            transport.client = None


class Transport(redis.Transport):
    Channel = Channel
