"""The LTI pages without an LMS: the admin's registration, the config page, the switch, limits."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.test import Client

from tests.clients import client_for
from tests.factories import make_student, make_teacher
from tests.lti.flows import text_of
from tutor.classroom.models import User
from tutor.lti.middleware import frame_origins_forget
from tutor.lti.models import Platform, ToolKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def lti_on(settings):
    settings.TUTOR_LTI = True
    call_command("lti_key", "--if-missing")
    yield
    frame_origins_forget()  # the platforms go with the test's transaction, unseen by the cache


def test_an_admin_registers_a_platform_in_the_admin_and_the_lms_may_frame_us(lti_on):
    admin = client_for(User.objects.create_superuser("root", "root@example.com", "pw-for-the-admin-123"))
    response = admin.post(
        "/admin/lti/platform/add/",
        {
            "name": "School Moodle",
            "active": "on",
            "issuer": "https://moodle.school.example",
            "client_id": "AbC123",
            "deployment_ids": '["1"]',
            "auth_login_url": "https://moodle.school.example/mod/lti/auth.php",
            "auth_token_url": "https://moodle.school.example/mod/lti/token.php",
            "keyset_url": "https://moodle.school.example/mod/lti/certs.php",
            "frame_origins": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    platform = Platform.objects.get(client_id="AbC123")
    assert platform.deployment_ids == ["1"]
    page = Client().get("/accounts/login/")
    assert page.headers["Content-Security-Policy"].endswith(
        "frame-ancestors 'self' https://moodle.school.example"
    )
    assert "X-Frame-Options" not in page.headers
    # The admin's own pages stay unframeable.
    assert admin.get("/admin/").headers["X-Frame-Options"] == "DENY"


def test_without_a_platform_nobody_may_frame_us(lti_on):
    page = Client().get("/accounts/login/")
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"


def test_the_command_refuses_a_bad_url_with_the_field_named(lti_on):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="keyset_url"):
        call_command(
            "lti_platform",
            "--name=Bad",
            "--issuer=https://lms.example",
            "--client-id=x",
            "--auth-login-url=https://lms.example/auth",
            "--auth-token-url=https://lms.example/token",
            "--keyset-url=not a url",
        )
    assert not Platform.objects.exists()


def test_the_config_page_shows_a_teacher_the_urls_to_type_in(lti_on):
    page = client_for(make_teacher()).get("/lti/")
    text = text_of(page.content.decode())
    assert "http://testserver/lti/login/" in text
    assert "http://testserver/lti/launch/" in text
    assert "http://testserver/lti/jwks/" in text
    assert client_for(make_student()).get("/lti/").status_code == 403


def test_our_jwks_never_shows_a_private_key(lti_on):
    keys = Client().get("/lti/jwks/").json()["keys"]
    assert [k["kid"] for k in keys] == [ToolKey.objects.get().kid]
    assert set(keys[0]) <= {"kty", "n", "e", "kid", "alg", "use"}


def test_with_lti_off_its_urls_are_not_there(settings):
    settings.TUTOR_LTI = False
    assert Client().get("/lti/jwks/").status_code == 404
    assert Client().get("/lti/login/", {"iss": "https://lms.example"}).status_code == 404


def test_a_login_from_an_unknown_lms_gets_a_plain_page(lti_on):
    client = Client()
    params = {
        "iss": "https://unknown.example",
        "login_hint": "u1",
        "target_link_uri": "http://testserver/lti/launch/",
    }
    first = client.get("/lti/login/", params)
    assert first.status_code == 302  # the cookie test
    page = client.get(first["Location"])
    assert page.status_code == 400
    assert "isn't set up on this site" in text_of(page.content.decode())
    assert "unknown.example" not in page.content.decode()


def test_too_many_launches_from_one_address_are_slowed_down(lti_on, settings):
    settings.TUTOR_LTI_LAUNCHES_PER_CLIENT_PER_MINUTE = 3
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(3):
        assert client.get("/lti/login/", {"iss": "https://lms.example"}).status_code != 429
    refused = client.get("/lti/login/", {"iss": "https://lms.example"})
    assert refused.status_code == 429
    assert "Too many activities were opened from your network" in text_of(refused.content.decode())
    # Another school is not affected.
    assert (
        Client(REMOTE_ADDR="198.51.100.4").get("/lti/login/", {"iss": "https://lms.example"}).status_code
        != 429
    )


def test_a_deployment_id_typed_without_the_list_brackets_is_kept_as_a_list(lti_on):
    admin = client_for(User.objects.create_superuser("root", "root@example.com", "pw-for-the-admin-123"))
    fields = {
        "name": "Canvas",
        "active": "on",
        "issuer": "https://canvas.instructure.com",
        "client_id": "10000000000012",
        "auth_login_url": "https://sso.canvaslms.com/api/lti/authorize_redirect",
        "auth_token_url": "https://sso.canvaslms.com/login/oauth2/token",
        "keyset_url": "https://sso.canvaslms.com/api/lti/security/jwks",
        "frame_origins": "https://school.instructure.com",
    }
    assert admin.post("/admin/lti/platform/add/", {**fields, "deployment_ids": "12"}).status_code == 302
    platform = Platform.objects.get()
    assert platform.deployment_ids == ["12"]
    assert platform.allowed_frame_origins() == ["https://school.instructure.com"]
    refused = admin.post(
        f"/admin/lti/platform/{platform.pk}/change/", {**fields, "deployment_ids": '{"a": 1}'}
    )
    assert refused.status_code == 200
    assert "Give the deployment IDs as a list" in refused.content.decode()


@pytest.mark.parametrize(("lti", "expected"), [("1", "None None True True"), ("0", "Lax Lax True True")])
def test_in_production_lti_makes_the_cookies_work_inside_a_frame(lti, expected):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tutor.settings.production",
        "DJANGO_SECRET_KEY": "x" * 60,
        "DJANGO_ALLOWED_HOSTS": "tutor.example",
        "TUTOR_LTI": lti,
    }
    code = "from django.conf import settings as s; print(s.SESSION_COOKIE_SAMESITE, s.CSRF_COOKIE_SAMESITE, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)"
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert out.stdout.strip() == expected
