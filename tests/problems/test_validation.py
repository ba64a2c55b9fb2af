"""Everything is checked before anything is saved; errors name the file, line and field."""

from __future__ import annotations

import pytest
from django.db import IntegrityError

from tests.conftest import Personas
from tests.problems.helpers import DATA, load
from tutor.problems.models import Problem, ProblemSet

pytestmark = pytest.mark.django_db


def test_three_bad_rows_are_all_reported_with_their_lines_and_nothing_is_saved(personas: Personas) -> None:
    problems_before, sets_before = Problem.objects.count(), ProblemSet.objects.count()
    result = load(personas, "bad_rows.csv")
    assert not result.ok and result.problem_set is None
    messages = [str(e) for e in result.errors]
    assert len(messages) == 3, messages
    assert any(m.startswith("bad_rows.csv, line 3, answer:") and "'3 +'" in m for m in messages)
    assert any(m.startswith("bad_rows.csv, line 5, tolerance:") and "'lots'" in m for m in messages)
    assert any(m.startswith("bad_rows.csv, line 6, answer_type:") and "banana" in m for m in messages)
    assert (Problem.objects.count(), ProblemSet.objects.count()) == (problems_before, sets_before)


def test_yaml_errors_name_their_lines_and_fields(personas: Personas) -> None:
    result = load(personas, "bad.yaml")
    messages = sorted(str(e) for e in result.errors)
    assert messages == [
        "bad.yaml, line 12, tolerance: 'a bit' is not a number",
        "bad.yaml, line 7, statement: is empty",
        "bad.yaml, line 9, key: 'fine' is used twice (also at bad.yaml, line 4)",
    ]
    assert not ProblemSet.objects.filter(key="broken").exists()


def test_a_yaml_syntax_error_names_its_line(personas: Personas) -> None:
    result = load(personas, "oops.yaml", b"title: x\nproblems:\n  - statement: a\n    answer: [1, 2\n")
    assert [str(e).split(":")[0] for e in result.errors] == ["oops.yaml, line 5"]
    assert "not valid YAML" in str(result.errors[0])


def test_choice_answers_field_lengths_and_unreadable_keys(personas: Personas) -> None:
    data = (
        "key,statement,answer,answer_type,choices,units\n"
        "c1,Pick one.,maybe,choice,yes | no,\n"
        f"u1,How far?,3,quantity,,{'m' * 61}\n"
        f"{'k' * 81},Too long a key.,1,number,,\n"
        "e1,Differentiate x^2.,2x +* 3,expression,,\n"
    ).encode()
    messages = [str(e) for e in load(personas, "lengths.csv", data).errors]
    assert "lengths.csv, line 2, answer: 'maybe' isn't one of the choices" in messages
    assert "lengths.csv, line 3, units: is 61 characters long; the limit is 60" in messages
    assert any(m.startswith("lengths.csv, line 4, key:") for m in messages)
    assert any(m.startswith("lengths.csv, line 5, answer: '2x +* 3' couldn't be read") for m in messages)
    assert len(messages) == 4, messages


def test_reupload_updates_instead_of_duplicating(personas: Personas) -> None:
    first = load(personas, "algebra.csv")
    lin1 = first.problem_set.problems.get(key="lin1")
    changed = (
        (DATA / "algebra.csv")
        .read_text()
        .replace("Solve $3x + 7 = 22$.", "Solve $3x + 7 = 25$.")
        .replace(",5,number", ",6,number")
    )
    second = load(personas, "algebra.csv", changed.encode())
    assert second.ok and second.problem_set.pk == first.problem_set.pk
    assert (second.created, second.updated) == (0, 4)
    assert ProblemSet.objects.filter(owner=personas.teacher, key="algebra").count() == 1
    updated = second.problem_set.problems.get(key="lin1")
    assert (updated.pk, updated.answer, updated.statement) == (lin1.pk, "6", "Solve $3x + 7 = 25$.")


def test_reupload_with_fewer_problems_keeps_the_others_at_the_end(personas: Personas) -> None:
    load(personas, "algebra.csv")
    lines = (DATA / "algebra.csv").read_text().splitlines()
    result = load(personas, "algebra.csv", "\n".join([lines[0], lines[4], lines[1]]).encode())
    assert result.ok
    assert [p.key for p in result.problem_set.problems.order_by("position")] == ["set1", "lin1", "frac", "g"]
    assert any("frac, g" in w for w in result.warnings)


def test_the_same_key_for_another_teacher_is_another_set(personas: Personas) -> None:
    load(personas, "algebra.csv")
    from tutor.problems.services import problem_set_import

    other = problem_set_import(
        owner=personas.other_teacher, filename="algebra.csv", data=(DATA / "algebra.csv").read_bytes()
    )
    assert other.ok and other.problem_set.owner == personas.other_teacher
    assert ProblemSet.objects.filter(key="algebra").count() == 2


def test_dry_run_checks_and_saves_nothing(personas: Personas) -> None:
    result = load(personas, "kinematics.yaml", dry_run=True)
    assert result.ok and result.problem_set is None and len(result.read_as) == 4
    assert not ProblemSet.objects.filter(key="kinematics-1").exists()


def test_a_failure_while_saving_rolls_everything_back(personas: Personas, monkeypatch) -> None:
    calls = {"n": 0}
    original = Problem.objects.create

    def flaky_create(**fields: object) -> Problem:
        calls["n"] += 1
        if calls["n"] == 3:
            raise IntegrityError("disk on fire")
        return original(**fields)

    monkeypatch.setattr(Problem.objects, "create", flaky_create)
    with pytest.raises(IntegrityError):
        load(personas, "algebra.csv")
    assert not ProblemSet.objects.filter(key="algebra").exists()
    assert not Problem.objects.filter(key="lin1", problem_set__owner=personas.teacher).exists()


def test_students_cannot_import(personas: Personas) -> None:
    from tutor.errors import Forbidden
    from tutor.problems.services import problem_set_import

    with pytest.raises(Forbidden):
        problem_set_import(owner=personas.student, filename="a.csv", data=b"statement\nx\n")
