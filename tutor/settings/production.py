"""Production: secrets and hosts have no defaults, and every `check --deploy` warning is addressed."""

from .base import *  # noqa: F403
from .env import env_bool, env_int, env_list, env_required
from .security import TUTOR_BEHIND_PROXY

DEBUG = False
SECRET_KEY = env_required("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ValueError("DJANGO_ALLOWED_HOSTS must list the host names this site is served on.")

SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Only a proxy that sets X-Forwarded-Proto itself (and drops what clients send) makes that header
# true; without one, believing it would let any client claim "this came over https".
if TUTOR_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31536000, minimum=0)
# Both reach beyond this site (every subdomain; browsers' built-in lists, which take months to leave),
# so they are the deployer's decision, off unless set. `check --deploy` warns about them being off
# (security.W005, W021); that is this default working as meant, so those two are silenced then.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [
    *([] if SECURE_HSTS_INCLUDE_SUBDOMAINS else ["security.W005"]),
    *([] if SECURE_HSTS_PRELOAD else ["security.W021"]),
]
