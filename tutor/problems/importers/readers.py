"""One reader per format; each turns bytes into a SetSpec and lists what is wrong, and where.

Every reader is bounded: the bytes are capped before decoding, zips are read with a running cap,
XML goes through defusedxml, YAML aliases and deep nesting are refused before the tree is built.
Nothing in here touches the database.

Over 400 lines on purpose: one reader per format and the field validation they all share, so every
format refuses the same things with the same line-numbered messages.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
import zlib
from pathlib import PurePosixPath
from typing import Any

import yaml
from django.utils.text import slugify

from inference.checker.answer_types import ANSWER_TYPES, FORMS

from ..choices import TRUE_FALSE, choice_text
from .base import (
    DIFFICULTY,
    FIELD_LIMITS,
    MAX_ARCHIVE_MEMBERS,
    MAX_COMPRESSION_RATIO,
    MAX_HINTS,
    MAX_NESTING,
    MAX_NUMBER_DIGITS,
    MAX_PROBLEMS,
    MAX_REPORTED_PROBLEMS,
    MAX_UNCOMPRESSED_BYTES,
    MAX_UPLOAD_BYTES,
    MAX_YAML_NODES,
    MODELS,
    SET_KEY_LIMIT,
    SET_TITLE_LIMIT,
    ImportProblem,
    ProblemSpec,
    SetSpec,
    UploadRefused,
    flatten,
    reached,
)
from .templates import template_fields, template_places

MB = 1024 * 1024
# Checker options a problem may set to yes or no (docs/checker.md, docs/problem-format.md).
BOOLEAN_OPTIONS = ("accept_bare_value", "decimal_comma", "positive_letters", "up_to_constant")
SUFFIXES = (".yaml", ".yml", ".json", ".csv", ".xml", ".gift", ".txt")


def read_upload(filename: str, data: bytes) -> SetSpec:
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadRefused(
            f"{filename} is {len(data) / MB:.1f} MB; the limit is {MAX_UPLOAD_BYTES // MB} MB. "
            "Split it into smaller sets or zip it."
        )
    suffix = PurePosixPath(filename.lower()).suffix
    if suffix == ".zip":
        spec = _read_zip(filename, data)
    else:
        spec = _read_file(filename, data)
    if len(spec.warnings) > MAX_REPORTED_PROBLEMS:
        more = len(spec.warnings) - MAX_REPORTED_PROBLEMS
        spec.warnings[MAX_REPORTED_PROBLEMS:] = [f"{filename}: {more} more notes like these."]
    problems = flatten(spec.problems)
    if len(problems) > MAX_PROBLEMS:
        raise UploadRefused(
            f"the file has more than {MAX_PROBLEMS} problems (problem {MAX_PROBLEMS + 1} starts here); "
            f"the limit is {MAX_PROBLEMS} per set. Split it into smaller sets.",
            where=problems[MAX_PROBLEMS].where,
        )
    return spec


def _read_file(filename: str, data: bytes) -> SetSpec:
    from .gift import read_gift
    from .moodle import read_moodle

    readers = {
        ".yaml": _read_native,
        ".yml": _read_native,
        ".json": _read_native,
        ".csv": _read_csv,
        ".xml": read_moodle,
        ".gift": read_gift,
        ".txt": read_gift,
    }
    suffix = PurePosixPath(filename.lower()).suffix
    if suffix not in readers:
        raise UploadRefused(
            f"{filename}: use .yaml, .json, .csv, Moodle .xml, .gift (or .txt in GIFT) or a .zip of those."
        )
    text = _decode(filename, data)
    stem = slugify(PurePosixPath(filename).stem)[:SET_KEY_LIMIT] or "problem-set"
    return readers[suffix](filename, text, stem)


def _decode(filename: str, data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UploadRefused(
            f"{filename} isn't UTF-8 text (byte {exc.start}). Save it as UTF-8 and upload again."
        ) from exc
    if "\x00" in text:
        # No text format has NUL characters, and PostgreSQL can't store them.
        raise UploadRefused(f"{filename} contains NUL characters, so it isn't a text file.")
    return text


# --- zip -------------------------------------------------------------------------------------


def _read_zip(filename: str, data: bytes) -> SetSpec:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise UploadRefused(f"{filename} isn't a readable zip file.") from exc
    if len(members) > MAX_ARCHIVE_MEMBERS:
        raise UploadRefused(f"{filename} holds {len(members)} files; the limit is {MAX_ARCHIVE_MEMBERS}.")
    declared = sum(m.file_size for m in members)
    if declared > MAX_UNCOMPRESSED_BYTES:
        raise UploadRefused(
            f"{filename} would unpack to {declared / MB:.0f} MB; the limit is "
            f"{MAX_UNCOMPRESSED_BYTES // MB} MB, so it looks like a zip bomb. Nothing was imported."
        )
    for member in members:
        # Nothing is ever written to disk, but a path that climbs out of the archive is a sign
        # of a crafted file, so the whole upload is refused.
        name = member.filename
        path = PurePosixPath(name)
        if path.is_absolute() or ".." in path.parts or "\\" in name or re.match(r"^[A-Za-z]:", name):
            raise UploadRefused(f"{filename} contains an unsafe path ({name}); nothing was imported.")
        if PurePosixPath(name.lower()).suffix == ".zip":
            raise UploadRefused(f"{filename}: zip files inside zip files aren't accepted ({name}).")
        if member.file_size > max(member.compress_size, 1) * MAX_COMPRESSION_RATIO:
            raise UploadRefused(
                f"{filename}: {name} is compressed more than {MAX_COMPRESSION_RATIO}:1, which looks "
                "like a zip bomb. Nothing was imported."
            )
    combined: SetSpec | None = None
    skipped: list[str] = []
    unpacked = 0
    for member in members:
        path = PurePosixPath(member.filename)
        if path.name.startswith(".") or path.parts[0] == "__MACOSX":
            continue
        if path.suffix.lower() not in SUFFIXES:
            skipped.append(member.filename)
            continue
        reached(f"{filename}/{member.filename}")
        if combined is not None and combined.must_stop(f"{filename}/{member.filename}"):
            break
        # The sizes in the headers can lie: read with a cap on this file and on the whole archive.
        cap = min(MAX_UPLOAD_BYTES, MAX_UNCOMPRESSED_BYTES - unpacked)
        try:
            with archive.open(member) as handle:
                content = handle.read(cap + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
            # RuntimeError: an encrypted member; NotImplementedError: an unknown compression method.
            raise UploadRefused(f"{filename}: {member.filename} can't be unpacked ({exc}).") from exc
        if len(content) > cap:
            raise UploadRefused(
                f"{filename}: {member.filename} unpacks to more than its header says or more than "
                f"the limit ({MAX_UPLOAD_BYTES // MB} MB a file, {MAX_UNCOMPRESSED_BYTES // MB} MB "
                "in all), which looks like a zip bomb. Nothing was imported."
            )
        unpacked += len(content)
        spec = _read_file(f"{filename}/{member.filename}", content)
        if combined is None:
            combined = spec
            zip_stem = slugify(PurePosixPath(filename).stem)[:SET_KEY_LIMIT]
            member_stem = slugify(PurePosixPath(member.filename).stem)[:SET_KEY_LIMIT]
            if zip_stem and spec.title in (member_stem, member_stem.replace("-", " ").capitalize()):
                # The title came from the inner file's name, not from the file itself: the set is
                # named after the zip, as its key is (docs/problem-format.md).
                combined.title = zip_stem.replace("-", " ").capitalize()
            combined.key = zip_stem or spec.key
            combined.source_format = f"zip/{spec.source_format}"
        else:
            combined.problems.extend(spec.problems)
            combined.problems_found.extend(spec.problems_found)
            combined.warnings.extend(spec.warnings)
            if spec.source_format not in combined.source_format.split("/"):
                combined.source_format += f"/{spec.source_format}"
        combined.count = len(flatten(combined.problems))
    if combined is None:
        raise UploadRefused(f"{filename} has no problem files in it (.yaml, .json, .csv, .xml, .gift).")
    combined.source_format = combined.source_format[:20]
    if skipped:
        combined.warnings.insert(0, f"{filename}: skipped {', '.join(skipped)} (not problem files).")
    return combined


# --- our own YAML / JSON -----------------------------------------------------------------------


def _yaml_tree(filename: str, text: str) -> yaml.Node | None:
    """Parse YAML (or JSON, which is nearly YAML) to a node tree, refusing what could explode.

    Aliases are refused because `answer: *lol9` expands to billions of elements as soon as the
    value is printed (YAML's billion laughs); deep nesting is refused because building the tree
    recurses. Both are checked on the event stream, before any tree exists.
    """
    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    depth = nodes = 0
    for event in yaml.parse(text, Loader=loader_class):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise UploadRefused(
                f"{filename}: YAML anchors and aliases (& and *) aren't accepted; write each value out.",
                where=f"{filename}, line {event.start_mark.line + 1}",
            )
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_NESTING:
                raise UploadRefused(
                    f"{filename}: nested more than {MAX_NESTING} levels deep.",
                    where=f"{filename}, line {event.start_mark.line + 1}",
                )
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        nodes += 1
        if nodes > MAX_YAML_NODES:
            raise UploadRefused(
                f"{filename} has too many values to be one problem set (the limit is {MAX_YAML_NODES})."
            )
    return yaml.compose(text, Loader=loader_class)


class NumberTooLong(ValueError):
    def __init__(self, digits: int, line: int | None = None) -> None:
        super().__init__(f"a number {digits} digits long")
        self.digits = digits
        self.line = line


def _bounded_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    # Checked on the text, before int() or the sexagesimal sum (1:2:3...) runs on it.
    if len(node.value) > MAX_NUMBER_DIGITS:
        raise NumberTooLong(len(node.value), node.start_mark.line + 1)
    return yaml.SafeLoader.construct_yaml_int(loader, node)


class _Constructor(yaml.SafeLoader):
    """Builds plain Python values from a node tree; whole numbers are bounded."""


_Constructor.add_constructor("tag:yaml.org,2002:int", _bounded_int)


def _json_int(text: str) -> int:
    if len(text) > MAX_NUMBER_DIGITS:
        raise NumberTooLong(len(text))
    return int(text)


def _long_number_line(text: str) -> int:
    """The line of the first run of digits longer than the limit (one linear scan)."""
    for match in re.finditer(r"\d+", text):
        if match.end() - match.start() > MAX_NUMBER_DIGITS:
            return text.count("\n", 0, match.start()) + 1
    return 1


def _read_native(filename: str, text: str, stem: str) -> SetSpec:
    is_json = filename.lower().endswith(".json")
    spec = SetSpec(key=stem, title=stem, source_format="json" if is_json else "yaml")
    root = None
    try:
        if is_json:
            document = json.loads(text, parse_int=_json_int)
            try:  # only for line numbers in messages: JSON is nearly always valid YAML too
                root = _yaml_tree(filename, text)
            except yaml.YAMLError:
                root = None
        else:
            root = _yaml_tree(filename, text)
            document = _Constructor("").construct_document(root) if root is not None else None
    except NumberTooLong as exc:
        line = exc.line or _long_number_line(text)
        spec.problems_found.append(
            ImportProblem(
                f"{filename}, line {line}",
                "",
                f"a number {exc.digits} digits long is more than any problem needs (the limit is "
                f"{MAX_NUMBER_DIGITS}). Put it in quotes if it is meant as text.",
            )
        )
        return spec
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else getattr(exc, "lineno", "?")
        message = str(getattr(exc, "problem", None) or getattr(exc, "msg", None) or exc).split("\n")[0]
        spec.problems_found.append(
            ImportProblem(
                f"{filename}, line {line}", "", f"not valid {'JSON' if is_json else 'YAML'}: {message}"
            )
        )
        return spec
    except RecursionError as exc:
        raise UploadRefused(f"{filename}: nested too deeply to be a problem set.") from exc
    if not isinstance(document, dict) or not isinstance(document.get("problems"), list):
        spec.problems_found.append(
            ImportProblem(f"{filename}, line 1", "problems", "expected a 'problems:' list at the top level")
        )
        return spec
    where = f"{filename}, line 1"
    spec.key = slugify(_scalar(document, "key", where, spec.problems_found) or stem)[:SET_KEY_LIMIT] or stem
    spec.title = _scalar(document, "title", where, spec.problems_found) or stem
    spec.description = _scalar(document, "description", where, spec.problems_found)
    spec.model_name = _scalar(document, "model", where, spec.problems_found) or "phi4"
    if spec.model_name not in MODELS:
        spec.problems_found.append(ImportProblem(where, "model", f"use one of {', '.join(sorted(MODELS))}"))
    if len(spec.title) > SET_TITLE_LIMIT:
        spec.problems_found.append(
            ImportProblem(where, "title", f"is longer than {SET_TITLE_LIMIT} characters")
        )
    nodes = _problem_nodes(root)
    for index, item in enumerate(document["problems"]):
        line = nodes[index].start_mark.line + 1 if index < len(nodes) else 0
        at = f"{filename}, line {line}" if line else f"{filename}, problem {index + 1}"
        reached(at)
        if spec.must_stop(at):
            break
        problem = problem_from_mapping(item, at, spec.problems_found, default_key=f"q{index + 1}")
        if problem is not None:
            if index < len(nodes):
                template_places(problem, nodes[index], filename)
            spec.add(problem)
    return spec


def _problem_nodes(root: Any) -> list[Any]:
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if getattr(key, "value", None) == "problems" and isinstance(value, yaml.SequenceNode):
            return list(value.value)
    return []


def _storable(text: str, name: str, where: str, found: list[ImportProblem]) -> bool:
    """JSON and YAML can spell a lone surrogate ("\\ud800"), which no database can store."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        found.append(
            ImportProblem(
                where,
                name,
                f"has an escape for half a character (\\u{ord(text[exc.start]):x}) at position {exc.start + 1}; remove it",
            )
        )
        return False
    return True


