"""How the web server and the Celery worker are started, for the processes that tests and
benchmarks start themselves. `make run`, `make worker` and docker-compose use the same options;
docs/benchmarks.md has the figures behind them."""

from __future__ import annotations

import sys


def uvicorn_command(*, port: int, host: str = "127.0.0.1") -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "tutor.asgi:application",
        "--host",
        host,
        "--port",
        str(port),
        "--ws",
        # The sans-I/O implementation: uvicorn 0.54 deprecates the legacy one (a warning on every start).
        "websockets-sansio",
        # Compression tripled the memory of an idle socket (46 -> 144 KB) for deltas of a few bytes.
        "--ws-per-message-deflate",
        "false",
        "--no-access-log",
    ]


def celery_worker_command(*, queue: str, concurrency: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "tutor",
        "worker",
        # Threads: every answer of the process runs on one shared event loop (tutoring/tasks.py).
        "--pool=threads",
        f"--concurrency={concurrency}",
        "--loglevel=INFO",
        "-Q",
        queue,
        "--without-heartbeat",
        "--without-gossip",
        "--without-mingle",
    ]
