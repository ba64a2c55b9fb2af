"""Roster sync through LTI Names and Role Provisioning Services: the course's learners become the
class's students before they ever open an activity (and leave it when the LMS says they left)."""

from __future__ import annotations

import logging

import requests
from django.db import transaction
from django.utils import timezone
from pylti1p3.exception import LtiException
from pylti1p3.service_connector import ServiceConnector

from tutor.classroom.models import Enrollment, User

from .conf import http_session, registration_for
from .launch import role_from, user_for_launch
from .models import LtiContext, LtiUser

logger = logging.getLogger(__name__)

NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
NRPS_MEDIA = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
# A course of 50 000 people at the usual 100 or so a page; past it, the rest waits for the next sync.
MAX_PAGES = 500


def roster_sync(*, context_id: int) -> dict[str, int]:
    """Enrol every active learner the LMS lists; take out those it lists as inactive or deleted.
    LMS errors are recorded on the course (shown on the LMS page) rather than raised."""
    context = LtiContext.objects.select_related("platform", "classroom").get(pk=context_id)
    if not context.memberships_url:
        LtiContext.objects.filter(pk=context.pk).update(
            roster_error="The LMS didn't offer its roster (Names and Role Provisioning) to this tool."
        )
        return {"added": 0, "removed": 0}
    connector = ServiceConnector(registration_for(context.platform), requests_session=http_session())
    members: list[dict] = []
    url: str | None = context.memberships_url
    try:
        for _ in range(MAX_PAGES):
            if not url:
                break
            page = connector.make_service_request([NRPS_SCOPE], url, accept=NRPS_MEDIA)
            body = page["body"] if isinstance(page["body"], dict) else {}
            listed = body.get("members")
            members.extend(m for m in (listed if isinstance(listed, list) else []) if isinstance(m, dict))
            url = page["next_page_url"]
    except (LtiException, requests.RequestException, ValueError) as e:
        logger.warning("LTI roster of context %s not read: %s", context.pk, e)
        LtiContext.objects.filter(pk=context.pk).update(
            roster_error=f"Couldn't read the roster: {str(e)[:500]}"
        )
        return {"added": 0, "removed": 0}
    added = removed = 0
    with transaction.atomic():
        for member in members:
            if role_from(member.get("roles")) != User.Role.STUDENT or not member.get("user_id"):
                continue
            status = member.get("status", "Active")
            claims = {
                "sub": member["user_id"],
                "given_name": member.get("given_name") or member.get("name"),
                "family_name": member.get("family_name"),
                "email": member.get("email"),
            }
            if status == "Active":
                user = user_for_launch(platform=context.platform, data=claims, role=User.Role.STUDENT)
                if user.is_student:
                    _, created = Enrollment.objects.get_or_create(classroom=context.classroom, student=user)
                    added += created
            else:
                link = LtiUser.objects.filter(
                    issuer=context.platform.issuer, sub=str(member["user_id"])[:255]
                ).first()
                if link is not None:
                    removed += Enrollment.objects.filter(
                        classroom=context.classroom, student=link.user
                    ).delete()[0]
        LtiContext.objects.filter(pk=context.pk).update(roster_synced_at=timezone.now(), roster_error="")
    return {"added": added, "removed": removed}
