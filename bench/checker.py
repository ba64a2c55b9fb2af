"""Checker latency with the pool warm: p50 / p95 of ordinary checks and checks per second.

    python bench/checker.py            (or `make bench`)

The cache is bypassed so every check really runs in a child process. "Ordinary" checks are
the kinds a class produces: numbers, fractions, expressions, units, sets, equations, LaTeX.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inference.checker import check_answer, pool, shutdown_pool  # noqa: E402

# Templates filled with a different n each round, so SymPy's own caches in the child don't
# flatter the figures.
TEMPLATES = [
    ("{n}", "{n}", None),
    ("{n}/4", "{q}", None),
    ("\\frac{{{n}}}{{7}}", "{n}/7", None),
    ("x + {n}", "{n} + x", "expression"),
    ("{n}*x^2*sin(x) + x^3*cos(x)", "x^2({n}sin(x) + x cos(x))", "expression"),
    ("{n} km/h", "{kmh} m/s", "quantity"),
    ("{n}.5 m", "{n}.5 m", "quantity"),
    ("{{{n}, 3}}", "{{3, {n}}}", "set"),
    ("({n}, oo)", "({n}, infinity)", "interval"),
    ("x^2 = {sq}", "x = {n} or x = -{n}", "equation"),
    ("[[{n}, 4], [1, 2]]", "[[{n}, 4], [1, 2]]", "matrix"),
    ("{n}*pi", "{pi}", None),
    ("{n}", "{n}x", None),
    ("{n} J", "{n} kg m^2/s^2", "quantity"),
    ("{n}", "The answer is $\\boxed{{{n}}}$.", None),
]


def cases(n: int) -> list[tuple[str, str, str | None]]:
    values = {"n": n, "q": n / 4, "kmh": round(n / 3.6, 4), "sq": n * n, "pi": round(n * 3.14159265, 6)}
    return [(g.format(**values), a.format(**values), kind) for g, a, kind in TEMPLATES]


ROUNDS = 20


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> None:
    checker = pool()
    started = time.perf_counter()
    check_answer(gold="1", answer="1", use_cache=False)  # start the workers
    warm_up = time.perf_counter() - started
    for gold, answer, kind in cases(1):
        check_answer(gold=gold, answer=answer, answer_type=kind, use_cache=False)

    latencies = []
    wrong = 0
    for round_number in range(ROUNDS):
        for gold, answer, kind in cases(round_number + 2):
            t0 = time.perf_counter()
            verdict = check_answer(gold=gold, answer=answer, answer_type=kind, use_cache=False)
            latencies.append((time.perf_counter() - t0) * 1000)
            # Every template but "n vs nx" is a correct answer.
            wrong += verdict.equivalent != (answer != f"{round_number + 2}x")

    # Throughput: as many threads as workers, all busy.
    count = 0
    lock = threading.Lock()
    deadline = time.perf_counter() + 5.0

    def hammer() -> None:
        nonlocal count
        i = 0
        while time.perf_counter() < deadline:
            gold, answer, kind = cases(100 + i // len(TEMPLATES))[i % len(TEMPLATES)]
            check_answer(gold=gold, answer=answer, answer_type=kind, use_cache=False)
            i += 1
            with lock:
                count += 1

    threads = [threading.Thread(target=hammer) for _ in range(checker.size)]
    t0 = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - t0

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores ({cpu_model()}), Python {platform.python_version()}"
    )
    print(f"checker workers: {checker.size}; pool start (first check, cold): {warm_up * 1000:.0f} ms")
    print(
        f"sequential checks: n={len(latencies)}  p50={statistics.median(latencies):.1f} ms  "
        f"p95={percentile(latencies, 0.95):.1f} ms  max={max(latencies):.1f} ms"
    )
    print(f"verdicts that disagreed with the expected answer: {wrong}")
    print(f"throughput with {checker.size} threads: {count / elapsed:.0f} checks/s over {elapsed:.1f} s")
    shutdown_pool()


if __name__ == "__main__":
    main()
