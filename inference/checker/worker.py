"""The checker's child process: one JSON job in, one JSON reply out, over a multiprocessing pipe.

This module is imported by the web process too (the pool names `serve` as the target), so it
imports nothing heavy at module level; SymPy and friends are loaded by the forkserver through
`PRELOAD_MODULE` and by `serve` itself.
"""

from __future__ import annotations

import json
import os
import resource
import sys
from multiprocessing.connection import Connection

PRELOAD_MODULE = "inference.checker.preload"
MEMORY_LIMIT_BYTES = int(os.environ.get("CHECKER_MEMORY_LIMIT_MB", "1536")) * 1024 * 1024
# CPU seconds one job may use; the parent's wall-clock limit (about 2 s) normally fires first,
# this catches a child whose parent has gone away.
CPU_SECONDS_PER_JOB = int(os.environ.get("CHECKER_CPU_LIMIT_S", "10"))
# The hard limit bounds a worker's whole life; workers are recycled well before it.
CPU_SECONDS_PER_WORKER = 3600


def _cpu_used() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _limit_cpu_for_next_job() -> None:
    # RLIMIT_CPU counts the whole process life, so move the soft limit along before each job:
    # SIGXCPU (default action: terminate) fires if this one job burns CPU_SECONDS_PER_JOB.
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = int(_cpu_used()) + CPU_SECONDS_PER_JOB
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _apply_limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    hard = int(_cpu_used()) + CPU_SECONDS_PER_WORKER
    resource.setrlimit(resource.RLIMIT_CPU, (hard, hard))
    # Deeply nested input must fail as a RecursionError, not overflow the C stack.
    sys.setrecursionlimit(3000)


def serve(conn: Connection) -> None:
    _apply_limits()
    # Anything the libraries print must not end up in the web process's logs unfiltered.
    sys.stdout = sys.stderr
    import logging

    logging.disable(logging.WARNING)
    from inference.checker import engine

    conn.send_bytes(json.dumps({"ready": True}).encode())
    while True:
        try:
            message = conn.recv_bytes()
        except EOFError:
            return  # the pool closed our pipe: shut down quietly
        _limit_cpu_for_next_job()
        result = engine.run(json.loads(message))
        conn.send_bytes(json.dumps(result).encode())
