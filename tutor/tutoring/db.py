"""Database calls from async code that survive a dropped connection.

PostgreSQL restarting, a failover or a proxy's idle timeout closes the connections under a
running answer. The pool checks a connection when it hands one out, but a connection already
held fails its next query; these calls then run once more on a fresh connection. Only use it
for calls that are safe to repeat (reads, and writes that set a value rather than add one).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from channels.db import database_sync_to_async
from django.db import InterfaceError, OperationalError, connection

logger = logging.getLogger(__name__)
T = TypeVar("T")


def retry_on_dropped_connection(func: Callable[..., T], *, close_after: bool = False) -> Callable[..., T]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return func(*args, **kwargs)
        except (OperationalError, InterfaceError):
            if connection.in_atomic_block:
                raise
            logger.warning("%s failed on a dropped database connection; retrying once", func.__name__)
            connection.close()
            return func(*args, **kwargs)
        finally:
            if close_after and not connection.in_atomic_block:
                # Executor threads: give the connection back to the pool now. Left to
                # close_old_connections, the last connection of such a thread was kept when its
                # event loop ended: one leaked per loop (the tests exhausted the pool that way).
                connection.close()

    return wrapper


def db_call(
    func: Callable[..., T] | None = None, *, thread_sensitive: bool = True, retry: bool = True
) -> Any:
    """`database_sync_to_async` with one retry after a dropped connection (`retry=False` for an
    INSERT, which must not run twice). Not thread-sensitive: the call runs on a pooled connection
    in the default executor instead of queueing behind every other database call of the process on
    the one "sync" thread, and gives its connection back when done."""
    if func is None:
        return lambda f: db_call(f, thread_sensitive=thread_sensitive, retry=retry)
    if retry:
        wrapped = retry_on_dropped_connection(func, close_after=not thread_sensitive)
    else:
        wrapped = _closing(func) if not thread_sensitive else func
    return database_sync_to_async(wrapped, thread_sensitive=thread_sensitive)


def _closing(func: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return func(*args, **kwargs)
        finally:
            if not connection.in_atomic_block:
                connection.close()

    return wrapper