def _scalar(item: dict, name: str, where: str, found: list[ImportProblem]) -> str:
    """A text field: numbers are fine (an answer of 5), lists and mappings are a mistake."""
    value = item.get(name)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        text = str(value)
        if not _storable(text, name, where, found):
            return ""
        return text.strip() if name != "statement" else text
    found.append(ImportProblem(where, name, f"should be text, not a {type(value).__name__}"))
    return ""


def _text_list(item: dict, name: str, where: str, found: list[ImportProblem]) -> list[str]:
    value = item.get(name)
    if value in (None, "", []):
        return []
    if isinstance(value, (str, int, float)):
        value = [value]
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        texts = [str(v) for v in value]
        return [text for text in texts if _storable(text, name, where, found)]
    found.append(ImportProblem(where, name, "should be a list of texts"))
    return []


def problem_from_mapping(
    item: Any, where: str, found: list[ImportProblem], default_key: str, depth: int = 0
) -> ProblemSpec | None:
    """The problem described by one mapping (a YAML item, a CSV row, a Moodle or GIFT question)."""
    if not isinstance(item, dict):
        found.append(
            ImportProblem(where, "", "each problem must be a mapping with statement, answer and so on")
        )
        return None
    problem = ProblemSpec(
        key=_scalar(item, "key", where, found) or default_key,
        statement=_scalar(item, "statement", where, found),
        where=where,
    )
    problem.title = _scalar(item, "title", where, found)
    problem.answer = (
        "\n".join(_text_list(item, "answer", where, found))  # the right options of a choice problem
        if isinstance(item.get("answer"), list)
        else _scalar(item, "answer", where, found)
    )
    problem.units = _scalar(item, "units", where, found)
    problem.answer_type = (
        _scalar(item, "answer_type", where, found)
        or _scalar(item, "type", where, found)
        or guess_type(problem.answer, problem.units)
    ).lower()
    problem.topic = _scalar(item, "topic", where, found)
    problem.solution = _scalar(item, "solution", where, found)
    problem.hints = _text_list(item, "hints", where, found)
    problem.choices = _text_list(item, "choices", where, found)
    _choice_fields(problem)
    _set_numbers(problem, item, where, found)
    for option in (*BOOLEAN_OPTIONS, "decimal_places", "tolerance_mode", "form"):
        if item.get(option) not in (None, ""):
            problem.checker_options[option] = item[option]
    _check_options(problem, found)
    template_fields(problem, item, found)
    parts = item.get("parts") or []
    if not isinstance(parts, list):
        found.append(ImportProblem(where, "parts", "should be a list of problems"))
        parts = []
    if parts and depth > 0:
        found.append(ImportProblem(where, "parts", "a part can't have parts of its own"))
        parts = []
    for index, part in enumerate(parts):
        child = problem_from_mapping(
            part, f"{where}, part {index + 1}", found, default_key=chr(97 + index % 26), depth=depth + 1
        )
        if child is not None:
            # Part keys are local ("a", "b"); in the set they become "ball-a", "ball-b".
            child.key = child.key if child.key.startswith(f"{problem.key}-") else f"{problem.key}-{child.key}"
            problem.parts.append(child)
    check_problem(problem, found)
    return problem


