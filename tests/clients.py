"""A logged-in Django test client: the one helper every page test uses."""

from __future__ import annotations

from django.test import Client


def client_for(user, *, ip: str | None = None, csrf_checks: bool = False) -> Client:
    """A browser logged in as `user`; `ip` as the address it comes from (per-IP throttles),
    `csrf_checks` to have forms refused without their CSRF token, as a real browser's would be."""
    extra = {"REMOTE_ADDR": ip} if ip else {}
    client = Client(enforce_csrf_checks=csrf_checks, **extra)
    client.force_login(user)
    return client
