from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class TutoringSession(models.Model):
    """One student's conversation with the tutor about one problem."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tutoring_sessions"
    )
    problem = models.ForeignKey("problems.Problem", on_delete=models.CASCADE, related_name="sessions")
    assignment = models.ForeignKey(
        "classroom.Assignment", on_delete=models.SET_NULL, null=True, blank=True, related_name="sessions"
    )
    flagged = models.BooleanField(default=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["student", "problem"], name="one_session_per_student_problem")
        ]

    def __str__(self) -> str:
        return f"{self.student} on {self.problem}"


class Message(models.Model):
    class Role(models.TextChoices):
        STUDENT = "student", "Student"
        TUTOR = "tutor", "Tutor"

    class Mode(models.TextChoices):
        SOLUTION = "solution", "Worked solution"
        HINT = "hint", "Hint"
        FEEDBACK = "feedback", "Feedback on an attempt"
        QUESTION = "question", "Question"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        STREAMING = "streaming", "Streaming"
        COMPLETE = "complete", "Complete"
        STOPPED = "stopped", "Stopped by the student"
        CUT_OFF = "cut_off", "Cut off (too long)"
        ERROR = "error", "Error"

    class Verification(models.TextChoices):
        NONE = "", "Not applicable"
        VERIFIED = "verified", "Verified"
        VERIFIED_BY_SUBSTITUTION = "verified_by_substitution", "Verified by substitution"
        UNVERIFIED = "unverified", "Unverified"
        WITHHELD = "withheld", "Withheld (hint mode)"

    session = models.ForeignKey(TutoringSession, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(max_length=10, choices=Role.choices)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.QUESTION)
    # The client's id for the request that produced this message: a retried or redelivered
    # request finds the existing message instead of creating a second answer.
    request_id = models.UUIDField(null=True, blank=True, unique=True)
    reply_to = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replies"
    )
    # "Continue" after Stop: this reply starts with the text of the stopped one and carries it on.
    continued_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="continuations"
    )
    content = models.TextField(blank=True)
    thinking = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.COMPLETE)
    final_answer = models.CharField(max_length=1000, blank=True)
    verification = models.CharField(max_length=32, choices=Verification.choices, blank=True, default="")
    next_seq = models.PositiveIntegerField(default=0)
    generation_attempts = models.PositiveSmallIntegerField(default=0)
    # A hint's place in the ladder (1, 2, ...): the teacher's hints in order first, then the model's,
    # each asked to go one step further. Empty for other replies.
    hint_number = models.PositiveSmallIntegerField(null=True, blank=True)
    model_name = models.CharField(max_length=40, blank=True)
    usage = models.JSONField(default=dict, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    error_message = models.TextField(blank=True)
    # Set by the generation job that claims the message; a second job sees it and does nothing.
    claimed_at = models.DateTimeField(null=True, blank=True)
    stop_requested = models.BooleanField(default=False)
    # The channel-layer channel the running job listens on for "stop"; empty when no job runs.
    job_channel = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.get_mode_display()} ({self.status})"


# The statuses in which a generation job holds a message, or may claim it.
JOB_STATUSES = (Message.Status.QUEUED, Message.Status.STREAMING)


class MessageChunk(models.Model):
    """One numbered event of a streamed reply (start, delta, thinking, verification, done...).

    The reply's event log: a client that reconnects with the last sequence number it saw is
    sent exactly the events after it, so nothing is lost or shown twice.
    """

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="chunks")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=16)
    text = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["message", "seq"]
        constraints = [models.UniqueConstraint(fields=["message", "seq"], name="chunk_seq_unique")]

    def __str__(self) -> str:
        return f"chunk {self.seq} of message {self.message_id}"


class Attempt(models.Model):
    """A student's submitted answer to a problem and how it was graded."""

    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attempts")
    problem = models.ForeignKey("problems.Problem", on_delete=models.CASCADE, related_name="attempts")
    assignment = models.ForeignKey(
        "classroom.Assignment", on_delete=models.SET_NULL, null=True, blank=True, related_name="attempts"
    )
    answer = models.CharField(max_length=2000)
    correct = models.BooleanField(default=False)
    status = models.CharField(max_length=40)
    interpreted_as = models.TextField(blank=True)
    comparator = models.CharField(max_length=40, blank=True)
    reason = models.TextField(blank=True)
    # Sent after the assignment's due date (read from the assignment at the moment of the attempt).
    late = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["student", "problem"])]

    def __str__(self) -> str:
        return f"{self.student}: {self.answer!r} ({self.status})"


