"""The answer checker: decides whether an answer is right, the model's and the student's.

Everything that touches SymPy, latex2sympy or math-verify runs in a pool of killable child
processes (see sandbox.py); these functions only send jobs and receive plain data. They are
thread-safe, and each has an async twin for use from consumers and generation jobs. `owner=`
("user:12") names whose check it is: the pool shares its workers fairly between owners.

Over 400 lines on purpose: every public call has a sync and an async twin with the same keyword
list, each a few lines; split up, a caller would have to know which module holds which twin.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import asdict, dataclass
from typing import Any

from .answer_types import ANSWER_TYPES
from .sandbox import ANSWERS, TUTOR, CheckerPool
from .verdicts import NOT_JUDGED, Status

logger = logging.getLogger(__name__)

__all__ = [
    "ANSWER_TYPES",
    "NOT_JUDGED",
    "Extraction",
    "Preview",
    "Status",
    "StepReport",
    "Verdict",
    "acheck_answer",
    "acheck_model_output",
    "acheck_steps",
    "aextract_final_answer",
    "apreview_answer",
    "averify_by_substitution",
    "check_answer",
    "check_model_output",
    "check_steps",
    "extract_final_answer",
    "make_variants",
    "amake_variants",
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


def _env_number(name: str, default: float, kind: type = float) -> Any:
    raw = os.environ.get(name, "").strip()
    try:
        value = kind(raw) if raw else default
    except ValueError as exc:
        raise ValueError(f"{name}={raw!r} is not a number.") from exc
    if value < 0:
        raise ValueError(f"{name}={raw!r} can't be negative.")
    return value


def pool() -> CheckerPool:
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = CheckerPool(
                    size=_env_number("CHECKER_WORKERS", 2, int),
                    timeout=_env_number("CHECKER_TIMEOUT", 2.0),
                    tutor_size=_env_number("CHECKER_TUTOR_WORKERS", 1, int),
                    spares=_env_number("CHECKER_SPARES", 1, int),
                    slow_window=_env_number("CHECKER_SLOW_WINDOW", 60.0),
                )
    return _pool


def preview_timeout() -> float:
    """Previews only read the answer, so they get a shorter bound than checks."""
    return _env_number("CHECKER_PREVIEW_TIMEOUT", 1.0)


def warm_up() -> None:
    """Start both lanes' processes in the background (they take about a second to import)."""
    if os.environ.get("CHECKER_WARM_UP", "1") == "0":
        return
    pool().warm(ANSWERS)
    pool().warm(TUTOR)


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


def _extraction(result: dict[str, Any]) -> Extraction:
    _reported(result)
    if "candidates" not in result:  # a timeout or a crash in the child
        return Extraction(answer=None, status=str(result.get("status", "none")))
    return Extraction(
        answer=result.get("answer"),
        status=str(result.get("status", "none")),
        latex=str(result.get("latex", "")),
        candidates=tuple(str(c) for c in result.get("candidates", ())),
    )


def _preview(result: dict[str, Any]) -> Preview:
    _reported(result)
    if "ok" not in result:  # a timeout or a crash in the child: `kind` says which
        return Preview(
            ok=False,
            latex="",
            message=result.get("reason", "That answer couldn't be read."),
            kind=str(result.get("status", "")),
        )
    return Preview(
        ok=bool(result["ok"]),
        latex=result.get("latex", ""),
        message=result.get("message", ""),
        kind=result.get("kind", ""),
    )


# Each call is (job, pool options, reader of the child's reply). The lane comes from the function:
# the tutor's checks of model output have their own workers and never queue behind a student's.


def _check_call(
    *,
    gold: str,
    answer: str,
    answer_type: str | None = None,
    tolerance: float | None = None,
    units: str | None = None,
    options: dict[str, Any] | None = None,
    use_cache: bool = True,
    owner: str | None = None,
    lane: str = ANSWERS,
) -> tuple[dict[str, Any], dict[str, Any], Any]:
    job = {
        "kind": "check",
        "gold": gold,
        "answer": answer,
        "answer_type": answer_type or None,
        "tolerance": tolerance,
        "units": units or None,
        "options": options or {},
    }
    return job, {"use_cache": use_cache, "owner": owner, "lane": lane}, _verdict


