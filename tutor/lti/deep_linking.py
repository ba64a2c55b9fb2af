"""LTI Deep Linking: a teacher picks one of their problem sets (or one problem) in the LMS, and a
signed content item goes back to the LMS, which makes it an activity with a grade column."""

from __future__ import annotations

from typing import Any

from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem

from tutor.classroom.models import User
from tutor.errors import Forbidden, Invalid
from tutor.problems.models import Problem, ProblemSet

from .conf import registration_for
from .launch import CUSTOM_PROBLEM, CUSTOM_SET
from .models import Platform

DEEP_LINKING_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"


def choices_for(*, teacher: User) -> list[ProblemSet]:
    return list(ProblemSet.objects.filter(owner=teacher).prefetch_related("problems").order_by("title", "pk"))


def content_item_for(*, teacher: User, choice: str, launch_url: str) -> DeepLinkResource:
    """`choice` is "set:<id>" or "problem:<id>", from the picker's form."""
    kind, _, raw_id = choice.partition(":")
    if kind not in ("set", "problem") or not raw_id.isdigit():
        raise Invalid("Pick a problem set or a problem.")
    if kind == "set":
        problem_set = ProblemSet.objects.filter(pk=int(raw_id), owner=teacher).first()
        if problem_set is None:
            raise Forbidden("You can only add your own problem sets.")
        title = problem_set.title
        maximum = max(problem_set.problems.filter(parent__isnull=True).count(), 1)
        custom = {CUSTOM_SET: str(problem_set.pk)}
    else:
        problem = (
            Problem.objects.filter(pk=int(raw_id), problem_set__owner=teacher, parent__isnull=True)
            .select_related("problem_set")
            .first()
        )
        if problem is None:
            raise Forbidden("You can only add problems from your own problem sets.")
        title = f"{problem.problem_set.title}: {problem.title or problem.key}"
        maximum = 1
        custom = {CUSTOM_PROBLEM: str(problem.pk)}
    return (
        DeepLinkResource()
        .set_url(launch_url)
        .set_title(title[:255])
        .set_custom_params(custom)
        .set_lineitem(LineItem().set_score_maximum(maximum).set_label(title[:255]))
    )


def response_jwt(
    *, platform: Platform, deployment_id: str, settings: dict[str, Any], item: DeepLinkResource
) -> str:
    return DeepLink(registration_for(platform), deployment_id, settings).get_response_jwt([item])  # type: ignore[arg-type]
