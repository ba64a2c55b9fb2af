"""A pool of killable checker processes, usable from threads, asyncio and Celery alike.

SymPy can hang or eat memory on hostile input (9**9**9**9, (x+1)**20000), and math-verify's
own timeout only works in a main thread. So every parse and comparison runs in a child
process with memory and CPU limits; the parent waits at most `timeout` seconds, then kills
the child and starts a fresh one. Only plain JSON crosses the pipe: no SymPy object ever
reaches the web process, where printing one can hang too.
"""

from __future__ import annotations

import json
import os
import queue
import select
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 60.0
JOBS_PER_WORKER = 500


class WorkerDied(RuntimeError):
    pass


class _Worker:
    def __init__(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
        self.proc = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "inference.checker.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=str(ROOT),
            env=env,
        )
        self.buffer = b""
        self.ready = False
        self.jobs = 0

    def _read_line(self, deadline: float) -> bytes | None:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            readable, _, _ = select.select([fd], [], [], remaining)
            if not readable:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                raise WorkerDied("checker process exited")
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line

    def wait_ready(self) -> None:
        if self.ready:
            return
        line = self._read_line(time.monotonic() + READY_TIMEOUT)
        if line is None:
            raise WorkerDied("checker process did not start in time")
        self.ready = True

    def call(self, job: dict[str, Any], timeout: float) -> dict[str, Any] | None:
        assert self.proc.stdin is not None
        self.wait_ready()
        self.proc.stdin.write(json.dumps(job).encode() + b"\n")
        self.proc.stdin.flush()
        line = self._read_line(time.monotonic() + timeout)
        self.jobs += 1
        return None if line is None else json.loads(line)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()


class CheckerPool:
    def __init__(self, size: int, timeout: float, cache_size: int = 4096) -> None:
        self.size = size
        self.timeout = timeout
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._started = False
        self._start_lock = threading.Lock()
        self._cache: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()
        self.kills = 0

    def _ensure_started(self) -> None:
        if self._started:
            return
        with self._start_lock:
            if not self._started:
                for _ in range(self.size):
                    self._idle.put(_Worker())
                self._started = True

    def run(self, job: dict[str, Any], *, use_cache: bool = True) -> dict[str, Any]:
        # " 5/8" and "5/8 " are the same question: key the cache on stripped text.
        key = json.dumps({k: v.strip() if isinstance(v, str) else v for k, v in job.items()}, sort_keys=True)
        if use_cache:
            with self._cache_lock:
                if key in self._cache:
                    self._cache.move_to_end(key)
                    return dict(self._cache[key])
        result = self._run_uncached(job)
        # A timeout may be load, not the input: ask again next time rather than remember it.
        if use_cache and result.get("status") != "timeout":
            with self._cache_lock:
                self._cache[key] = result
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return dict(result)

    def _run_uncached(self, job: dict[str, Any]) -> dict[str, Any]:
        self._ensure_started()
        worker = self._idle.get()
        started = time.perf_counter()
        try:
            try:
                result = worker.call(job, self.timeout)
            except (WorkerDied, BrokenPipeError, OSError):
                result = None
            if result is None:
                worker.kill()
                self.kills += 1
                worker = _Worker()
                return {
                    "equivalent": False,
                    "status": "timeout",
                    "comparator": "none",
                    "reason": "That answer is too big or complicated to check.",
                    "interpreted_as": "",
                    "numeric_only": False,
                    "ms": round((time.perf_counter() - started) * 1000, 2),
                }
            if worker.jobs >= JOBS_PER_WORKER:
                worker.kill()
                worker = _Worker()
            return result
        finally:
            self._idle.put(worker)

    def clear_cache(self) -> None:
        with self._cache_lock:
            self._cache.clear()

    def shutdown(self) -> None:
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                break
            worker.kill()
        self._started = False
