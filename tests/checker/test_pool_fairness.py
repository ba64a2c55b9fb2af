"""The checker pool shares its workers fairly (issue 11, "checker starvation").

Six students flood it with answers that each run into the time limit (LaTeX integrals SymPy can't
do, varied so the cache never answers); another student's ordinary check or preview, and the
tutor's verification of a model answer, still come back within one check's time limit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import wait

import pytest

from inference.checker import (
    acheck_model_output,
    apreview_answer,
    check_answer,
    check_model_output,
    pool,
    preview_answer,
)
from inference.checker.sandbox import TUTOR, CheckerPool

CHECK_LIMIT = 2.0  # CHECKER_TIMEOUT's default: "one check's time limit"
FLOODERS = 6


def slow_answer(n: int) -> str:
    """An answer whose reading runs into the time limit; each n is a different one (no cache)."""
    return rf"\int e^{{x^{{{7 + n}}}}}\sin(x^{{{5 + n % 3}}})\,dx"


@pytest.fixture
def flood() -> Iterator[dict[str, int]]:
    """Six owners, each sending slow previews one after another, as fast as they come back."""
    stop = threading.Event()
    counts = {"sent": 0, "timeouts": 0}
    lock = threading.Lock()

    def flooder(index: int) -> None:
        n = index * 10_000
        while not stop.is_set():
            n += 1
            result = preview_answer(answer=slow_answer(n), owner=f"user:flood-{index}")
            with lock:
                counts["sent"] += 1
                counts["timeouts"] += "too big" in result.message

    # Both lanes warm, as the web server's warm_up() leaves them before the first request.
    assert check_model_output(gold="1", text="$\\boxed{1}$").equivalent
    assert preview_answer(answer="1").ok
    threads = [threading.Thread(target=flooder, args=(i,), daemon=True) for i in range(FLOODERS)]
    for thread in threads:
        thread.start()
    # Let the flood fill the queue and the first slow answers run into the limit.
    time.sleep(3.0)
    yield counts
    stop.set()
    for thread in threads:
        thread.join(timeout=10)


def test_slow_inputs_really_run_into_the_time_limit() -> None:
    preview = preview_answer(answer=slow_answer(12345), owner="user:probe")
    assert not preview.ok and "too big" in preview.message


def test_another_students_check_and_preview_are_not_starved_by_a_flood(flood: dict[str, int]) -> None:
    latencies = []
    for n in range(8):
        started = time.monotonic()
        preview = preview_answer(answer=f"{n}x + 1/2", owner="user:ordinary")
        verdict = check_answer(
            gold=f"{n + 1}/4", answer=str((n + 1) / 4), owner="user:ordinary", use_cache=False
        )
        latencies.append(time.monotonic() - started)
        assert preview.ok and verdict.equivalent
        time.sleep(0.3)
    print(f"ordinary preview+check under a flood of {FLOODERS}: max {max(latencies):.3f} s, {latencies}")
    assert max(latencies) < CHECK_LIMIT
    assert flood["timeouts"] >= FLOODERS, "the flood really ran into the time limit"


def test_the_tutors_verification_has_its_own_workers(flood: dict[str, int]) -> None:
    latencies = []
    for n in range(5):
        started = time.monotonic()
        verdict = check_model_output(gold=f"{n + 7}", text=f"So the answer is $\\boxed{{{n + 7}}}$.")
        latencies.append(time.monotonic() - started)
        assert verdict.equivalent
        time.sleep(0.3)
    print(f"check_model_output under a flood of {FLOODERS}: max {max(latencies):.3f} s, {latencies}")
    assert max(latencies) < CHECK_LIMIT


async def test_async_callers_hold_no_thread_while_the_pool_is_busy(flood: dict[str, int]) -> None:
    # 40 more waiting previews from the flooders would exhaust asyncio's default thread pool (6 threads on 2 cores) if
    # each held a thread; the tutor's check must still come straight back.
    import asyncio

    waiting = [
        asyncio.ensure_future(
            apreview_answer(answer=slow_answer(900 + n), owner=f"user:flood-{n % FLOODERS}")
        )
        for n in range(40)
    ]
    started = time.monotonic()
    verdict = await acheck_model_output(gold="9", text="$\\boxed{9}$")
    elapsed = time.monotonic() - started
    assert verdict.equivalent and elapsed < CHECK_LIMIT
    ordinary = await asyncio.wait_for(apreview_answer(answer="3/4", owner="user:ordinary-async"), CHECK_LIMIT)
    assert ordinary.ok
    for future in waiting:
        future.cancel()  # a student who leaves stops waiting; queued jobs are dropped
    await asyncio.gather(*waiting, return_exceptions=True)


def test_one_owners_jobs_run_one_at_a_time_and_others_go_first() -> None:
    checker = CheckerPool(size=2, timeout=1.0, tutor_size=1, spares=1)
    try:
        checker.run({"kind": "ping"}, use_cache=False)  # warm
        hog = [checker.submit({"kind": "spin"}, owner="user:hog", use_cache=False) for _ in range(3)]
        time.sleep(0.2)
        polite = checker.submit(
            {"kind": "check", "gold": "1/2", "answer": "0.5", "options": {}},
            owner="user:polite",
            use_cache=False,
        )
        wait([polite, hog[1]], return_when="FIRST_COMPLETED")
        assert polite.done() and not hog[1].done(), "the polite owner did not wait behind the hog's queue"
        assert polite.result()["equivalent"]
        assert [future.result()["status"] for future in hog] == ["timeout"] * 3
    finally:
        checker.shutdown()


def test_unnamed_callers_slow_jobs_cannot_take_every_worker() -> None:
    # Imports and audits name no owner; once one of theirs ran into the limit, they share the
    # "slow" rule, so a student's check still finds a free worker.
    checker = CheckerPool(size=2, timeout=1.0, tutor_size=1, spares=0)
    try:
        first = [checker.submit({"kind": "spin"}, use_cache=False) for _ in range(2)]
        assert [future.result()["status"] for future in first] == ["timeout", "timeout"]
        more = [checker.submit({"kind": "spin"}, use_cache=False) for _ in range(3)]
        time.sleep(0.2)
        polite = checker.submit(
            {"kind": "check", "gold": "1/2", "answer": "0.5", "options": {}},
            owner="user:polite",
            use_cache=False,
        )
        wait([polite, *more], return_when="FIRST_COMPLETED")
        assert polite.done() and polite.result()["equivalent"]
        assert not any(future.done() for future in more)
        for future in more:
            future.result()
    finally:
        checker.shutdown()


def test_a_job_past_its_limit_is_interrupted_and_the_worker_kept_warm() -> None:
    checker = CheckerPool(size=1, timeout=1.0, tutor_size=1, spares=0)
    try:
        checker.run({"kind": "ping"}, use_cache=False)
        assert checker.run({"kind": "spin"}, use_cache=False)["status"] == "timeout"
        assert checker.run({"kind": "check", "gold": "2", "answer": "2", "options": {}}, use_cache=False)[
            "equivalent"
        ]
        assert (checker.kills, checker.restarts) == (1, 0)
    finally:
        checker.shutdown()


def test_a_killed_worker_is_replaced_by_a_warm_spare() -> None:
    # Without the child's own interrupt (as when a long call in C ignores it) the parent kills it.
    checker = CheckerPool(size=1, timeout=1.0, tutor_size=1, spares=1, interrupt=False)
    try:
        checker.run({"kind": "ping"}, use_cache=False)
        assert checker.run({"kind": "spin"}, use_cache=False)["status"] == "timeout"
        # The first replacement is a cold start; from then on a spare is kept ready.
        started = time.monotonic()
        checker.run({"kind": "ping"}, use_cache=False)
        cold_start = time.monotonic() - started
        time.sleep(2.0)  # the spare has started and warmed up
        assert checker.run({"kind": "spin"}, use_cache=False)["status"] == "timeout"
        started = time.monotonic()
        assert checker.run({"kind": "check", "gold": "2", "answer": "2", "options": {}}, use_cache=False)[
            "equivalent"
        ]
        replaced_in = time.monotonic() - started
        print(f"first check after a kill: {replaced_in:.3f} s; a cold start: {cold_start:.3f} s")
        assert (checker.kills, checker.restarts) == (2, 2)
        assert replaced_in < cold_start, "the killed worker's place was taken by a started one"
    finally:
        checker.shutdown()


def test_tutor_lane_is_separate_from_the_answers_lane() -> None:
    checker = CheckerPool(size=1, timeout=1.5, tutor_size=1, spares=0)
    try:
        checker.run({"kind": "ping"}, use_cache=False)
        checker.run({"kind": "ping"}, lane=TUTOR, use_cache=False)
        blocked = [checker.submit({"kind": "spin"}, owner=f"user:{n}", use_cache=False) for n in range(3)]
        time.sleep(0.1)
        tutor = checker.submit({"kind": "extract", "text": "so $\\boxed{4}$"}, lane=TUTOR, use_cache=False)
        wait([tutor, *blocked], return_when="FIRST_COMPLETED")
        assert tutor.done() and tutor.result()["answer"] == "4"
        assert not any(future.done() for future in blocked)
        for future in blocked:
            future.result()
    finally:
        checker.shutdown()


def test_the_shared_pool_reads_its_lanes_from_the_environment() -> None:
    checker = pool()
    assert checker.size >= 1 and checker.tutor_size >= 1 and checker.timeout > 0


def test_the_same_question_asked_at_once_is_worked_out_once_and_a_caller_who_gives_up_stops_only_their_wait() -> (
    None
):
    """A class asking the tutor the same problem at once sends the checker the same job many times
    (issue 12, verification latency): one child works it out, every caller gets the answer; one
    caller cancelling (a stopped reply) leaves the others' answer coming."""
    checker = CheckerPool(size=1, timeout=1.0, tutor_size=1, spares=0)
    try:
        job = {"kind": "preview", "answer": slow_answer(99), "answer_type": None, "units": None}
        futures = [checker.submit(job, owner=f"user:{n}", lane=TUTOR) for n in range(6)]
        assert futures[0].cancel()
        done, _ = wait(futures[1:], timeout=30)  # a bound on a loaded machine, not a timing
        assert len(done) == 5
        assert len({repr(f.result()) for f in futures[1:]}) == 1
        assert checker.jobs_run == 1
    finally:
        checker.shutdown()
