"""Inside an LMS: the Content-Security-Policy's frame-ancestors lists the registered platforms'
web addresses (instead of 'none'), and X-Frame-Options, which can't name them, is dropped.
Placed before tutor.middleware.ContentSecurityPolicyMiddleware, so it edits the final header."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

_cache: tuple[float, list[str]] = (0.0, [])
# Registrations change rarely; each process asks the database at most this often.
CACHE_SECONDS = 30.0
_FRAME_ANCESTORS = re.compile(r"frame-ancestors [^;]*")


def frame_origins() -> list[str]:
    global _cache
    expires, origins = _cache
    if time.monotonic() < expires:
        return origins
    from .models import Platform

    found: set[str] = set()
    try:
        for platform in Platform.objects.filter(active=True):
            found.update(platform.allowed_frame_origins())
    except DatabaseError:
        # The database is away (a health check is answering): no framing beats a 500.
        logger.warning("LTI frame origins not read; keeping %s for now", origins, exc_info=True)
        return origins
    origins = sorted(found)
    _cache = (time.monotonic() + CACHE_SECONDS, origins)
    return origins


def frame_origins_forget() -> None:
    global _cache
    _cache = (0.0, [])


def with_form_action(policy: str, origins: list[str]) -> str:
    """The policy with these origins allowed as form targets (the deep-linking return)."""
    return re.sub(r"form-action [^;]*", "form-action 'self' " + " ".join(origins), policy)


class LtiFramingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = response.headers.get("Content-Security-Policy")
        if not policy or request.path.startswith("/admin/"):
            return response
        origins = frame_origins()
        if origins:
            response.headers["Content-Security-Policy"] = _FRAME_ANCESTORS.sub(
                "frame-ancestors 'self' " + " ".join(origins), policy
            )
            response.headers.pop("X-Frame-Options", None)
        return response
