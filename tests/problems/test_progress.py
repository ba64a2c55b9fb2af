"""A student's progress, as the pages show it: "1 of 3 solved" on the home page and the set page, a
tick with the word "Solved" beside each solved problem, the solved state and "Next problem" on the
problem page; after the due date an answer counts as late, the page says so, and the teacher's
grades CSV has a late column."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.clients import client_for
from tests.conftest import Personas
from tutor.problems.models import Problem
from tutor.tutoring.models import Attempt

pytestmark = pytest.mark.django_db


def answer(personas: Personas, problem: Problem, text: str) -> dict:
    response = client_for(personas.student).post(
        reverse("answer_submit", args=[problem.pk]), {"answer": text}
    )
    assert response.status_code == 200, response.content
    return response.json()


def problems(personas: Personas) -> list[Problem]:
    return list(personas.problem_set.problems.order_by("position"))


def page(personas: Personas, name: str, *args: int) -> str:
    response = client_for(personas.student).get(reverse(name, args=args))
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.content.decode())


def test_a_new_student_sees_none_solved_and_no_ticks(personas: Personas) -> None:
    assert "0 of 3 solved" in page(personas, "home")
    set_page = page(personas, "problem_set_detail", personas.problem_set.pk)
    assert "0 of 3 solved" in set_page
    assert "✓" not in set_page and "Solved<" not in set_page


def test_a_correct_answer_counts_on_home_set_and_problem_pages(personas: Personas) -> None:
    first, second, _third = problems(personas)
    assert answer(personas, first, "5")["correct"] is False
    assert "0 of 3 solved" in page(personas, "home"), "a wrong answer solves nothing"

    result = answer(personas, first, "2")
    assert result["correct"] is True

    assert "1 of 3 solved" in page(personas, "home")
    set_page = page(personas, "problem_set_detail", personas.problem_set.pk)
    assert "1 of 3 solved" in set_page
    rows = re.findall(r"<li[^>]*>.*?</li>", set_page.split('class="problem-list"')[1])
    assert ["Solved" in row for row in rows] == [True, False, False], "the tick is said in words too"
    assert '<span aria-hidden="true">✓</span> Solved' in rows[0]

    solved_page = page(personas, "problem_detail", first.pk)
    assert re.search(r'<p class="solved-state" id="solved-state">', solved_page), "shown, not hidden"
    assert '<span id="set-solved">1</span> of 3 solved in this set' in solved_page
    next_link = re.search(
        r'<a class="button primary next-problem" id="next-problem" href="([^"]+)"\s*>', solved_page
    )
    assert next_link and next_link.group(1) == reverse("problem_detail", args=[second.pk])

    unsolved_page = page(personas, "problem_detail", second.pk)
    assert re.search(r'id="solved-state" hidden', unsolved_page)
    assert re.search(r'id="next-problem" href="[^"]+" hidden', unsolved_page), "appears after a right answer"


def test_another_students_answers_are_not_my_progress(personas: Personas) -> None:
    first = problems(personas)[0]
    Attempt.objects.create(
        student=personas.classmate, problem=first, answer="2", correct=True, status="correct"
    )
    assert "0 of 3 solved" in page(personas, "home")
    assert "Solved<" not in page(personas, "problem_set_detail", personas.problem_set.pk)


def test_after_the_due_date_answers_count_as_late_and_the_page_says_so(personas: Personas) -> None:
    first = problems(personas)[0]
    personas.assignment.due_at = timezone.now() + timedelta(days=1)
    personas.assignment.save()
    problem_page = page(personas, "problem_detail", first.pk)
    assert "Due " in problem_page and "count as late" not in problem_page
    answer(personas, first, "7")
    assert Attempt.objects.get(student=personas.student).late is False

    personas.assignment.due_at = timezone.now() - timedelta(minutes=1)
    personas.assignment.save()
    problem_page = page(personas, "problem_detail", first.pk)
    assert re.search(r"Due [^<]+ — answers now count as late", problem_page)
    answer(personas, first, "2")
    latest = Attempt.objects.filter(student=personas.student).order_by("-pk").first()
    assert (latest.correct, latest.late) == (True, True)
    assert '<span class="badge badge-late">late</span>' in page(personas, "problem_detail", first.pk)


def test_the_grades_csv_counts_problems_solved_only_after_the_due_date(personas: Personas) -> None:
    first, second, _third = problems(personas)
    answer(personas, first, "2")  # on time (no due date yet)
    personas.assignment.due_at = timezone.now() - timedelta(minutes=1)
    personas.assignment.save()
    answer(personas, second, "2")  # late
    answer(personas, first, "2")  # late again, but it was already solved on time

    response = client_for(personas.teacher).get(reverse("grades_csv", args=[personas.classroom.pk]))
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    ada = next(row for row in rows if row["username"] == personas.student.username)
    ben = next(row for row in rows if row["username"] == personas.classmate.username)
    assert (ada["solved"], ada["late"]) == ("2", "1")
    assert (ben["solved"], ben["late"]) == ("0", "0")
