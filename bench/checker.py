"""Checker latency with the pool warm: p50 / p95 of ordinary checks, of a peer-like mix, and checks/s.

    python bench/checker.py            (or `make bench`)
    python bench/checker.py --write-mixed /tmp/mixed.jsonl && python -m inference.checker /tmp/mixed.jsonl
                                        (1 000 mixed labelled cases through the command line)

The cache is bypassed so every check really runs in a child process. "Ordinary" checks are
the kinds a class produces: numbers, fractions, expressions, units, sets, equations, LaTeX.
The peer-like mix is what STACK's and Math-Verify's suites exercise (issue 14): sets and ±,
inequalities and unions, significant figures, unit conversions, identities on a domain,
equations in several letters, and model outputs with draft boxes, thousands separators,
units and remarks in the box, and a question typed back (work it out).
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

from inference.checker import check_answer, check_model_output, pool, shutdown_pool  # noqa: E402

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


# (key, answer or model text, options, model output?, expected equivalent)
PEER_TEMPLATES = [
    ("{{{n}, -{n}}}", "x = ±{n}", {}, False, True),
    ("{{({n},1),(2,{n})}}", "{{(2,{n}),({n},1)}}", {}, False, True),
    ("x^2 > {sq}", "x > {n} or x < -{n}", {}, False, True),
    ("{n} < x or x < -{n}", "x < -{n} or {n} < x", {}, False, True),
    ("(-oo, -{n}) U ({n}, oo)", "x < -{n} or x > {n}", {}, False, True),
    ("{sig_key}", "{sig_answer}", {"sig_figs": 3}, False, True),
    ("{n} km", "{n}000 m", {}, False, True),
    ("-{n}.81 m/s^2", "-{n}.81 m*s^(-2)", {}, False, True),
    ("{n}/sqrt(x)", "{n}*sqrt(1/x)", {}, False, True),
    ("a*b = {n}*a", "a = 0 or b = {n}", {}, False, True),
    ("({n}*pi, sqrt(2))", "({pi}, 1.414)", {"tolerance": 0.01}, False, True),
    ("{n}", "\\int_0^{{{n}}} 1\\,dx", {}, False, False),
    ("x + {n}", "(x^2 - {sq})/(x - {n})", {"form": "simplified"}, False, False),
    (
        "{n}",
        "Try \\boxed{{{m}}}.We are given more... so v = {n}.\n\nFinal Answer:\n\n\\boxed{{{n}\\ \\text{{m (approximately {n}.0 m)}}}}",
        {},
        True,
        True,
    ),
    ("{n}000000", "So the total is $\\boxed{{{n}{{,}}000{{,}}000}}$.", {}, True, True),
    ("{{-{n}, 1}}", "The roots are $\\boxed{{-{n}}}$ and $\\boxed{{1}}$.", {}, True, True),
    ("{n}%", "a total of $\\boxed{{{n}}}$ percent", {}, True, True),
    ("34", "We try n = 33 and get \\boxed{{33}}. Final answer: the largest $n$ is 34.", {}, True, True),
]


def peer_cases(n: int) -> list[tuple[str, str, dict, bool, bool]]:
    from decimal import ROUND_HALF_UP, Decimal

    sig_key = f"{n}.{n:02d}5"
    sig_answer = str(Decimal(sig_key).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
    values = {
        "n": n,
        "m": n + 1,
        "sq": n * n,
        "pi": round(n * 3.14159265, 4),
        "sig_key": sig_key,
        "sig_answer": sig_answer,
    }
    return [
        (g.format(**values), a.format(**values), options, model, expected)
        for g, a, options, model, expected in PEER_TEMPLATES
    ]


def cases(n: int) -> list[tuple[str, str, str | None]]:
    values = {"n": n, "q": n / 4, "kmh": round(n / 3.6, 4), "sq": n * n, "pi": round(n * 3.14159265, 6)}
    return [(g.format(**values), a.format(**values), kind) for g, a, kind in TEMPLATES]


ROUNDS = 20


def _run_peer(gold: str, text: str, options: dict, model: bool):  # noqa: ANN202 - a Verdict
    options = dict(options)
    tolerance = options.pop("tolerance", None)
    if model:
        # check_model_output goes through the cache; a new n each round keeps it cold.
        return check_model_output(gold=gold, text=text, tolerance=tolerance, options=options)
    return check_answer(gold=gold, answer=text, tolerance=tolerance, options=options, use_cache=False)


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


CASE_FILES = [
    Path(__file__).resolve().parent.parent / "tests" / "checker" / "data" / name
    for name in ("peer_cases.jsonl", "labelled_cases.jsonl", "typed_cases.jsonl", "public.jsonl")
]


def write_mixed(path: Path, total: int = 1000) -> int:
    """Every labelled case we have, topped up with the peer-like templates to `total` lines."""
    import json

    lines = []
    for case_file in CASE_FILES:
        lines += [line for line in case_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    n = 30
    while len(lines) < total:
        for gold, text, options, model, expected in peer_cases(n):
            case = {"gold": gold, ("text" if model else "answer"): text, **options, "equivalent": expected}
            case["source"] = "bench/checker.py peer-like template"
            lines.append(json.dumps(case, ensure_ascii=False))
        n += 1
    path.write_text("\n".join(lines[:total]) + "\n", encoding="utf-8")
    return min(total, len(lines))


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--write-mixed":
        print(f"wrote {write_mixed(Path(sys.argv[2]))} cases to {sys.argv[2]}")
        return
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

    for gold, text, options, model, _ in peer_cases(10):
        _run_peer(gold, text, options, model)
    peer_latencies = []
    peer_wrong = []
    for round_number in range(ROUNDS):
        for gold, text, options, model, expected in peer_cases(round_number + 11):
            t0 = time.perf_counter()
            verdict = _run_peer(gold, text, options, model)
            peer_latencies.append((time.perf_counter() - t0) * 1000)
            if verdict.equivalent != expected or verdict.status == "error":
                peer_wrong.append((gold, text[-40:], verdict.status))

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
    print(
        f"peer-like mix: n={len(peer_latencies)}  p50={statistics.median(peer_latencies):.1f} ms  "
        f"p95={percentile(peer_latencies, 0.95):.1f} ms  max={max(peer_latencies):.1f} ms"
    )
    print(f"peer-like verdicts that disagreed with the expected answer: {len(peer_wrong)} {peer_wrong[:3]}")
    print(f"throughput with {checker.size} threads: {count / elapsed:.0f} checks/s over {elapsed:.1f} s")
    shutdown_pool()


if __name__ == "__main__":
    main()
