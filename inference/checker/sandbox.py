"""A pool of killable checker processes that serves its users fairly, from threads, asyncio and
Celery alike.

SymPy can hang or eat memory on hostile input (9**9**9**9, (x+1)**20000), and math-verify's
own timeout only works in a main thread. So every parse and comparison runs in a child
process with memory and CPU limits; the parent waits at most the job's time limit, then kills
the child and a warm spare takes its place. Only plain JSON crosses the pipe: no SymPy object
ever reaches the web process, where printing one can hang too.

Fairness (issue 11: six clients sending previews that each ran into the time limit made another
student's ordinary preview wait 8.5-12.5 s, and the tutor's verification queued behind them):

- Lanes: each has its own workers and queue. "answers" serves students' checks and previews;
  "tutor" serves the verification of model output, so it never waits behind a student.
- Within a lane, each owner (a user, "user:12") has its own queue and at most one running job.
  The next job is the one of the waiting owner who has used the least worker time lately
  (decayed), so someone sending ordinary answers goes before someone whose answers run for
  seconds, and a newcomer goes next.
- An owner whose job timed out lately is "slow": slow owners together may hold all but one of a
  lane's workers, so one worker is always left for everyone else's ordinary checks.
- A job past its limit is interrupted inside the child, which stays warm; only if that fails is
  the child killed. Warm spares (kept from the first replacement on) take a killed or recycled
  worker's place at once; a new spare starts in the background (a cold start costs about 1 s).

Each lane has one thread per worker that takes the next job and waits on its child; callers get
a `concurrent.futures.Future`, so async code awaits it without holding any thread.

Over 400 lines on purpose: the worker process, the lanes, the fair queue, the spares and the
interrupt-then-kill path share one lock; they are kept together so it can be read that no job
is lost and no worker is leaked.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import os
import select
import subprocess
import sys
import threading
import time
from collections import OrderedDict, deque
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 60.0
JOBS_PER_WORKER = 500
# A worker interrupted this often is replaced anyway (its CPU-time limit counts every job).
INTERRUPTS_PER_WORKER = 20
# How long past a job's limit the parent waits for the child's own interrupt before killing it.
HARD_KILL_GRACE = 0.5
# How fast an owner's past use of the workers is forgotten (seconds, exponential decay).
USAGE_HALF_LIFE = 30.0

ANSWERS = "answers"
TUTOR = "tutor"
ANONYMOUS = "anonymous:"


class WorkerDied(RuntimeError):
    pass


class PoolShutDown(RuntimeError):
    pass


def timeout_result(ms: float) -> dict[str, Any]:
    return {
        "equivalent": False,
        "status": "timeout",
        "comparator": "none",
        "reason": "That answer is too big or complicated to check.",
        "interpreted_as": "",
        "numeric_only": False,
        "ms": round(ms, 2),
    }


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
        self.interrupts = 0

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


@dataclass
class _Job:
    job: dict[str, Any]
    owner: str
    timeout: float
    future: Future
    seq: int


@dataclass
class _Usage:
    value: float = 0.0
    at: float = 0.0

    def now(self, now: float) -> float:
        return self.value * math.pow(0.5, (now - self.at) / USAGE_HALF_LIFE)


class _Shared:
    """One queued job and the callers waiting for it. Each caller holds its own future, so one who
    gives up (a stopped reply) cancels only their copy; the job is taken off the queue only when
    every caller has given up before it started."""

    def __init__(self, job_future: Future) -> None:
        self.job_future = job_future
        self.callers: list[Future] = []
        self.lock = threading.Lock()

    def follow(self, caller: Future) -> None:
        with self.lock:
            self.callers.append(caller)
        caller.add_done_callback(self._given_up)
        if self.job_future.done():
            self.settle()

    def _given_up(self, caller: Future) -> None:
        if not caller.cancelled():
            return
        with self.lock:
            waiting = [c for c in self.callers if not c.done()]
        if not waiting:
            self.job_future.cancel()  # only succeeds while still queued

    def settle(self) -> None:
        job = self.job_future
        with self.lock:
            callers = [c for c in self.callers if not c.done()]
        for caller in callers:
            try:
                if job.cancelled():
                    caller.cancel()
                elif job.exception() is not None:
                    caller.set_exception(job.exception())
                else:
                    caller.set_result(dict(job.result()))
            except InvalidStateError:  # cancelled by its caller meanwhile
                pass


@dataclass
class _Lane:
    """One lane's fair queue; its runner threads take jobs from it."""

    name: str
    size: int
    cond: threading.Condition = field(default_factory=threading.Condition)
    waiting: dict[str, deque[_Job]] = field(default_factory=dict)
    running: set[str] = field(default_factory=set)
    usage: dict[str, _Usage] = field(default_factory=dict)
    slow_until: dict[str, float] = field(default_factory=dict)
    threads: list[threading.Thread] = field(default_factory=list)
    closed: bool = False

    def _is_slow(self, owner: str, now: float) -> bool:
        # Unnamed callers (imports, audits) share one record: their slow jobs can't take every worker.
        key = ANONYMOUS if owner.startswith(ANONYMOUS) else owner
        until = self.slow_until.get(key)
        if until is None:
            return False
        if until <= now:
            del self.slow_until[key]
            return False
        return True

    def pick(self, now: float) -> _Job | None:
        """The waiting job to run next, or None if no owner may run one now. Holds `cond`."""
        slow_running = sum(1 for owner in self.running if self._is_slow(owner, now))
        # Slow owners may fill all workers but one: that one stays free for ordinary checks.
        slow_allowed = slow_running < max(1, self.size - 1)
        best: tuple[float, int, str] | None = None
        for owner, jobs in self.waiting.items():
            if owner in self.running or (not slow_allowed and self._is_slow(owner, now)):
                continue
            usage = self.usage[owner].now(now) if owner in self.usage else 0.0
            rank = (usage, jobs[0].seq, owner)
            if best is None or rank < best:
                best = rank
        if best is None:
            return None
        owner = best[2]
        jobs = self.waiting[owner]
        item = jobs.popleft()
        if not jobs:
            del self.waiting[owner]
        self.running.add(owner)
        return item

    def finished(self, owner: str, seconds: float, timed_out: bool, slow_window: float) -> None:
        self.running.discard(owner)
        self.cond.notify_all()
        now = time.monotonic()
        if owner.startswith(ANONYMOUS):  # never seen again: only whether it was slow
            if timed_out:
                self.slow_until[ANONYMOUS] = now + slow_window
            return
        usage = self.usage.get(owner)
        if usage is None:
            usage = self.usage[owner] = _Usage()
        usage.value, usage.at = usage.now(now) + seconds, now
        if timed_out:
            self.slow_until[owner] = now + slow_window
        # Forget owners whose use has decayed to nothing, so the table stays small.
        if len(self.usage) > 1000:
            for name in [n for n, u in self.usage.items() if u.now(now) < 1e-3 and n not in self.running]:
                del self.usage[name]
            for name in [n for n, until in self.slow_until.items() if until <= now]:
                del self.slow_until[name]


