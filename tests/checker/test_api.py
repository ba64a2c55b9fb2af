"""The public API: plain data out, usable from threads and async code, cached, previewable."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

from inference.checker import (
    Verdict,
    acheck_answer,
    acheck_model_output,
    apreview_answer,
    check_answer,
    pool,
    preview_answer,
)

REPO = Path(__file__).resolve().parents[2]


def test_verdict_is_plain_data() -> None:
    verdict = check_answer(gold="3/4", answer="0.75")
    data = verdict.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert set(data) == {
        "equivalent",
        "status",
        "interpreted_as",
        "comparator",
        "reason",
        "ms",
        "numeric_only",
    }
    assert isinstance(verdict, Verdict) and verdict.ms >= 0


def test_the_web_process_never_loads_sympy() -> None:
    # Printing a SymPy object can hang; the parent should not even have the library.
    script = (
        "import sys\n"
        "from inference.checker import check_answer, extract_final_answer, preview_answer, shutdown_pool\n"
        "check_answer(gold='x^2', answer='x*x'); extract_final_answer('so $\\\\boxed{3}$')\n"
        "preview_answer(answer='2x'); shutdown_pool()\n"
        "print(sorted(m for m in ('sympy', 'math_verify', 'latex2sympy2_extended', 'pint') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=60, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_usable_from_many_threads_at_once() -> None:
    results: dict[int, bool] = {}

    def work(n: int) -> None:
        results[n] = check_answer(gold=f"{n}/4", answer=str(n / 4), use_cache=False).equivalent

    threads = [threading.Thread(target=work, args=(n,)) for n in range(1, 13)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {n: True for n in range(1, 13)}


async def test_async_api() -> None:
    assert (await acheck_answer(gold="x^2 - 1", answer="(x-1)(x+1)")).equivalent
    assert (await acheck_model_output(gold="7", text="so $\\boxed{7}$")).equivalent
    preview = await apreview_answer(answer="2x+1")
    assert preview.ok and preview.latex == "2 x + 1"


def test_verdicts_are_cached_on_normalised_inputs() -> None:
    checker = pool()
    checker.clear_cache()
    first = check_answer(gold="5/8", answer="0.625")
    again = check_answer(gold=" 5/8", answer="0.625 ")
    assert first == again  # same ms too: served from the cache, not recomputed


def test_preview_shows_how_the_answer_was_read_and_where_it_fails() -> None:
    read = preview_answer(answer="2x^2 + 1/2")
    assert read.ok and read.latex == "2 x^{2} + \\frac{1}{2}"
    latex = preview_answer(answer="\\frac{3}{4}")
    assert latex.ok and latex.latex == "\\frac{3}{4}"
    units = preview_answer(answer="10", units="m")
    assert units.ok and "units" in units.message
    broken = preview_answer(answer="3*/4")
    assert not broken.ok and broken.latex == "" and "/4" in broken.message


def test_pool_size_comes_from_the_environment() -> None:
    script = (
        "from inference.checker import pool, shutdown_pool, check_answer\n"
        "check_answer(gold='1', answer='1'); print(pool().size); shutdown_pool()\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=True,
        env={**__import__("os").environ, "CHECKER_WORKERS": "1"},
    )
    assert out.stdout.strip().splitlines()[-1] == "1"
