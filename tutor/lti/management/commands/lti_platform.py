from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tutor.lti.models import Platform


class Command(BaseCommand):
    help = "Register (or update) an LMS platform: the values the LMS shows after adding this tool."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument(
            "--issuer", required=True, help="Moodle: the site URL. Canvas: https://canvas.instructure.com"
        )
        parser.add_argument("--client-id", required=True)
        parser.add_argument("--auth-login-url", required=True, help="Authentication request URL")
        parser.add_argument("--auth-token-url", required=True, help="Access token URL")
        parser.add_argument("--keyset-url", required=True, help="Public keyset URL")
        parser.add_argument("--deployment-id", action="append", default=[], help="Repeat for several.")
        parser.add_argument(
            "--frame-origin", action="append", default=[], help="Where the LMS's pages are served from."
        )
        parser.add_argument("--inactive", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        platform = Platform.objects.filter(issuer=options["issuer"], client_id=options["client_id"]).first()
        platform = platform or Platform(issuer=options["issuer"], client_id=options["client_id"])
        platform.name = options["name"]
        platform.auth_login_url = options["auth_login_url"]
        platform.auth_token_url = options["auth_token_url"]
        platform.keyset_url = options["keyset_url"]
        platform.deployment_ids = sorted(set(platform.deployment_ids) | set(options["deployment_id"]))
        if options["frame_origin"]:
            platform.frame_origins = "\n".join(options["frame_origin"])
        platform.active = not options["inactive"]
        try:
            platform.full_clean(validate_unique=False)
        except ValidationError as e:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in e.message_dict.items())) from e
        created = platform.pk is None
        platform.save()
        self.stdout.write(
            f"{'Registered' if created else 'Updated'} {platform.name} (id {platform.pk}): "
            f"deployments {', '.join(platform.deployment_ids) or 'none yet'}."
        )