def _set_numbers(problem: ProblemSpec, item: dict, where: str, found: list[ImportProblem]) -> None:
    for name in ("tolerance", "sig_figs"):
        value = item.get(name)
        if value in (None, ""):
            continue
        text = str(value).strip()
        try:
            number = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
        except ValueError:
            found.append(ImportProblem(where, name, f"{value!r} is not a number"))
            continue
        if not number >= 0 or number == float("inf"):
            found.append(ImportProblem(where, name, f"{value!r} is out of range"))
            continue
        if name == "tolerance":
            problem.tolerance = number
        elif number != int(number) or not 1 <= number <= 15:
            found.append(ImportProblem(where, name, f"{value!r}: use a whole number from 1 to 15"))
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


def _check_options(problem: ProblemSpec, found: list[ImportProblem]) -> None:
    options = problem.checker_options
    mode = options.get("tolerance_mode")
    if mode is not None and mode not in ("relative", "absolute"):
        found.append(ImportProblem(problem.where, "tolerance_mode", f"{mode!r}: use relative or absolute"))
    places = options.get("decimal_places")
    if places is not None:
        if isinstance(places, str) and places.strip().isdigit():
            places = options["decimal_places"] = int(places)
        if not isinstance(places, int) or isinstance(places, bool) or not 0 <= places <= 15:
            found.append(
                ImportProblem(problem.where, "decimal_places", f"{places!r}: use a whole number from 0 to 15")
            )
    form = options.get("form")
    if form is not None and form not in FORMS:
        found.append(ImportProblem(problem.where, "form", f"{form!r}: use one of {', '.join(FORMS)}"))
    for name in BOOLEAN_OPTIONS:
        flag = options.get(name)
        if flag is None or isinstance(flag, bool):
            continue
        text = str(flag).strip().lower()
        if text in ("yes", "true", "1"):
            options[name] = True
        elif text in ("no", "false", "0"):
            options[name] = False
        else:
            found.append(ImportProblem(problem.where, name, f"{flag!r}: use yes or no"))


