"""GIFT, Moodle's plain-text format: numerical, short answer, multiple choice and true/false."""

from __future__ import annotations

import re
from typing import Any

from django.utils.text import slugify

from ..choices import choice_text
from .base import SET_TITLE_LIMIT, ImportProblem, SetSpec, reached
from .moodle import Keys, html_to_text
from .readers import NUMBER, guess_type, problem_from_mapping

UNESCAPED = r"(?<!\\)"


def _unescaped(text: str, char: str, start: int = 0) -> int:
    """Where the first `char` at or after `start` that has no backslash before it is, or -1.

    A scan, not a lazy regex: `\\{(.*?)\\}` restarts at every `{` and reads to the end each time,
    which is quadratic (30 000 `{` froze the server for 7 s).
    """
    index = text.find(char, start)
    while index > 0 and text[index - 1] == "\\":
        index = text.find(char, index + 1)
    return index


def _unescape(value: str) -> str:
    return re.sub(r"\\([~=#{}:%])", r"\1", value).replace("\\n", "\n").strip()


def _blocks(text: str, spec: SetSpec) -> list[tuple[int, str]]:
    """Questions with their first line; blank lines separate them, // lines are comments."""
    blocks: list[tuple[int, str]] = []
    current: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("//"):
            continue
        if stripped.startswith("$CATEGORY:"):
            category = [p for p in stripped.split(":", 1)[1].strip().split("/") if p and p != "$course$"]
            if category:
                spec.title = category[-1].strip()[:SET_TITLE_LIMIT]
            continue
        if not stripped:
            if current:
                blocks.append((start, "\n".join(current)))
                current = []
            continue
        if not current:
            start = number
        current.append(line)
    if current:
        blocks.append((start, "\n".join(current)))
    return blocks


def read_gift(filename: str, text: str, stem: str) -> SetSpec:
    spec = SetSpec(key=stem, title=stem.replace("-", " ").capitalize(), source_format="gift")
    used = Keys()
    for index, (line, body) in enumerate(_blocks(text, spec), start=1):
        where = f"{filename}, line {line}"
        reached(where)
        if spec.must_stop(where):
            break
        title, title_lines = "", 0
        match = re.match(r"^\s*::(.*?)" + UNESCAPED + r"::(.*)$", body, re.DOTALL)
        if match:
            title_lines = body.count("\n", 0, match.start(2))
            title, body = _unescape(match.group(1)), match.group(2)
        opening = _unescaped(body, "{")
        if opening < 0:
            spec.problems_found.append(ImportProblem(where, "answer", "no {answer} block"))
            continue
        closing = _unescaped(body, "}", opening + 1)
        if closing < 0:
            brace_line = line + title_lines + body.count("\n", 0, opening)
            spec.problems_found.append(
                ImportProblem(
                    f"{filename}, line {brace_line}",
                    "answer",
                    "the { that starts the answer is never closed with }",
                )
            )
            continue
        before, after = body[:opening], body[closing + 1 :]
        statement = f"{before.rstrip()} _____ {after.lstrip()}" if after.strip() else before
        markup = re.match(r"^\s*\[(html|markdown|plain|moodle)\]", statement)
        statement = _unescape(statement[markup.end() :] if markup else statement)
        if markup and markup.group(1) == "html":
            statement = html_to_text(statement)
        inside = body[opening + 1 : closing]
        feedback = ""
        general = re.search(UNESCAPED + "####", inside)
        if general:
            inside, feedback = inside[: general.start()], inside[general.end() :]
        item: dict[str, Any] = {
            "key": used.unique(slugify(title)[:60] or f"q{index}"),
            "title": title[:200],
            "statement": statement,
            "solution": _unescape(feedback),
        }
        inside = inside.strip()
        name = title or f"question {index}"
        if not inside:
            spec.warnings.append(
                f"{where}: '{name}' is an essay question, which the tutor can't check; it was skipped."
            )
            continue
        if inside.startswith("#"):
            if not _numerical(inside[1:], item, where, spec):
                continue
        elif re.fullmatch(r"(?i)(T|TRUE|F|FALSE)\s*(#.*)?", inside, flags=re.DOTALL):
            truth = inside[0].upper() == "T"
            item.update(
                {
                    "answer": "true" if truth else "false",
                    "answer_type": "choice",
                    "choices": ["true", "false"],
                }
            )
        elif re.search(UNESCAPED + "->", inside):
            spec.warnings.append(
                f"{where}: '{name}' is a matching question, which the tutor can't check; it was skipped."
            )
            continue
        elif not _choices(inside, item, where, spec):
            continue
        problem = problem_from_mapping(item, where, spec.problems_found, default_key=f"q{index}")
        if problem is not None:
            spec.add(problem)
    return spec


