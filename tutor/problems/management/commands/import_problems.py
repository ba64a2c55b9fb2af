from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tutor.classroom.models import User
from tutor.errors import ApplicationError
from tutor.problems.importers.base import MAX_UPLOAD_BYTES
from tutor.problems.services import problem_set_import


class Command(BaseCommand):
    help = "Import a problem set (YAML, JSON, CSV, Moodle XML, GIFT or a zip of those) for a teacher."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--owner", required=True, help="the teacher's username")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and show how answers are read"
        )

    def handle(self, *args: object, **options: object) -> None:
        path = Path(str(options["file"]))
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        owner = User.objects.filter(username=options["owner"]).first()
        if owner is None:
            raise CommandError(f"No user {options['owner']!r}.")
        with path.open("rb") as handle:
            # Same limit as the upload page; read one byte more so the service can say it's too big.
            data = handle.read(MAX_UPLOAD_BYTES + 1)
        try:
            result = problem_set_import(
                owner=owner, filename=path.name, data=data, dry_run=bool(options["dry_run"])
            )
        except ApplicationError as exc:
            raise CommandError(f"{owner.username} is not a teacher: {exc}") from exc
        for key, typed, latex in result.read_as:
            self.stdout.write(f"  {key}: {typed!r} read as {latex}")
        for warning in result.warnings:
            self.stdout.write(self.style.WARNING(f"note: {warning}"))
        if result.errors:
            for error in result.errors:
                self.stderr.write(self.style.ERROR(str(error)))
            raise CommandError(f"{len(result.errors)} problem(s) in {path.name}; nothing was imported.")
        if options["dry_run"]:
            self.stdout.write(self.style.SUCCESS("The file is fine (dry run: nothing saved)."))
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported '{result.problem_set.title}': {result.created} new, {result.updated} updated."
            )
        )
