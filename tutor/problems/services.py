"""Importing and exporting problem sets: validate everything, then save all or nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import yaml
from django.db import transaction

from inference.checker import preview_answer
from tutor.classroom.models import User

from .importers import ImportProblem, ProblemSpec, SetSpec, UploadRefused, read_upload
from .models import ImportJob, Problem, ProblemSet


@dataclass
class ImportResult:
    filename: str
    errors: list[ImportProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    read_as: list[tuple[str, str, str]] = field(default_factory=list)  # (key, answer as typed, LaTeX)
    problem_set: ProblemSet | None = None
    created: int = 0
    updated: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors and self.problem_set is not None


def _flatten(problems: list[ProblemSpec]) -> list[ProblemSpec]:
    out = []
    for problem in problems:
        out.append(problem)
        out.extend(_flatten(problem.parts))
    return out


def problem_set_validate(
    *, spec: SetSpec, progress: Callable[[int, int], None] | None = None
) -> tuple[list[ImportProblem], list[tuple[str, str, str]]]:
    errors = list(spec.problems_found)
    read_as = []
    seen: dict[str, str] = {}
    problems = _flatten(spec.problems)
    for number, problem in enumerate(problems, start=1):
        if progress is not None and number % 10 == 0:
            progress(number, len(problems))
        if problem.key in seen:
            errors.append(
                ImportProblem(
                    problem.where, "key", f"{problem.key!r} is used twice (also at {seen[problem.key]})"
                )
            )
        seen[problem.key] = problem.where
        if not problem.answer.strip():
            if not problem.parts:
                read_as.append((problem.key, "", "(no key: the tutor will check answers by substitution)"))
            continue
        if problem.answer_type in ("choice", "text"):
            read_as.append((problem.key, problem.answer, problem.answer))
            continue
        preview = preview_answer(
            answer=problem.answer, answer_type=problem.answer_type, units=problem.units or None
        )
        if not preview.ok:
            errors.append(
                ImportProblem(
                    problem.where, "answer", f"{problem.answer!r} couldn't be read: {preview.message}"
                )
            )
            continue
        if problem.answer_type == "quantity" and not problem.units and preview.kind != "quantity":
            errors.append(
                ImportProblem(
                    problem.where, "units", "a quantity needs units, in the answer or the units column"
                )
            )
        read_as.append((problem.key, problem.answer, preview.latex))
    return errors, read_as


def problem_set_import(
    *,
    owner: User,
    filename: str,
    data: bytes,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    result = ImportResult(filename=filename)
    if not owner.is_teacher:
        result.errors.append(ImportProblem(filename, "", "only teachers can upload problem sets"))
        return result
    try:
        spec = read_upload(filename, data)
    except UploadRefused as exc:
        result.errors.append(ImportProblem(filename, "", str(exc)))
        return result
    result.warnings = spec.warnings
    result.errors, result.read_as = problem_set_validate(spec=spec, progress=progress)
    if not spec.problems and not result.errors:
        result.errors.append(ImportProblem(filename, "", "no problems found"))
    if result.errors or dry_run:
        return result
    with transaction.atomic():
        problem_set, _ = ProblemSet.objects.update_or_create(
            owner=owner,
            key=spec.key,
            defaults={
                "title": spec.title,
                "description": spec.description,
                "model_name": spec.model_name,
                "source_format": spec.source_format,
            },
        )
        existing = set(problem_set.problems.values_list("key", flat=True))
        position = 0
        for problem in spec.problems:
            position = _save(problem_set, problem, None, position, result, existing)
        missing = existing - {p.key for p in _flatten(spec.problems)}
        if missing:
            result.warnings.append(
                f"{len(missing)} problem(s) already in the set aren't in this file and were kept: {', '.join(sorted(missing))}"
            )
    result.problem_set = problem_set
    return result


def _save(
    problem_set: ProblemSet,
    spec: ProblemSpec,
    parent: Problem | None,
    position: int,
    result: ImportResult,
    existing: set[str],
) -> int:
    position += 1
    fields = {
        "parent": parent,
        "position": position,
        "title": spec.title,
        "statement": spec.statement,
        "answer": spec.answer,
        "answer_type": spec.answer_type,
        "tolerance": spec.tolerance,
        "units": spec.units,
        "sig_figs": spec.sig_figs,
        "choices": spec.choices,
        "hints": spec.hints,
        "solution": spec.solution,
        "topic": spec.topic,
        "difficulty": spec.difficulty,
        "checker_options": spec.checker_options,
    }
    problem, created = Problem.objects.update_or_create(
        problem_set=problem_set, key=spec.key, defaults=fields
    )
    if created:
        result.created += 1
    else:
        result.updated += 1
    for part in spec.parts:
        position = _save(problem_set, part, problem, position, result, existing)
    return position


# --- export ------------------------------------------------------------------------------------


def _problem_dict(problem: Problem) -> dict:
    item: dict = {"key": problem.key, "title": problem.title, "statement": problem.statement}
    for name in (
        "answer",
        "answer_type",
        "tolerance",
        "units",
        "sig_figs",
        "choices",
        "hints",
        "solution",
        "topic",
    ):
        value = getattr(problem, name)
        if value not in ("", None, [], {}):
            item[name] = value
    item["difficulty"] = {1: "easy", 2: "medium", 3: "hard"}.get(problem.difficulty, "medium")
    item.update(problem.checker_options or {})
    parts = [_problem_dict(p) for p in problem.parts.order_by("position")]
    if parts:
        item["parts"] = parts
    return item


def problem_set_export_yaml(*, problem_set: ProblemSet) -> str:
    document = {
        "key": problem_set.key,
        "title": problem_set.title,
        "description": problem_set.description,
        "model": problem_set.model_name,
        "problems": [
            _problem_dict(p) for p in problem_set.problems.filter(parent__isnull=True).order_by("position")
        ],
    }
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


def problem_set_export_moodle(*, problem_set: ProblemSet) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<quiz>"]
    out.append(
        f'  <question type="category"><category><text>$course$/{escape(problem_set.title)}</text></category></question>'
    )
    for problem in problem_set.problems.select_related("parent").order_by("position"):
        if not problem.answer:
            # A multi-part stem (its text goes into each part) or a problem with no key.
            continue
        statement = (
            f"{problem.parent.statement}\n\n{problem.statement}" if problem.parent else problem.statement
        )
        if problem.answer_type == "choice":
            kind = "multichoice"
        elif problem.answer_type in ("number", "quantity"):
            kind = "numerical"
        else:
            kind = "shortanswer"
        out.append(f'  <question type="{kind}">')
        out.append(f"    <name><text>{escape(problem.title or problem.key)}</text></name>")
        out.append(f'    <questiontext format="markdown"><text>{escape(statement)}</text></questiontext>')
        if problem.solution:
            out.append(
                f'    <generalfeedback format="markdown"><text>{escape(problem.solution)}</text></generalfeedback>'
            )
        value = problem.answer
        if kind == "numerical" and problem.units and value.endswith(problem.units):
            value = value[: -len(problem.units)].strip()
        if kind == "multichoice":
            for choice in problem.choices or [problem.answer]:
                fraction = 100 if choice == problem.answer else 0
                out.append(f'    <answer fraction="{fraction}"><text>{escape(choice)}</text></answer>')
        else:
            out.append(f'    <answer fraction="100"><text>{escape(value)}</text>')
            if kind == "numerical":
                tolerance = problem.tolerance or 0
                if (problem.checker_options or {}).get("tolerance_mode") != "absolute" and tolerance:
                    try:
                        tolerance = abs(float(value)) * tolerance
                    except ValueError:
                        tolerance = 0
                out.append(f"      <tolerance>{tolerance:g}</tolerance>")
            out.append("    </answer>")
        if kind == "numerical" and problem.units:
            out.append(
                f"    <units><unit><multiplier>1</multiplier><unit_name>{escape(problem.units)}</unit_name></unit></units>"
            )
        for hint in problem.hints or []:
            out.append(f"    <hint><text>{escape(hint)}</text></hint>")
        out.append("  </question>")
    out.append("</quiz>")
    return "\n".join(out) + "\n"


# --- large uploads -----------------------------------------------------------------------------

LARGE_UPLOAD_PROBLEMS = 50


def problem_count(*, filename: str, data: bytes) -> int:
    """How many problems a file holds (0 if it can't be read; the import then says why)."""
    try:
        return len(_flatten(read_upload(filename, data).problems))
    except UploadRefused:
        return 0


def import_job_start(*, owner: User, filename: str, data: bytes) -> ImportJob:
    job = ImportJob.objects.create(owner=owner, filename=filename, data=data)
    from .tasks import run_import_job

    transaction.on_commit(lambda: run_import_job.delay(job.pk))
    return job


def import_job_run(*, job_id: int) -> None:
    # Claim the job with a conditional UPDATE so a redelivered task does nothing.
    if not ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING
    ):
        return
    job = ImportJob.objects.select_related("owner").get(pk=job_id)

    def progress(done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(processed=done, total=total)

    result = problem_set_import(
        owner=job.owner, filename=job.filename, data=bytes(job.data), progress=progress
    )
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportJob.Status.DONE if result.ok else ImportJob.Status.FAILED,
        errors=[str(e) for e in result.errors],
        warnings=result.warnings,
        problem_set=result.problem_set,
        processed=len(result.read_as) + len(result.errors),
        total=max(len(result.read_as) + len(result.errors), 1),
        data=b"",
    )
