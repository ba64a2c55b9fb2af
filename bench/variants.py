"""Randomised problems: the time to generate and key 1 000 variants, and what a variant costs a page load.

    .venv/bin/python bench/variants.py          (also part of `make bench`)

1. Generation: 1 000 variants of each of five templates (the demo's four and a quadratic with
   constraints and an irrational key), through the real checker pool (2 warm worker processes,
   "variants" jobs of 250 seeds sent from 2 threads under two owners, as two students' first
   visits or two uploads would be). Goal: under 2 s for 1 000 on 2 cores.
2. Page load: the student's problem page (Django's test client, a temporary SQLite database, the
   demo set) for a fixed problem and for a randomised one whose variant is already stored, median
   of 100 loads each; and the one-off cost of a student's first visit (sampling and keying their
   variant in the sandbox). Goal: no measurable difference, since the key is computed once per
   student and stored.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUADRATIC = {
    "key": "quadratic",
    "statement": "Find the larger root of ${a}x^2 + {b}x + {c} = 0$.",
    "template": {
        "variables": {"a": {"range": [1, 9]}, "b": {"range": [2, 20, 2]}, "c": {"list": [3, 5, 7]}},
        "constraints": ["b^2 - 4*a*c > 0", "a != b"],
    },
    "answer": "(-{b} + sqrt({b}^2-4*{a}*{c}))/(2*{a})",
    "answer_type": "number",
}
BATCH = 250
COUNT = 1000


def _run(problem: dict, batches: list[list[int]], made: list[int], lock: threading.Lock, owner: str) -> None:
    from inference.checker import make_variants

    for seeds in batches:
        result = make_variants(
            template=problem["template"],
            texts={k: problem.get(k) or "" for k in ("statement", "answer", "solution")},
            seeds=seeds,
            answer_type=problem["answer_type"],
            units=problem.get("units"),
            owner=owner,  # the pool runs one job at a time per owner: two owners use both workers
        )
        assert result["ok"], result
        with lock:
            made.extend(v["tries"] for v in result["variants"])


def generation() -> None:
    from inference.checker import make_variants, pool, shutdown_pool
    from tutor.problems.demo import DEMO_SET

    problems = [p for p in DEMO_SET["problems"] if p.get("template")] + [QUADRATIC]
    pool().warm()
    make_variants(template=QUADRATIC["template"], texts={"answer": "{a}"}, seeds=[0, 1])  # both warm
    make_variants(template=QUADRATIC["template"], texts={"answer": "{a}"}, seeds=[2, 3])
    print(f"generate and key {COUNT} variants ({BATCH} a job, 2 threads, 2 workers):")
    for problem in problems:
        batches = [list(range(start, start + BATCH)) for start in range(0, COUNT, BATCH)]
        made: list[int] = []
        lock = threading.Lock()
        started = time.perf_counter()
        threads = [
            threading.Thread(target=_run, args=(problem, batches[i::2], made, lock, f"bench:{i}"))
            for i in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        print(
            f"  {problem['key']:<10} {len(made)} variants in {seconds:.2f} s "
            f"({seconds / len(made) * 1000:.2f} ms each; {statistics.mean(made):.2f} tries a variant)"
        )
    shutdown_pool()


def page_load() -> None:
    folder = tempfile.mkdtemp(prefix="bench-variants-")
    os.environ["DATABASE_URL"] = f"sqlite:///{folder}/db.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tutor.settings.test")
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from inference.checker import shutdown_pool
    from tutor.classroom.models import User
    from tutor.problems.models import Problem, Variant

    setup_test_environment()
    call_command("migrate", verbosity=0)
    call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115 - silenced
    student = User.objects.get(username="ada")
    client = Client()
    client.force_login(student)
    randomised = Problem.objects.get(key="rand-la")
    url = reverse("problem_detail", args=[randomised.pk])
    other = Client()
    other.force_login(User.objects.get(username="ben"))
    assert other.get(url).status_code == 200  # starts the checker's workers
    started = time.perf_counter()
    assert client.get(url).status_code == 200
    first = (time.perf_counter() - started) * 1000
    # The same problem made fixed, with this student's numbers written in: the pages differ only
    # in how the numbers are found (a stored row vs the problem's own fields).
    variant = Variant.objects.get(user=student, problem=randomised)
    fixed = Problem.objects.create(
        problem_set=randomised.problem_set,
        key="rand-la-fixed",
        position=randomised.position + 100,
        title=randomised.title,
        statement=variant.statement,
        answer=variant.answer,
        answer_type=randomised.answer_type,
        hints=variant.hints,
        solution=variant.solution,
        topic=randomised.topic,
    )
    began = time.perf_counter()
    client.get(reverse("problem_detail", args=[fixed.pk]))
    fixed_first = (time.perf_counter() - began) * 1000
    assert Variant.objects.filter(user=student, problem=randomised).count() == 1

    def median_ms(problem: Problem, n: int = 100) -> float:
        path = reverse("problem_detail", args=[problem.pk])
        times = []
        for _ in range(n):
            began = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200
        return statistics.median(times)

    median_ms(fixed, 10)  # warm the templates and the database
    median_ms(randomised, 10)
    rounds = [(median_ms(fixed), median_ms(randomised)) for _ in range(3)]
    print("problem page, median of 100 loads (3 rounds, alternating):")
    for fixed_ms, random_ms in rounds:
        print(
            f"  the same problem fixed {fixed_ms:.1f} ms, randomised with the variant stored {random_ms:.1f} ms"
        )
    print(
        f"  a student's first visit to a randomised problem (sample, key, store): {first:.0f} ms once "
        f"(a fixed problem's first visit: {fixed_first:.0f} ms)"
    )
    shutdown_pool()


def main() -> None:
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("(page-load figures use a temporary SQLite database, not DATABASE_URL)")
    generation()
    page_load()


if __name__ == "__main__":
    main()
