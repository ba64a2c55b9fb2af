"""A pool of killable checker processes, usable from threads, asyncio and Celery alike.

SymPy can hang or eat memory on hostile input (9**9**9**9, (x+1)**20000), and math-verify's
own timeout only works in a main thread. So every parse and comparison runs in a child
process with memory and CPU limits; the parent waits at most `timeout` seconds, then kills
the child and starts a fresh one. Only plain JSON-able data crosses the pipe: no SymPy object
ever reaches the web process, where printing one can hang too.

Children come from a multiprocessing *forkserver* whose server process has already imported
SymPy, latex2sympy, pint and math-verify (see `worker.py`): a replacement after a kill is a
fork of a warm process (tens of ms), not a fresh interpreter (about a second). Forking the
web process itself is unsafe (threads, sockets, the event loop), which is why not "fork".
"""

from __future__ import annotations

import json
import multiprocessing
import queue
import threading
import time
from collections import OrderedDict
from multiprocessing import popen_forkserver, spawn
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerProcess
from typing import Any

from . import worker as worker_module

READY_TIMEOUT = 60.0
# A worker's memory grows slowly with SymPy's caches; recycle it before that matters.
JOBS_PER_WORKER = 500

_context_lock = threading.Lock()
_context: Any = None


def _forkserver_context() -> Any:
    global _context
    with _context_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            # The forkserver imports these once; every worker forked from it starts warm.
            context.set_forkserver_preload([worker_module.PRELOAD_MODULE])
            _context = context
        return _context


_preparation_lock = threading.Lock()


def _preparation_without_main(name: str) -> dict[str, Any]:
    data = _stdlib_preparation_data(name)
    data.pop("init_main_from_path", None)
    data.pop("init_main_from_name", None)
    return data


_stdlib_preparation_data = spawn.get_preparation_data


class _PopenWithoutMain(popen_forkserver.Popen):
    """Starts a worker without re-running the parent's __main__ in it.

    multiprocessing normally re-imports the parent's main script in every child, so a script
    that calls the checker at top level (no `if __name__ == "__main__"`) would recurse, and
    a web server's entry point would run again inside the sandbox. The worker's target lives
    in an importable module, so the main module is never needed there.
    """

    def _launch(self, process_obj: Any) -> None:
        with _preparation_lock:
            spawn.get_preparation_data = _preparation_without_main
            try:
                super()._launch(process_obj)
            finally:
                spawn.get_preparation_data = _stdlib_preparation_data


class _WorkerProcess(ForkServerProcess):
    @staticmethod
    def _Popen(process_obj: Any) -> Any:
        return _PopenWithoutMain(process_obj)


class WorkerDied(RuntimeError):
    pass


def _timeout_result(started: float) -> dict[str, Any]:
    return {
        "equivalent": False,
        "status": "timeout",
        "comparator": "none",
        "reason": "That answer is too big or complicated to check in time.",
        "interpreted_as": "",
        "numeric_only": False,
        "ms": round((time.perf_counter() - started) * 1000, 2),
    }


class _Worker:
    def __init__(self) -> None:
        context = _forkserver_context()
        parent_end, child_end = context.Pipe(duplex=True)
        self.process = _WorkerProcess(
            target=worker_module.serve, args=(child_end,), name="checker-worker", daemon=True
        )
        self.process.start()
        child_end.close()
        self.conn: Connection = parent_end
        self.ready = False
        self.jobs = 0

    def _receive(self, deadline: float) -> str | None:
        """One reply line, or None when the deadline passes first."""
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not self.conn.poll(remaining):
            return None
        try:
            return self.conn.recv_bytes().decode()
        except (EOFError, OSError) as exc:
            raise WorkerDied("checker process exited") from exc

    def wait_ready(self) -> None:
        if self.ready:
            return
        if self._receive(time.monotonic() + READY_TIMEOUT) is None:
            raise WorkerDied("checker process did not start in time")
        self.ready = True

    def call(self, job: dict[str, Any], timeout: float) -> dict[str, Any] | None:
        self.wait_ready()
        self.conn.send_bytes(json.dumps(job).encode())
        line = self._receive(time.monotonic() + timeout)
        self.jobs += 1
        return None if line is None else json.loads(line)

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


class CheckerPool:
    """Thread-safe: each call borrows an idle worker from a queue, so one job per worker at a time."""

    def __init__(self, size: int, timeout: float, cache_size: int = 4096) -> None:
        if size < 1:
            raise ValueError(f"a checker pool needs at least one worker, not {size}")
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
        key = cache_key(job)
        if use_cache:
            with self._cache_lock:
                if key in self._cache:
                    self._cache.move_to_end(key)
                    return dict(self._cache[key])
        result = self._run_uncached(job)
        # A timeout may be a busy machine rather than the input: don't remember it.
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
                # The child died mid-job: its memory or CPU limit killed it. Same verdict as a timeout.
                result = None
            if result is None:
                worker.kill()
                self.kills += 1
                worker = _Worker()
                return _timeout_result(started)
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
        with self._start_lock:
            while True:
                try:
                    worker = self._idle.get_nowait()
                except queue.Empty:
                    break
                worker.kill()
            self._started = False


def cache_key(job: dict[str, Any]) -> str:
    """Jobs that differ only in surrounding whitespace share a verdict."""
    normalised = {k: (v.strip() if isinstance(v, str) else v) for k, v in job.items()}
    return json.dumps(normalised, sort_keys=True, default=str)
