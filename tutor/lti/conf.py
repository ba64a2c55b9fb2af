"""pylti1p3's view of our registrations (tutor.lti.models.Platform), and the pieces it calls back:
nonces kept in PostgreSQL (each accepted once, whatever process sees the launch), state cookies
that work inside an LMS's iframe, and HTTP with time limits."""

from __future__ import annotations

import hashlib
import random
from datetime import timedelta
from typing import Any, cast

import requests
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from pylti1p3.contrib.django.cookie import DjangoCookieService
from pylti1p3.contrib.django.message_launch import DjangoMessageLaunch
from pylti1p3.contrib.django.request import DjangoRequest
from pylti1p3.contrib.django.session import DjangoSessionService
from pylti1p3.deployment import Deployment
from pylti1p3.exception import LtiException
from pylti1p3.registration import Registration
from pylti1p3.tool_config.abstract import ToolConfAbstract

from .keys import public_pem_of, tool_key_current
from .models import Platform, UsedNonce

# A login must come back as a launch within this time.
NONCE_LIFETIME = timedelta(minutes=10)
# The platform's clock may differ from ours by this much.
CLOCK_LEEWAY_SECONDS = 30
# An LMS's public keys are kept this long (a token signed with a key not among them fetches anew).
JWKS_CACHE_SECONDS = 300
# Every call to an LMS (its keys, tokens, grades, rosters): connect, read.
HTTP_TIMEOUT = (5, 20)


class BoundedSession(requests.Session):
    """requests has no default timeout; an LMS that stops answering must not hold a worker."""

    def request(self, method: Any, url: Any, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", HTTP_TIMEOUT)
        return super().request(method, url, *args, **kwargs)


def http_session() -> requests.Session:
    session = BoundedSession()
    session.headers["User-Agent"] = "PhiTutor-LTI"
    return session


def registration_for(platform: Platform) -> Registration:
    key = tool_key_current()
    return (
        Registration()
        .set_issuer(platform.issuer)
        .set_client_id(platform.client_id)
        .set_auth_login_url(platform.auth_login_url)
        .set_auth_token_url(platform.auth_token_url)
        .set_key_set_url(platform.keyset_url)
        .set_key_set(None)
        .set_tool_private_key(key.private_key)
        .set_tool_public_key(public_pem_of(key.private_key))
    )


def platform_for(iss: str, client_id: str | None) -> Platform:
    platforms = Platform.objects.filter(issuer=iss, active=True)
    if client_id:
        platforms = platforms.filter(client_id=client_id)
    platform = platforms.order_by("pk").first()
    if platform is None:
        raise LtiException(f"no active platform registered for iss={iss!r} client_id={client_id!r}")
    return platform


class ToolConf(ToolConfAbstract):
    """Many client ids per issuer (a Canvas cloud issuer is shared by every school)."""

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Registration:
        return registration_for(platform_for(iss, None))

    def find_registration_by_params(
        self, iss: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Registration:
        return registration_for(platform_for(iss, client_id))

    def find_deployment(self, iss: str, deployment_id: str) -> Deployment | None:
        return None

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Deployment | None:
        platform = platform_for(iss, client_id)
        if str(deployment_id) not in [str(d) for d in platform.deployment_ids]:
            return None
        return Deployment().set_deployment_id(deployment_id)


class NonceOnceSessionService(DjangoSessionService):
    """pylti1p3 keeps nonces in the session and never forgets them, so a replayed id_token passes.
    Here a nonce we issued is a row, spent by the first launch that carries it."""

    def save_nonce(self, nonce: str) -> None:
        UsedNonce.objects.create(nonce=nonce)
        if random.random() < 0.01:
            # Spent or expired nonces are useless after their lifetime; a replay is refused anyway.
            UsedNonce.objects.filter(created_at__lt=timezone.now() - 2 * NONCE_LIFETIME).delete()

    def check_nonce(self, nonce: str) -> bool:
        if not isinstance(nonce, str) or len(nonce) > 128:
            return False
        now = timezone.now()
        spent = UsedNonce.objects.filter(
            nonce=nonce, used_at__isnull=True, created_at__gte=now - NONCE_LIFETIME
        ).update(used_at=now)
        return spent == 1


def iframe_cookies() -> bool:
    return settings.SESSION_COOKIE_SAMESITE == "None"


class IframeCookieService(DjangoCookieService):
    """The state cookie must come back on the LMS's cross-site POST, inside its iframe: SameSite=None
    and Secure, also when TLS ends at a proxy or in the iframe test on 127.0.0.1."""

    def update_response(self, response: Any) -> None:
        request = cast(DjangoRequest, self._request)
        for key, data in cast(dict, self._cookie_data_to_set).items():
            secure = request.is_secure() or iframe_cookies()
            response.set_cookie(
                key,
                data["value"],
                max_age=data["exp"],
                secure=secure,
                httponly=True,
                path="/",
                samesite="None" if secure else "Lax",
            )


class ToolLaunch(DjangoMessageLaunch):
    """pylti1p3's launch, with the audience and the times checked (it skips `aud`), and the LMS's
    keys kept for a few minutes (a class opening an activity at once asks the LMS once)."""

    def fetch_public_key(self, key_set_url: str) -> Any:
        cache_key = "lti-jwks:" + hashlib.sha256(key_set_url.encode()).hexdigest()
        kid = self._jwt.get("header", {}).get("kid")
        cached = cache.get(cache_key)
        if cached and any(isinstance(k, dict) and k.get("kid") == kid for k in cached.get("keys", [])):
            return cached
        # Not cached, or the LMS has rotated its key since: ask it.
        fresh = super().fetch_public_key(key_set_url)
        if isinstance(fresh, dict):
            cache.set(cache_key, fresh, JWKS_CACHE_SECONDS)
        return fresh

    def validate_jwt_signature(self) -> ToolLaunch:
        import jwt

        id_token = self._get_id_token()
        public_key, key_alg = self.get_public_key()
        assert self._registration is not None, "validate_registration runs first"
        try:
            jwt.decode(
                id_token,
                public_key,
                algorithms=[key_alg],
                audience=self._registration.get_client_id(),
                issuer=self._registration.get_issuer(),
                leeway=CLOCK_LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "aud", "iss"]},
            )
        except jwt.InvalidTokenError as e:
            raise LtiException(f"Can't decode id_token: {type(e).__name__}: {e}") from e
        return self


def launch_for(request: Any) -> ToolLaunch:
    django_request = DjangoRequest(request, post_only=True)
    return ToolLaunch(
        django_request,
        ToolConf(),
        session_service=NonceOnceSessionService(django_request),
        cookie_service=IframeCookieService(django_request),
        requests_session=http_session(),
    )
