from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tutor.lti.keys import tool_key_rotate
from tutor.lti.models import ToolKey


class Command(BaseCommand):
    help = "Show or make this site's LTI signing key. --rotate makes a new one (the old stays published)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--rotate", action="store_true", help="Make a new signing key now.")
        parser.add_argument(
            "--if-missing", action="store_true", help="Make a key only if there is none (for deploy scripts)."
        )
        parser.add_argument("--delete-retired", action="store_true", help="Stop publishing retired keys.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["delete_retired"]:
            count, _ = ToolKey.objects.filter(retired_at__isnull=False).delete()
            self.stdout.write(f"Deleted {count} retired key(s).")
        if options["rotate"] or (
            options["if_missing"] and not ToolKey.objects.filter(retired_at__isnull=True).exists()
        ):
            key = tool_key_rotate()
            self.stdout.write(f"New signing key {key.kid}.")
        for key in ToolKey.objects.all():
            self.stdout.write(
                f"{key.kid}  made {key.created_at:%Y-%m-%d %H:%M}  {'retired' if key.retired_at else 'signing'}"
            )
