"""The jobs a worker runs (check, extract, preview, substitute): `run(job)` returns plain data only."""

from __future__ import annotations

import re
import time
from typing import Any

from . import units as unitlib
from .answer_types import FORMS
from .comparators import compare
from .comparators.form import form_problem, unworked_operation, work_it_out, wrong_form
from .extract import MAX_TEXT as MAX_MODEL_TEXT
from .extract import (
    clean_model_answer,
    extract,
    looks_like_prose,
    math_verify_latex,
    without_thousands_marks,
)
from .names import CONSTANTS, FUNCTIONS, GREEK, SPLIT_WORDS, close_name, did_you_mean, unknown_words
from .reading import MAX_INPUT_CHARS, ReadError
from .structure import THOUSANDS, read, read_safely, strip_wrappers
from .substitution import substitute
from .verdicts import Status, crashed, verdict


def check(
    gold: str,
    answer: str,
    answer_type: str | None,
    tolerance: float | None,
    units: str | None,
    options: dict[str, Any],
) -> dict[str, Any]:
    # Long on purpose: the order of the checks below (words, model output, work it out, reading,
    # the comparator, the form) is the grading policy of docs/checker.md, read top to bottom.
    options = dict(options or {})
    if tolerance is not None:
        options["tolerance"] = tolerance
    if answer_type is None and _is_word_key(gold):
        # A key like "odd" or "\\text{Evelyn}" is a word: compared as text, not as o*d*d.
        answer_type = "text"
    if answer_type == "choice" or answer_type == "text":
        given = extract(answer).get("answer") or answer
        same = _normalise_text(gold) == _normalise_text(given)
        if not same and answer_type == "choice" and "\n" in gold.strip():
            same = _same_options(gold, given)
        return verdict(
            same,
            Status.CORRECT if same else Status.INCORRECT,
            "text",
            "Correct." if same else "That isn't the right choice.",
            answer,
        )
    if len(answer) > MAX_MODEL_TEXT or len(gold) > MAX_MODEL_TEXT:
        return verdict(False, Status.UNPARSEABLE, "none", "That answer is far too long to check.", "")
    decimal_comma = bool(options.get("decimal_comma"))
    gold_text = _numbers_as_written(_answer_text(gold), decimal_comma=decimal_comma, key_kind=answer_type)
    try:
        gold_read = read_safely(gold_text, answer_type=answer_type, units=units)
    except ReadError as exc:
        return verdict(False, Status.BAD_KEY, "none", f"The answer key could not be read: {exc}", "")
    model_output = bool(options.pop("model_output", False))
    if model_output or (looks_like_prose(answer) and not _reads_whole(answer, gold_read, units)):
        answer_extract = extract(answer)
    else:
        answer_extract = {"answer": answer, "status": "ok"}
    if answer_extract.get("hedged_answer") and gold_read.kind in _SOLUTION_LIST_KINDS:
        # The key is a list of solutions, so "2 or -2" in one box lists them rather than guesses.
        answer_extract = {"answer": answer_extract["hedged_answer"], "status": "ok"}
    joined = answer_extract.get("joined")
    if joined and gold_read.kind in (*_SOLUTION_LIST_KINDS, "tuple"):
        # Several boxes side by side answer a list key: read them as the list.
        text = " and ".join(f"{{{part}}}" if "," in part and "(" not in part else part for part in joined)
        if gold_read.kind == "tuple":
            text = "(" + ", ".join(joined) + ")"
        answer_extract = {"answer": text, "status": "ok"}
    if answer_extract["status"] in ("none", Status.HEDGED) or not answer_extract.get("answer"):
        status = Status.HEDGED if answer_extract["status"] == Status.HEDGED else Status.NO_ANSWER
        reason = (
            "Give one answer, not a choice of answers."
            if status == Status.HEDGED
            else "I couldn't find a final answer."
        )
        return verdict(False, status, "none", reason, "")
    if units and gold_read.kind == "number":
        split = unitlib.parse_unit(units)
        if split is not None:
            gold_read.kind, gold_read.unit, gold_read.unit_text = "quantity", split, units
    expect_units = gold_read.kind == "quantity"
    answer_text = answer_extract["answer"]
    if model_output:
        answer_text = clean_model_answer(answer_text)
    answer_text = _numbers_as_written(answer_text, decimal_comma=decimal_comma, key_kind=gold_read.kind)
    if model_output and gold_read.kind == "number" and not gold_read.percent:
        # A model boxing '8\sqrt[3]{4}\ \text{mph}' for a key without units: the units are the
        # problem's, and the value is what is judged.
        answer_text = _without_trailing_words(answer_text)
    form = str(options.get("form") or "any")
    if form not in FORMS:
        return verdict(False, Status.BAD_KEY, "none", f"The problem asks for an unknown form {form!r}.", "")
    operation = unworked_operation(
        answer_text,
        gold_text,
        key_is_plain_number=gold_read.kind == "number" and bool(getattr(gold_read.obj, "is_Rational", False)),
    )
    if operation:
        return work_it_out(operation, "")
    SPLIT_WORDS.clear()
    try:
        answer_read = read_safely(
            answer_text, answer_type="quantity" if expect_units else answer_type, units=units
        )
    except ReadError as exc:
        return verdict(False, Status.UNPARSEABLE, "none", str(exc), "")
    key_letters = {s.name for s in getattr(gold_read.obj, "free_symbols", set())}
    unknown = unknown_words(key_letters)
    if unknown:
        # 'cosecc(3x)' is not c*o*s*e*c*c*3x: a word we don't know is named, not multiplied out.
        return verdict(False, Status.UNPARSEABLE, "none", did_you_mean(unknown[0]), "")
    result = compare(gold_read, answer_read, options)
    if (
        not result["equivalent"]
        and model_output
        and gold_read.percent
        and answer_read.kind == "number"
        and not answer_read.percent
    ):
        # "28" for a key of 28 %: a model's bare number of percent (0.28 was already compared).
        answer_read.obj, answer_read.percent = answer_read.obj / 100, True
        result = compare(gold_read, answer_read, options)
    if result["equivalent"] and form_problem(form, strip_wrappers(answer_text), answer_read.obj):
        return wrong_form(form, result["interpreted_as"])
    return result