def _options(inside: str) -> list[tuple[str, float | None, str]]:
    """(sign, weight or None, text) for each =/~ option, per-answer feedback dropped."""
    out = []
    for sign, option in re.findall(UNESCAPED + r"([=~])((?:[^=~\\]|\\.)*)", inside, flags=re.DOTALL):
        option = re.split(UNESCAPED + "#", option, maxsplit=1)[0].strip()
        weight = None
        percent = re.match(r"%(-?\d+(?:\.\d+)?)%(.*)", option, re.DOTALL)
        if percent:
            weight, option = float(percent.group(1)), percent.group(2)
        out.append((sign, weight, _unescape(option)))
    return out


def _choices(inside: str, item: dict[str, Any], where: str, spec: SetSpec) -> bool:
    options = _options(inside)
    scored = [
        weight if weight is not None else (100.0 if sign == "=" else 0.0) for sign, weight, _ in options
    ]
    if not options or max(scored) <= 0:
        spec.problems_found.append(ImportProblem(where, "answer", "no right answer (mark it with =)"))
        return False
    best = options[scored.index(max(scored))][2]
    item["answer"] = best
    if any(sign == "~" for sign, _, _ in options):
        texts = [choice_text(text) for _, _, text in options]
        item.update({"answer_type": "choice", "choices": texts})
        earning = [text for text, score in zip(texts, scored, strict=True) if score > 0]
        if max(scored) < 100 and len(earning) > 1:
            # Moodle's multiple-answer form (~%50%a ~%50%b ~%-100%c): tick all the right ones.
            item["answer"] = "\n".join(earning)
        elif len(earning) > 1:
            spec.warnings.append(f"{where}: several answers earn marks; only '{best}' is kept as the key.")
        else:
            item["answer"] = choice_text(best)
    else:
        is_maths = NUMBER.fullmatch(best) or re.search(r"[+*/^=()]", best)
        item["answer_type"] = guess_type(best, None) if is_maths else "text"
    return True


def _numerical(inside: str, item: dict[str, Any], where: str, spec: SetSpec) -> bool:
    inside = inside.strip()
    raw = (
        _options(inside)
        if inside.startswith("=")
        else [("=", None, _unescape(re.split(UNESCAPED + "#", inside, maxsplit=1)[0]))]
    )
    readings = []
    for _, weight, text in raw:
        reading = _number_option(text)
        if reading is None:
            spec.problems_found.append(
                ImportProblem(
                    where,
                    "answer",
                    f"can't read the number {text!r}; write {{#42}}, {{#42:0.5}} or {{#41..43}}",
                )
            )
            return False
        readings.append((100.0 if weight is None else weight, reading))
    weight, (value, tolerance) = max(readings, key=lambda r: r[0])
    if weight <= 0:
        spec.problems_found.append(ImportProblem(where, "answer", "no answer earns full marks"))
        return False
    item.update({"answer": f"{value:.15g}", "answer_type": "number"})
    if tolerance:
        item.update({"tolerance": f"{tolerance:.15g}", "tolerance_mode": "absolute"})
    return True


def _number_option(text: str) -> tuple[float, float] | None:
    """(value, absolute tolerance) from 42, 42:0.5 or 41..43."""
    try:
        if ".." in text:
            low, high = (float(v) for v in text.split("..", 1))
            return (low + high) / 2, abs(high - low) / 2
        value, _, tolerance = text.partition(":")
        return float(value), abs(float(tolerance)) if tolerance.strip() else 0.0
    except ValueError:
        return None
