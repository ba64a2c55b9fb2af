"""Settings for the test suite.

With DATABASE_URL and REDIS_URL set (as `.ci/run` does) the suite runs on PostgreSQL and
the Redis channel layer; without them, on SQLite and the in-memory layer.
"""

import uuid

from .base import *  # noqa: F403
from .base import BASE_DIR, CHANNEL_LAYERS, DATABASES, REDIS_URL
from .env import env_float, env_str
from .security import teacher_signup_from_env

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-production"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
if REDIS_URL:
    # A fresh prefix per run keeps parallel or repeated runs from reading each other's groups;
    # a worker started by a test is given the same one through the environment.
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = (
        env_str("CHANNEL_LAYER_PREFIX") or f"tutor-test-{uuid.uuid4().hex[:8]}"
    )

# Jobs run in the test process unless a test starts a real worker.
TUTOR_GENERATION = env_str("TUTOR_GENERATION", "inprocess")
OLLAMA_READ_TIMEOUT = env_float("OLLAMA_READ_TIMEOUT", 2.0)
OLLAMA_CONNECT_TIMEOUT = env_float("OLLAMA_CONNECT_TIMEOUT", 2.0)
# As in the demo; tests of "approval" and "closed" set it themselves.
TUTOR_TEACHER_SIGNUP = teacher_signup_from_env("open")

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory: the page tests' server runs in another process and must see the data.
    (BASE_DIR / "test-artifacts").mkdir(exist_ok=True)
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test-artifacts" / "test-db.sqlite3")}