class CheckerPool:
    """`size` workers for students' answers, `tutor_size` for the tutor's own verification,
    `spares` started workers kept ready to replace a killed one."""

    def __init__(
        self,
        size: int,
        timeout: float,
        cache_size: int = 4096,
        *,
        tutor_size: int = 1,
        spares: int = 1,
        slow_window: float = 60.0,
        interrupt: bool = True,
    ) -> None:
        self.size = size
        self.timeout = timeout
        self.tutor_size = tutor_size
        self.spares = spares
        self.slow_window = slow_window
        self.interrupt = interrupt
        self._cache: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()
        # Questions being worked out now, by cache key: the same one asked again waits for it.
        self._inflight: dict[str, _Shared] = {}
        self.jobs_run = 0  # jobs a child has worked on (cache answers and shared waits not counted)
        self._lock = threading.Lock()
        self._seq = itertools.count()
        self._anonymous = itertools.count()
        self._lanes: dict[str, _Lane] = {}
        self._spare_stock: deque[_Worker] = deque()
        self._spare_wanted = threading.Event()
        self._spawner: threading.Thread | None = None
        self._live: set[_Worker] = set()
        self._closed = False
        self._pid = os.getpid()
        # Jobs stopped at their time limit, and worker processes killed (the interrupt didn't land).
        self.kills = 0
        self.restarts = 0

    # --- workers and spares -----------------------------------------------------------------

    def _new_worker(self) -> _Worker:
        worker = _Worker()
        with self._lock:
            self._live.add(worker)
        return worker

    def _retire(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._live.discard(worker)

    def _take_worker(self) -> _Worker:
        """A spare if one is ready (a killed worker is replaced at once), else a cold start."""
        with self._lock:
            worker = self._spare_stock.popleft() if self._spare_stock else None
        self._spare_wanted.set()
        return worker if worker is not None else self._new_worker()

    def _keep_spares(self) -> None:
        while not self._closed:
            self._spare_wanted.wait()
            self._spare_wanted.clear()
            while not self._closed:
                with self._lock:
                    if len(self._spare_stock) >= self.spares:
                        break
                worker = self._new_worker()
                try:
                    worker.wait_ready()  # a spare is only useful warm
                except WorkerDied:
                    self._retire(worker)
                    if not self._closed:
                        time.sleep(1.0)
                    continue
                with self._lock:
                    kept = not self._closed
                    if kept:
                        self._spare_stock.append(worker)
                if not kept:
                    self._retire(worker)
                    break
            if self._closed:
                break

    # --- lanes ------------------------------------------------------------------------------

    def _lane(self, name: str) -> _Lane:
        if self._pid != os.getpid():  # forked after start: the threads and children aren't ours
            self._reset_after_fork()
        lane = self._lanes.get(name)
        if lane is not None:
            return lane
        with self._lock:
            if self._closed:
                raise PoolShutDown("the checker pool has been shut down")
            lane = self._lanes.get(name)
            if lane is not None:
                return lane
            size = self.tutor_size if name == TUTOR else self.size
            lane = _Lane(name=name, size=max(1, size))
            for slot in range(lane.size):
                thread = threading.Thread(
                    target=self._serve, args=(lane,), name=f"checker-{name}-{slot}", daemon=True
                )
                lane.threads.append(thread)
            self._lanes[name] = lane
            if self.spares and self._spawner is None:
                self._spawner = threading.Thread(target=self._keep_spares, name="checker-spares", daemon=True)
                self._spawner.start()
        for thread in lane.threads:
            thread.start()
        return lane

    def _reset_after_fork(self) -> None:
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._cache_lock = threading.Lock()
        self._inflight = {}
        self._lanes = {}
        self._spare_stock = deque()
        self._spare_wanted = threading.Event()
        self._spawner = None
        self._live = set()

    def _serve(self, lane: _Lane) -> None:
        # Spares start with the first replacement: a process that never sees a runaway job
        # (most, now that a child interrupts itself) doesn't pay for one.
        worker = self._new_worker()
        try:
            while True:
                # Take jobs only once warm: a job never waits on a cold start while a warm worker
                # of the lane could take it.
                try:
                    worker.wait_ready()
                except WorkerDied:
                    if self._closed:
                        return
                    self._retire(worker)
                    worker = self._take_worker()
                    continue
                with lane.cond:
                    while True:
                        if lane.closed:
                            return
                        item = lane.pick(time.monotonic())
                        if item is not None:
                            break
                        lane.cond.wait()
                if not item.future.set_running_or_notify_cancel():  # the caller gave up waiting
                    with lane.cond:
                        lane.finished(item.owner, 0.0, False, self.slow_window)
                    continue
                following = self._run_one(worker, lane, item)
                if following is None:  # shut down; the worker is already stopped
                    return
                worker = following
        finally:
            self._retire(worker)

    def _run_one(self, worker: _Worker, lane: _Lane, item: _Job) -> _Worker | None:
        """Run one job; returns the worker for the next one (a spare if this one was killed)."""
        started = time.perf_counter()
        with self._lock:
            self.jobs_run += 1
        if self.interrupt:
            # The child interrupts itself at the limit and stays warm; the parent kills it only
            # if that doesn't land (a long call in C).
            job, wait = {**item.job, "soft_timeout": item.timeout}, item.timeout + HARD_KILL_GRACE
        else:
            job, wait = item.job, item.timeout
        try:
            result = worker.call(job, wait)
        except (WorkerDied, BrokenPipeError, OSError):
            result = None
        seconds = time.perf_counter() - started
        if self._closed:
            item.future.set_exception(PoolShutDown("the checker pool has been shut down"))
            self._retire(worker)
            return None
        interrupted = result is not None and result.get("interrupted") is True
        if result is None or interrupted:
            with self._lock:
                self.kills += 1
        if interrupted:
            worker.interrupts += 1
        keep = (
            result is not None and worker.jobs < JOBS_PER_WORKER and worker.interrupts < INTERRUPTS_PER_WORKER
        )
        if result is None:
            with self._lock:
                self.restarts += 1
        if result is None or interrupted:
            result = timeout_result(seconds * 1000)
        if not keep:
            self._retire(worker)
            worker = self._take_worker()
        with lane.cond:
            lane.finished(item.owner, seconds, result.get("status") == "timeout", self.slow_window)
        item.future.set_result(result)
        return worker

    # --- public -----------------------------------------------------------------------------

    def submit(
        self,
        job: dict[str, Any],
        *,
        owner: str | None = None,
        lane: str = ANSWERS,
        timeout: float | None = None,
        use_cache: bool = True,
    ) -> Future:
        """Queue a job; the future's result is the child's JSON answer (a copy)."""
        # " 5/8" and "5/8 " are the same question: key the cache on stripped text.
        key = json.dumps({k: v.strip() if isinstance(v, str) else v for k, v in job.items()}, sort_keys=True)
        future: Future = Future()
        if use_cache:
            with self._cache_lock:
                if key in self._cache:
                    self._cache.move_to_end(key)
                    future.set_result(dict(self._cache[key]))
                    return future
                shared = self._inflight.get(key)
                if shared is not None:
                    # The same question is being worked out now (a class asking the same problem at
                    # once): one child does it and every caller gets a copy of the answer.
                    shared.follow(future)
                    return future
        target = self._lane(lane)
        # Callers that name no owner (internal checks) each count as their own owner.
        item = _Job(
            job=job,
            owner=owner or f"{ANONYMOUS}{next(self._anonymous)}",
            timeout=timeout if timeout is not None else self.timeout,
            future=Future(),
            seq=next(self._seq),
        )
        shared = _Shared(item.future)
        shared.follow(future)
        if use_cache:
            with self._cache_lock:
                self._inflight[key] = shared

        def done(inner: Future) -> None:
            result = None if inner.cancelled() or inner.exception() is not None else inner.result()
            with self._cache_lock:
                if self._inflight.get(key) is shared:
                    del self._inflight[key]
                # A timeout may be load, not the input: ask again next time rather than remember it.
                if use_cache and result is not None and result.get("status") != "timeout":
                    self._cache[key] = result
                    while len(self._cache) > self._cache_size:
                        self._cache.popitem(last=False)
            shared.settle()

        item.future.add_done_callback(done)
        with target.cond:
            if target.closed:
                raise PoolShutDown("the checker pool has been shut down")
            target.waiting.setdefault(item.owner, deque()).append(item)
            target.cond.notify_all()
        return future

    def run(self, job: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return self.submit(job, **kwargs).result()

    async def arun(self, job: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        # Awaiting the future holds no thread: the lane's own threads wait on the children.
        return await asyncio.wrap_future(self.submit(job, **kwargs))

    def warm(self, lane: str = ANSWERS) -> None:
        """Start a lane's workers (and the spares) now, without waiting for them."""
        self._lane(lane)

    def clear_cache(self) -> None:
        with self._cache_lock:
            self._cache.clear()

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            lanes = list(self._lanes.values())
            self._lanes = {}
        self._spare_wanted.set()
        for lane in lanes:
            with lane.cond:
                lane.closed = True
                pending = [item for jobs in lane.waiting.values() for item in jobs]
                lane.waiting.clear()
                lane.cond.notify_all()
            for item in pending:
                if item.future.set_running_or_notify_cancel():
                    item.future.set_exception(PoolShutDown("the checker pool has been shut down"))
        with self._lock:
            workers = list(self._live)
        for worker in workers:  # a runner waiting on a child sees it die and returns
            worker.kill()
        for lane in lanes:
            for thread in lane.threads:
                if thread is not threading.current_thread():
                    thread.join(timeout=5)
        if self._spawner is not None:
            self._spawner.join(timeout=READY_TIMEOUT)
        with self._lock:
            workers = list(self._live)
            self._live.clear()
            self._spare_stock.clear()
        for worker in workers:
            worker.kill()
