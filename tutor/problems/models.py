from __future__ import annotations

from django.conf import settings
from django.db import models


class ModelChoice(models.TextChoices):
    PHI4 = "phi4", "Phi-4 (14B)"
    PHI4_MINI = "phi4-mini", "Phi-4 mini"
    PHI4_REASONING = "phi4-reasoning", "Phi-4 reasoning"


class ProblemSet(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="problem_sets")
    title = models.CharField(max_length=200)
    # Stable identifier inside an owner's sets: re-uploading a file with the same key updates it.
    key = models.SlugField(max_length=120)
    description = models.TextField(blank=True)
    model_name = models.CharField(max_length=40, choices=ModelChoice.choices, default=ModelChoice.PHI4)
    source_format = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="problem_set_key_unique_per_owner")
        ]

    def __str__(self) -> str:
        return self.title


class Problem(models.Model):
    class AnswerType(models.TextChoices):
        NUMBER = "number", "Number"
        EXPRESSION = "expression", "Expression"
        EQUATION = "equation", "Equation"
        SET = "set", "Set"
        INTERVAL = "interval", "Interval"
        MATRIX = "matrix", "Matrix"
        QUANTITY = "quantity", "Quantity with units"
        MULTIPLE_CHOICE = "choice", "Multiple choice"
        TEXT = "text", "Short text"
        TUPLE = "tuple", "Ordered list (a point or a vector)"

    class Difficulty(models.IntegerChoices):
        EASY = 1, "Easy"
        MEDIUM = 2, "Medium"
        HARD = 3, "Hard"

    problem_set = models.ForeignKey(ProblemSet, on_delete=models.CASCADE, related_name="problems")
    # Multi-part problems: each part is a problem whose parent is the stem.
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="parts")
    position = models.PositiveIntegerField(default=0)
    key = models.CharField(max_length=80, help_text="Stable identifier inside the set, e.g. 'q3' or '3b'.")
    title = models.CharField(max_length=200, blank=True)
    statement = models.TextField(help_text="Markdown with LaTeX in $...$ or $$...$$.")
    answer = models.CharField(max_length=1000, blank=True, help_text="The answer key as typed or in LaTeX.")
    answer_type = models.CharField(max_length=20, choices=AnswerType.choices, default=AnswerType.NUMBER)
    tolerance = models.FloatField(null=True, blank=True, help_text="Relative tolerance; empty means 0.1%.")
    units = models.CharField(max_length=60, blank=True)
    sig_figs = models.PositiveSmallIntegerField(null=True, blank=True)
    choices = models.JSONField(default=list, blank=True)
    hints = models.JSONField(default=list, blank=True, help_text="Hints in the order they are given.")
    solution = models.TextField(blank=True, help_text="A worked solution shown when solutions are released.")
    topic = models.CharField(max_length=80, blank=True)
    difficulty = models.PositiveSmallIntegerField(choices=Difficulty.choices, default=Difficulty.MEDIUM)
    checker_options = models.JSONField(default=dict, blank=True)
    # A randomised problem: {"variables": {...}, "constraints": [...], "same_for_everyone": bool}.
    # Empty for a fixed problem. Each student's numbers are a Variant (variants.py).
    template = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["problem_set", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["problem_set", "key"], name="problem_key_unique_per_set")
        ]

    def __str__(self) -> str:
        return self.title or f"{self.problem_set} #{self.key}"

    @property
    def full_statement(self) -> str:
        """What the problem asks, as the tutor and the checker read it: a part comes after its stem
        ("Let f(x) = x^2 ... (b) Find f'(2)" makes no sense without the stem). Load `parent` with
        select_related where this is read from async code."""
        if self.parent_id is None:
            return self.statement
        return f"{self.parent.statement.rstrip()}\n\n{self.statement}"


class ImportJob(models.Model):
    """A large upload, validated and saved by a Celery task while the page shows its progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Checking answer keys"
        DONE = "done", "Imported"
        FAILED = "failed", "Not imported"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs")
    filename = models.CharField(max_length=255)
    data = models.BinaryField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    # [problem key, answer key as written, LaTeX as the checker read it], shown when the job is done.
    read_as = models.JSONField(default=list, blank=True)
    problem_set = models.ForeignKey(ProblemSet, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"


class Variant(models.Model):
    """One student's numbers for a randomised problem, worked out once and stored, so a page load
    or an answer reads a row instead of sampling and keying again (tutor/problems/variants.py)."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="variants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="variants")
    assignment = models.ForeignKey(
        "classroom.Assignment", on_delete=models.CASCADE, null=True, blank=True, related_name="variants"
    )
    seed = models.BigIntegerField()
    # How many times the teacher reseeded this student (part of the seed).
    generation = models.PositiveIntegerField(default=0)
    # [[name, value as shown], ...] in the template's order (a list: jsonb would sort a mapping's keys).
    values = models.JSONField(default=list)
    statement = models.TextField()
    answer = models.CharField(max_length=1000, blank=True)
    answer_latex = models.TextField(blank=True)
    hints = models.JSONField(default=list, blank=True)
    solution = models.TextField(blank=True)
    choices = models.JSONField(default=list, blank=True)
    # The template's named mistakes for these numbers: [[the wrong key, what to tell the student]].
    mistakes = models.JSONField(default=list, blank=True)
    # The template these texts came from: a re-upload that changes the problem makes new variants.
    template_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # Two partial constraints rather than nulls_distinct=False, which SQLite (the embedded
        # default) doesn't support: there the constraint would silently not exist.
        constraints = [
            models.UniqueConstraint(
                fields=["problem", "user", "assignment"],
                condition=models.Q(assignment__isnull=False),
                name="variant_unique_per_student",
            ),
            models.UniqueConstraint(
                fields=["problem", "user"],
                condition=models.Q(assignment__isnull=True),
                name="variant_unique_per_student_unassigned",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} / {self.problem}: {self.numbers}"

    @property
    def value_of(self) -> dict[str, str]:
        return {name: value for name, value in self.values}

    @property
    def numbers(self) -> str:
        """'a = 3, b = 4', for teachers."""
        return ", ".join(f"{name} = {value}" for name, value in self.values)
