"""Problem sets: import (validate everything, then save all or nothing), export, assignments.

Over 400 lines on purpose: import, export and the import job share one `ImportResult` and one
key check, and reading them together is how the all-or-nothing save can be seen to hold.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import yaml
from django.conf import settings
from django.db import transaction

from inference.checker import preview_answer
from tutor.classroom.models import User
from tutor.errors import Forbidden

from . import variants
from .importers import ImportProblem, ProblemSpec, SetSpec, UploadRefused, flatten
from .importers.base import FIELD_LIMITS
from .importers.calculated import Untranslatable
from .importers.sandbox import read_upload_bounded
from .models import ImportJob, Problem, ProblemSet

# Uploads with more problems than this are imported by a Celery task while a page shows progress.
LARGE_UPLOAD_PROBLEMS = 50
# The checker's default when a problem gives no tolerance (see Problem.tolerance).
DEFAULT_RELATIVE_TOLERANCE = 0.001

Progress = Callable[[int, int], None]


@dataclass
class ImportResult:
    filename: str
    errors: list[ImportProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # (problem key, the key as written, how the checker read it as LaTeX)
    read_as: list[tuple[str, str, str]] = field(default_factory=list)
    problem_set: ProblemSet | None = None
    created: int = 0
    updated: int = 0
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors and (self.dry_run or self.problem_set is not None)


def problem_set_validate(
    *, spec: SetSpec, progress: Progress | None = None
) -> tuple[list[ImportProblem], list[tuple[str, str, str]]]:
    """Everything wrong with a parsed upload, and how each answer key was read by the checker.

    Each key is read in the checker's sandbox (CHECKER_TIMEOUT at most); all of them together get
    PROBLEM_UPLOAD_CHECK_SECONDS, after which the rest are reported unchecked from their line.
    """
    errors = list(spec.problems_found)
    read_as: list[tuple[str, str, str]] = []
    seen: dict[str, str] = {}
    flagged = {(error.where, error.field) for error in errors}
    problems = flatten(spec.problems)
    stems = {id(part): stem for stem in problems for part in stem.parts}
    deadline = time.monotonic() + settings.PROBLEM_UPLOAD_CHECK_SECONDS
    for number, problem in enumerate(problems, start=1):
        if progress is not None and (number % 10 == 0 or number == len(problems)):
            progress(number, len(problems))
        if time.monotonic() > deadline:
            errors.append(
                ImportProblem(
                    problem.where,
                    "answer",
                    f"checking stopped here: the answer keys took more than "
                    f"{settings.PROBLEM_UPLOAD_CHECK_SECONDS:g} seconds to check in all, so this one and "
                    f"the {len(problems) - number} after it weren't checked. Simplify the slow keys "
                    "(the ones the checker couldn't read in time), or split the set.",
                )
            )
            break
        if problem.key in seen:
            errors.append(
                ImportProblem(
                    problem.where, "key", f"{problem.key!r} is used twice (also at {seen[problem.key]})"
                )
            )
        seen.setdefault(problem.key, problem.where)
        if len(problem.key) > FIELD_LIMITS["key"] and (problem.where, "key") not in flagged:
            # A part's key grows when its stem's key is put in front ("ball-a").
            errors.append(
                ImportProblem(
                    problem.where, "key", f"{problem.key!r} is longer than {FIELD_LIMITS['key']} characters"
                )
            )
        stem = stems.get(id(problem))
        template = problem.template or (stem.template if stem is not None else {})
        if template:
            # A randomised problem: its keys are checked on sample variants (variants.py).
            found, rows = variants.spec_check(problem=problem, template=template, stem=stem)
            errors.extend(found)
            read_as.extend(rows)
            continue
        if not problem.answer.strip():
            if not problem.parts:
                read_as.append((problem.key, "", "(no key: the tutor will check answers by substitution)"))
            continue
        if (problem.where, "answer") in flagged:
            continue  # already wrong (too long, say): not worth a trip to the checker
        if problem.answer_type in ("choice", "text"):
            read_as.append((problem.key, problem.answer, problem.answer))
            continue
        preview = preview_answer(
            answer=problem.answer, answer_type=problem.answer_type, units=problem.units or None
        )
        if not preview.ok:
            errors.append(
                ImportProblem(
                    problem.where, "answer", f"{_quoted(problem.answer)} couldn't be read: {preview.message}"
                )
            )
            continue
        if problem.answer_type in ("number", "quantity") and preview.kind == "expr":
            # 'fast' would be read as a·f·s·t and compared as a formula in four letters.
            example = "12.5 m/s" if problem.answer_type == "quantity" and not problem.units else "12.5"
            errors.append(
                ImportProblem(
                    problem.where,
                    "answer",
                    f"{_quoted(problem.answer)} was read as letters multiplied together "
                    f"({preview.latex}), not as a number. Write the value as a number, e.g. {example}; "
                    "if the answer is a word, make the answer type text.",
                )
            )
            continue
        if problem.answer_type == "quantity" and not problem.units and preview.kind != "quantity":
            errors.append(
                ImportProblem(
                    problem.where, "units", "a quantity needs units, in the answer or the units column"
                )
            )
            continue
        read_as.append((problem.key, problem.answer, preview.latex))
    return errors_in_line_order(errors), read_as


_WHERE = re.compile(r"^(.*?), line (\d+)")


def errors_in_line_order(errors: list[ImportProblem]) -> list[ImportProblem]:
    """Problems found while reading and while checking keys, merged in the order of the file's lines
    (the files of a zip in the order they came); each line's own problems keep their order."""
    files: dict[str, int] = {}
    keys = []
    for error in errors:
        match = _WHERE.match(error.where)
        name, line = (match.group(1), int(match.group(2))) if match else (error.where, 0)
        keys.append((files.setdefault(name, len(files)), line))
    order = sorted(range(len(errors)), key=lambda i: keys[i])
    return [errors[i] for i in order]


