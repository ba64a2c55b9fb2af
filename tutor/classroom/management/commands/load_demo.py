from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from tutor.classroom.models import Assignment, Classroom, Enrollment, User
from tutor.problems.demo import DEMO_SET
from tutor.problems.models import Problem, ProblemSet

DEMO_PASSWORD = "tutor-demo-2026"  # noqa: S105 - demo accounts on a local machine only
DEMO_JOIN_CODE = "DEMAT24"
DEMO_USERS = [
    ("teacher", "Ms Rivera", User.Role.TEACHER),
    ("ada", "Ada", User.Role.STUDENT),
    ("ben", "Ben", User.Role.STUDENT),
]


class Command(BaseCommand):
    help = "Load (or refresh) the demo class: a teacher, two students, a class and a problem set."

    @transaction.atomic
    def handle(self, *args: object, **options: object) -> None:
        users = {}
        for username, first_name, role in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"first_name": first_name, "role": role}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            users[username] = user
        admin, created = User.objects.get_or_create(
            username="admin", defaults={"role": User.Role.ADMIN, "is_staff": True, "is_superuser": True}
        )
        if created:
            admin.set_password(DEMO_PASSWORD)
            admin.save()

        teacher = users["teacher"]
        classroom, _ = Classroom.objects.get_or_create(
            join_code=DEMO_JOIN_CODE, defaults={"name": "Year 10 Maths & Physics", "teacher": teacher}
        )
        for name in ("ada", "ben"):
            Enrollment.objects.get_or_create(classroom=classroom, student=users[name])

        problem_set, _ = ProblemSet.objects.update_or_create(
            owner=teacher,
            key=DEMO_SET["key"],
            defaults={
                "title": DEMO_SET["title"],
                "description": DEMO_SET["description"],
                "source_format": "demo",
            },
        )
        position = 0
        for spec in DEMO_SET["problems"]:
            fields = {k: v for k, v in spec.items() if k not in ("key", "parts")}
            position += 1
            stem, _ = Problem.objects.update_or_create(
                problem_set=problem_set, key=spec["key"], defaults={**fields, "position": position}
            )
            # A multi-part problem's parts, keyed as an upload keys them ("phys-4-a").
            for part in spec.get("parts", []):
                position += 1
                Problem.objects.update_or_create(
                    problem_set=problem_set,
                    key=f"{spec['key']}-{part['key']}",
                    defaults={
                        **{k: v for k, v in part.items() if k != "key"},
                        "parent": stem,
                        "position": position,
                    },
                )
        Assignment.objects.get_or_create(
            classroom=classroom,
            problem_set=problem_set,
            defaults={"tutor_mode": Assignment.TutorMode.AFTER_ATTEMPTS, "solutions_after_attempts": 2},
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo loaded: class '{classroom.name}' (join code {classroom.join_code}), "
                f"{problem_set.problems.filter(parent=None).count()} problems.\n"
                f"  teacher / {DEMO_PASSWORD}   (teacher)\n"
                f"  ada / {DEMO_PASSWORD}       (student)\n"
                f"  ben / {DEMO_PASSWORD}       (student)\n"
                f"  admin / {DEMO_PASSWORD}     (Django admin at /admin/)"
            )
        )
