"""Two students, one randomised problem: each sees their own numbers on the page, is graded right
on their own variant and wrong with the other's answer (through the real answer endpoint), and
keeps the same numbers after logging in again. The teacher can reseed one student, or give
everyone the same numbers."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests import factories
from tests.clients import client_for
from tests.conftest import Personas
from tutor.classroom.models import User
from tutor.problems import variants
from tutor.problems.models import Problem, Variant
from tutor.tutoring.models import Attempt

pytestmark = pytest.mark.django_db

STATEMENT = "A rectangle is {w} cm wide and {h} cm high. What is its area in cm^2?"


def randomised(personas: Personas, **template: object) -> Problem:
    return factories.make_problem(
        problem_set=personas.problem_set,
        key="area",
        statement=STATEMENT,
        answer="{w}*{h}",
        hints=["Multiply {w} by {h}."],
        solution="The area is {w} × {h} = {=w*h} cm^2.",
        template={"variables": {"w": {"range": [11, 999]}, "h": {"range": [11, 999]}}, **template},
    )


def numbers_on_page(user: User, problem: Problem) -> tuple[int, int]:
    response = client_for(user).get(reverse("problem_detail", args=[problem.pk]))
    assert response.status_code == 200
    text = response.content.decode()
    assert "{w}" not in text, "a student never sees the template"
    found = re.search(r"A rectangle is (\d+) cm wide and (\d+) cm high", text)
    assert found, text
    return int(found.group(1)), int(found.group(2))


def answer(user: User, problem: Problem, text: str) -> dict:
    response = client_for(user).post(reverse("answer_submit", args=[problem.pk]), {"answer": text})
    assert response.status_code == 200, response.content
    return response.json()


def test_two_students_get_their_own_numbers_and_are_graded_on_them(personas: Personas) -> None:
    problem = randomised(personas)
    ada = numbers_on_page(personas.student, problem)
    ben = numbers_on_page(personas.classmate, problem)
    assert ada != ben, "two students, two variants"

    ada_key, ben_key = str(ada[0] * ada[1]), str(ben[0] * ben[1])
    assert answer(personas.student, problem, ben_key)["correct"] is False, "the classmate's answer is wrong"
    assert answer(personas.student, problem, ada_key)["correct"] is True
    assert answer(personas.classmate, problem, ada_key)["correct"] is False
    assert answer(personas.classmate, problem, ben_key)["correct"] is True
    # The attempts are stored against the problem itself; the template is untouched.
    assert Attempt.objects.filter(problem=problem, correct=True).count() == 2
    problem.refresh_from_db()
    assert problem.statement == STATEMENT and problem.answer == "{w}*{h}"


def test_the_same_student_keeps_the_same_numbers_after_logging_in_again(personas: Personas) -> None:
    problem = randomised(personas)
    first = numbers_on_page(personas.student, problem)
    # client_for makes a new browser and a new login each time.
    assert numbers_on_page(personas.student, problem) == first
    assert Variant.objects.filter(problem=problem, user=personas.student).count() == 1
    variant = Variant.objects.get(problem=problem, user=personas.student)
    assert variant.values == [["h", str(first[1])], ["w", str(first[0])]], "in a fixed order"
    assert variant.answer == str(first[0] * first[1])
    assert variant.assignment == personas.assignment
    assert variant.hints == [f"Multiply {first[0]} by {first[1]}."]


def test_the_worked_solution_and_hints_carry_the_students_numbers(personas: Personas) -> None:
    problem = randomised(personas)
    personal = variants.resolve(problem=problem, user=personas.student)
    w, h = int(personal.variant.value_of["w"]), int(personal.variant.value_of["h"])
    assert personal.solution == f"The area is {w} × {h} = {w * h} cm^2."
    with pytest.raises(RuntimeError):
        personal.save()  # the copy can never overwrite the template


def test_a_teacher_sees_the_template_not_a_variant(personas: Personas) -> None:
    problem = randomised(personas)
    response = client_for(personas.teacher).get(reverse("problem_detail", args=[problem.pk]))
    assert "{w}" in response.content.decode()
    assert not Variant.objects.filter(user=personas.teacher).exists()


def test_same_for_everyone_gives_every_student_the_same_numbers(personas: Personas) -> None:
    problem = randomised(personas, same_for_everyone=True)
    assert numbers_on_page(personas.student, problem) == numbers_on_page(personas.classmate, problem)


def test_a_reseeded_student_gets_new_numbers_and_is_graded_on_them(personas: Personas) -> None:
    problem = randomised(personas)
    before = numbers_on_page(personas.student, problem)
    classmate = numbers_on_page(personas.classmate, problem)
    variants.variant_reseed(teacher=personas.teacher, problem=problem, student=personas.student)
    after = numbers_on_page(personas.student, problem)
    assert after != before
    assert numbers_on_page(personas.classmate, problem) == classmate, "only that student is reseeded"
    assert answer(personas.student, problem, str(before[0] * before[1]))["correct"] is False
    assert answer(personas.student, problem, str(after[0] * after[1]))["correct"] is True


def test_only_the_sets_owner_may_reseed(personas: Personas) -> None:
    from tutor.errors import Forbidden

    problem = randomised(personas)
    with pytest.raises(Forbidden):
        variants.variant_reseed(teacher=personas.other_teacher, problem=problem, student=personas.student)


def test_a_changed_template_gives_new_variants(personas: Personas) -> None:
    problem = randomised(personas)
    numbers_on_page(personas.student, problem)
    problem.template = {"variables": {"w": {"list": [5]}, "h": {"list": [7]}}}
    problem.save()
    assert numbers_on_page(personas.student, problem) == (5, 7)
    assert answer(personas.student, problem, "35")["correct"] is True


def test_the_teacher_sees_a_students_numbers_and_can_give_them_new_ones(personas: Personas) -> None:
    problem = randomised(personas)
    page_url = reverse("student_detail", args=[personas.classroom.pk, personas.student.pk])
    teacher = client_for(personas.teacher)
    assert "Their numbers are drawn when they first open it." in teacher.get(page_url).content.decode()
    w, h = numbers_on_page(personas.student, problem)
    page = teacher.get(page_url).content.decode()
    assert f"Their numbers: h = {h}, w = {w}; their key: <code>{w * h}</code>" in page, page[
        page.find("variant-numbers") - 200 :
    ][:900]

    reseed = reverse("variant_reseed", args=[personas.classroom.pk, personas.student.pk, problem.pk])
    response = teacher.post(reseed, follow=True)
    assert "has new numbers for" in response.content.decode()
    assert numbers_on_page(personas.student, problem) != (w, h)
    # Another teacher can't, and nor can the student.
    assert client_for(personas.other_teacher).post(reseed).status_code in (403, 404)
    assert client_for(personas.student).post(reseed).status_code in (403, 404)


def test_the_teachers_preview_shows_one_sample_and_checks_against_its_key(personas: Personas) -> None:
    problem = randomised(personas)
    teacher = client_for(personas.teacher)
    url = reverse("problem_teacher_view", args=[problem.pk])
    html = teacher.get(url).content.decode()
    found = re.search(r"This is one sample \(h = (\d+), w = (\d+)\)", html)
    assert found, html
    h, w = int(found.group(1)), int(found.group(2))
    assert f"A rectangle is {w} cm wide and {h} cm high" in html and "{w}" not in html
    assert "<strong>Correct</strong>" in teacher.post(url, {"answer": str(w * h)}).content.decode()
    assert "<strong>Not right</strong>" in teacher.post(url, {"answer": str(w * h + 1)}).content.decode()
    assert not Variant.objects.exists(), "a preview stores nothing"


def test_a_named_mistake_is_told_to_the_student_and_counted_across_variants(personas: Personas) -> None:
    problem = randomised(
        personas,
        mistakes=[{"answer": "2*({w}+{h})", "says": "That's the perimeter: the area is width times height."}],
    )
    wrong = []
    for student in (personas.student, personas.classmate):
        w, h = numbers_on_page(student, problem)
        result = answer(student, problem, str(2 * (w + h)))
        assert result["correct"] is False
        assert result["reason"] == "That's the perimeter: the area is width times height."
        wrong.append(str(2 * (w + h)))
    # Another wrong answer is just wrong.
    assert (
        answer(personas.student, problem, "1")["reason"]
        != "That's the perimeter: the area is width times height."
    )
    dashboard = client_for(personas.teacher).get(reverse("class_dashboard", args=[personas.classroom.pk]))
    text = re.sub(r"\s+", " ", dashboard.content.decode())
    assert '<strong>2×</strong> <code class="reading">That&#x27;s the perimeter' in text, (
        "two variants, one mistake"
    )


def test_one_stored_variant_per_student_with_or_without_an_assignment(personas: Personas) -> None:
    from django.db import IntegrityError, transaction

    problem = randomised(personas)
    first = variants.variant_for(problem=problem, user=personas.student, assignment=None)
    assert first is not None and first.assignment is None
    assert variants.variant_for(problem=problem, user=personas.student, assignment=None).pk == first.pk
    fields = {"seed": 1, "statement": "x", "template_hash": "h", "values": []}
    with pytest.raises(IntegrityError), transaction.atomic():
        Variant.objects.create(problem=problem, user=personas.student, assignment=None, **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Variant.objects.create(
            problem=problem, user=personas.student, assignment=personas.assignment, **fields
        )
        Variant.objects.create(
            problem=problem, user=personas.student, assignment=personas.assignment, **fields
        )


def test_numbers_that_cant_be_worked_out_are_said_to_the_student_and_flagged_for_the_teacher(
    personas: Personas,
) -> None:
    from tutor.tutoring.models import Flag

    # Saved past the upload check (say, edited in the admin): no values meet the constraint.
    problem = randomised(personas, constraints=["w > 5000"])
    response = client_for(personas.student).get(reverse("problem_detail", args=[problem.pk]))
    assert response.status_code == 400
    assert "numbers couldn&#x27;t be worked out" in response.content.decode()
    client_for(personas.student).get(reverse("problem_detail", args=[problem.pk]))  # a reload
    flag = Flag.objects.get(problem=problem)  # one flag, however often the page is reloaded
    assert flag.detail.startswith("Ada's numbers couldn't be worked out: no values met the constraints")
    assert not Variant.objects.exists()


def test_an_assignment_can_give_the_whole_class_the_same_numbers(personas: Personas) -> None:
    problem = randomised(personas)
    assert numbers_on_page(personas.student, problem) != numbers_on_page(personas.classmate, problem)
    # The teacher ticks "Same numbers for everyone" on the assignment form.
    form = client_for(personas.teacher).get(reverse("assignment_edit", args=[personas.assignment.pk]))
    assert "Same numbers for everyone" in form.content.decode()
    personas.assignment.same_numbers = True
    personas.assignment.save()
    ada, ben = numbers_on_page(personas.student, problem), numbers_on_page(personas.classmate, problem)
    assert ada == ben, "the stored variants follow the assignment's setting"
    assert answer(personas.classmate, problem, str(ada[0] * ada[1]))["correct"] is True
