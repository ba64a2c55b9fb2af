"""Settings shared by every configuration.

The embedded default (no environment variables) is SQLite, the in-memory channel layer
and Celery in eager mode, so `make run` works on a bare machine. `DATABASE_URL` switches
to PostgreSQL; `REDIS_URL` switches to the Redis channel layer and a real Celery broker.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from inference.llm.hosts import parse_hosts

from .env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "tutor.classroom",
    "tutor.problems",
    "tutor.tutoring",
    "tutor.reports",
    "tutor.limits",
    "tutor.lti",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before the CSP middleware, so it edits its header: frame-ancestors lists the LMSs (docs/lti.md).
    "tutor.lti.middleware.LtiFramingMiddleware",
    "tutor.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tutor.classroom.time_zones.TimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "tutor.errors.ApplicationErrorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a login refused for too many wrong passwords into our page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tutor.urls"
WSGI_APPLICATION = "tutor.wsgi.application"
ASGI_APPLICATION = "tutor.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    # Under ASGI each request may run in a different thread, so persistent per-thread
    # connections leak; a psycopg pool gives cheap connections without that.
    # Health checks: with the pool, a connection PostgreSQL dropped (restart, failover, idle kill)
    # is found out and replaced when it is taken from the pool, not by the query that needed it.
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0, conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": env_int("DATABASE_POOL_MAX", 20, minimum=2),
            "timeout": 10,
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {"timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer and Celery -------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
CHANNEL_LAYER_PREFIX = env_str("CHANNEL_LAYER_PREFIX", "tutor") or "tutor"
# "pubsub" (the default) publishes each group message once with PUBLISH and reads them over one
# subscription per process; "core" keeps a Redis sorted set per socket and needs four round trips
# per group_send. With 50 streams in one process the pub/sub layer was the one that kept up
# (docs/benchmarks.md). Neither stores messages for a socket that is gone: the event log does.
CHANNEL_LAYER = env_str("CHANNEL_LAYER", "pubsub")
if CHANNEL_LAYER not in ("pubsub", "core"):
    raise ImproperlyConfigured(f"CHANNEL_LAYER must be 'pubsub' or 'core', not {CHANNEL_LAYER!r}")
if REDIS_URL:
    # redis-py 8 defaults to socket_timeout=5 and 100 connections, and channels_redis then
    # drops idle websockets with close code 1011 every few seconds.
    _redis_host = {
        "address": REDIS_URL,
        "socket_timeout": None,
        "socket_connect_timeout": 5,
        "max_connections": env_int("REDIS_MAX_CONNECTIONS", 1000, minimum=10),
    }
    if CHANNEL_LAYER == "pubsub":
        CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "CONFIG": {"hosts": [_redis_host], "prefix": CHANNEL_LAYER_PREFIX},
            }
        }
    else:
        CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {
                    "hosts": [_redis_host],
                    "prefix": CHANNEL_LAYER_PREFIX,
                    # All of a process's sockets share one Redis list; past capacity, messages are
                    # dropped (the consumers then fill gaps from the stored event log).
                    "capacity": env_int("CHANNEL_LAYER_CAPACITY", 5000, minimum=100),
                    "expiry": 60,
                },
            }
        }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 600, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 660, minimum=1)
# Should exceed the hard time limit, or Redis hands a generation that is still running to a second
# worker (whose job then finds the message claimed and ends; the claim is what keeps it harmless).
# The fault tests shorten it to see a killed worker's job come back.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", CELERY_TASK_TIME_LIMIT + 300, minimum=1)
}
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "tutor")

# --- The language model ---------------------------------------------------------------------
OLLAMA_HOST = env_str("OLLAMA_HOST", "http://127.0.0.1:11434")
OLLAMA_MODEL = env_str("OLLAMA_MODEL", "phi4")
OLLAMA_CONNECT_TIMEOUT = env_float("OLLAMA_CONNECT_TIMEOUT", 5.0, minimum=0.1)
OLLAMA_READ_TIMEOUT = env_float("OLLAMA_READ_TIMEOUT", 60.0, minimum=0.1)
# A busy Ollama (503, its queue full) is retried 3 times after this many seconds, doubling each time.
OLLAMA_RETRY_BASE_DELAY = env_float("OLLAMA_RETRY_BASE_DELAY", 0.5, minimum=0.0)
OLLAMA_KEEP_ALIVE = env_str("OLLAMA_KEEP_ALIVE", "30m")
# Several Ollama hosts (docs/scaling.md): "http://gpu1:11434=2,http://gpu2:11434=4", each with how
# many answers it streams at once (set it to that host's OLLAMA_NUM_PARALLEL; OLLAMA_HOST_CAPACITY
# when left out). Unset: OLLAMA_HOST alone, with no limit of ours, as before.
OLLAMA_HOSTS = env_str("OLLAMA_HOSTS", "")
OLLAMA_HOST_CAPACITY = env_int("OLLAMA_HOST_CAPACITY", 4, minimum=1)
try:
    parse_hosts(OLLAMA_HOSTS, default_capacity=OLLAMA_HOST_CAPACITY)
except ValueError as exc:
    raise ImproperlyConfigured(str(exc)) from None
# A host's health (/api/version, /api/tags) older than this is probed again before it is used.
OLLAMA_PROBE_SECONDS = env_float("OLLAMA_PROBE_SECONDS", 10.0, minimum=0.5)
# A student waits in line this long, every host being full, before being told to try again later.
OLLAMA_WAIT_SECONDS = env_float("OLLAMA_WAIT_SECONDS", 300.0, minimum=1.0)

# --- Students' answers (tutoring/attempts.py); the checker pool's own settings are CHECKER_*
# (docs/checker.md). Previews are sent as the student types (250 ms after the last key).
TUTOR_PREVIEWS_PER_MINUTE = env_int("TUTOR_PREVIEWS_PER_MINUTE", 60, minimum=1)
TUTOR_ATTEMPTS_PER_MINUTE = env_int("TUTOR_ATTEMPTS_PER_MINUTE", 10, minimum=1)
# This many answers running into the checker's time limit in a minute pause a user's previews
# and attempts for TUTOR_SLOW_ANSWER_PAUSE_SECONDS.
TUTOR_SLOW_ANSWERS_PER_MINUTE = env_int("TUTOR_SLOW_ANSWERS_PER_MINUTE", 3, minimum=1)
TUTOR_SLOW_ANSWER_PAUSE_SECONDS = env_int("TUTOR_SLOW_ANSWER_PAUSE_SECONDS", 120, minimum=1)
# Where generation jobs run: "celery" (a worker, production) or "inprocess" (an asyncio task in
# the web process: the embedded default, single process only).
TUTOR_GENERATION = env_str(
    "TUTOR_GENERATION", "celery" if REDIS_URL and not CELERY_TASK_ALWAYS_EAGER else "inprocess"
)
if TUTOR_GENERATION not in ("celery", "inprocess"):
    raise ValueError(f"TUTOR_GENERATION={TUTOR_GENERATION!r}: use 'celery' or 'inprocess'.")
# Coalescing of streamed deltas: one stored and published frame per interval or token count.
TUTOR_FLUSH_INTERVAL = env_float("TUTOR_FLUSH_INTERVAL", 0.05, minimum=0.0)
TUTOR_FLUSH_TOKENS = env_int("TUTOR_FLUSH_TOKENS", 8, minimum=1)
TUTOR_MAX_REGENERATIONS = env_int("TUTOR_MAX_REGENERATIONS", 2, minimum=0)
# A generation job whose heartbeat has been silent this long is presumed dead (its worker was
# killed): the next job for the message, or a page watching it, takes it over.
TUTOR_CLAIM_STALE_SECONDS = env_int("TUTOR_CLAIM_STALE_SECONDS", 20, minimum=2)
TUTOR_REQUESTS_PER_MINUTE = env_int("TUTOR_REQUESTS_PER_MINUTE", 10, minimum=1)
# Open tutor sockets per user in one web process (a tab per problem is normal), and socket
# connections per user per minute across all processes.
TUTOR_SOCKETS_PER_USER = env_int("TUTOR_SOCKETS_PER_USER", 20, minimum=1)
TUTOR_SOCKET_CONNECTS_PER_MINUTE = env_int("TUTOR_SOCKET_CONNECTS_PER_MINUTE", 60, minimum=1)

# --- Problem-set uploads (tutor/problems/importers/sandbox.py, docs/problem-format.md) -------
# Each file is read in a child process with these limits; past them the teacher gets an error
# naming the line the reader had reached. At most PROBLEM_UPLOAD_READERS files are read at once
# per process; an upload that can't get a turn within the read time gets a 429.
PROBLEM_UPLOAD_READ_SECONDS = env_float("PROBLEM_UPLOAD_READ_SECONDS", 10.0, minimum=0.5)
PROBLEM_UPLOAD_READ_MEMORY_MB = env_int("PROBLEM_UPLOAD_READ_MEMORY_MB", 512, minimum=128)
PROBLEM_UPLOAD_READERS = env_int("PROBLEM_UPLOAD_READERS", 2, minimum=1)
# Checking the answer keys of one upload (each key in the checker's sandbox, CHECKER_TIMEOUT
# at most): keys still unchecked after this long are reported, from the line where checking stopped.
PROBLEM_UPLOAD_CHECK_SECONDS = env_float("PROBLEM_UPLOAD_CHECK_SECONDS", 30.0, minimum=1.0)

# --- Auth -------------------------------------------------------------------------------------
AUTH_USER_MODEL = "classroom.User"
# The first refuses logins while an account or a client is locked out (tutor/settings/security.py).
AUTHENTICATION_BACKENDS = [
    "tutor.classroom.security.LoginLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# `collectstatic` writes here (make run, the Docker image); a different folder for a second copy.
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Hashed names (css/app.3f2a….css) are cached by browsers for a year without asking again, and
# whitenoise serves the gzip copies collectstatic made: docs/benchmarks.md, "Page weight".
# With DEBUG on (the demo), {% static %} gives the plain names and whitenoise reads static/ directly.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Files browsers ask for at the site's root (/favicon.ico).
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
MEDIA_ROOT = BASE_DIR / "media"

# Uploads are read into memory and parsed; bound them.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# LTI 1.3 (docs/lti.md): launched from Moodle, Canvas or another LMS. Inside the LMS's iframe this
# site's cookies are third-party; browsers send them there only as SameSite=None; Secure (set when
# TUTOR_LTI is on; TUTOR_LTI_IFRAME_COOKIES=0 keeps the defaults, for LMSs that open a new window).
TUTOR_LTI = env_bool("TUTOR_LTI", False)
# LMS logins and launches per client address per minute (a school's classes share one address).
TUTOR_LTI_LAUNCHES_PER_CLIENT_PER_MINUTE = env_int("TUTOR_LTI_LAUNCHES_PER_CLIENT_PER_MINUTE", 300, minimum=1)
# The first wait after a score the LMS did not take, doubling up to 6 hours (docs/lti.md).
TUTOR_LTI_SCORE_RETRY_SECONDS = env_int("TUTOR_LTI_SCORE_RETRY_SECONDS", 30, minimum=1)
if env_bool("TUTOR_LTI_IFRAME_COOKIES", TUTOR_LTI):
    SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "None"
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}},
}

# Abuse limits and proxy trust (logins, sign-up, join codes, reports, audits): tutor/settings/security.py
from .security import *  # noqa: E402, F403
