"""The embedded default used by `make run`: everything in one process on a bare machine."""

from .base import *  # noqa: F403
from .env import env_str
from .security import teacher_signup_from_env

DEBUG = True
# Only for local use; production.py demands a real secret.
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "dev-only-insecure-key-do-not-deploy")  # noqa: S105
# The demo lets anyone sign up as a teacher; production's default is "approval".
TUTOR_TEACHER_SIGNUP = teacher_signup_from_env("open")