def _quoted(text: str, limit: int = 80) -> str:
    """A value quoted in a message, shortened: the message must not repeat a huge value."""
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def problem_set_import(
    *,
    owner: User,
    filename: str,
    data: bytes,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Read, check and save a problem set. Nothing is saved if anything is wrong.

    A set with the same key as one of the owner's sets updates it; problems are matched by key.
    For import jobs and the command: it waits for a free reader (see problem_set_upload for the web).
    """
    if not owner.is_teacher:
        raise Forbidden("Only teachers can upload problem sets.")
    result, spec = problem_set_read(filename=filename, data=data, dry_run=dry_run, patient=True)
    if spec is None:
        return result
    return problem_set_save(owner=owner, spec=spec, result=result, progress=progress)


def problem_set_read(
    *, filename: str, data: bytes, dry_run: bool = False, patient: bool = False
) -> tuple[ImportResult, SetSpec | None]:
    """Read an upload in the bounded child (importers/sandbox.py). No spec if it was refused.

    `patient`: wait for a free reader however long the queue (jobs and the command); a web
    request waits one read time at most, then gets a 429.
    """
    result = ImportResult(filename=filename, dry_run=dry_run)
    try:
        spec = read_upload_bounded(filename, data, patient=patient)
    except UploadRefused as exc:
        message = str(exc).removeprefix(f"{filename}: ").removeprefix(f"{filename} ")
        result.errors.append(ImportProblem(exc.where or filename, "", message))
        return result, None
    return result, spec


def problem_set_save(
    *, owner: User, spec: SetSpec, result: ImportResult, progress: Progress | None = None
) -> ImportResult:
    """Check the keys of a read upload and save it, all or nothing (nothing for a dry run)."""
    filename, dry_run = result.filename, result.dry_run
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
        existing = {p.key: p for p in problem_set.problems.all()}
        position = 0
        for problem in spec.problems:
            position = _save(problem_set, problem, None, position, result, existing)
        kept = [p for key, p in existing.items() if key not in {s.key for s in flatten(spec.problems)}]
        for problem in sorted(kept, key=lambda p: (p.position, p.pk)):
            # Students' attempts hang off these problems, so they stay, after the new ones.
            position += 1
            Problem.objects.filter(pk=problem.pk).update(position=position)
        if kept:
            result.warnings.append(
                f"{len(kept)} problem(s) already in the set aren't in this file and were kept at the end: "
                + ", ".join(p.key for p in kept)
            )
    result.problem_set = problem_set
    return result


def _save(
    problem_set: ProblemSet,
    spec: ProblemSpec,
    parent: Problem | None,
    position: int,
    result: ImportResult,
    existing: dict[str, Problem],
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
        "template": spec.template,
    }
    problem = existing.get(spec.key)
    if problem is None:
        problem = Problem.objects.create(problem_set=problem_set, key=spec.key, **fields)
        result.created += 1
    else:
        for name, value in fields.items():
            setattr(problem, name, value)
        problem.save()
        result.updated += 1
    for part in spec.parts:
        position = _save(problem_set, part, problem, position, result, existing)
    return position


def problem_set_upload(
    *, owner: User, filename: str, data: bytes, dry_run: bool = False
) -> ImportResult | ImportJob:
    """A teacher's upload: read (bounded), then checked and saved now, or, for more than
    LARGE_UPLOAD_PROBLEMS problems, by an import job while a page shows progress."""
    if not owner.is_teacher:
        raise Forbidden("Only teachers can upload problem sets.")
    result, spec = problem_set_read(filename=filename, data=data, dry_run=dry_run)
    if spec is None:
        return result
    count = len(flatten(spec.problems))
    if not dry_run and not spec.problems_found and count > LARGE_UPLOAD_PROBLEMS:
        return import_job_start(owner=owner, filename=filename, data=data, total=count)
    return problem_set_save(owner=owner, spec=spec, result=result)


# --- large uploads -----------------------------------------------------------------------------


def import_job_start(*, owner: User, filename: str, data: bytes, total: int) -> ImportJob:
    if not owner.is_teacher:
        raise Forbidden("Only teachers can upload problem sets.")
    job = ImportJob.objects.create(owner=owner, filename=filename, data=data, total=total)
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

    try:
        result = problem_set_import(
            owner=job.owner, filename=job.filename, data=bytes(job.data), progress=progress
        )
    except BaseException:
        # The page must not say "checking" forever; the task still fails loudly.
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJob.Status.FAILED,
            errors=[
                "The import stopped because of an error on the server. Nothing was saved; try again later."
            ],
            data=b"",
        )
        raise
    count = len(result.read_as) + len(result.errors)
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportJob.Status.DONE if result.ok else ImportJob.Status.FAILED,
        errors=[str(e) for e in result.errors],
        warnings=result.warnings,
        read_as=[list(row) for row in result.read_as],
        problem_set=result.problem_set,
        processed=max(count, job.total),
        total=max(count, job.total),
        data=b"",
    )


# --- export ------------------------------------------------------------------------------------

DIFFICULTY_NAMES = {1: "easy", 2: "medium", 3: "hard"}


def _problem_dict(problem: Problem, parent_key: str | None = None) -> dict:
    key = problem.key.removeprefix(f"{parent_key}-") if parent_key else problem.key
    item: dict = {"key": key}
    for name in ("title", "statement", "answer", "answer_type", "tolerance", "units", "sig_figs", "choices"):
        value = getattr(problem, name)
        if value not in ("", None, [], {}):
            item[name] = value
    item.update(problem.checker_options or {})
    item.update(problem.template or {})  # variables, constraints, same_for_everyone
    for name in ("hints", "solution", "topic"):
        value = getattr(problem, name)
        if value not in ("", None, []):
            item[name] = value
    item["difficulty"] = DIFFICULTY_NAMES.get(problem.difficulty, "medium")
    parts = [_problem_dict(p, problem.key) for p in problem.parts.order_by("position", "pk")]
    if parts:
        item["parts"] = parts
    return item


def problem_set_export_yaml(*, problem_set: ProblemSet) -> str:
    """The set in our own format; uploading the file again changes nothing."""
    document = {
        "key": problem_set.key,
        "title": problem_set.title,
        "description": problem_set.description,
        "model": problem_set.model_name,
        "problems": [
            _problem_dict(p)
            for p in problem_set.problems.filter(parent__isnull=True).order_by("position", "pk")
        ],
    }
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


# Linear: no two ways to split a run of digits, and the trailing blanks are stripped afterwards
# (a lazy group before `\s*$` retried the blanks at every step).
QUANTITY = re.compile(r"^\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*)$")


def problem_set_export_moodle(*, problem_set: ProblemSet) -> str:
    """The set as Moodle XML. Numbers and quantities become numerical questions, choices
    multichoice, the rest shortanswer (which Moodle compares as text)."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<quiz>"]
    out.append(
        f'  <question type="category"><category><text>$course$/{escape(problem_set.title)}</text></category></question>'
    )
    for problem in problem_set.problems.select_related("parent").order_by("position", "pk"):
        if not problem.answer:
            # A multi-part stem (its text goes into each part) or a problem with no key.
            continue
        if variants.template_of(problem):
            try:
                out.extend(variants.moodle_question(problem))
                continue
            except Untranslatable as exc:
                out.append(
                    f"  <!-- {escape(problem.key)}: exported with its template text ({escape(str(exc))}) -->"
                )
        statement = (
            f"{problem.parent.statement}\n\n{problem.statement}" if problem.parent else problem.statement
        )
        value, units = problem.answer, problem.units
        if problem.answer_type == "quantity":
            match = QUANTITY.match(value)
            written = match.group(2).rstrip() if match else ""
            if match and (not units or written in ("", units)):
                value, units = match.group(1), units or written
        if problem.answer_type == "choice":
            kind = "multichoice"
        elif problem.answer_type == "number" or (problem.answer_type == "quantity" and QUANTITY.match(value)):
            kind = "numerical"
            try:
                float(value)
            except ValueError:
                kind = "shortanswer"  # "3/4" or "pi/2": Moodle's numerical wants a decimal
                value = problem.answer
        else:
            kind = "shortanswer"
        out.append(f'  <question type="{kind}">')
        out.append(f"    <name><text>{escape(problem.title or problem.key)}</text></name>")
        out.append(f'    <questiontext format="markdown"><text>{escape(statement)}</text></questiontext>')
        if problem.solution:
            out.append(
                f'    <generalfeedback format="markdown"><text>{escape(problem.solution)}</text></generalfeedback>'
            )
        out.append(f"    <idnumber>{escape(problem.key)}</idnumber>")
        if kind == "multichoice":
            right = problem.answer.splitlines()  # several right options are one per line
            out.append(f"    <single>{'false' if len(right) > 1 else 'true'}</single>")
            for choice in problem.choices or right:
                fraction = f"{100 / len(right):.5g}" if choice in right else 0
                out.append(
                    f'    <answer fraction="{fraction}" format="plain_text"><text>{escape(choice)}</text></answer>'
                )
        else:
            out.append(f'    <answer fraction="100" format="plain_text"><text>{escape(value)}</text>')
            if kind == "numerical":
                tolerance = problem.tolerance if problem.tolerance is not None else DEFAULT_RELATIVE_TOLERANCE
                if (problem.checker_options or {}).get("tolerance_mode") != "absolute":
                    tolerance = abs(float(value)) * tolerance  # Moodle's tolerance is absolute
                out.append(f"      <tolerance>{tolerance:.6g}</tolerance>")
            out.append("    </answer>")
        if kind == "numerical" and units:
            out.append(
                f"    <units><unit><multiplier>1</multiplier><unit_name>{escape(units)}</unit_name></unit></units>"
            )
        for hint in problem.hints or []:
            out.append(f'    <hint format="markdown"><text>{escape(hint)}</text></hint>')
        out.append("  </question>")
    out.append("</quiz>")
    return "\n".join(out) + "\n"
