"""Randomised problems: each student's own numbers, worked out once and stored.

A problem with a `template` ({"variables": ..., "constraints": ...}) has `{a}` in its statement,
hints, solution and answer. A student's variant comes from a seed that is a keyed hash of
(student, problem, assignment, reseed count): the same on every device and after every login,
and nobody can work out another student's numbers from their own. The variant is computed once,
in the checker's sandbox (inference/checker/templates.py), and stored as a `Variant` row, so a page
load or a graded answer reads one row.

Everything downstream takes a `Problem`: `resolve` hands it a copy that carries the student's
texts and key (statement, answer, hints, solution, choices), and refuses to be saved, so the
grading, the tutor's prompt, the verification gate and the leak gate all see the student's numbers
without knowing about templates.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from inference.checker import make_variants
from tutor.classroom.models import Assignment, User
from tutor.errors import Forbidden, Invalid

from .importers.base import ImportProblem, ProblemSpec
from .importers.templates import template_where
from .models import Problem, Variant

# The upload check and the preview: variants sampled from these seeds must all work.
CHECK_SEEDS = list(range(10))
PREVIEW_VARIANTS = 3
_UNSET: Any = object()


def template_of(problem: Problem) -> dict[str, Any]:
    """The template a problem draws its numbers from: its own, or its stem's for a part."""
    if problem.template:
        return problem.template
    if problem.parent_id is not None and problem.parent.template:
        return problem.parent.template
    return {}


def _template_owner(problem: Problem) -> Problem:
    return problem if problem.template or problem.parent_id is None else problem.parent


def _texts(problem: Problem) -> dict[str, Any]:
    return {
        "statement": problem.statement,
        "answer": problem.answer,
        "hints": list(problem.hints or []),
        "solution": problem.solution,
        "choices": list(problem.choices or []),
        "mistakes": [m["answer"] for m in template_of(problem).get("mistakes") or []],
    }


