"""The template fields of our format (variables, constraints, same_for_everyone), as read from a file.

Only their shape is checked here, in the reading child; whether the variables can be sampled and
the keys worked out is checked at upload by the checker's "variants" job (services.py), whose
errors name the line kept here for each variable and constraint.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from .base import ImportProblem, ProblemSpec

# The checker refuses more than 30 variables and 20 constraints; this only bounds what is stored.
MAX_TEMPLATE_CHARS = 20_000
MAX_MISTAKES = 10  # as the checker's templates.MAX_MISTAKES
TEMPLATE_FIELDS = ("variables", "constraints", "same_for_everyone")


def template_fields(problem: ProblemSpec, item: dict[str, Any], found: list[ImportProblem]) -> None:
    variables = item.get("variables")
    constraints = item.get("constraints")
    same = item.get("same_for_everyone")
    if variables in (None, "", {}):
        if constraints not in (None, "", []):
            found.append(
                ImportProblem(problem.where, "constraints", "constraints need variables to constrain")
            )
        return
    if not isinstance(variables, dict):
        found.append(
            ImportProblem(problem.where, "variables", "should be a mapping, like  a: {range: [1, 9]}")
        )
        return
    if isinstance(constraints, str):
        constraints = [constraints]
    if constraints is not None and (
        not isinstance(constraints, list) or not all(isinstance(c, (str, int, float)) for c in constraints)
    ):
        found.append(ImportProblem(problem.where, "constraints", "should be a list, like ['a != b']"))
        return
    template: dict[str, Any] = {"variables": {str(k): v for k, v in variables.items()}}
    if constraints:
        template["constraints"] = [str(c) for c in constraints]
    if same not in (None, ""):
        text = str(same).strip().lower()
        if text not in ("yes", "true", "1", "no", "false", "0"):
            found.append(ImportProblem(problem.where, "same_for_everyone", f"{same!r}: use yes or no"))
        elif text in ("yes", "true", "1"):
            template["same_for_everyone"] = True
    mistakes = item.get("mistakes")
    if mistakes not in (None, "", []):
        if (
            not isinstance(mistakes, list)
            or len(mistakes) > MAX_MISTAKES
            or not all(
                isinstance(m, dict)
                and set(m) == {"answer", "says"}
                and all(isinstance(v, (str, int, float)) and 0 < len(str(v)) <= 300 for v in m.values())
                for m in mistakes
            )
        ):
            found.append(
                ImportProblem(
                    problem.where,
                    "mistakes",
                    f"a list of up to {MAX_MISTAKES} mistakes, each with an answer and what it says "
                    '(up to 300 characters), like - {answer: "{a}*{t}", says: Did you forget the ½?}',
                )
            )
            return
        template["mistakes"] = [{"answer": str(m["answer"]), "says": str(m["says"])} for m in mistakes]
    try:
        size = len(json.dumps(template))
    except (TypeError, ValueError):
        found.append(ImportProblem(problem.where, "variables", "should hold numbers, lists and texts only"))
        return
    if size > MAX_TEMPLATE_CHARS:
        found.append(
            ImportProblem(
                problem.where,
                "variables",
                f"the template is {size} characters; the limit is {MAX_TEMPLATE_CHARS}",
            )
        )
        return
    problem.template = template


def template_places(problem: ProblemSpec, node: Any, filename: str) -> None:
    """Remember the line of each variable and constraint, for messages about them."""
    if not problem.template or not isinstance(node, yaml.MappingNode):
        return
    for key, value in node.value:
        name = getattr(key, "value", None)
        if name not in ("variables", "constraints"):
            continue
        problem.template_where[name] = f"{filename}, line {key.start_mark.line + 1}"
        if isinstance(value, yaml.MappingNode):
            for variable, _ in value.value:
                problem.template_where[f"variables.{variable.value}"] = (
                    f"{filename}, line {variable.start_mark.line + 1}"
                )
        elif isinstance(value, yaml.SequenceNode):
            for index, entry in enumerate(value.value, start=1):
                problem.template_where[f"constraints.{index}"] = (
                    f"{filename}, line {entry.start_mark.line + 1}"
                )


def template_where(problem: ProblemSpec, field: str, name: str) -> str:
    """The place to name in an error about one part of a template (its own line if known)."""
    places = problem.template_where
    return places.get(f"{field}.{name}") or places.get(field) or problem.where
