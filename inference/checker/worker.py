"""The checker's child process: reads one JSON job per line on stdin, answers one JSON line.

Started by `sandbox.CheckerPool`; limits its own memory and CPU before it reads anything.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys

MEMORY_LIMIT_BYTES = int(os.environ.get("CHECKER_MEMORY_LIMIT_MB", "1536")) * 1024 * 1024
CPU_LIMIT_SECONDS = int(os.environ.get("CHECKER_CPU_LIMIT_S", "300"))


class JobTimeout(BaseException):
    """Raised by the alarm in a job past its time; a BaseException so no `except Exception` in the
    libraries swallows it."""


def _on_alarm(signum: int, frame: object) -> None:
    raise JobTimeout


def main() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_LIMIT_SECONDS, CPU_LIMIT_SECONDS + 5))
    # Our replies go on the real stdout; anything the libraries print goes to stderr instead.
    channel = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    sys.setrecursionlimit(3000)
    import logging

    logging.disable(logging.WARNING)
    # Importing preload runs one check of each common kind (LaTeX grammar, units, simplify,
    # extraction), so the first real check isn't the one paying for lazy imports.
    from inference.checker import (
        engine,
        preload,  # noqa: F401
    )
    from inference.checker.verdicts import crashed

    # A job past its time is interrupted here, so the worker stays warm (a fresh one costs about a
    # second of CPU); the parent still kills it if the interrupt doesn't land (long C calls).
    signal.signal(signal.SIGALRM, _on_alarm)
    channel.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        try:
            job = json.loads(line)
            soft_timeout = float(job.pop("soft_timeout", 0) or 0)
            if soft_timeout > 0:
                signal.setitimer(signal.ITIMER_REAL, soft_timeout)
            try:
                result = engine.run(job)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            reply = json.dumps(result)
        except JobTimeout:
            reply = json.dumps({"status": "timeout", "interrupted": True})
        except Exception as exc:  # noqa: BLE001 - a crash is answered as one, so it is never read as a timeout
            reply = json.dumps(crashed(exc))
        channel.write(reply + "\n")


if __name__ == "__main__":
    main()