# Unambiguous on purpose: `\d+\.?\d*` can split a run of digits in n ways, and fullmatch then tries
# them all (quadratic) before it gives up on "1111...1x".
NUMBER = re.compile(r"\s*[-+]?(\d+(?:\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*")


def guess_type(answer: str, units: str | None) -> str:
    if units:
        return "quantity"
    answer = (answer or "").strip()
    if NUMBER.fullmatch(answer):
        return "number"
    if re.search(r"(?<![<>!=])=(?!=)", answer):
        return "equation"
    if answer.startswith("[["):
        return "matrix"
    if answer.startswith("{") and answer.endswith("}"):
        return "set"
    return "expression" if answer else "number"


def check_problem(problem: ProblemSpec, found: list[ImportProblem]) -> None:
    where = problem.where
    if not problem.statement.strip() and not problem.parts:
        found.append(ImportProblem(where, "statement", "is empty"))
    if problem.answer_type not in ANSWER_TYPES:
        found.append(
            ImportProblem(
                where, "answer_type", f"{problem.answer_type!r}: use one of {', '.join(sorted(ANSWER_TYPES))}"
            )
        )
    if not re.fullmatch(r"[\w.\-]{1,80}", problem.key, flags=re.ASCII):
        found.append(
            ImportProblem(where, "key", f"{problem.key[:90]!r}: use letters, digits, - or _ (up to 80)")
        )
    for name, limit in FIELD_LIMITS.items():
        value = getattr(problem, name)
        if name != "key" and len(value) > limit:
            found.append(ImportProblem(where, name, f"is {len(value)} characters long; the limit is {limit}"))
    if len(problem.hints) > MAX_HINTS:
        found.append(ImportProblem(where, "hints", f"{len(problem.hints)} hints; the limit is {MAX_HINTS}"))
    if problem.answer_type == "choice":
        _check_choices(problem, where, found)


