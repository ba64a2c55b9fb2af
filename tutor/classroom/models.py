from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models

# No 0/O, 1/I/L: join codes are read aloud and copied from a board.
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 7


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


class User(AbstractUser):
    class Role(models.TextChoices):
        STUDENT = "student", "Student"
        TEACHER = "teacher", "Teacher"
        ADMIN = "admin", "Admin"

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.STUDENT)
    # With TUTOR_TEACHER_SIGNUP = "approval", a teacher who signed up waits for an admin to tick this;
    # until then the account can do nothing a teacher can.
    teacher_approved = models.BooleanField(
        default=True,
        help_text="A teacher account acts as a teacher only once this is ticked.",
        verbose_name="approved as teacher",
    )

    # An IANA name ("Europe/Berlin"): teacher pages show times in it. Empty until the teacher's browser
    # says its zone on the first visit (static/js/time-zone.js) or the teacher picks one in Settings.
    time_zone = models.CharField(max_length=64, blank=True, default="")

    @property
    def is_teacher(self) -> bool:
        return self.role == self.Role.ADMIN or (self.role == self.Role.TEACHER and self.teacher_approved)

    @property
    def is_pending_teacher(self) -> bool:
        return self.role == self.Role.TEACHER and not self.teacher_approved

    @property
    def is_student(self) -> bool:
        return self.role == self.Role.STUDENT

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class Classroom(models.Model):
    name = models.CharField(max_length=120)
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="classes_taught"
    )
    join_code = models.CharField(max_length=16, unique=True, default=new_join_code)
    students = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Enrollment", related_name="classes_joined", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Enrollment(models.Model):
    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="enrollments")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["classroom", "student"], name="one_enrollment_per_class")
        ]

    def __str__(self) -> str:
        return f"{self.student} in {self.classroom}"


class Assignment(models.Model):
    class TutorMode(models.TextChoices):
        SOCRATIC = "socratic", "Hints only (Socratic)"
        AFTER_ATTEMPTS = "after_attempts", "Solutions after some attempts"
        SOLUTIONS = "solutions", "Solutions allowed"

    class LatePolicy(models.TextChoices):
        ACCEPT = "accept", "Accept late answers as if on time"
        MARK = "mark", "Accept late answers, marked late"
        LOCK = "lock", "Stop accepting answers after the due date"

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="assignments")
    problem_set = models.ForeignKey(
        "problems.ProblemSet", on_delete=models.CASCADE, related_name="assignments"
    )
    opens_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    solutions_release_at = models.DateTimeField(null=True, blank=True)
    tutor_mode = models.CharField(max_length=20, choices=TutorMode.choices, default=TutorMode.AFTER_ATTEMPTS)
    solutions_after_attempts = models.PositiveSmallIntegerField(default=2)
    late_policy = models.CharField(max_length=10, choices=LatePolicy.choices, default=LatePolicy.MARK)
    # Randomised problems: the whole class gets the same numbers (problems/variants.py).
    same_numbers = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["classroom", "problem_set"], name="one_assignment_per_set_per_class"
            )
        ]

    def __str__(self) -> str:
        return f"{self.problem_set} for {self.classroom}"
