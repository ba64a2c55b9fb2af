"""LTI 1.3: the platforms (LMSs) we trust, our signing keys, and how their people, courses and
links map onto ours. docs/lti.md explains each for the admin who registers a platform."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


class ToolKey(models.Model):
    """Our RSA key pair. The newest active key signs; keys retired by a rotation stay published in
    our JWKS until deleted, so a platform holding a cached copy can still check older messages.
    Made by `manage.py lti_key`, never committed."""

    kid = models.CharField(max_length=64, unique=True)
    private_key = models.TextField(help_text="PEM. Never shown or exported.")
    public_jwk = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kid} ({'retired' if self.retired_at else 'signing'})"


class Platform(models.Model):
    """One registration of this tool in an LMS: what the LMS's admin gives us."""

    name = models.CharField(max_length=120, help_text="For you: e.g. 'School Moodle'.")
    issuer = models.URLField(
        max_length=255, help_text="Moodle: the site address. Canvas: https://canvas.instructure.com."
    )
    client_id = models.CharField(max_length=255, help_text="The Client ID the LMS gave this tool.")
    auth_login_url = models.URLField(max_length=500, verbose_name="authentication request URL")
    auth_token_url = models.URLField(max_length=500, verbose_name="access token URL")
    keyset_url = models.URLField(max_length=500, verbose_name="public keyset URL")
    deployment_ids = models.JSONField(
        default=list, blank=True, help_text='The deployment IDs, as a list: ["1"] or ["12:abc..."].'
    )
    frame_origins = models.TextField(
        blank=True,
        help_text="Web addresses the LMS's pages are served from, one a line, allowed to show this "
        "tool in a frame. Empty: the issuer's and the login URL's. Canvas: your school's Canvas address.",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["issuer", "client_id"], name="lti_one_platform_per_client")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        ids = self.deployment_ids
        if isinstance(ids, str | int):
            ids = [ids]
        if not isinstance(ids, list) or not all(isinstance(i, str | int) and str(i).strip() for i in ids):
            raise ValidationError({"deployment_ids": 'Give the deployment IDs as a list, like ["1"].'})
        self.deployment_ids = [str(i).strip() for i in ids]

    def allowed_frame_origins(self) -> list[str]:
        listed = [origin_of(line.strip()) for line in self.frame_origins.splitlines() if line.strip()]
        found = listed or [origin_of(self.issuer), origin_of(self.auth_login_url)]
        return sorted({origin for origin in found if origin})


class LtiUser(models.Model):
    """An LMS person, linked to our account by (issuer, sub) as the spec asks."""

    issuer = models.CharField(max_length=255)
    sub = models.CharField(max_length=255)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lti_links")
    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="users")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "sub"], name="lti_one_link_per_person")]

    def __str__(self) -> str:
        return f"{self.sub} at {self.issuer} → {self.user}"


class LtiContext(models.Model):
    """An LMS course (context) and the class it became here."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="contexts")
    deployment_id = models.CharField(max_length=255)
    context_id = models.CharField(max_length=255)
    title = models.CharField(max_length=255, blank=True)
    classroom = models.OneToOneField(
        "classroom.Classroom", on_delete=models.CASCADE, related_name="lti_context"
    )
    memberships_url = models.URLField(max_length=500, blank=True)
    lineitems_url = models.URLField(max_length=500, blank=True)
    roster_synced_at = models.DateTimeField(null=True, blank=True)
    roster_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "context_id"], name="lti_one_class_per_course")
        ]

    def __str__(self) -> str:
        return f"{self.title or self.context_id} ({self.platform})"


class LtiResourceLink(models.Model):
    """An activity in the LMS course: one problem set (an assignment of the class) or one problem."""

    context = models.ForeignKey(LtiContext, on_delete=models.CASCADE, related_name="links")
    resource_link_id = models.CharField(max_length=255)
    title = models.CharField(max_length=255, blank=True)
    assignment = models.ForeignKey(
        "classroom.Assignment", on_delete=models.SET_NULL, null=True, blank=True, related_name="lti_links"
    )
    problem = models.ForeignKey(
        "problems.Problem", on_delete=models.SET_NULL, null=True, blank=True, related_name="lti_links"
    )
    lineitem_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["context", "resource_link_id"], name="lti_one_row_per_link")
        ]

    def __str__(self) -> str:
        return self.title or self.resource_link_id


class UsedNonce(models.Model):
    """Nonces we issued at login; each id_token's nonce is accepted once (a replay is refused)."""

    nonce = models.CharField(max_length=128, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"nonce {self.nonce[:8]}… ({'used' if self.used_at else 'issued'})"


class ScoreSend(models.Model):
    """The outbox of grade passback: one row per activity and student, holding the latest score to
    send. A failed send stays here, is retried with back-off, and is listed for the teacher."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to send"
        SENT = "sent", "Sent"
        FAILED = "failed", "Not sent yet (will retry)"
        GAVE_UP = "gave_up", "Not sent: needs a look"

    link = models.ForeignKey(LtiResourceLink, on_delete=models.CASCADE, related_name="scores")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    lti_user = models.ForeignKey(LtiUser, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    score_given = models.FloatField(default=0)
    score_maximum = models.FloatField(default=1)
    late = models.PositiveIntegerField(default=0, help_text="How many of the solved problems were late.")
    # Bumped by each graded attempt; a send clears the row only if nothing newer arrived meanwhile.
    version = models.PositiveIntegerField(default=1)
    tries = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_try_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["link", "student"], name="lti_one_score_per_student_link")
        ]

    def __str__(self) -> str:
        return f"{self.student} on {self.link}: {self.score_given}/{self.score_maximum} ({self.status})"
