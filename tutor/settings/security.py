"""Abuse limits for accounts, sign-up, classes, reports and audits, and who is in front of us.

Imported by base.py, so every configuration (demo, test, production) has the same limits unless
the environment says otherwise. docs/security.md lists each one with what it protects.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured

from .env import env_bool, env_int, env_str

# --- A proxy in front ---------------------------------------------------------------------
# Only when a reverse proxy terminates TLS and sets X-Forwarded-Proto / X-Forwarded-For (and strips
# them from what clients send) may Django believe those headers. Without one, anyone could claim
# "https" or any address, so by default neither is trusted.
TUTOR_BEHIND_PROXY = env_bool("TUTOR_BEHIND_PROXY", False)

# --- Logging in (django-axes) ---------------------------------------------------------------
# Wrong passwords are counted per account (whatever the client) and per client address (whatever
# the account). Either count reaching its limit refuses logins for the cool-off time, counted from
# the last failure. A school behind one address makes many honest mistakes, hence the higher
# per-client limit.
TUTOR_LOGIN_FAILURES_PER_ACCOUNT = env_int("TUTOR_LOGIN_FAILURES_PER_ACCOUNT", 10, minimum=1)
TUTOR_LOGIN_FAILURES_PER_CLIENT = env_int("TUTOR_LOGIN_FAILURES_PER_CLIENT", 50, minimum=1)
TUTOR_LOGIN_LOCKOUT_MINUTES = env_int("TUTOR_LOGIN_LOCKOUT_MINUTES", 15, minimum=1)

AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_HANDLER = "tutor.classroom.security.LoginLockoutHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = TUTOR_LOGIN_FAILURES_PER_ACCOUNT
AXES_COOLOFF_TIME = timedelta(minutes=TUTOR_LOGIN_LOCKOUT_MINUTES)
AXES_CLIENT_IP_CALLABLE = "tutor.classroom.security.client_address"
AXES_LOCKOUT_CALLABLE = "tutor.classroom.security.lockout_response"
# A success must not wipe the counts: with per-client counting it would also wipe the failures
# against other accounts from the same address (log into your own account, guess 9 more).
AXES_RESET_ON_SUCCESS = False
AXES_VERBOSE = False
AXES_HTTP_RESPONSE_CODE = 429


# --- Sign-up ---------------------------------------------------------------------------------
# "open": anyone may sign up as a teacher; "approval": the account is made but acts as a teacher
# only once an admin approves it (admin > Users > "Approve as teacher"); "closed": only students
# sign up, teachers are made by an admin.
# Production's default is "approval"; the demo and the tests use "open" (dev.py, test.py).
def teacher_signup_from_env(default: str) -> str:
    mode = env_str("TUTOR_TEACHER_SIGNUP", default) or default
    if mode not in ("open", "approval", "closed"):
        raise ImproperlyConfigured(
            f"TUTOR_TEACHER_SIGNUP must be 'open', 'approval' or 'closed', not {mode!r}."
        )
    return mode


TUTOR_TEACHER_SIGNUP = teacher_signup_from_env("approval")
# Sign-up attempts (good or bad) per client address per hour. A whole class signing up from one
# school address at the start of a lesson must fit.
TUTOR_SIGNUPS_PER_CLIENT_PER_HOUR = env_int("TUTOR_SIGNUPS_PER_CLIENT_PER_HOUR", 100, minimum=1)

# --- Join codes -------------------------------------------------------------------------------
# Wrong class codes per student and per client address per hour (codes are 7 of 31 characters).
TUTOR_JOIN_FAILURES_PER_USER_PER_HOUR = env_int("TUTOR_JOIN_FAILURES_PER_USER_PER_HOUR", 10, minimum=1)
TUTOR_JOIN_FAILURES_PER_CLIENT_PER_HOUR = env_int("TUTOR_JOIN_FAILURES_PER_CLIENT_PER_HOUR", 60, minimum=1)

# --- "This looks wrong" reports ---------------------------------------------------------------
TUTOR_REPORTS_PER_HOUR = env_int("TUTOR_REPORTS_PER_HOUR", 20, minimum=1)

# --- Answer-key audits --------------------------------------------------------------------------
# Audits a teacher may start per hour (each asks the model up to twice per problem). Only one runs
# per problem set; one that has not finished after TUTOR_AUDIT_STALE_MINUTES is presumed dead (its
# worker was lost) and no longer blocks a new one.
TUTOR_AUDITS_PER_HOUR = env_int("TUTOR_AUDITS_PER_HOUR", 3, minimum=1)
TUTOR_AUDIT_STALE_MINUTES = env_int("TUTOR_AUDIT_STALE_MINUTES", 120, minimum=1)
