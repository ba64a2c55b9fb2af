"""One reader per format; each turns bytes into a SetSpec and lists what is wrong, and where."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import zipfile
from pathlib import PurePosixPath
from typing import Any

import yaml
from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException
from django.utils.text import slugify

from .base import (
    ANSWER_TYPES,
    DIFFICULTY,
    MAX_ARCHIVE_MEMBERS,
    MAX_COMPRESSION_RATIO,
    MAX_PROBLEMS,
    MAX_UNCOMPRESSED_BYTES,
    MAX_UPLOAD_BYTES,
    MODELS,
    ImportProblem,
    ProblemSpec,
    SetSpec,
    UploadRefused,
)


def read_upload(filename: str, data: bytes) -> SetSpec:
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadRefused(
            f"{filename} is {len(data) / 1e6:.1f} MB; the limit is {MAX_UPLOAD_BYTES // 1024 // 1024} MB."
        )
    suffix = PurePosixPath(filename.lower()).suffix
    if suffix == ".zip":
        return _read_zip(filename, data)
    text = _decode(filename, data)
    stem = slugify(PurePosixPath(filename).stem) or "problem-set"
    readers = {
        ".yaml": _read_native,
        ".yml": _read_native,
        ".json": _read_native,
        ".csv": _read_csv,
        ".xml": _read_moodle,
        ".gift": _read_gift,
        ".txt": _read_gift,
    }
    if suffix not in readers:
        raise UploadRefused(f"{filename}: use .yaml, .json, .csv, Moodle .xml, .gift or a .zip of those.")
    spec = readers[suffix](filename, text, stem)
    if len(spec.problems) > MAX_PROBLEMS:
        raise UploadRefused(
            f"{filename} has {len(spec.problems)} problems; the limit is {MAX_PROBLEMS} per set."
        )
    return spec


def _decode(filename: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UploadRefused(
            f"{filename} isn't UTF-8 text (byte {exc.start}). Save it as UTF-8 and upload again."
        ) from exc


# --- zip -------------------------------------------------------------------------------------


def _read_zip(filename: str, data: bytes) -> SetSpec:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise UploadRefused(f"{filename} isn't a readable zip file.") from exc
    members = [m for m in archive.infolist() if not m.is_dir()]
    if len(members) > MAX_ARCHIVE_MEMBERS:
        raise UploadRefused(f"{filename} holds {len(members)} files; the limit is {MAX_ARCHIVE_MEMBERS}.")
    declared = sum(m.file_size for m in members)
    if declared > MAX_UNCOMPRESSED_BYTES:
        raise UploadRefused(
            f"{filename} would unpack to {declared / 1e6:.0f} MB; the limit is {MAX_UNCOMPRESSED_BYTES // 1024 // 1024} MB."
        )
    combined: SetSpec | None = None
    for member in members:
        path = PurePosixPath(member.filename)
        if path.is_absolute() or ".." in path.parts or "\\" in member.filename:
            raise UploadRefused(
                f"{filename} contains an unsafe path ({member.filename}); nothing was imported."
            )
        if member.compress_size and member.file_size / member.compress_size > MAX_COMPRESSION_RATIO:
            raise UploadRefused(
                f"{filename}: {member.filename} is compressed {member.file_size // member.compress_size}:1, which looks like a zip bomb."
            )
        # Read with a cap: the sizes in the header can lie.
        with archive.open(member) as handle:
            content = handle.read(MAX_UPLOAD_BYTES + 1)
        if len(content) > MAX_UPLOAD_BYTES:
            raise UploadRefused(
                f"{filename}: {member.filename} is larger than {MAX_UPLOAD_BYTES // 1024 // 1024} MB unpacked."
            )
        if PurePosixPath(member.filename).suffix.lower() == ".zip":
            raise UploadRefused(f"{filename}: zip files inside zip files aren't accepted.")
        if path.name.startswith(".") or path.parts[0] == "__MACOSX":
            continue
        spec = read_upload(f"{filename}/{member.filename}", content)
        if combined is None:
            combined = spec
            combined.key = slugify(PurePosixPath(filename).stem) or spec.key
        else:
            combined.problems.extend(spec.problems)
            combined.problems_found.extend(spec.problems_found)
            combined.warnings.extend(spec.warnings)
    if combined is None:
        raise UploadRefused(f"{filename} has no problem files in it.")
    if len(combined.problems) > MAX_PROBLEMS:
        raise UploadRefused(
            f"{filename} has {len(combined.problems)} problems; the limit is {MAX_PROBLEMS} per set."
        )
    return combined


# --- our own YAML / JSON -----------------------------------------------------------------------


def _line_of(node: Any) -> int:
    return node.start_mark.line + 1 if node is not None else 0


def _read_native(filename: str, text: str, stem: str) -> SetSpec:
    is_json = filename.lower().endswith(".json")
    try:
        if is_json:
            document = json.loads(text)
            root = None
        else:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
            document = yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else getattr(exc, "lineno", "?")
        spec = SetSpec(key=stem, title=stem)
        spec.problems_found.append(
            ImportProblem(
                f"{filename}, line {line}",
                "",
                f"not valid {'JSON' if is_json else 'YAML'}: {exc}".split("\n")[0],
            )
        )
        return spec
    if not isinstance(document, dict) or not isinstance(document.get("problems"), list):
        spec = SetSpec(key=stem, title=stem)
        spec.problems_found.append(
            ImportProblem(filename, "problems", "expected a 'problems:' list at the top level")
        )
        return spec
    spec = SetSpec(
        key=slugify(str(document.get("key") or stem)) or stem,
        title=str(document.get("title") or stem),
        description=str(document.get("description") or ""),
        model_name=str(document.get("model") or "phi4"),
        source_format="json" if is_json else "yaml",
    )
    if spec.model_name not in MODELS:
        spec.problems_found.append(
            ImportProblem(filename, "model", f"use one of {', '.join(sorted(MODELS))}")
        )
    nodes = _problem_nodes(root)
    for index, item in enumerate(document["problems"]):
        line = _line_of(nodes[index]) if index < len(nodes) else 0
        where = f"{filename}, line {line}" if line else f"{filename}, problem {index + 1}"
        problem = _problem_from_mapping(item, where, spec.problems_found, default_key=f"q{index + 1}")
        if problem is not None:
            spec.problems.append(problem)
    return spec


def _problem_nodes(root: Any) -> list[Any]:
    if root is None or not hasattr(root, "value"):
        return []
    for key, value in root.value:
        if getattr(key, "value", None) == "problems" and hasattr(value, "value"):
            return list(value.value)
    return []


def _problem_from_mapping(
    item: Any, where: str, found: list[ImportProblem], default_key: str
) -> ProblemSpec | None:
    if not isinstance(item, dict):
        found.append(
            ImportProblem(where, "", "each problem must be a mapping with statement, answer and so on")
        )
        return None
    problem = ProblemSpec(
        key=str(item.get("key") or default_key), statement=str(item.get("statement") or ""), where=where
    )
    problem.title = str(item.get("title") or "")
    problem.answer = "" if item.get("answer") is None else str(item.get("answer"))
    problem.answer_type = str(
        item.get("answer_type") or item.get("type") or _guess_type(problem.answer, item.get("units"))
    )
    problem.units = str(item.get("units") or "")
    problem.topic = str(item.get("topic") or "")
    problem.solution = str(item.get("solution") or "")
    hints = item.get("hints") or []
    problem.hints = [str(h) for h in hints] if isinstance(hints, list) else [str(hints)]
    choices = item.get("choices") or []
    problem.choices = [str(c) for c in choices] if isinstance(choices, list) else []
    _set_numbers(problem, item, where, found)
    for option in ("accept_bare_value", "decimal_places", "tolerance_mode"):
        if option in item:
            problem.checker_options[option] = item[option]
    for index, part in enumerate(item.get("parts") or []):
        child = _problem_from_mapping(
            part, f"{where}, part {index + 1}", found, default_key=f"{problem.key}{chr(97 + index)}"
        )
        if child is not None:
            child.key = f"{problem.key}-{child.key}" if not child.key.startswith(problem.key) else child.key
            problem.parts.append(child)
    _check_problem(problem, found)
    return problem


def _set_numbers(problem: ProblemSpec, item: dict, where: str, found: list[ImportProblem]) -> None:
    for name in ("tolerance", "sig_figs"):
        value = item.get(name)
        if value in (None, ""):
            continue
        try:
            number = float(str(value).rstrip("%")) / (100 if str(value).endswith("%") else 1)
        except ValueError:
            found.append(ImportProblem(where, name, f"{value!r} is not a number"))
            continue
        if number < 0 or (name == "sig_figs" and (number != int(number) or not 1 <= number <= 15)):
            found.append(ImportProblem(where, name, f"{value!r} is out of range"))
            continue
        if name == "tolerance":
            problem.tolerance = number
        else:
            problem.sig_figs = int(number)
    difficulty = item.get("difficulty")
    if difficulty not in (None, ""):
        level = DIFFICULTY.get(str(difficulty).strip().lower())
        if level is None:
            found.append(
                ImportProblem(where, "difficulty", f"{difficulty!r}: use easy, medium or hard (or 1-3)")
            )
        else:
            problem.difficulty = level


def _guess_type(answer: str, units: Any) -> str:
    if units:
        return "quantity"
    if re.fullmatch(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*", answer or ""):
        return "number"
    return "expression" if answer else "number"


def _check_problem(problem: ProblemSpec, found: list[ImportProblem]) -> None:
    if not problem.statement.strip() and not problem.parts:
        found.append(ImportProblem(problem.where, "statement", "is empty"))
    if problem.answer_type not in ANSWER_TYPES:
        found.append(
            ImportProblem(
                problem.where,
                "answer_type",
                f"{problem.answer_type!r}: use one of {', '.join(sorted(ANSWER_TYPES))}",
            )
        )
    if not re.fullmatch(r"[\w.\-]{1,80}", problem.key):
        found.append(
            ImportProblem(problem.where, "key", f"{problem.key!r}: use letters, digits, - or _ (up to 80)")
        )


# --- CSV -----------------------------------------------------------------------------------------

CSV_COLUMNS = [
    "key",
    "title",
    "statement",
    "answer",
    "answer_type",
    "tolerance",
    "units",
    "sig_figs",
    "hints",
    "topic",
    "difficulty",
    "solution",
]


def _read_csv(filename: str, text: str, stem: str) -> SetSpec:
    spec = SetSpec(key=stem, title=stem.replace("-", " ").title(), source_format="csv")
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "statement" not in reader.fieldnames:
        spec.problems_found.append(
            ImportProblem(
                f"{filename}, line 1",
                "header",
                f"needs at least a 'statement' column; columns are {', '.join(CSV_COLUMNS)}",
            )
        )
        return spec
    unknown = [name for name in reader.fieldnames if name and name.strip() not in CSV_COLUMNS]
    if unknown:
        spec.warnings.append(f"{filename}: ignored unknown columns {', '.join(unknown)}")
    for index, row in enumerate(reader, start=1):
        line = reader.line_num
        item = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        if not any(item.values()):
            continue
        item["hints"] = [h.strip() for h in item.get("hints", "").split("|") if h.strip()]
        spec.problems.append(
            _problem_from_mapping(
                item, f"{filename}, line {line}", spec.problems_found, default_key=f"q{index}"
            )
        )
    return spec


# --- Moodle XML ---------------------------------------------------------------------------------


def _text(element: Any, path: str = "text") -> str:
    if element is None:
        return ""
    found = element.find(path)
    value = (found.text if found is not None else element.text) or ""
    return _html_to_text(value)


def _html_to_text(value: str) -> str:
    value = re.sub(r"<br\s*/?>|</p>", "\n", value, flags=re.IGNORECASE)
    value = re.sub(r"<[^>]+>", "", value)
    return html.unescape(value).strip()


def _read_moodle(filename: str, text: str, stem: str) -> SetSpec:
    spec = SetSpec(key=stem, title=stem.replace("-", " ").title(), source_format="moodle")
    try:
        root = SafeET.fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, SafeET.ParseError) as exc:
        raise UploadRefused(
            f"{filename}: the XML was refused ({type(exc).__name__}: {exc}). DTDs and entities aren't allowed."
        ) from exc
    if root.tag != "quiz":
        spec.problems_found.append(ImportProblem(filename, "", "a Moodle XML file starts with <quiz>"))
        return spec
    lines = [text.count("\n", 0, m.start()) + 1 for m in re.finditer(r"<question\b", text)]
    index = 0
    for number, question in enumerate(root.iter("question")):
        line = lines[number] if number < len(lines) else 0
        where = f"{filename}, line {line}"
        kind = question.get("type", "")
        if kind == "category":
            category = _text(question.find("category"))
            if category:
                spec.title = category.split("/")[-1].replace("$course$", "").strip() or spec.title
            continue
        index += 1
        name = _text(question.find("name"))
        statement = _text(question.find("questiontext"))
        hints = [_text(h) for h in question.findall("hint") if _text(h)]
        feedback = _text(question.find("generalfeedback"))
        item: dict[str, Any] = {
            "key": slugify(name)[:60] or f"q{index}",
            "title": name,
            "statement": statement,
            "hints": hints,
            "solution": feedback,
        }
        answers = question.findall("answer")
        best = max(answers, key=lambda a: float(a.get("fraction", "0") or 0), default=None)
        if kind == "numerical":
            item["answer"] = _text(best)
            item["answer_type"] = "number"
            tolerance = _text(best, "tolerance") if best is not None else ""
            if tolerance and float(tolerance or 0) > 0:
                item["tolerance"] = tolerance
                item["tolerance_mode"] = "absolute"
            unit = question.find("units/unit/unit_name")
            if unit is not None and (unit.text or "").strip():
                item["units"] = unit.text.strip()
                item["answer_type"] = "quantity"
        elif kind == "shortanswer":
            item["answer"] = _text(best)
            item["answer_type"] = (
                _guess_type(item["answer"], None) if re.search(r"\d", item["answer"]) else "text"
            )
        elif kind in ("multichoice", "truefalse"):
            item["answer"] = _text(best)
            item["answer_type"] = "choice"
            item["choices"] = [_text(a) for a in answers]
        elif kind == "calculatedsimple" or kind == "calculated":
            spec.warnings.append(
                f"{where}: '{name}' is a calculated question with random values; it was skipped."
            )
            continue
        else:
            spec.warnings.append(
                f"{where}: '{name}' is a {kind or 'unknown'} question, which the tutor can't check; it was skipped."
            )
            continue
        if best is None or not item["answer"]:
            spec.problems_found.append(
                ImportProblem(where, "answer", f"question '{name}' has no correct answer")
            )
            continue
        spec.problems.append(_problem_from_mapping(item, where, spec.problems_found, default_key=f"q{index}"))
    return spec


# --- GIFT ----------------------------------------------------------------------------------------


def _gift_unescape(value: str) -> str:
    return re.sub(r"\\([~=#{}:])", r"\1", value).strip()


def _read_gift(filename: str, text: str, stem: str) -> SetSpec:
    spec = SetSpec(key=stem, title=stem.replace("-", " ").title(), source_format="gift")
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip().startswith("//"):
            continue
        if line.strip().startswith("$CATEGORY:"):
            spec.title = line.split(":", 1)[1].strip().split("/")[-1] or spec.title
            continue
        if not line.strip():
            if current:
                blocks.append((start, current))
                current = []
            continue
        if not current:
            start = number
        current.append(line)
    if current:
        blocks.append((start, current))
    for index, (line, lines) in enumerate(blocks, start=1):
        where = f"{filename}, line {line}"
        body = "\n".join(lines)
        title = ""
        match = re.match(r"^::(.*?)::(.*)$", body, re.DOTALL)
        if match:
            title, body = match.group(1).strip(), match.group(2)
        answer_match = re.search(r"(?<!\\)\{(.*?)(?<!\\)\}", body, re.DOTALL)
        if not answer_match:
            spec.problems_found.append(ImportProblem(where, "answer", "no {answer} block"))
            continue
        statement = _gift_unescape(
            (body[: answer_match.start()] + " ___ " + body[answer_match.end() :]).strip(" _\n")
            if body[answer_match.end() :].strip()
            else body[: answer_match.start()]
        )
        inside = answer_match.group(1)
        feedback = ""
        if "####" in inside:
            inside, feedback = inside.split("####", 1)
        item: dict[str, Any] = {
            "key": slugify(title)[:60] or f"q{index}",
            "title": title,
            "statement": re.sub(r"^\[(html|markdown|plain|moodle)\]", "", statement).strip(),
            "solution": _gift_unescape(feedback),
        }
        inside = inside.strip()
        if inside.startswith("#"):
            options = [o for o in re.split(r"(?<!\\)=", inside[1:]) if o.strip()]
            weighted = []
            for option in options:
                weight = 100.0
                option = option.split("#", 1)[0].strip()
                percent = re.match(r"%(-?\d+(?:\.\d+)?)%(.*)", option)
                if percent:
                    weight, option = float(percent.group(1)), percent.group(2)
                weighted.append((weight, option.strip()))
            weight, best = max(weighted, default=(0, ""))
            span = re.fullmatch(r"(-?[\d.eE+-]+)\.\.(-?[\d.eE+-]+)", best)
            exact = re.fullmatch(r"(-?[\d.eE+-]+)(?::([\d.eE+-]+))?", best)
            if span:
                low, high = float(span.group(1)), float(span.group(2))
                item.update(
                    {
                        "answer": repr((low + high) / 2),
                        "tolerance": repr((high - low) / 2),
                        "tolerance_mode": "absolute",
                    }
                )
            elif exact:
                item["answer"] = exact.group(1)
                if exact.group(2) and float(exact.group(2)) > 0:
                    item.update({"tolerance": exact.group(2), "tolerance_mode": "absolute"})
            else:
                spec.problems_found.append(
                    ImportProblem(
                        where,
                        "answer",
                        f"can't read the numerical answer {best!r}; write {{#42}}, {{#42:0.5}} or {{#41..43}}",
                    )
                )
                continue
            item["answer_type"] = "number"
        else:
            parts = re.findall(r"(?<!\\)([=~])((?:[^=~\\]|\\.)*)", inside)
            right = [_gift_unescape(p.split("#", 1)[0]) for sign, p in parts if sign == "="]
            choices = [_gift_unescape(p.split("#", 1)[0]) for _, p in parts]
            if not right:
                spec.problems_found.append(
                    ImportProblem(where, "answer", "no correct answer (marked with =)")
                )
                continue
            item["answer"] = right[0]
            if any(sign == "~" for sign, _ in parts):
                item.update({"answer_type": "choice", "choices": choices})
            else:
                item["answer_type"] = _guess_type(right[0], None) if re.search(r"\d", right[0]) else "text"
        spec.problems.append(_problem_from_mapping(item, where, spec.problems_found, default_key=f"q{index}"))
    return spec
