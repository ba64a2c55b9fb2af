"""Reactions to events elsewhere in the site."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from . import services


@receiver(user_logged_out)
def close_sockets_on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    # A socket opened before logging out would otherwise keep asking and reading as that user.
    if user is not None:
        services.user_sockets_close(user_id=user.pk)
