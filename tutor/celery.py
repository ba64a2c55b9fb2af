from __future__ import annotations

import os
from typing import TYPE_CHECKING

from celery import Celery
from celery.signals import worker_ready, worker_shutting_down

if TYPE_CHECKING:
    from .sweeper import Sweeper

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tutor.settings.dev")

app = Celery("tutor")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# An answer keeps streaming while the broker is away (its events go to PostgreSQL and the channel
# layer, not the broker); Celery 6 is to cancel such tasks by default. Kept off, on purpose.
app.conf.worker_cancel_long_running_tasks_on_connection_loss = False

REDIS_SCHEMES = ("redis", "rediss")
REDIS_TRANSPORT = "tutor.broker:Transport"


@app.on_after_configure.connect
def _redis_transport_that_survives_a_restart(sender: Celery, **kwargs: object) -> None:
    """A Redis broker goes through tutor/broker.py (kombu's transport, fixed for a Redis restart
    with a task running); the embedded default's memory:// broker is left alone."""
    url = sender.conf.broker_url
    if not sender.conf.broker_transport and isinstance(url, str) and url.split("://")[0] in REDIS_SCHEMES:
        sender.conf.broker_transport = REDIS_TRANSPORT


_sweeper: Sweeper | None = None


@worker_ready.connect
def _start_the_sweeper(**kwargs: object) -> None:
    """Each worker on the Redis broker queues again, from PostgreSQL, what Redis forgot
    (tutor/sweeper.py). No beat process to run or to lose."""
    global _sweeper
    if app.conf.broker_transport != REDIS_TRANSPORT:
        return
    from .sweeper import Sweeper

    _sweeper = Sweeper()
    _sweeper.start()


@worker_shutting_down.connect
def _stop_the_sweeper(**kwargs: object) -> None:
    if _sweeper is not None:
        _sweeper.stop()
