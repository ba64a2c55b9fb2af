"""What the login page says about the demo accounts of `make run` (load_demo)."""

from __future__ import annotations

from django.conf import settings

from tutor.classroom.models import User


def demo_logins() -> list[dict[str, str]]:
    """The demo accounts to name on the login page: only on the DEBUG demo, once load_demo made them.

    Production runs with DEBUG off, so its login page never shows them, whatever accounts exist.
    """
    if not settings.DEBUG:
        return []
    from tutor.classroom.management.commands.load_demo import DEMO_PASSWORD, DEMO_USERS

    accounts = [(username, role.label.lower()) for username, _, role in DEMO_USERS]
    accounts.append(("admin", "site admin, at /admin/"))
    present = set(
        User.objects.filter(username__in=[username for username, _ in accounts]).values_list(
            "username", flat=True
        )
    )
    return [
        {"username": username, "role": role, "password": DEMO_PASSWORD}
        for username, role in accounts
        if username in present
    ]