def _choice_fields(problem: ProblemSpec) -> None:
    """`answer_type: truefalse` is a choice between true and false; options are kept on one line."""
    if problem.answer_type in ("truefalse", "true_false", "true/false", "boolean"):
        problem.answer_type, problem.choices = "choice", list(TRUE_FALSE)
        problem.answer = problem.answer.lower()
    if problem.answer_type == "choice":
        problem.choices = [choice_text(c) for c in problem.choices]
        problem.answer = "\n".join(choice_text(a) for a in problem.answer.splitlines() if a.strip())


def _check_choices(problem: ProblemSpec, where: str, found: list[ImportProblem]) -> None:
    folded = [c.casefold() for c in problem.choices]
    right = problem.answer.splitlines()
    if len(problem.choices) < 2:
        found.append(ImportProblem(where, "choices", "a multiple-choice problem needs at least two choices"))
    elif len(set(folded)) < len(folded) or "" in folded:
        found.append(ImportProblem(where, "choices", "each choice must be written, and no two the same"))
    elif not right:
        found.append(ImportProblem(where, "answer", "name the right choice (or list the right ones)"))
    else:
        for option in right:
            if option.casefold() not in folded:
                found.append(ImportProblem(where, "answer", f"{option!r} isn't one of the choices"))


# --- CSV -----------------------------------------------------------------------------------------