def template_hash(problem: Problem) -> str:
    content = {
        "template": template_of(problem),
        "texts": _texts(problem),
        "type": problem.answer_type,
        "units": problem.units,
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def seed_for(*, user_id: int, problem_id: int, assignment_id: int | None, generation: int = 0) -> int:
    """A keyed hash: stable per student, unguessable from another student's seed."""
    key = hashlib.sha256(f"variants:{settings.SECRET_KEY}".encode()).digest()
    message = f"{user_id}:{problem_id}:{assignment_id or 0}:{generation}".encode()
    return int.from_bytes(hmac.new(key, message, hashlib.sha256).digest()[:8], "big") >> 1


def _compute(problem: Problem, seeds: list[int], owner: str | None = None) -> dict[str, Any]:
    return make_variants(
        template=template_of(problem),
        texts=_texts(problem),
        seeds=seeds,
        answer_type=problem.answer_type,
        units=problem.units or None,
        owner=owner,
    )


def variant_for(
    *, problem: Problem, user: User, assignment: Assignment | None = _UNSET, generation: int | None = None
) -> Variant | None:
    """The user's stored variant of a randomised problem (made now if it is the first time)."""
    template = template_of(problem)
    if not template:
        return None
    if assignment is _UNSET:
        from tutor.classroom import selectors

        assignment = selectors.assignment_for_student(user=user, problem=problem)
    assignment_id = assignment.pk if assignment is not None else None
    rows = Variant.objects.filter(problem=problem, user=user, assignment_id=assignment_id)
    # Same numbers for the whole class: the problem's own setting or the assignment's.
    same = bool(template.get("same_for_everyone")) or bool(getattr(assignment, "same_numbers", False))
    digest = (
        template_hash(problem)
        if not same
        else hashlib.sha256(f"same:{template_hash(problem)}".encode()).hexdigest()
    )
    existing = rows.first()
    if existing is not None and existing.template_hash == digest and generation is None:
        return existing
    if generation is None:
        generation = existing.generation if existing is not None else 0
    seed = seed_for(
        user_id=0 if same else user.pk,
        problem_id=_template_owner(problem).pk,
        assignment_id=assignment_id,
        generation=0 if same else generation,
    )
    result = _compute(problem, [seed], owner=f"user:{user.pk}")
    if not result["ok"]:
        # Ten sample seeds worked at upload; this student's didn't (a rare constraint, a changed
        # template): the teacher sees it in the review queue.
        from tutor.tutoring.models import Flag

        detail = f"{user.display_name}'s numbers couldn't be worked out: {result['message']}"
        if not Flag.objects.filter(problem=problem, detail=detail, resolved_at__isnull=True).exists():
            Flag.objects.create(kind=Flag.Kind.KEY_UNPARSEABLE, problem=problem, detail=detail)
        raise Invalid(
            "This problem's numbers couldn't be worked out, so it can't be answered right now. "
            "Your teacher has been told.",
            code="variant_failed",
        )
    made = result["variants"][0]
    fields = {
        "seed": seed,
        "generation": generation,
        "values": [[name, value] for name, value in made["values"].items()],
        "statement": made["statement"],
        "answer": made["answer"][:1000],
        "answer_latex": made["latex"],
        "hints": made["hints"],
        "solution": made["solution"],
        "choices": made["choices"],
        "mistakes": [
            [key, mistake["says"]]
            for key, mistake in zip(made.get("mistakes", []), template.get("mistakes") or [], strict=False)
        ],
        "template_hash": digest,
    }
    try:
        with transaction.atomic():
            variant, _ = Variant.objects.update_or_create(
                problem=problem, user=user, assignment_id=assignment_id, defaults=fields
            )
    except IntegrityError:
        # Two requests of the same student made it at once: both computed the same numbers.
        variant = rows.get()
    return variant


def _read_only(*args: Any, **kwargs: Any) -> None:
    raise RuntimeError("A student's variant of a problem is a copy and can't be saved.")


def resolve(*, problem: Problem, user: User | None, assignment: Assignment | None = _UNSET) -> Problem:
    """The problem as this user sees it: for a student and a randomised problem, a copy with their
    own statement, key, hints, solution and choices (and its stem resolved too); otherwise as is."""
    if user is None or not getattr(user, "is_student", False) or not template_of(problem):
        return problem
    variant = variant_for(problem=problem, user=user, assignment=assignment)
    assert variant is not None
    personal = copy.copy(problem)
    personal._state = copy.copy(problem._state)
    personal._state.fields_cache = dict(problem._state.fields_cache)
    personal.statement = variant.statement
    personal.answer = variant.answer
    personal.hints = list(variant.hints)
    personal.solution = variant.solution
    personal.choices = list(variant.choices) if problem.choices else []
    personal.variant = variant  # type: ignore[attr-defined]
    personal.save = _read_only  # type: ignore[method-assign]
    if problem.parent_id is not None and problem.parent.template:
        personal._state.fields_cache["parent"] = resolve(
            problem=problem.parent, user=user, assignment=assignment
        )
    return personal


def variant_reseed(*, teacher: User, problem: Problem, student: User) -> Variant:
    """New numbers for one student (the teacher's "reseed"): the next generation of their seed."""
    if problem.problem_set.owner_id != teacher.pk:
        raise Forbidden("Only the owner of a problem set can give a student new numbers.")
    if not template_of(problem):
        raise Invalid("This problem has no variables, so there are no numbers to change.")
    from tutor.classroom import selectors

    assignment = selectors.assignment_for_student(user=student, problem=problem)
    if template_of(problem).get("same_for_everyone") or (assignment is not None and assignment.same_numbers):
        raise Invalid("Everyone gets the same numbers for this problem; turn that off to reseed one student.")
    current = Variant.objects.filter(
        problem=problem, user=student, assignment_id=assignment.pk if assignment else None
    ).first()
    generation = (current.generation + 1) if current is not None else 1
    variant = variant_for(problem=problem, user=student, assignment=assignment, generation=generation)
    assert variant is not None
    return variant


def template_samples(
    *,
    template: dict[str, Any],
    texts: dict[str, Any],
    answer_type: str,
    units: str,
    seeds: list[int] | None = None,
) -> dict[str, Any]:
    """Variants from fixed seeds, for the upload check and its preview (no database)."""
    return make_variants(
        template=template,
        texts=texts,
        seeds=seeds if seeds is not None else CHECK_SEEDS,
        answer_type=answer_type,
        units=units or None,
    )


def spec_check(
    *, problem: ProblemSpec, template: dict[str, Any], stem: ProblemSpec | None = None
) -> tuple[list[ImportProblem], list[tuple[str, str, str]]]:
    """An uploaded randomised problem: every sample variant must be possible and have a key the
    checker reads. Returns the errors (each naming its line) and three sample variants to show."""
    texts = {
        "statement": problem.statement,
        "answer": problem.answer,
        "hints": problem.hints,
        "solution": problem.solution,
        "choices": problem.choices,
        "mistakes": [m["answer"] for m in template.get("mistakes") or []],
    }
    result = template_samples(
        template=template, texts=texts, answer_type=problem.answer_type, units=problem.units
    )
    if not result["ok"]:
        field, name = result.get("field", "variables"), result.get("name", "")
        owner = stem if stem is not None and not problem.template else problem
        if field in ("variables", "constraints"):
            where = template_where(owner, field, name)
        else:
            where = problem.where
        return [ImportProblem(where, field, result["message"])], []
    if problem.answer_type == "quantity" and not problem.units and problem.answer.strip():
        from .importers.calculated import _split_units

        if not _split_units(result["variants"][0]["answer"])[1]:
            return [
                ImportProblem(
                    problem.where, "units", "a quantity needs units, in the answer or the units column"
                )
            ], []
    rows: list[tuple[str, str, str]] = []
    for number, made in enumerate(result["variants"][:PREVIEW_VARIANTS], start=1):
        values = ", ".join(f"{name} = {value}" for name, value in made["values"].items())
        label = f"{problem.key} (variant {number}: {values})"
        if not problem.answer.strip():
            rows.append((label, "", "(no key: the tutor will check answers by substitution)"))
        else:
            rows.append((label, made["answer"], made["latex"] or made["answer"]))
    return [], rows


def moodle_question(problem: Problem) -> list[str]:
    """A randomised problem as a Moodle calculated question (calculatedmulti for a choice), with ten
    dataset items from ten variants that meet the constraints. Raises Untranslatable for a key that
    isn't a formula of the variables (an expression in x, a matrix)."""
    from xml.sax.saxutils import escape

    from .importers import calculated

    template = template_of(problem)
    expressions = calculated.expressions_of(template)
    statement = (
        f"{problem.parent.statement}\n\n{problem.statement}" if problem.parent_id else problem.statement
    )
    samples = template_samples(
        template=template,
        texts={"answer": ""},
        answer_type=problem.answer_type,
        units=problem.units,
        seeds=list(range(1, calculated.ITEMS + 1)),
    )
    if not samples["ok"]:
        raise calculated.Untranslatable(f"a template that can't be sampled ({samples['message']})")
    choice = problem.answer_type == Problem.AnswerType.MULTIPLE_CHOICE
    value, units = problem.answer, problem.units
    if problem.answer_type == "quantity" and not units:
        value, units = calculated._split_units(value)
    formula = "" if choice else calculated.formula_to_moodle(value, expressions)
    kind = "calculatedmulti" if choice else "calculated"
    out = [f'  <question type="{kind}">']
    out.append(f"    <name><text>{escape(problem.title or problem.key)}</text></name>")
    out.append(
        f'    <questiontext format="markdown"><text>{escape(calculated.text_to_moodle(statement, expressions))}</text></questiontext>'
    )
    if problem.solution:
        solution = calculated.text_to_moodle(problem.solution, expressions)
        out.append(
            f'    <generalfeedback format="markdown"><text>{escape(solution)}</text></generalfeedback>'
        )
    out.append(f"    <idnumber>{escape(problem.key)}</idnumber>")
    if choice:
        right = problem.answer.splitlines()
        out.append("    <single>true</single>" if len(right) == 1 else "    <single>false</single>")
        for option in problem.choices:
            fraction = f"{100 / len(right):.5g}" if option in right else "0"
            text = calculated.text_to_moodle(option, expressions)
            out.append(
                f'    <answer fraction="{fraction}" format="plain_text"><text>{escape(text)}</text></answer>'
            )
    else:
        tolerance = problem.tolerance if problem.tolerance is not None else 0.001
        kind_code = "2" if (problem.checker_options or {}).get("tolerance_mode") == "absolute" else "1"
        out.append(f'    <answer fraction="100" format="plain_text"><text>{escape(formula)}</text>')
        out.append(f"      <tolerance>{tolerance:g}</tolerance><tolerancetype>{kind_code}</tolerancetype>")
        out.append(
            "      <correctanswerformat>2</correctanswerformat><correctanswerlength>6</correctanswerlength>"
        )
        out.append("    </answer>")
        if units:
            out.append(
                f"    <units><unit><multiplier>1</multiplier><unit_name>{escape(units)}</unit_name></unit></units>"
            )
    for hint in problem.hints or []:
        out.append(
            f'    <hint format="markdown"><text>{escape(calculated.text_to_moodle(hint, expressions))}</text></hint>'
        )
    out.extend(calculated.tags_xml(template))
    out.extend(calculated.dataset_xml(template, samples["variants"]))
    out.append("  </question>")
    return out


# --- the answer-key audit of a randomised problem -----------------------------------------------

AUDIT_VARIANTS = 5


def _sample_copy(problem: Problem, made: dict[str, Any], stem_statement: str | None = None) -> Problem:
    """A problem as one sample variant reads: a read-only copy, with no template left."""
    copy_ = copy.copy(problem)
    copy_._state = copy.copy(problem._state)
    copy_._state.fields_cache = dict(problem._state.fields_cache)
    copy_.statement, copy_.answer = made["statement"], made["answer"]
    copy_.hints, copy_.solution = list(made["hints"]), made["solution"]
    copy_.choices = list(made["choices"]) if problem.choices else []
    copy_.template = {}
    copy_.save = _read_only  # type: ignore[method-assign]
    if problem.parent_id is not None:
        stem = copy.copy(problem.parent)
        stem.template = {}
        if stem_statement is not None:
            stem.statement = stem_statement
        copy_._state.fields_cache["parent"] = stem
    return copy_


def _flag_ids(problem: Problem) -> list[int]:
    from tutor.tutoring.models import Flag

    return list(Flag.objects.filter(problem=problem).values_list("pk", flat=True))


def _label_flags(problem: Problem, before: list[int], label: str) -> None:
    """The flags one variant's audit raised say which variant it was."""
    from tutor.tutoring.models import Flag

    for flag in Flag.objects.filter(problem=problem).exclude(pk__in=before):
        Flag.objects.filter(pk=flag.pk).update(detail=f"In {label}: {flag.detail}")


async def audit_variants(problem: Problem, audit_one: Any) -> Any:
    """Audit a randomised problem on AUDIT_VARIANTS sample variants (each as the fixed problem it
    is for a student) and sum up which failed. `audit_one` is the audit of one fixed problem
    (tutor.tutoring.audit.audit_problem); its flags get the variant's values in front."""
    from asgiref.sync import sync_to_async

    from tutor.tutoring.audit import ProblemAudit
    from tutor.tutoring.models import AuditOutcome, CachedSolution, Flag

    outcome = AuditOutcome.Outcome
    result = await sync_to_async(_compute)(problem, list(range(AUDIT_VARIANTS)))
    stems: list[str | None] = [None] * AUDIT_VARIANTS
    if result["ok"] and problem.parent_id is not None and problem.parent.template:
        # A part's stem is read with it: the same seeds give the stem the same numbers.
        stem = await sync_to_async(_compute)(problem.parent, list(range(AUDIT_VARIANTS)))
        if stem["ok"]:
            stems = [v["statement"] for v in stem["variants"]]
    if not result["ok"]:
        detail = f"The template can't be worked out: {result['message']}"
        await sync_to_async(Flag.objects.create)(
            kind=Flag.Kind.KEY_UNPARSEABLE, problem=problem, detail=detail
        )
        return ProblemAudit(outcome.UNREADABLE, detail)
    failed: list[str] = []
    unreadable: list[str] = []
    agreed = 0
    answers = []
    for number, made in enumerate(result["variants"], start=1):
        label = f"variant {number} ({', '.join(f'{k} = {v}' for k, v in made['values'].items())})"
        before = await sync_to_async(_flag_ids)(problem)
        one = await audit_one(_sample_copy(problem, made, stems[number - 1]))
        await sync_to_async(_label_flags)(problem, before, label)
        answers.append(one.model_answer)
        if one.outcome == outcome.AGREES:
            agreed += 1
        elif one.outcome == outcome.DISAGREES:
            failed.append(label)
        elif one.outcome == outcome.UNREADABLE:
            unreadable.append(label)
    # A verified solution is for one variant's numbers: two students' keys can match with different
    # numbers (the same determinant), so none is kept for students.
    await sync_to_async(lambda: CachedSolution.objects.filter(problem=problem).delete())()
    total = len(result["variants"])
    if unreadable:
        return ProblemAudit(outcome.UNREADABLE, f"The key couldn't be read in {', '.join(unreadable)}.")
    if failed:
        return ProblemAudit(
            outcome.DISAGREES,
            f"{len(failed)} of {total} sample variants disagree with their key: {'; '.join(failed)}.",
            next((a for a in answers if a), ""),
        )
    if agreed == total:
        return ProblemAudit(outcome.AGREES, f"All {total} sample variants agree with their keys.")
    return ProblemAudit(
        outcome.INCONCLUSIVE,
        f"{agreed} of {total} sample variants agree; the tutor's other answers settle nothing.",
    )


# --- what the teacher sees ------------------------------------------------------------------------


def stored_variants(*, student: User, rows: list[dict[str, Any]]) -> None:
    """Rows of the teacher's page about one student: each randomised problem gets the student's
    stored variant (`variant`, None until their first visit) and `randomised`."""
    problems = [row["problem"] for row in rows]
    found: dict[int, Variant] = {}
    for variant in Variant.objects.filter(user=student, problem__in=problems).order_by("-created_at"):
        found.setdefault(variant.problem_id, variant)
    for row in rows:
        row["randomised"] = bool(template_of(row["problem"]))
        row["variant"] = found.get(row["problem"].pk)


def sample_for_teacher(problem: Problem) -> Problem:
    """The teacher's "preview as a student" of a randomised problem: one sample variant (a
    read-only copy; `sample_numbers` says which), so its key can be tried like a student's."""
    if not template_of(problem):
        return problem
    result = _compute(problem, [1])
    if not result["ok"]:
        return problem
    made = result["variants"][0]
    stem_statement = None
    if problem.parent_id is not None and problem.parent.template:
        stem = _compute(problem.parent, [1])
        stem_statement = stem["variants"][0]["statement"] if stem["ok"] else None
    sample = _sample_copy(problem, made, stem_statement)
    sample.sample_numbers = ", ".join(f"{k} = {v}" for k, v in made["values"].items())  # type: ignore[attr-defined]
    return sample


def diagnose(*, problem: Problem, answer: str, verdict: Any, owner: str | None = None) -> Any:
    """A wrong answer to a randomised problem that matches one of its named mistakes ("forgot the
    ½") for the student's own numbers gets that mistake's words as its reason, so the student is
    told and the teacher's dashboard counts it across variants. Other verdicts are returned as is."""
    import dataclasses

    from inference.checker import check_answer

    variant = getattr(problem, "variant", None)
    if variant is None or verdict.status != "incorrect" or not variant.mistakes:
        return verdict
    for key, says in variant.mistakes:
        same = check_answer(
            gold=key,
            answer=answer,
            answer_type=problem.answer_type,
            tolerance=problem.tolerance,
            units=problem.units or None,
            options=dict(problem.checker_options or {}),
            owner=owner,
        )
        if same.equivalent:
            return dataclasses.replace(verdict, reason=says)
    return verdict


async def adiagnose(**kwargs: Any) -> Any:
    from asgiref.sync import sync_to_async

    return await sync_to_async(diagnose)(**kwargs)


def named_mistakes(problems: list[Problem]) -> dict[tuple[int, str], str]:
    """(problem id, what the mistake says) -> the label the teacher's dashboard groups it under."""
    return {
        (problem.pk, mistake["says"]): mistake["says"]
        for problem in problems
        for mistake in (problem.template or {}).get("mistakes") or []
    }