def _model_output_call(
    *,
    gold: str | None,
    text: str,
    problem: str | None = None,
    answer_type: str | None = None,
    tolerance: float | None = None,
    units: str | None = None,
    options: dict[str, Any] | None = None,
    owner: str | None = None,
) -> tuple[dict[str, Any], dict[str, Any], Any]:
    if gold:
        return _check_call(
            gold=gold,
            answer=text,
            answer_type=answer_type,
            tolerance=tolerance,
            units=units,
            # A model reply always goes through extraction, even when it is one short line.
            options={**(options or {}), "model_output": True},
            owner=owner,
            lane=TUTOR,
        )
    return _substitution_call(problem=problem or "", answer=text, owner=owner)


def _substitution_call(
    *, problem: str, answer: str, owner: str | None = None
) -> tuple[dict[str, Any], dict[str, Any], Any]:
    job = {"kind": "substitute", "problem": problem, "answer": answer}
    return job, {"owner": owner, "lane": TUTOR}, _verdict


def _extract_call(text: str, *, owner: str | None = None) -> tuple[dict[str, Any], dict[str, Any], Any]:
    return {"kind": "extract", "text": text}, {"owner": owner, "lane": TUTOR}, _extraction


def _preview_call(
    *, answer: str, answer_type: str | None = None, units: str | None = None, owner: str | None = None
) -> tuple[dict[str, Any], dict[str, Any], Any]:
    job = {"kind": "preview", "answer": answer, "answer_type": answer_type, "units": units}
    return job, {"owner": owner, "lane": ANSWERS, "timeout": preview_timeout()}, _preview


def _run(call: tuple[dict[str, Any], dict[str, Any], Any]) -> Any:
    job, how, read = call
    return read(pool().run(job, **how))


async def _arun(call: tuple[dict[str, Any], dict[str, Any], Any]) -> Any:
    job, how, read = call
    return read(await pool().arun(job, **how))


def check_answer(
    *,
    gold: str,
    answer: str,
    answer_type: str | None = None,
    tolerance: float | None = None,
    units: str | None = None,
    options: dict[str, Any] | None = None,
    use_cache: bool = True,
    owner: str | None = None,
) -> Verdict:
    """`owner` ("user:12") is whose check this is: the pool shares its workers fairly by owner."""
    return _run(
        _check_call(
            gold=gold,
            answer=answer,
            answer_type=answer_type,
            tolerance=tolerance,
            units=units,
            options=options,
            use_cache=use_cache,
            owner=owner,
        )
    )


def check_model_output(
    *,
    gold: str | None,
    text: str,
    problem: str | None = None,
    answer_type: str | None = None,
    tolerance: float | None = None,
    units: str | None = None,
    options: dict[str, Any] | None = None,
    owner: str | None = None,
) -> Verdict:
    """Extract the model's final answer and check it against the key, or by substitution."""
    return _run(
        _model_output_call(
            gold=gold,
            text=text,
            problem=problem,
            answer_type=answer_type,
            tolerance=tolerance,
            units=units,
            options=options,
            owner=owner,
        )
    )


def verify_by_substitution(*, problem: str, answer: str, owner: str | None = None) -> Verdict:
    return _run(_substitution_call(problem=problem, answer=answer, owner=owner))


def extract_final_answer(text: str, *, owner: str | None = None) -> Extraction:
    return _run(_extract_call(text, owner=owner))


def preview_answer(
    *, answer: str, answer_type: str | None = None, units: str | None = None, owner: str | None = None
) -> Preview:
    return _run(_preview_call(answer=answer, answer_type=answer_type, units=units, owner=owner))


# The async twins await the pool's future: no thread is held while a check waits or runs.


async def acheck_answer(**kwargs: Any) -> Verdict:
    return await _arun(_check_call(**kwargs))


async def acheck_model_output(**kwargs: Any) -> Verdict:
    return await _arun(_model_output_call(**kwargs))


async def aextract_final_answer(text: str, *, owner: str | None = None) -> Extraction:
    return await _arun(_extract_call(text, owner=owner))


async def apreview_answer(**kwargs: Any) -> Preview:
    return await _arun(_preview_call(**kwargs))


async def averify_by_substitution(**kwargs: Any) -> Verdict:
    return await _arun(_substitution_call(**kwargs))


# --- step verification (steps.py): every step of a worked solution, not only its last line ------


