"""LTI endpoints. Refusals of a launch show a plain page; what exactly failed goes to the log,
with a reference the page shows so an admin can find it."""

from __future__ import annotations

import logging
import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from pylti1p3.contrib.django.oidc_login import DjangoOIDCLogin
from pylti1p3.contrib.django.request import DjangoRequest
from pylti1p3.exception import LtiException, OIDCException

from tutor.classroom.models import User
from tutor.classroom.security import client_key
from tutor.errors import ApplicationError, Forbidden
from tutor.limits.services import Limit, throttle_hit

from . import deep_linking
from .conf import (
    IframeCookieService,
    NonceOnceSessionService,
    ToolConf,
    iframe_cookies,
    launch_for,
    platform_for,
)
from .grades import score_resend, score_rows_for
from .keys import tool_jwks
from .launch import (
    DEPLOYMENT_ID,
    ROLES,
    classroom_for_launch,
    landing_url,
    link_for_launch,
    role_from,
    user_for_launch,
)
from .middleware import with_form_action
from .models import LtiContext, Platform

logger = logging.getLogger(__name__)

# What a student or teacher is told, by what the check found; the detail goes to the log.
REASONS = [
    (
        "no Learner or Instructor role",
        "Your role in this course (an observer or a teaching assistant, say) can't use this activity here. "
        "Ask the course's teacher.",
    ),
    (
        "Invalid Nonce",
        "This link from your LMS was already used. Links from the LMS work once: go back to the course and open the activity again.",
    ),
    (
        "ExpiredSignature",
        "This link from your LMS had run out of time. Go back to the course and open the activity again.",
    ),
    ("ImmatureSignature", "Your LMS and this site disagree about the time. Try again in a minute."),
    ("InvalidSignature", "This link wasn't signed by your LMS, so we didn't let it in."),
    ("Signature verification failed", "This link wasn't signed by your LMS, so we didn't let it in."),
    (
        "Unable to find public key",
        "This link wasn't signed by a key your LMS publishes, so we didn't let it in.",
    ),
    ("InvalidAudience", "This link was meant for a different tool, so we didn't let it in."),
    (
        "no active platform registered",
        "This link was meant for a different tool, or your LMS isn't set up on this site yet, so we "
        "didn't let it in. Ask your teacher or the site's admin.",
    ),
    ("Client id not registered", "This link was meant for a different tool, so we didn't let it in."),
    (
        "deployment",
        "This LMS deployment isn't set up on this site yet. Ask the site's admin to add its deployment ID.",
    ),
    (
        "State not found",
        "Your browser didn't keep this site's sign-in cookie while the LMS opened the activity (private browsing or blocked cookies). Open the activity in a new window from the course.",
    ),
    ("Missing state", "This link is missing part of the sign-in. Open the activity again from the course."),
]
GENERIC = "This link from your LMS couldn't be checked, so we didn't let it in. Open the activity again from the course; if it keeps happening, tell your teacher."


def _lti_on() -> None:
    if not settings.TUTOR_LTI:
        raise Http404("LMS connections (LTI) are off on this site.")


def _launches_limit() -> Limit:
    return Limit(
        scope="lti-launch-client",
        limit=settings.TUTOR_LTI_LAUNCHES_PER_CLIENT_PER_MINUTE,
        period=60,
        message="Too many activities were opened from your network in the last minute. "
        "Wait a minute, then open the activity again from your course.",
    )


def refused(request: HttpRequest, detail: str, *, status: int = 403) -> HttpResponse:
    reference = secrets.token_hex(4)
    logger.warning("LTI launch refused [%s]: %s", reference, detail)
    message = next((text for marker, text in REASONS if marker.lower() in detail.lower()), GENERIC)
    return render(request, "lti/refused.html", {"message": message, "reference": reference}, status=status)


def launch_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("lti_launch"))


