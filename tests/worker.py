"""A real Celery worker in a child process, on the test database and the test's Redis prefix."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

from tutor.commands import celery_worker_command

ROOT = Path(__file__).resolve().parent.parent


def worker_env(*, queue: str, ollama_host: str) -> dict[str, str]:
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        raise RuntimeError(
            "a worker process needs a database it can share: run with DATABASE_URL (PostgreSQL)"
        )
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tutor.settings.test",
            # The test database pytest-django created, not the configured one.
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{connection.settings_dict['NAME']}",
            "CHANNEL_LAYER_PREFIX": settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"],
            "CELERY_QUEUE": queue,
            "OLLAMA_HOST": ollama_host,
            "TUTOR_GENERATION": "celery",
        }
    )
    return env


@contextmanager
def celery_worker(
    *, ollama_host: str, log_path: Path, queue: str | None = None, extra_env: dict[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen, str]]:
    """Yields (process, queue name); the test points its own Celery app at the same queue."""
    queue = queue or f"tutor-test-{uuid.uuid4().hex[:8]}"
    env = {**worker_env(queue=queue, ollama_host=ollama_host), **(extra_env or {})}
    with log_path.open("w") as log:
        proc = subprocess.Popen(  # noqa: S603
            celery_worker_command(queue=queue, concurrency=4),
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 30
        while "ready." not in log_path.read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"celery worker did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield proc, queue
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
