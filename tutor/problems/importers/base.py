from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Documented in docs/problem-format.md; change both together.
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_PROBLEMS = 500  # per set, parts of multi-part problems included
MAX_ARCHIVE_MEMBERS = 50
MAX_UNCOMPRESSED_BYTES = 10 * 1024 * 1024  # a zip's members together, declared and as actually read
MAX_COMPRESSION_RATIO = 100
# YAML: nesting deeper than this is never a problem set, and deep nesting exhausts the C stack.
MAX_NESTING = 20
# YAML nodes in one file: 500 problems with every field filled take about 30 000.
MAX_YAML_NODES = 100_000
MAX_HINTS = 20
# A whole number longer than this is refused with its line: Python won't convert ints of more than
# 4 300 digits (a ValueError and a 500 before), and no answer field is longer than 1 000 characters.
MAX_NUMBER_DIGITS = 1000
# Reading stops after this many things to fix: a 2 MB file can hold 500 000 broken questions, and a
# page listing them all helps nobody.
MAX_REPORTED_PROBLEMS = 100

MODELS = {"phi4", "phi4-mini", "phi4-reasoning"}
DIFFICULTY = {"easy": 1, "medium": 2, "hard": 3, "1": 1, "2": 2, "3": 3}

# The model's column sizes: PostgreSQL refuses longer values, so they are checked (and reported
# with their line) before anything is saved.
FIELD_LIMITS = {"key": 80, "title": 200, "answer": 1000, "units": 60, "topic": 80}
SET_TITLE_LIMIT = 200
SET_KEY_LIMIT = 120


class UploadRefused(Exception):
    """The whole file is refused (too big, a bomb, unsafe paths, too many problems...).

    `where` names the place when there is one ("set.csv, line 502"); the message then says what.
    """

    def __init__(self, message: str, *, where: str = "") -> None:
        super().__init__(message)
        self.where = where


# Set by the reading child process (sandbox.py): readers call `reached` at each question, so a
# reader stopped for taking too long can say where it had got to. Nothing in the web process sets it.
_progress: Callable[[str], None] | None = None


def reached(where: str) -> None:
    if _progress is not None:
        _progress(where)


@dataclass
class ImportProblem:
    """One thing wrong with one place in the upload."""

    where: str  # "demo.csv, line 4" / "set.yaml, line 12, part 2"
    field: str
    message: str

    def __str__(self) -> str:
        return (
            f"{self.where}, {self.field}: {self.message}" if self.field else f"{self.where}: {self.message}"
        )


@dataclass
class ProblemSpec:
    key: str
    statement: str
    where: str
    title: str = ""
    answer: str = ""
    answer_type: str = "number"
    tolerance: float | None = None
    units: str = ""
    sig_figs: int | None = None
    choices: list[str] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    solution: str = ""
    topic: str = ""
    difficulty: int = 2
    checker_options: dict[str, Any] = field(default_factory=dict)
    parts: list[ProblemSpec] = field(default_factory=list)
    # A randomised problem: variables, constraints, same_for_everyone (docs/problem-format.md).
    template: dict[str, Any] = field(default_factory=dict)
    # Where each template entry is in the file ("constraints.1" -> "set.yaml, line 14").
    template_where: dict[str, str] = field(default_factory=dict)


@dataclass
class SetSpec:
    key: str
    title: str
    description: str = ""
    model_name: str = "phi4"
    source_format: str = ""
    problems: list[ProblemSpec] = field(default_factory=list)
    problems_found: list[ImportProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    count: int = 0  # problems so far, parts included

    def add(self, problem: ProblemSpec) -> None:
        self.problems.append(problem)
        self.count += 1 + len(problem.parts)

    def must_stop(self, where: str) -> bool:
        """True once reading on is pointless: too many problems, or too many things to fix.

        Readers ask before each question, with the place of that question.
        """
        if self.count > MAX_PROBLEMS:
            problem = flatten(self.problems)[MAX_PROBLEMS]
            raise UploadRefused(
                f"the file has more than {MAX_PROBLEMS} problems (problem {MAX_PROBLEMS + 1} starts here); "
                f"the limit is {MAX_PROBLEMS} per set. Split it into smaller sets.",
                where=problem.where,
            )
        if len(self.problems_found) >= MAX_REPORTED_PROBLEMS:
            self.problems_found.append(
                ImportProblem(
                    where,
                    "",
                    f"reading stopped here after {MAX_REPORTED_PROBLEMS} things to fix. "
                    "Fix those and upload the file again to check the rest.",
                )
            )
            return True
        return False


def flatten(problems: list[ProblemSpec]) -> list[ProblemSpec]:
    """Problems in file order, each multi-part stem followed by its parts."""
    out = []
    for problem in problems:
        out.append(problem)
        out.extend(flatten(problem.parts))
    return out
