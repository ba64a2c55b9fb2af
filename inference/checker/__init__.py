"""The answer checker: decides whether an answer is right, the model's and the student's.

Everything that touches SymPy, latex2sympy or math-verify runs in a pool of killable child
processes (see sandbox.py); these functions only send jobs and receive plain data. They are
thread-safe, and each has an async twin for use from consumers and generation jobs.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from dataclasses import asdict, dataclass
from typing import Any

from .sandbox import CheckerPool
from .verdicts import NOT_JUDGED, Status

logger = logging.getLogger(__name__)

__all__ = [
    "NOT_JUDGED",
    "Extraction",
    "Preview",
    "Status",
    "Verdict",
    "acheck_answer",
    "acheck_model_output",
    "aextract_final_answer",
    "apreview_answer",
    "averify_by_substitution",
    "check_answer",
    "check_model_output",
    "extract_final_answer",
    "preview_answer",
    "shutdown_pool",
    "verify_by_substitution",
    "warm_up",
]


@dataclass(frozen=True)
class Verdict:
    equivalent: bool
    status: str
    interpreted_as: str
    comparator: str
    reason: str
    ms: float
    numeric_only: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Extraction:
    """The final answer found in a text. status: ok | multiple | hedged | none.

    `multiple` means several different boxed answers: `answer` is the last one (models box a
    first attempt, then a correction). `latex` is how the answer was read ('' if unreadable).
    """

    answer: str | None
    status: str
    latex: str = ""
    candidates: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Preview:
    ok: bool
    latex: str
    message: str
    kind: str = ""


_pool: CheckerPool | None = None
_pool_lock = threading.Lock()


def pool() -> CheckerPool:
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = CheckerPool(
                    size=int(os.environ.get("CHECKER_WORKERS", "2")),
                    timeout=float(os.environ.get("CHECKER_TIMEOUT", "2.0")),
                )
    return _pool


def warm_up() -> None:
    """Start the pool's processes in the background (they take about half a second to import)."""
    if os.environ.get("CHECKER_WARM_UP", "1") == "0":
        return
    threading.Thread(target=lambda: pool().run({"kind": "ping"}, use_cache=False), daemon=True).start()


def shutdown_pool() -> None:
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.shutdown()
            _pool = None


def _reported(result: dict[str, Any]) -> dict[str, Any]:
    """Log a crash inside the worker (a bug of ours) with its traceback; students see a plain reason."""
    if result.get("status") == Status.ERROR:
        logger.error("checker crashed on a job:\n%s", result.get("error", "(no traceback)"))
    return result


def _verdict(result: dict[str, Any]) -> Verdict:
    _reported(result)
    return Verdict(
        equivalent=bool(result.get("equivalent")),
        status=str(result.get("status", "error")),
        interpreted_as=str(result.get("interpreted_as", "")),
        comparator=str(result.get("comparator", "")),
        reason=str(result.get("reason", "")),
        ms=float(result.get("ms", 0.0)),
        numeric_only=bool(result.get("numeric_only", False)),
    )


def check_answer(
    *,
    gold: str,
    answer: str,
    answer_type: str | None = None,
    tolerance: float | None = None,
    units: str | None = None,
    options: dict[str, Any] | None = None,
    use_cache: bool = True,
) -> Verdict:
    job = {
        "kind": "check",
        "gold": gold,
        "answer": answer,
        "answer_type": answer_type or None,
        "tolerance": tolerance,
        "units": units or None,
        "options": options or {},
    }
    return _verdict(pool().run(job, use_cache=use_cache))


def check_model_output(
    *,
    gold: str | None,
    text: str,
    problem: str | None = None,
    answer_type: str | None = None,
    tolerance: float | None = None,
    units: str | None = None,
    options: dict[str, Any] | None = None,
) -> Verdict:
    """Extract the model's final answer and check it against the key, or by substitution."""
    if gold:
        return check_answer(
            gold=gold,
            answer=text,
            answer_type=answer_type,
            tolerance=tolerance,
            units=units,
            # A model reply always goes through extraction, even when it is one short line.
            options={**(options or {}), "model_output": True},
        )
    return verify_by_substitution(problem=problem or "", answer=text)


def verify_by_substitution(*, problem: str, answer: str) -> Verdict:
    return _verdict(pool().run({"kind": "substitute", "problem": problem, "answer": answer}))


def extract_final_answer(text: str) -> Extraction:
    result = pool().run({"kind": "extract", "text": text})
    _reported(result)
    if "candidates" not in result:  # a timeout or a crash in the child
        return Extraction(answer=None, status=str(result.get("status", "none")))
    return Extraction(
        answer=result.get("answer"),
        status=str(result.get("status", "none")),
        latex=str(result.get("latex", "")),
        candidates=tuple(str(c) for c in result.get("candidates", ())),
    )


def preview_answer(*, answer: str, answer_type: str | None = None, units: str | None = None) -> Preview:
    result = pool().run({"kind": "preview", "answer": answer, "answer_type": answer_type, "units": units})
    _reported(result)
    if "ok" not in result:  # a timeout or a crash in the child
        return Preview(ok=False, latex="", message=result.get("reason", "That answer couldn't be read."))
    return Preview(
        ok=bool(result["ok"]),
        latex=result.get("latex", ""),
        message=result.get("message", ""),
        kind=result.get("kind", ""),
    )


async def acheck_answer(**kwargs: Any) -> Verdict:
    return await asyncio.to_thread(lambda: check_answer(**kwargs))


async def acheck_model_output(**kwargs: Any) -> Verdict:
    return await asyncio.to_thread(lambda: check_model_output(**kwargs))


async def aextract_final_answer(text: str) -> Extraction:
    return await asyncio.to_thread(extract_final_answer, text)


async def apreview_answer(**kwargs: Any) -> Preview:
    return await asyncio.to_thread(lambda: preview_answer(**kwargs))


async def averify_by_substitution(**kwargs: Any) -> Verdict:
    return await asyncio.to_thread(lambda: verify_by_substitution(**kwargs))
