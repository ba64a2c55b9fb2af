"""Our signing keys: made and rotated by `manage.py lti_key`, published at /lti/jwks/."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.db import transaction
from django.utils import timezone
from pylti1p3.registration import Registration

from tutor.errors import Conflict

from .models import ToolKey


def public_pem_of(private_pem: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@transaction.atomic
def tool_key_rotate() -> ToolKey:
    """A new signing key; the one before is retired but stays published (platforms cache JWKS)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    # The kid is the key's RFC 7638 thumbprint, as pylti1p3 computes it when it signs.
    jwk = dict(Registration.get_jwk(public_pem_of(private_pem)))
    ToolKey.objects.filter(retired_at__isnull=True).update(retired_at=timezone.now())
    return ToolKey.objects.create(kid=jwk["kid"], private_key=private_pem, public_jwk=jwk)


def tool_key_current() -> ToolKey:
    key = ToolKey.objects.filter(retired_at__isnull=True).first()
    if key is None:
        raise Conflict(
            "This site has no LMS signing key yet. An admin makes one with: manage.py lti_key --rotate",
            code="lti_no_key",
        )
    return key


def tool_jwks() -> dict[str, list[dict]]:
    return {"keys": [dict(key.public_jwk) for key in ToolKey.objects.order_by("-created_at")]}
