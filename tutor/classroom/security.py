"""Login lockout (django-axes, wired in tutor/settings/security.py) and who a request comes from.

Wrong passwords are counted per account and per client address; either reaching its limit locks
logins for the cool-off time. Unknown usernames are counted like real ones, so the lockout page
says nothing about whether an account exists.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def client_address(request: HttpRequest) -> str | None:
    """The address a request came from, as far as we can trust it (None when there is none).

    Behind a proxy (TUTOR_BEHIND_PROXY) the last X-Forwarded-For entry is the one the proxy wrote;
    anything before it is what the client claimed. Without a proxy, the header is the client's own
    claim and is ignored.
    """
    candidates = [request.META.get("REMOTE_ADDR", "")]
    if settings.TUTOR_BEHIND_PROXY:
        candidates.insert(0, request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip())
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None


def client_key(request: HttpRequest) -> str:
    """A throttle key for the client a request came from."""
    return f"client:{client_address(request) or 'unknown'}"


class LoginLockoutBackend(AxesStandaloneBackend):
    """Refuses to authenticate while the account or the client is locked out.

    A call without a request is not a login over the web (the test client's `login()`, a shell):
    there is no client to count, and django-axes would raise, so it is left to the next backend.
    Every web login (our login page, the admin's) passes the request.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class LoginLockoutHandler(AxesDatabaseHandler):
    """django-axes' database handler with separate limits per account and per client.

    Axes compares one number with AXES_FAILURE_LIMIT (the per-account limit), so the per-client
    count is scaled onto it: it reaches the limit exactly when the client's failures reach
    TUTOR_LOGIN_FAILURES_PER_CLIENT.
    """

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        per_account, per_client = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        account_limit = settings.TUTOR_LOGIN_FAILURES_PER_ACCOUNT
        client_limit = settings.TUTOR_LOGIN_FAILURES_PER_CLIENT
        return max(per_account, per_client * account_limit // client_limit)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    minutes = settings.TUTOR_LOGIN_LOCKOUT_MINUTES
    response = render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response