CSV_COLUMNS = [
    "key",
    "title",
    "statement",
    "answer",
    "answer_type",
    "tolerance",
    "tolerance_mode",
    "units",
    "sig_figs",
    "decimal_places",
    "choices",
    "hints",
    "solution",
    "topic",
    "difficulty",
    "parent",
]


def _read_csv(filename: str, text: str, stem: str) -> SetSpec:
    spec = SetSpec(key=stem, title=stem.replace("-", " ").capitalize(), source_format="csv")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = [(name or "").strip().lower() for name in reader.fieldnames or []]
    except csv.Error as exc:
        spec.problems_found.append(ImportProblem(f"{filename}, line 1", "header", f"can't be read: {exc}"))
        return spec
    reader.fieldnames = header
    if "statement" not in header:
        spec.problems_found.append(
            ImportProblem(
                f"{filename}, line 1",
                "header",
                f"needs at least a 'statement' column; the columns are {', '.join(CSV_COLUMNS)}",
            )
        )
        return spec
    unknown = [name for name in header if name and name not in CSV_COLUMNS]
    if unknown:
        spec.warnings.append(f"{filename}: ignored the unknown column(s) {', '.join(unknown)}.")
    stems: dict[str, ProblemSpec] = {}
    index = 0
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # A field over the csv module's size limit, a NUL byte, an unclosed quote...
            spec.problems_found.append(
                ImportProblem(f"{filename}, line {start}", "", f"can't be read: {exc}")
            )
            break
        index += 1
        where = f"{filename}, line {start}"
        reached(where)
        if spec.must_stop(where):
            break
        if None in row:
            spec.problems_found.append(
                ImportProblem(where, "", f"has more values than the header has columns ({len(header)})")
            )
            continue
        item = {k: (v or "").strip() for k, v in row.items() if k}
        if not any(item.values()):
            continue
        item["hints"] = [h.strip() for h in item.get("hints", "").split("|") if h.strip()]
        item["choices"] = [c.strip() for c in item.get("choices", "").split("|") if c.strip()]
        parent_key = item.pop("parent", "")
        problem = problem_from_mapping(item, where, spec.problems_found, default_key=f"q{index}")
        if problem is None:
            continue
        if parent_key:
            parent = stems.get(parent_key)
            if parent is None:
                spec.problems_found.append(
                    ImportProblem(where, "parent", f"{parent_key!r} isn't the key of an earlier row")
                )
                continue
            problem.key = (
                problem.key if problem.key.startswith(f"{parent_key}-") else f"{parent_key}-{problem.key}"
            )
            parent.parts.append(problem)
            spec.count += 1
        else:
            stems[problem.key] = problem
            spec.add(problem)
    return spec
