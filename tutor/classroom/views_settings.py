"""A user's settings page (the time zone) and the browser's first-visit guess of it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tutor.errors import Invalid

from .forms import SettingsForm
from .time_zones import user_time_zone_set


@login_required
def account_settings(request: HttpRequest) -> HttpResponse:
    form = SettingsForm(request.POST or None, initial={"time_zone": request.user.time_zone})
    if request.method == "POST" and form.is_valid():
        user_time_zone_set(user=request.user, time_zone=form.cleaned_data["time_zone"])
        messages.success(request, f"Saved. Times are now shown in {form.cleaned_data['time_zone']}.")
        return redirect("account_settings")
    return render(request, "classroom/settings.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_POST
def time_zone_guess(request: HttpRequest) -> JsonResponse:
    """The browser's own zone, sent once by static/js/time-zone.js; never replaces a chosen one."""
    try:
        changed = user_time_zone_set(
            user=request.user, time_zone=request.POST.get("time_zone", "")[:100], only_if_unset=True
        )
    except Invalid as exc:
        return JsonResponse({"ok": False, "message": exc.message}, status=400)
    return JsonResponse({"ok": True, "changed": changed, "time_zone": request.user.time_zone})