# The login initiation parameters we pass on (LTI Core 5.1.1), each bounded.
LOGIN_PARAMS = ("iss", "login_hint", "target_link_uri", "lti_message_hint", "client_id", "lti_deployment_id")
COOKIE_CHECK = "lti-cookie-check"


def _cookie_test(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    secure = request.is_secure() or iframe_cookies()
    response.set_cookie(
        COOKIE_CHECK, "1", max_age=86400, secure=secure, httponly=True, samesite="None" if secure else "Lax"
    )
    return response


@csrf_exempt
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    """OIDC third-party-initiated login: the LMS sends the browser here first.

    Inside an LMS's iframe a browser that blocks third-party cookies (Safari, Chrome incognito,
    Firefox strict) would lose the state cookie and, after the launch, the session: nothing would
    work. So the first visit sets a test cookie and comes back here; without it, the page offers
    the same launch in a new window, where this site's cookies are first-party."""
    _lti_on()
    throttle_hit(_launches_limit(), key=client_key(request))
    source = request.POST if request.method == "POST" else request.GET
    params = {name: source[name][:2000] for name in LOGIN_PARAMS if source.get(name)}
    new_window = bool(source.get("lti_new_window"))
    if COOKIE_CHECK not in request.COOKIES:
        if not source.get("lti_cookie_check"):
            again = {**params, "lti_cookie_check": "1", **({"lti_new_window": "1"} if new_window else {})}
            return _cookie_test(request, redirect(f"{reverse('lti_login')}?{urlencode(again)}"))
        window = f"{reverse('lti_login')}?{urlencode({**params, 'lti_new_window': '1'})}"
        return render(request, "lti/cookies_blocked.html", {"window_url": window, "new_window": new_window})
    django_request = DjangoRequest(request, default_params=params)
    oidc = DjangoOIDCLogin(
        django_request,
        ToolConf(),
        session_service=NonceOnceSessionService(django_request),
        cookie_service=IframeCookieService(django_request),
    )
    try:
        return oidc.redirect(launch_url(request))
    except (LtiException, OIDCException, ApplicationError) as e:
        return refused(request, f"login: {type(e).__name__}: {e}", status=400)


@csrf_exempt
@require_POST
def launch(request: HttpRequest) -> HttpResponse:
    _lti_on()
    throttle_hit(_launches_limit(), key=client_key(request))
    message_launch = launch_for(request)
    try:
        data: dict[str, Any] = dict(message_launch.get_launch_data())
    except (LtiException, ApplicationError, ValueError, TypeError, KeyError, AttributeError) as e:
        return refused(request, f"launch: {type(e).__name__}: {e}")
    platform = platform_for(data["iss"], message_launch.get_client_id())
    role = role_from(data.get(ROLES))
    if role is None:
        return refused(request, f"no Learner or Instructor role in {data.get(ROLES)!r}")
    if message_launch.is_deep_link_launch() and role != User.Role.TEACHER:
        raise Forbidden("Only the course's teacher can add activities.")
    with transaction.atomic():
        user = user_for_launch(platform=platform, data=data, role=role)
        if role == User.Role.TEACHER and not user.is_teacher:
            raise Forbidden("Your account on this site is a student's; ask the admin to make it a teacher's.")
        context = classroom_for_launch(platform=platform, data=data, user=user, role=role)
        if role == User.Role.TEACHER and context.classroom.teacher_id != user.pk:
            raise Forbidden(
                f"This course's class on Phi Tutor is taught by {context.classroom.teacher.display_name}. "
                "A class has one teacher here: ask them to manage it."
            )
        link = (
            None if message_launch.is_deep_link_launch() else link_for_launch(lti_context=context, data=data)
        )
    auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session["lti"] = {"platform": platform.pk, "context": context.pk}
    if role == User.Role.TEACHER and context.memberships_url:
        from .tasks import sync_roster

        transaction.on_commit(lambda: sync_roster.delay(context.pk))
    if message_launch.is_deep_link_launch():
        token = secrets.token_urlsafe(16)
        request.session[f"lti-dl-{token}"] = {
            "platform": platform.pk,
            "deployment_id": str(data.get(DEPLOYMENT_ID, "")),
            "settings": data.get(deep_linking.DEEP_LINKING_SETTINGS) or {},
        }
        return redirect("lti_deep_link", token=token)
    assert link is not None
    return redirect(landing_url(link))


@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    _lti_on()
    response = JsonResponse(tool_jwks())
    response["Cache-Control"] = "public, max-age=300"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def deep_link(request: HttpRequest, token: str) -> HttpResponse:
    _lti_on()
    pending = request.session.get(f"lti-dl-{token}")
    if not pending or not request.user.is_teacher:
        raise Forbidden("This page is reached from your LMS's 'add activity' screen. Start there again.")
    platform = get_object_or_404(Platform, pk=pending["platform"], active=True)
    return_url = str(pending["settings"].get("deep_link_return_url") or "")
    if not return_url.startswith(("https://", "http://")):
        raise Forbidden("Your LMS didn't say where to send the activity back. Start again from the LMS.")
    if request.method == "POST":
        item = deep_linking.content_item_for(
            teacher=request.user, choice=request.POST.get("choice", ""), launch_url=launch_url(request)
        )
        token_jwt = deep_linking.response_jwt(
            platform=platform, deployment_id=pending["deployment_id"], settings=pending["settings"], item=item
        )
        del request.session[f"lti-dl-{token}"]
        response = render(
            request,
            "lti/deep_link_return.html",
            {"return_url": return_url, "jwt": token_jwt, "title": item.get_title()},
        )
        parts = urlsplit(return_url)
        from tutor.middleware import CONTENT_SECURITY_POLICY

        response.headers["Content-Security-Policy"] = with_form_action(
            CONTENT_SECURITY_POLICY, [f"{parts.scheme}://{parts.netloc}"]
        )
        return response
    return render(
        request,
        "lti/deep_link.html",
        {"problem_sets": deep_linking.choices_for(teacher=request.user), "platform": platform},
    )


def _teacher_or_staff(request: HttpRequest) -> None:
    if not (request.user.is_teacher or request.user.is_staff):
        raise Forbidden("This page is for teachers and admins.")


@login_required
@require_GET
def config(request: HttpRequest) -> HttpResponse:
    """The URLs an LMS admin types in, the platforms registered, and this teacher's LMS courses."""
    _teacher_or_staff(request)
    urls = {
        "login": request.build_absolute_uri(reverse("lti_login")),
        "launch": launch_url(request),
        "jwks": request.build_absolute_uri(reverse("lti_jwks")),
        "deep_link": launch_url(request),
        "domain": request.get_host(),
    }
    contexts = LtiContext.objects.filter(classroom__teacher=request.user).select_related(
        "platform", "classroom"
    )
    return render(
        request,
        "lti/config.html",
        {
            "urls": urls,
            "lti_on": settings.TUTOR_LTI,
            "platforms": Platform.objects.all() if request.user.is_staff else [],
            "contexts": contexts,
        },
    )


@login_required
@require_GET
def grades(request: HttpRequest) -> HttpResponse:
    _lti_on()
    _teacher_or_staff(request)
    return render(request, "lti/grades.html", {"rows": score_rows_for(teacher=request.user)[:500]})


@login_required
@require_POST
def grade_resend(request: HttpRequest, pk: int) -> HttpResponse:
    _lti_on()
    _teacher_or_staff(request)
    score_resend(teacher=request.user, row_id=pk)
    return redirect("lti_grades")


@login_required
@require_POST
def roster_sync(request: HttpRequest, pk: int) -> HttpResponse:
    _lti_on()
    context = get_object_or_404(LtiContext, pk=pk, classroom__teacher=request.user)
    from .tasks import sync_roster

    transaction.on_commit(lambda: sync_roster.delay(context.pk))
    return redirect("lti_config")
