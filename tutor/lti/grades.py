"""Grade passback (LTI Assignment and Grade Services) through an outbox.

A graded attempt marks the student's row for each LMS activity it counts towards (one row per
activity and student: `ScoreSend`), after the attempt's transaction commits. A task sends the
score as it stands at send time (solved problems of the activity, late ones counted and named in
the comment), so a retry never sends a stale one and nothing depends on the order of sends. A
failed send keeps its row, is tried again with back-off, and is listed for the teacher at
/lti/grades/; a send that a newer attempt overtook leaves the row waiting for the next one.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.lineitem import LineItem
from pylti1p3.service_connector import ServiceConnector

from tutor.classroom.models import Enrollment, User
from tutor.classroom.selectors import solved_problem_ids
from tutor.problems.models import Problem
from tutor.tutoring.models import Attempt

from .conf import http_session, registration_for
from .models import LtiResourceLink, LtiUser, ScoreSend

logger = logging.getLogger(__name__)

SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
# After this many failed tries (about two days with the back-off below) a row stops retrying on
# its own and says so; the teacher's "send again" starts it over.
MAX_TRIES = 16
PERMANENT_STATUSES = {400, 403, 404, 405, 410, 422}


def retry_delay(tries: int) -> timedelta:
    base = settings.TUTOR_LTI_SCORE_RETRY_SECONDS
    return timedelta(seconds=min(base * 2 ** min(max(tries - 1, 0), 20), 6 * 3600))


def links_for_attempt(attempt: Attempt) -> list[LtiResourceLink]:
    """LMS activities this attempt counts towards: its problem's own activity, or its problem
    set's, in classes the student is in."""
    classes = Enrollment.objects.filter(student_id=attempt.student_id).values("classroom_id")
    problem = Problem.objects.only("problem_set_id", "parent_id").get(pk=attempt.problem_id)
    problem_ids = [attempt.problem_id] + ([problem.parent_id] if problem.parent_id else [])
    return list(
        LtiResourceLink.objects.filter(context__classroom_id__in=classes).filter(
            Q(problem_id__in=problem_ids)
            | Q(problem__isnull=True, assignment__problem_set_id=problem.problem_set_id)
        )
    )


def score_mark(*, attempt: Attempt) -> list[int]:
    """Mark the attempt's activities for sending; returns the rows to send."""
    rows: list[int] = []
    if not LtiUser.objects.filter(user_id=attempt.student_id).exists():
        return rows  # most students never came from an LMS: one query, then nothing
    for link in links_for_attempt(attempt):
        lti_user = LtiUser.objects.filter(
            user_id=attempt.student_id, issuer=link.context.platform.issuer
        ).first()
        if lti_user is None:
            continue  # a student of the class who never came from this LMS: nobody to send to
        row, created = ScoreSend.objects.get_or_create(
            link=link, student_id=attempt.student_id, defaults={"lti_user": lti_user}
        )
        if not created:
            ScoreSend.objects.filter(pk=row.pk).update(
                status=ScoreSend.Status.PENDING, version=F("version") + 1, tries=0, next_try_at=None
            )
        rows.append(row.pk)
    return rows


def score_for(*, link: LtiResourceLink, student: User) -> tuple[float, float, int]:
    """(solved, out of, how many of the solved were solved only after the due date)."""
    if link.problem is not None:
        problems = [link.problem.pk]
        set_id = link.problem.problem_set_id
    elif link.assignment is not None:
        set_id = link.assignment.problem_set_id
        problems = list(
            Problem.objects.filter(problem_set_id=set_id, parent__isnull=True).values_list("pk", flat=True)
        )
    else:
        return 0.0, 1.0, 0
    solved = solved_problem_ids(student=student, problem_set_ids=[set_id]) & set(problems)
    on_time = set(
        Attempt.objects.filter(
            student=student, correct=True, late=False, problem__problem_set_id=set_id
        ).values_list("problem_id", flat=True)
    )
    parts: dict[int, list[int]] = {}
    for stem_id, part_id in Problem.objects.filter(parent_id__in=solved).values_list("parent_id", "pk"):
        parts.setdefault(stem_id, []).append(part_id)
    late = sum(1 for p in solved if not all(q in on_time for q in parts.get(p, [p])))
    return float(len(solved)), float(max(len(problems), 1)), late


