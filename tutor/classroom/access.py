"""The one check every teacher page makes."""

from __future__ import annotations

from tutor.errors import Forbidden

from .models import User


def require_teacher(user: User) -> None:
    """Teachers (approved ones: `is_teacher` is False while sign-up waits for an admin) only."""
    if not user.is_teacher:
        raise Forbidden("This page is for teachers.")
