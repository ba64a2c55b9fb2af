"""Reading problem sets from the formats teachers already have. See docs/problem-format.md."""

from .base import ImportProblem, ProblemSpec, SetSpec, UploadRefused, flatten
from .readers import read_upload

__all__ = ["ImportProblem", "ProblemSpec", "SetSpec", "UploadRefused", "flatten", "read_upload"]
