"""Reading problem sets from the formats teachers already have. See docs/problem-format.md."""

from .base import ImportProblem, ProblemSpec, SetSpec, UploadRefused
from .readers import read_upload

__all__ = ["ImportProblem", "ProblemSpec", "SetSpec", "UploadRefused", "read_upload"]
