"""What a validated launch means here: who the person is, which class the course is, which
assignment the activity is. Called by views.launch after pylti1p3 has checked the id_token."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse

from tutor.classroom.assignments import assignment_create
from tutor.classroom.models import Assignment, Classroom, Enrollment, User
from tutor.classroom.services import classroom_create
from tutor.errors import Forbidden, Invalid
from tutor.problems.models import Problem, ProblemSet

from .models import LtiContext, LtiResourceLink, LtiUser, Platform

logger = logging.getLogger(__name__)

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DEPLOYMENT_ID = CLAIM + "deployment_id"
MESSAGE_TYPE = CLAIM + "message_type"
ROLES = CLAIM + "roles"
CONTEXT = CLAIM + "context"
RESOURCE_LINK = CLAIM + "resource_link"
CUSTOM = CLAIM + "custom"
AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
# Custom parameters our deep-linking responses put on each activity.
CUSTOM_SET = "phi_problem_set"
CUSTOM_PROBLEM = "phi_problem"

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
TEACHER_ROLES = {MEMBERSHIP + "Instructor", MEMBERSHIP + "Administrator", "Instructor", "Administrator"}
LEARNER_ROLES = {MEMBERSHIP + "Learner", "Learner"}


def role_from(roles: object) -> str | None:
    """Context roles only: institution roles (person#Instructor) say nothing about this course.
    Teaching assistants and other sub-roles are not mapped (docs/lti.md, limits)."""
    names = {role for role in roles if isinstance(role, str)} if isinstance(roles, list) else set()
    if names & TEACHER_ROLES:
        return User.Role.TEACHER
    if names & LEARNER_ROLES:
        return User.Role.STUDENT
    return None


def _claim(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name) or {}
    return value if isinstance(value, dict) else {}


def _short(value: object, limit: int = 255) -> str:
    return str(value or "")[:limit]


def user_for_launch(*, platform: Platform, data: dict[str, Any], role: str) -> User:
    """The account linked to (issuer, sub); made on first launch with the launch's role."""
    sub = _short(data.get("sub"))
    if not sub:
        raise Invalid("Your LMS didn't say who you are (an anonymous launch). Ask your teacher.")
    link = LtiUser.objects.filter(issuer=platform.issuer, sub=sub).select_related("user").first()
    if link is not None:
        user = link.user
        if role == User.Role.TEACHER and user.role == User.Role.STUDENT and user.username.startswith("lti-"):
            # The LMS made them an instructor since (a student teacher): they act as one here too.
            user.role = User.Role.TEACHER
            user.teacher_approved = True
            user.save(update_fields=["role", "teacher_approved"])
        return user
    digest = hashlib.sha256(f"{platform.issuer}\n{sub}".encode()).hexdigest()[:20]
    with transaction.atomic():
        user, _ = User.objects.get_or_create(
            username=f"lti-{digest}",
            defaults={
                "first_name": _short(data.get("given_name") or data.get("name"), 150),
                "last_name": _short(data.get("family_name"), 150),
                "email": _short(data.get("email"), 254),
                "role": role,
                # The platform was registered by our admin; its instructors are teachers.
                "teacher_approved": True,
            },
        )
        if user.has_usable_password():
            user.set_unusable_password()
            user.save(update_fields=["password"])
        try:
            with transaction.atomic():
                LtiUser.objects.create(issuer=platform.issuer, sub=sub, user=user, platform=platform)
        except IntegrityError:
            pass  # a parallel first launch linked them already
    return user


def classroom_for_launch(*, platform: Platform, data: dict[str, Any], user: User, role: str) -> LtiContext:
    """The class this course became. An instructor's first launch makes it, with them as its
    teacher; a student's launch enrols them (a course nobody taught here yet is refused)."""
    context = _claim(data, CONTEXT)
    context_id = _short(context.get("id"))
    if not context_id:
        raise Invalid("This LMS link isn't inside a course, so there is no class to open.")
    title = _short(context.get("title") or context.get("label") or "LMS course", 120)
    lti_context = (
        LtiContext.objects.filter(platform=platform, context_id=context_id)
        .select_related("classroom")
        .first()
    )
    if lti_context is None:
        if role != User.Role.TEACHER:
            raise Forbidden(
                "Your teacher hasn't opened this activity on Phi Tutor yet. "
                "Ask them to open it once from the course, then try again."
            )
        with transaction.atomic():
            classroom = classroom_create(teacher=user, name=title)
            lti_context = LtiContext.objects.create(
                platform=platform,
                deployment_id=_short(data.get(DEPLOYMENT_ID)),
                context_id=context_id,
                title=title,
                classroom=classroom,
            )
    ags = _claim(data, AGS_ENDPOINT)
    nrps = _claim(data, NRPS)
    changed = {
        "title": title,
        "lineitems_url": _short(ags.get("lineitems"), 500),
        "memberships_url": _short(nrps.get("context_memberships_url"), 500),
    }
    changed = {k: v for k, v in changed.items() if v and getattr(lti_context, k) != v}
    if changed:
        LtiContext.objects.filter(pk=lti_context.pk).update(**changed)
        for k, v in changed.items():
            setattr(lti_context, k, v)
    if role == User.Role.STUDENT:
        Enrollment.objects.get_or_create(classroom=lti_context.classroom, student=user)
    return lti_context


def assignment_for(*, classroom: Classroom, problem_set: ProblemSet) -> Assignment:
    existing = Assignment.objects.filter(classroom=classroom, problem_set=problem_set).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return assignment_create(teacher=classroom.teacher, classroom=classroom, problem_set=problem_set)
    except IntegrityError:
        return Assignment.objects.get(classroom=classroom, problem_set=problem_set)


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def link_for_launch(*, lti_context: LtiContext, data: dict[str, Any]) -> LtiResourceLink:
    """The activity: which problem set (or problem) its custom parameters name, assigned to the class."""
    resource = _claim(data, RESOURCE_LINK)
    link_id = _short(resource.get("id"))
    if not link_id:
        raise Invalid("This LMS link has no activity id. Ask your teacher to add the activity again.")
    link, _ = LtiResourceLink.objects.get_or_create(context=lti_context, resource_link_id=link_id)
    classroom = lti_context.classroom
    custom = _claim(data, CUSTOM)
    changes: dict[str, object] = {}
    problem_id, set_id = _int(custom.get(CUSTOM_PROBLEM)), _int(custom.get(CUSTOM_SET))
    if problem_id is not None:
        problem = Problem.objects.filter(pk=problem_id, problem_set__owner=classroom.teacher_id).first()
        if problem is None:
            raise Forbidden("This activity points to a problem this class's teacher doesn't have.")
        changes["problem"] = problem
        changes["assignment"] = assignment_for(classroom=classroom, problem_set=problem.problem_set)
    elif set_id is not None:
        problem_set = ProblemSet.objects.filter(pk=set_id, owner=classroom.teacher_id).first()
        if problem_set is None:
            raise Forbidden("This activity points to a problem set this class's teacher doesn't have.")
        changes["problem"] = None
        changes["assignment"] = assignment_for(classroom=classroom, problem_set=problem_set)
    ags = _claim(data, AGS_ENDPOINT)
    if ags.get("lineitem"):
        changes["lineitem_url"] = _short(ags["lineitem"], 500)
    if resource.get("title"):
        changes["title"] = _short(resource["title"])
    changes = {k: v for k, v in changes.items() if getattr(link, k) != v}
    if changes:
        for k, v in changes.items():
            setattr(link, k, v)
        link.save(update_fields=list(changes))
    return link


def landing_url(link: LtiResourceLink) -> str:
    if link.problem_id is not None:
        return reverse("problem_detail", args=[link.problem_id])
    if link.assignment is not None:
        return reverse("problem_set_detail", args=[link.assignment.problem_set_id])
    return reverse("home")


@dataclass(frozen=True)
class Launched:
    user: User
    role: str
    context: LtiContext
    link: LtiResourceLink | None
    next_url: str
