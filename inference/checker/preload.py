"""Imported once by each checker worker before it reports ready, so it starts with warm libraries.

Importing this module runs one check of each common kind: the first use of latex2sympy's
ANTLR parser, pint's registry and math-verify costs hundreds of milliseconds, which a
fresh worker should not pay on a student's answer.
"""

from __future__ import annotations

import logging

from inference.checker import engine

# math-verify warns once per process that its timeouts are off; that is deliberate here (the
# pool's wall clock bounds every job), and the worker's stderr is the web process's.
logging.getLogger("math_verify").setLevel(logging.ERROR)

_WARM_UP_JOBS = [
    {"kind": "check", "gold": "1/2", "answer": "0.5"},
    {"kind": "check", "gold": "$\\frac{3}{4}$", "answer": "The answer is \\boxed{\\dfrac{3}{4}}."},
    {"kind": "check", "gold": "10 m", "answer": "1000 cm"},
    {"kind": "check", "gold": "x^2-1", "answer": "(x-1)(x+1)"},
    {"kind": "extract", "text": "so it is 4"},
]

for _job in _WARM_UP_JOBS:
    engine.run(_job)