@dataclass(frozen=True)
class StepReport:
    """Steps of a worked solution: `steps` holds dicts (index, line, latex, block, status, reason).
    `checked` = passed + failed; `failed_step` is the 1-based index of the first failed step."""

    steps: tuple[dict[str, Any], ...]
    checked: int
    passed: int
    failed: int
    unjudged: int
    failed_step: int | None
    failed_line: int | None
    reason: str
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.failed_step is None

    def frame(self) -> dict[str, Any]:
        """What the verification frame says about the steps (docs/websocket-protocol.md)."""
        return {
            "checked": self.checked,
            "passed": self.passed,
            "unjudged": self.unjudged,
            "failed_step": self.failed_step,
            "reason": self.reason,
            "failed_latex": next((s["latex"] for s in self.steps if s["index"] == self.failed_step), ""),
            "failed_block": next((s["block"] for s in self.steps if s["index"] == self.failed_step), ""),
            "failed_line": self.failed_line,
        }


def steps_timeout() -> float:
    """The whole job's wall clock: the per-step bound is CHECKER_STEP_TIMEOUT inside it."""
    return _env_number("CHECKER_STEPS_TIMEOUT", 8.0)


def _steps_report(result: dict[str, Any]) -> StepReport:
    _reported(result)
    for error in result.get("errors", ()):
        logger.error("the step checker failed on one step (left unjudged):\n%s", error)
    if "steps" not in result:  # the whole job timed out or crashed: nothing judged
        return StepReport((), 0, 0, 0, 0, None, None, "", timed_out=result.get("status") == "timeout")
    return StepReport(
        steps=tuple(result["steps"]),
        checked=int(result["checked"]),
        passed=int(result["passed"]),
        failed=int(result["failed"]),
        unjudged=int(result["unjudged"]),
        failed_step=result.get("failed_step"),
        failed_line=result.get("failed_line"),
        reason=str(result.get("reason", "")),
    )


def _steps_call(
    *, problem: str, text: str, source: str = "model", owner: str | None = None
) -> tuple[dict[str, Any], dict[str, Any], Any]:
    total = steps_timeout()
    job = {
        "kind": "steps",
        "problem": problem,
        "text": text,
        "source": source,
        "step_seconds": _env_number("CHECKER_STEP_TIMEOUT", 1.5),
        # The job stops judging a little before the pool's clock so it answers with what it has.
        "total_seconds": max(0.2, total - 0.5),
    }
    lane = TUTOR if source == "model" else ANSWERS
    return job, {"owner": owner, "lane": lane, "timeout": total, "use_cache": False}, _steps_report


def check_steps(*, problem: str, text: str, source: str = "model", owner: str | None = None) -> StepReport:
    """Judge each step of a worked solution (`source`: "model" Markdown, or "student" lines)."""
    return _run(_steps_call(problem=problem, text=text, source=source, owner=owner))


async def acheck_steps(**kwargs: Any) -> StepReport:
    return await _arun(_steps_call(**kwargs))


# --- randomised problems (templates.py): sample variables, fill in the texts, work out the keys --


def _variants_call(
    *,
    template: dict[str, Any],
    texts: dict[str, Any],
    seeds: list[int],
    answer_type: str | None = None,
    units: str | None = None,
    owner: str | None = None,
) -> tuple[dict[str, Any], dict[str, Any], Any]:
    job = {
        "kind": "variants",
        "template": template,
        "texts": texts,
        "seeds": seeds,
        "answer_type": answer_type,
        "units": units or None,
    }
    # A batch gets the usual bound plus 20 ms a variant (one costs 1-3 ms to key on a quiet machine).
    timeout = pool().timeout + 0.02 * len(seeds)
    return job, {"owner": owner, "lane": ANSWERS, "timeout": timeout, "use_cache": False}, _variants


def _variants(result: dict[str, Any]) -> dict[str, Any]:
    _reported(result)
    if "ok" not in result:  # a timeout, a crash, or a key the reader refused outright
        reason = (
            "working out the variants took too long; simplify the template"
            if result.get("status") == "timeout"
            else str(result.get("reason") or "the template couldn't be worked out")
        )
        return {"ok": False, "field": "variables", "name": "", "message": reason}
    return result


def make_variants(**kwargs: Any) -> dict[str, Any]:
    """Variants of a template, one per seed: {"ok": True, "variants": [{seed, values, statement,
    hints, solution, choices, answer, latex}]} or {"ok": False, "field", "name", "message"}."""
    return _run(_variants_call(**kwargs))


async def amake_variants(**kwargs: Any) -> dict[str, Any]:
    return await _arun(_variants_call(**kwargs))
