"""The worker's entry point, kept under its old name: `run(job)` lives in jobs.py now.

engine.py was split along its seams (issue 14): structure.py reads lists, sets, relations;
comparators/ holds one module per kind of key behind a table; jobs.py and substitution.py run
the jobs; verdicts.py has the statuses and the one builder.
"""

from __future__ import annotations

from .jobs import run

__all__ = ["run"]
