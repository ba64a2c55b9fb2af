"""Reading an upload in a child process with memory, CPU and wall-clock limits.

Nothing a teacher uploads is parsed in the web process or the Celery worker itself: a reader
that meets a slow path (a regex, a formula, a huge number) would hold the GIL and freeze every
other request of the process (issue 11: 13 s, 40 s, hours). The parent sends the bytes to
`python -m tutor.problems.importers.sandbox`, which limits its own memory and CPU and lowers its
priority before it reads anything, and waits for the answer at most PROBLEM_UPLOAD_READ_SECONDS;
then the child is killed. The child reports the question it has reached as it goes, so a file
stopped half way gets an error that names its line. Only plain JSON crosses the pipe.

The wait releases the GIL, and under ASGI Django runs each request's synchronous code in that
request's own thread, so other requests (and /healthz) go on while an upload is being read.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import resource
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from .base import ImportProblem, ProblemSpec, SetSpec, UploadRefused

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[3]
# How often the child tells the parent where it is: often enough to name the question it was
# stopped in, rarely enough to cost nothing.
PROGRESS_INTERVAL = 0.1
NICENESS = 10

_slots_lock = threading.Lock()
_slots: threading.BoundedSemaphore | None = None


def _limits() -> tuple[float, int, int]:
    from django.conf import settings

    return (
        settings.PROBLEM_UPLOAD_READ_SECONDS,
        settings.PROBLEM_UPLOAD_READ_MEMORY_MB,
        settings.PROBLEM_UPLOAD_READERS,
    )


def _slot(readers: int) -> threading.BoundedSemaphore:
    global _slots
    with _slots_lock:
        if _slots is None:
            _slots = threading.BoundedSemaphore(readers)
        return _slots


def read_upload_bounded(filename: str, data: bytes, *, patient: bool = False) -> SetSpec:
    """`read_upload` in a killable child. Raises UploadRefused (with the place, when there is one)
    for a file that is refused, too slow or too big to read.

    At most PROBLEM_UPLOAD_READERS children per process: a web request waits for a turn as long
    as one read may take, then gets Throttled (a 429); a `patient` caller (an import job, the
    command) waits its turn, which comes within one read time per reader ahead of it.
    """
    from tutor.errors import Throttled

    seconds, memory_mb, readers = _limits()
    slots = _slot(readers)
    if not slots.acquire(timeout=None if patient else seconds):
        raise Throttled("The server is busy reading other uploads. Try again in a minute.", retry_after=60)
    try:
        return _read_in_child(filename, data, seconds=seconds, memory_mb=memory_mb)
    finally:
        slots.release()


def _read_in_child(filename: str, data: bytes, *, seconds: float, memory_mb: int) -> SetSpec:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "UPLOAD_MEMORY_MB": str(memory_mb),
        "UPLOAD_CPU_SECONDS": str(int(seconds) + 1),
    }
    header = json.dumps({"filename": filename}).encode() + b"\n"
    started = time.monotonic()
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module, no shell
        [sys.executable, "-m", "tutor.problems.importers.sandbox"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=str(ROOT),
        env=env,
    )
    timed_out = False
    try:
        out, err = proc.communicate(header + data, timeout=seconds)
    except subprocess.TimeoutExpired:
        timed_out = True
        proc.kill()
        out, err = proc.communicate()
    elapsed = time.monotonic() - started
    reached, outcome = filename, None
    # Whole lines only: a child killed while writing leaves half of one.
    for line in out.split(b"\n")[:-1]:
        message = json.loads(line)
        if "at" in message:
            reached = message["at"]
        else:
            outcome = message
    if outcome is not None and "spec" in outcome:
        return _spec_from_dict(outcome["spec"])
    if outcome is not None and "refused" in outcome:
        raise UploadRefused(outcome["refused"], where=outcome["where"])
    if timed_out:
        logger.warning("upload %r: reading stopped after %.1f s at %s", filename, elapsed, reached)
        raise UploadRefused(
            f"reading the file took longer than {seconds:g} seconds, so it was stopped here. Nothing "
            "was saved. Look for something unusual from this point on, or split the file.",
            where=reached,
        )
    if (outcome is not None and "memory" in outcome) or proc.returncode in (-9, -24):
        # MemoryError inside, or the kernel's answer to the limits (SIGKILL, SIGXCPU).
        logger.warning("upload %r: reading ran out of memory or CPU at %s", filename, reached)
        raise UploadRefused(
            f"reading the file needed more than {memory_mb} MB of memory or too much time, so it was "
            "stopped here. Nothing was saved. Look for something unusual from this point on.",
            where=reached,
        )
    # A bug of ours: loud in the log, plain for the teacher.
    detail = outcome["crashed"] if outcome is not None else err.decode(errors="replace")[-4000:]
    logger.error(
        "upload %r: the reading process failed at %s (exit %s):\n%s",
        filename,
        reached,
        proc.returncode,
        detail,
    )
    raise UploadRefused(
        "the tutor couldn't read the file past this point because of an error on our side. Nothing "
        "was saved; the error is in the server's log for the administrator.",
        where=reached,
    )


def _spec_from_dict(data: dict[str, Any]) -> SetSpec:
    def problem(item: dict[str, Any]) -> ProblemSpec:
        parts = [problem(part) for part in item.pop("parts")]
        return ProblemSpec(**item, parts=parts)

    problems = [problem(item) for item in data.pop("problems")]
    found = [ImportProblem(**item) for item in data.pop("problems_found")]
    return SetSpec(**data, problems=problems, problems_found=found)


# --- the child ---------------------------------------------------------------------------------


def _child() -> None:
    memory = int(os.environ["UPLOAD_MEMORY_MB"]) * 1024 * 1024
    cpu = int(os.environ["UPLOAD_CPU_SECONDS"])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    os.nice(NICENESS)  # the web process answers first when they compete for a core
    channel = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything a library prints goes to stderr, not into our replies
    sys.stdout = sys.stderr

    from . import base
    from .readers import read_upload

    last = [0.0]

    def progress(where: str) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_INTERVAL:
            last[0] = now
            channel.write(json.dumps({"at": where}) + "\n")

    base._progress = progress
    header = sys.stdin.buffer.readline()
    filename = json.loads(header)["filename"]
    data = sys.stdin.buffer.read()
    try:
        spec = read_upload(filename, data)
        reply: dict[str, Any] = {"spec": dataclasses.asdict(spec)}
    except UploadRefused as exc:
        message = str(exc).removeprefix(f"{filename}: ").removeprefix(f"{filename} ")
        reply = {"refused": message, "where": exc.where or filename}
    except MemoryError:
        reply = {"memory": True}
    except Exception:  # noqa: BLE001 - reported to the parent, which logs it as an error
        reply = {"crashed": traceback.format_exc()}
    channel.write(json.dumps(reply, default=str) + "\n")
    channel.flush()


if __name__ == "__main__":
    _child()
