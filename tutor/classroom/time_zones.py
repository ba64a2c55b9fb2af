"""A user's time zone: teacher pages show dates and times in it (assignment dates are typed in it too).

The zone is an IANA name. The teacher's browser reports its own on the first visit (static/js/
time-zone.js, `Intl.DateTimeFormat().resolvedOptions().timeZone`); the teacher can change it in
Settings. Until then the site's TIME_ZONE is used.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from functools import cache

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from tutor.errors import Invalid

from .models import User

MAX_NAME_CHARS = 64


@cache
def time_zone_names() -> list[str]:
    # "localtime" and "Factory" are not places a teacher lives in.
    return sorted(n for n in zoneinfo.available_timezones() if "/" in n or n == "UTC")


def time_zone_valid(name: str) -> bool:
    return 0 < len(name) <= MAX_NAME_CHARS and name in set(time_zone_names())


def user_time_zone_set(*, user: User, time_zone: str, only_if_unset: bool = False) -> bool:
    """Save the user's time zone; with only_if_unset (the browser's guess) a chosen zone is kept.
    Returns whether it changed."""
    time_zone = time_zone.strip()
    if not time_zone_valid(time_zone):
        raise Invalid("That isn't a time zone we know. Pick one from the list.", code="bad_time_zone")
    rows = User.objects.filter(pk=user.pk)
    if only_if_unset:
        rows = rows.filter(time_zone="")
    changed = rows.exclude(time_zone=time_zone).update(time_zone=time_zone) > 0
    if changed:
        user.time_zone = time_zone
    return changed


class TimeZoneMiddleware:
    """Activates the signed-in user's time zone for the request (templates' dates, forms' datetimes)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        name = getattr(user, "time_zone", "") if user is not None and user.is_authenticated else ""
        if name and time_zone_valid(name):
            timezone.activate(zoneinfo.ZoneInfo(name))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
