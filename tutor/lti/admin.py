from __future__ import annotations

from django.contrib import admin
from django.db import models

from .models import LtiContext, LtiResourceLink, LtiUser, Platform, ScoreSend, ToolKey


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    list_display = ("name", "issuer", "client_id", "active", "created_at")
    list_filter = ("active",)
    search_fields = ("name", "issuer", "client_id")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = (
        (None, {"fields": ("name", "active")}),
        (
            "What the LMS shows you after registering this tool (docs/lti.md)",
            {
                "fields": (
                    "issuer",
                    "client_id",
                    "deployment_ids",
                    "auth_login_url",
                    "auth_token_url",
                    "keyset_url",
                    "frame_origins",
                )
            },
        ),
    )


@admin.register(ToolKey)
class ToolKeyAdmin(admin.ModelAdmin):
    """Read-only: keys are made and rotated by `manage.py lti_key --rotate`; the private half is never shown."""

    list_display = ("kid", "created_at", "retired_at")
    fields = ("kid", "public_jwk", "created_at", "retired_at")
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(LtiContext)
class LtiContextAdmin(admin.ModelAdmin):
    list_display = ("title", "platform", "classroom", "roster_synced_at")
    search_fields = ("title", "context_id")
    raw_id_fields = ("classroom",)


@admin.register(LtiResourceLink)
class LtiResourceLinkAdmin(admin.ModelAdmin):
    list_display = ("title", "context", "assignment", "problem", "lineitem_url")
    raw_id_fields = ("context", "assignment", "problem")


@admin.register(LtiUser)
class LtiUserAdmin(admin.ModelAdmin):
    list_display = ("user", "issuer", "sub", "created_at")
    search_fields = ("user__username", "sub")
    raw_id_fields = ("user", "platform")


@admin.register(ScoreSend)
class ScoreSendAdmin(admin.ModelAdmin):
    list_display = ("student", "link", "score_given", "score_maximum", "status", "tries", "updated_at")
    list_filter = ("status",)
    raw_id_fields = ("link", "student", "lti_user")