class Verification(models.Model):
    """One run of the checker, on the model's answer or a student's."""

    class Subject(models.TextChoices):
        MODEL = "model", "Model answer"
        STUDENT = "student", "Student answer"
        HINT_LEAK = "hint_leak", "Hint leak check"

    subject = models.CharField(max_length=12, choices=Subject.choices)
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, null=True, blank=True, related_name="verifications"
    )
    attempt = models.ForeignKey(
        Attempt, on_delete=models.CASCADE, null=True, blank=True, related_name="verifications"
    )
    gold = models.CharField(max_length=1000, blank=True)
    answer = models.TextField(blank=True)
    equivalent = models.BooleanField(default=False)
    status = models.CharField(max_length=40)
    interpreted_as = models.TextField(blank=True)
    comparator = models.CharField(max_length=40, blank=True)
    reason = models.TextField(blank=True)
    numeric_only = models.BooleanField(default=False)
    ms = models.FloatField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_subject_display()}: {self.status}"


class Flag(models.Model):
    """Something a teacher should look at."""

    class Kind(models.TextChoices):
        UNVERIFIED_ANSWER = "unverified_answer", "Tutor answer could not be verified"
        KEY_DISAGREEMENT = "key_disagreement", "Model disagrees with the answer key"
        KEY_UNPARSEABLE = "key_unparseable", "Answer key could not be read"
        STUDENT_REPORT = "student_report", "Student reported a problem"
        HINT_LEAK = "hint_leak", "Hint would have revealed the answer"

    kind = models.CharField(max_length=24, choices=Kind.choices)
    session = models.ForeignKey(
        TutoringSession, on_delete=models.CASCADE, null=True, blank=True, related_name="flags"
    )
    message = models.ForeignKey(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="flags"
    )
    problem = models.ForeignKey("problems.Problem", on_delete=models.CASCADE, related_name="flags")
    detail = models.TextField(blank=True)
    model_answer = models.CharField(max_length=1000, blank=True)
    teacher_note = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["resolved_at", "-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.problem}"


class CachedSolution(models.Model):
    """A worked solution that passed the checker, served to students at once instead of regenerating."""

    problem = models.ForeignKey("problems.Problem", on_delete=models.CASCADE, related_name="cached_solutions")
    model_name = models.CharField(max_length=40)
    content = models.TextField()
    thinking = models.TextField(blank=True)
    final_answer = models.CharField(max_length=1000)
    verification = models.CharField(max_length=32)
    # The key it was verified against: a changed key makes the cache stale.
    answer_key = models.CharField(max_length=1000)
    # A randomised problem's solution is for one variant: a hash of its statement and key (the same
    # key can come with other numbers); empty for a problem with fixed numbers.
    variant_key = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["problem", "model_name", "variant_key"],
                name="one_cached_solution_per_model_and_variant",
            )
        ]

    def __str__(self) -> str:
        return f"{self.model_name} solution of {self.problem}"


class AuditRun(models.Model):
    """One answer-key audit of a problem set: the model solves each problem and disagreements are flagged."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    problem_set = models.ForeignKey("problems.ProblemSet", on_delete=models.CASCADE, related_name="audits")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    agreed = models.PositiveIntegerField(default=0)
    flagged = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Audit of {self.problem_set} ({self.status})"


class AuditOutcome(models.Model):
    """What the audit found for one problem, shown on the audit's results page."""

    class Outcome(models.TextChoices):
        AGREES = "agrees", "Agrees with the key"
        DISAGREES = "disagrees", "Disagrees with the key"
        UNREADABLE = "unreadable", "Key could not be read"
        INCONCLUSIVE = "inconclusive", "Inconclusive"

    audit = models.ForeignKey(AuditRun, on_delete=models.CASCADE, related_name="outcomes")
    problem = models.ForeignKey("problems.Problem", on_delete=models.CASCADE, related_name="audit_outcomes")
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    # In words for the teacher: why it is inconclusive, what the model answered.
    reason = models.TextField(blank=True)
    model_answer = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["audit", "id"]
        constraints = [
            models.UniqueConstraint(fields=["audit", "problem"], name="one_audit_outcome_per_problem")
        ]

    def __str__(self) -> str:
        return f"{self.problem}: {self.outcome}"
