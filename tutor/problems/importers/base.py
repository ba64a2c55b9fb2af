from __future__ import annotations

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

ANSWER_TYPES = {"number", "expression", "equation", "set", "interval", "matrix", "quantity", "choice", "text"}
MODELS = {"phi4", "phi4-mini", "phi4-reasoning"}
DIFFICULTY = {"easy": 1, "medium": 2, "hard": 3, "1": 1, "2": 2, "3": 3}

# The model's column sizes: PostgreSQL refuses longer values, so they are checked (and reported
# with their line) before anything is saved.
FIELD_LIMITS = {"key": 80, "title": 200, "answer": 1000, "units": 60, "topic": 80}
SET_TITLE_LIMIT = 200
SET_KEY_LIMIT = 120


class UploadRefused(Exception):
    """The whole file is refused before it is read (too big, a bomb, unsafe paths...)."""


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


def flatten(problems: list[ProblemSpec]) -> list[ProblemSpec]:
    """Problems in file order, each multi-part stem followed by its parts."""
    out = []
    for problem in problems:
        out.append(problem)
        out.extend(flatten(problem.parts))
    return out