_SOLUTION_LIST_KINDS = ("equation", "set", "alternatives", "relation")
_MATH_NAMES = {name.lower() for name in (*FUNCTIONS, *CONSTANTS, *GREEK)} | {"x", "y", "z", "n", "or", "and"}
# One trailing word or LaTeX text group after a model's value: '\\text{ mph}', 'meters', '(miles)'.
_TRAILING_WORD = re.compile(
    r"(?:\\[ ,;!]|~|\s)*(?:\\(?P<command>text(?:normal|rm|bf|it)?|mathrm|textrm|mbox|operatorname)\s*"
    r"\{(?P<group>[^{}]*)\}|(?P<word>[A-Za-z]{2,})\.?|\((?P<bracketed>[A-Za-z ]{2,})\))\s*$"
)


def _reads_whole(answer: str, gold_read: Any, units: str | None) -> bool:
    """'12 miles per hour' is a quantity a student typed, not prose to search for an answer."""
    if gold_read.kind != "quantity" and not units:
        return False
    try:
        return read_safely(answer, answer_type="quantity", units=units).kind == "quantity"
    except ReadError:
        return False


def _numbers_as_written(text: str, *, decimal_comma: bool, key_kind: str | None = None) -> str:
    """Thousands separators out (14{,}916, 16,\\!386.20, 1 000, and 1,000 where a number is
    expected); with a decimal comma (a class option), 44,1 is 44.1 and lists use ';'."""
    text = without_thousands_marks(text)
    if decimal_comma:
        text = re.sub(r"(?<=\d),(?=\d)", ".", text).replace(";", ",")
    elif key_kind in (None, "number", "quantity") and THOUSANDS.match(text.strip()):
        # "1,000" is a number with a thousands separator here, not the pair (1, 0).
        text = text.replace(",", "")
    return text


def _without_trailing_words(text: str) -> str:
    """'12 miles per hour' -> '12'; '\\frac{1}{3} \\text{meters}' -> '\\frac{1}{3}'.

    Only words that can't be maths go: '2 pi', '2\\mathrm{e}' and '3 sin' keep their names, so a
    value times a constant is never read as the bare value.
    """
    stripped = text
    while (match := _TRAILING_WORD.search(stripped)) is not None:
        words = (match.group("group") or match.group("word") or match.group("bracketed") or "").strip()
        names = {w.lower() for w in re.findall(r"[A-Za-z]+", words)}
        if names & _MATH_NAMES or (match.group("command") in ("mathrm", "operatorname") and len(words) < 2):
            break
        stripped = stripped[: match.start()].rstrip()
    return stripped if stripped != text and re.search(r"\d", stripped) else text


def extract_job(text: str) -> dict[str, Any]:
    found = extract(text)
    latex = ""
    if found.get("answer"):
        try:
            latex = read(found["answer"]).latex()
        except ReadError:
            if len(found["answer"]) <= MAX_INPUT_CHARS:
                latex = math_verify_latex(found["answer"])
    return {**found, "latex": latex}


