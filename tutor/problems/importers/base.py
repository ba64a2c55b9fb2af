from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_PROBLEMS = 500
MAX_ARCHIVE_MEMBERS = 50
MAX_UNCOMPRESSED_BYTES = 10 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
ANSWER_TYPES = {"number", "expression", "equation", "set", "interval", "matrix", "quantity", "choice", "text"}
MODELS = {"phi4", "phi4-mini", "phi4-reasoning"}
DIFFICULTY = {"easy": 1, "medium": 2, "hard": 3, "1": 1, "2": 2, "3": 3}


class UploadRefused(Exception):
    """The whole file is refused before it is read (too big, a bomb, unsafe paths...)."""


@dataclass
class ImportProblem:
    """One thing wrong with one place in the upload."""

    where: str  # "demo.csv, row 4" / "set.yaml, line 12"
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