def scores_url(lineitem_url: str) -> str:
    parts = urlsplit(lineitem_url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


def score_payload(*, row: ScoreSend, given: float, maximum: float, late: int) -> dict:
    comment = f"Solved {int(given)} of {int(maximum)} on Phi Tutor."
    if late:
        comment += f" {late} solved after the due date."
    return {
        "userId": row.lti_user.sub,
        "scoreGiven": given,
        "scoreMaximum": maximum,
        "comment": comment,
        "activityProgress": "Completed" if given >= maximum else "InProgress",
        "gradingProgress": "FullyGraded",
        "timestamp": timezone.now().isoformat(),
    }


class SendFailed(Exception):
    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


def _lineitem_for(*, link: LtiResourceLink, connector: ServiceConnector, maximum: float) -> str:
    """The activity's grade column. An activity made by deep linking comes with one; for one the
    teacher added by hand, we find the column tagged with its resource link, or make it."""
    if link.lineitem_url:
        return link.lineitem_url
    lineitems = link.context.lineitems_url
    if not lineitems:
        raise SendFailed(
            "The LMS gave no grade column for this activity (grade sync is off for this tool). "
            "Turn on grade sync (Assignment and Grade Services) for the tool in the LMS and open the activity again.",
            permanent=False,
        )
    service: Any = {"scope": [LINEITEM_SCOPE, SCORE_SCOPE], "lineitems": lineitems}
    ags = AssignmentsGradesService(connector, service)
    wanted = (
        LineItem()
        .set_resource_link_id(link.resource_link_id)
        .set_label((link.title or "Phi Tutor")[:255])
        .set_score_maximum(maximum)
        .set_tag("phi-tutor")
    )
    found = ags.find_or_create_lineitem(wanted, find_by="resource_link_id")
    url = found.get_id()
    if not url:
        raise SendFailed("The LMS made a grade column without an address.", permanent=False)
    LtiResourceLink.objects.filter(pk=link.pk).update(lineitem_url=url[:500])
    link.lineitem_url = url[:500]
    return link.lineitem_url


def _post_score(*, row: ScoreSend, payload: dict) -> None:
    link = row.link
    connector = ServiceConnector(registration_for(link.context.platform), requests_session=http_session())
    try:
        lineitem_url = _lineitem_for(link=link, connector=connector, maximum=payload["scoreMaximum"])
        connector.make_service_request(
            [SCORE_SCOPE],
            scores_url(lineitem_url),
            is_post=True,
            data=json.dumps(payload),
            content_type="application/vnd.ims.lis.v1.score+json",
        )
    except LtiServiceException as e:
        # A refusal of the score itself won't change by retrying; one from the token endpoint
        # (a key or registration the admin is fixing) may.
        permanent = (
            bool(link.lineitem_url)
            and e.response.url.startswith(scores_url(link.lineitem_url))
            and e.response.status_code in PERMANENT_STATUSES
        )
        raise SendFailed(f"The LMS refused the score: {str(e)[:500]}", permanent=permanent) from e
    except LtiException as e:
        raise SendFailed(f"The LMS's grade service can't take it: {str(e)[:500]}", permanent=False) from e
    except (requests.RequestException, ValueError, KeyError) as e:
        raise SendFailed(f"Couldn't reach the LMS: {type(e).__name__}: {e}", permanent=False) from e


def score_send(*, row_id: int) -> ScoreSend | None:
    """Send one row's current score. Idempotent: a score is the latest for (line item, user)."""
    row = (
        ScoreSend.objects.select_related(
            "link__context__platform", "link__problem", "link__assignment", "lti_user"
        )
        .filter(pk=row_id)
        .first()
    )
    if row is None or row.status == ScoreSend.Status.SENT:
        return row
    version = row.version
    given, maximum, late = score_for(link=row.link, student=row.student)
    payload = score_payload(row=row, given=given, maximum=maximum, late=late)
    now = timezone.now()
    try:
        _post_score(row=row, payload=payload)
    except SendFailed as e:
        tries = row.tries + 1
        gave_up = e.permanent or tries >= MAX_TRIES
        logger.warning("LTI score %s not sent (try %s): %s", row.pk, tries, e)
        ScoreSend.objects.filter(pk=row.pk).update(
            status=ScoreSend.Status.GAVE_UP if gave_up else ScoreSend.Status.FAILED,
            tries=tries,
            last_error=str(e)[:2000],
            next_try_at=None if gave_up else now + retry_delay(tries),
            score_given=given,
            score_maximum=maximum,
            late=late,
        )
        row.refresh_from_db()
        return row
    # Only if no attempt came in meanwhile: otherwise the row stays pending for its own send.
    ScoreSend.objects.filter(pk=row.pk, version=version).update(
        status=ScoreSend.Status.SENT,
        sent_at=now,
        last_error="",
        next_try_at=None,
        score_given=given,
        score_maximum=maximum,
        late=late,
    )
    row.refresh_from_db()
    return row


def scores_due() -> list[int]:
    """Rows a retry pass should send now: failed ones whose wait is over, and pending ones older
    than a minute (their task was lost: a broker restart, a worker killed mid-send)."""
    now = timezone.now()
    return list(
        ScoreSend.objects.filter(
            Q(status=ScoreSend.Status.FAILED, next_try_at__lte=now)
            | Q(status=ScoreSend.Status.PENDING, updated_at__lte=now - timedelta(minutes=1))
        ).values_list("pk", flat=True)[:500]
    )


def score_resend(*, teacher: User, row_id: int) -> None:
    updated = ScoreSend.objects.filter(pk=row_id, link__context__classroom__teacher=teacher).update(
        status=ScoreSend.Status.PENDING, tries=0, next_try_at=None
    )
    if updated:
        from .tasks import send_score

        transaction.on_commit(lambda: send_score.delay(row_id))


def score_rows_for(*, teacher: User):
    return (
        ScoreSend.objects.filter(link__context__classroom__teacher=teacher)
        .select_related("student", "link__context__classroom")
        .order_by("status", "-updated_at")
    )
