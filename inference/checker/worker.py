"""The checker's child process: reads one JSON job per line on stdin, answers one JSON line.

Started by `sandbox.CheckerPool`; limits its own memory and CPU before it reads anything.
"""

from __future__ import annotations

import json
import os
import resource
import sys

MEMORY_LIMIT_BYTES = int(os.environ.get("CHECKER_MEMORY_LIMIT_MB", "1536")) * 1024 * 1024
CPU_LIMIT_SECONDS = int(os.environ.get("CHECKER_CPU_LIMIT_S", "300"))


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

    channel.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        try:
            result = engine.run(json.loads(line))
            reply = json.dumps(result)
        except Exception as exc:  # noqa: BLE001 - a crash is answered as one, so it is never read as a timeout
            reply = json.dumps(crashed(exc))
        channel.write(reply + "\n")


if __name__ == "__main__":
    main()
