"""One answer-type list: what a teacher may choose is what the checker and the importers accept."""

from __future__ import annotations

import pytest

from inference.checker import ANSWER_TYPES


@pytest.mark.django_db
def test_the_problem_model_offers_exactly_the_checkers_answer_types() -> None:
    from tutor.problems.models import Problem

    assert set(Problem.AnswerType.values) == set(ANSWER_TYPES)


def test_the_importers_validate_against_the_same_list() -> None:
    from tutor.problems.importers import readers

    assert readers.ANSWER_TYPES is ANSWER_TYPES