def _normalise_text(text: str) -> str:
    text = re.sub(r"\\(?:text|textbf|textit|mathrm|mbox)\s*\{([^{}]*)\}", r"\1", strip_wrappers(text))
    return re.sub(r"\s+", " ", strip_wrappers(text)).strip().strip(".").lower()


_OPTION_SEPARATORS = re.compile(r"(?:\s*(?:,|;|\n|\band\b|&)\s*)+")


def _same_options(gold: str, given: str) -> bool:
    """A several-answer choice key (one right option per line) against a model's "a, b" or "a and
    b": the same options, in any order. Each right option is taken out of the answer where it
    stands (an option may hold a comma itself); what is left must be only separators."""
    wanted = sorted(
        {_normalise_text(line) for line in gold.splitlines() if line.strip()}, key=len, reverse=True
    )
    rest = _normalise_text(given).replace("\\\\", "\n")  # a LaTeX line break between options
    for option in wanted:
        found = re.search(rf"(?<!\w){re.escape(option)}(?!\w)", rest)
        if found is None:
            return False
        rest = rest[: found.start()] + "\n" + rest[found.end() :]
    return _OPTION_SEPARATORS.fullmatch(rest) is not None or not rest.strip()


_WORD_KEY = re.compile(r"(?:\\text(?:bf|it)?\s*\{\s*)?([A-Za-z][A-Za-z ]{2,}?)\s*\}?")


def _is_word_key(gold: str) -> bool:
    match = _WORD_KEY.fullmatch(strip_wrappers(gold))
    if not match:
        return False
    words = match.group(1).lower().split()
    return not any(word in _MATH_NAMES or unitlib.parse_unit(word) is not None for word in words)


def _answer_text(text: str) -> str:
    if looks_like_prose(text):
        found = extract(text)
        if found.get("answer"):
            return found["answer"]
    return text


def preview(answer: str, answer_type: str | None, units: str | None) -> dict[str, Any]:
    try:
        value = read(answer, answer_type=answer_type, units=units)
    except ReadError as exc:
        return {"ok": False, "latex": "", "message": str(exc)}
    message = "Your answer was read as shown."
    misspelt = [word for word, _ in SPLIT_WORDS if len(word) >= 4 and close_name(word)]
    if misspelt:
        # No key here, so only words close to a name we know: 'cosecc' -> cosec; 'abcd' is a product.
        message = f"{did_you_mean(misspelt[0])} I read it as letters multiplied together."
    elif value.kind == "quantity":
        message = f"Read as a value with units ({value.unit_text})."
    elif (answer_type == "quantity" or units) and value.kind == "number":
        message = "Read as a number with no units: add units."
    return {"ok": True, "latex": value.latex(), "message": message, "kind": value.kind}


def run(job: dict[str, Any]) -> dict[str, Any]:
    started = time.perf_counter()
    kind = job["kind"]
    SPLIT_WORDS.clear()  # per job: previews and extractions read text too
    try:
        if kind == "check":
            result = check(
                job["gold"],
                job["answer"],
                job.get("answer_type"),
                job.get("tolerance"),
                job.get("units"),
                job.get("options") or {},
            )
        elif kind == "preview":
            result = preview(job["answer"], job.get("answer_type"), job.get("units"))
        elif kind == "extract":
            result = extract_job(job["text"])
        elif kind == "substitute":
            result = substitute(job["problem"], job["answer"])
        elif kind == "steps":
            from .steps import run_job as steps_job

            result = steps_job(job)
        elif kind == "variants":
            from .templates import variants_job

            result = variants_job(job)
        elif kind == "ping":
            result = {"pong": True}
        elif kind == "crash":
            # Only the tests send this: a bug inside a job, to prove it comes back as `error`.
            raise RuntimeError("a deliberate crash")
        elif kind == "spin":
            # Only the pool's own tests send this: a job that never finishes, to prove the kill.
            while True:
                pass
        else:
            raise ValueError(f"unknown job {kind!r}")
    except ReadError as exc:
        result = verdict(False, Status.UNPARSEABLE, "none", str(exc), "")
    except (RecursionError, MemoryError):
        result = verdict(False, Status.UNPARSEABLE, "none", "That answer is too complicated to check.", "")
    except Exception as exc:  # noqa: BLE001 - a bug of ours: reported as one, never as a timeout
        result = crashed(exc)
    result["ms"] = round((time.perf_counter() - started) * 1000, 2)
    return result
