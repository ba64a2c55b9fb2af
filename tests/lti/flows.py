"""A browser's part in LTI flows, with `requests` (cookies kept per person), against the tool served
by pytest-django's live_server and the platform in tests/lti/platform.py."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin

import requests
from django.core.management import call_command

from tests.lti.platform import LtiPlatform, form_fields
from tutor.lti.models import Platform


def register(platform: LtiPlatform, tool_url: str) -> Platform:
    """Both halves of the registration, as the two admins would do them."""
    platform.register_tool(
        login_url=tool_url + "/lti/login/",
        launch_url=tool_url + "/lti/launch/",
        jwks_url=tool_url + "/lti/jwks/",
    )
    call_command("lti_key", "--if-missing")
    call_command(
        "lti_platform",
        "--name=Test LMS",
        f"--issuer={platform.issuer}",
        f"--client-id={platform.client_id}",
        f"--auth-login-url={platform.auth_url}",
        f"--auth-token-url={platform.token_url}",
        f"--keyset-url={platform.jwks_url}",
        f"--deployment-id={platform.deployment_id}",
    )
    return Platform.objects.get(issuer=platform.issuer)


class Person:
    """One person's browser: their cookies for the tool and the platform."""

    def __init__(self, platform: LtiPlatform, sub: str) -> None:
        self.platform = platform
        self.sub = sub
        self.http = requests.Session()

    def id_token_form(
        self, *, link_id: str | None = None, deep_link: bool = False
    ) -> tuple[str, dict[str, str]]:
        """Login initiation at the tool, then the platform's authorization: the form the browser
        would post to the tool."""
        start = self.platform.login_initiation(sub=self.sub, link_id=link_id, deep_link=deep_link)
        to_platform = self.http.get(start, allow_redirects=False, timeout=20)
        if "lti_cookie_check" in to_platform.headers.get("Location", ""):  # the tool's cookie test
            to_platform = self.http.get(
                urljoin(start, to_platform.headers["Location"]), allow_redirects=False, timeout=20
            )
        assert to_platform.status_code == 302, to_platform.text
        assert to_platform.headers["Location"].startswith(self.platform.auth_url)
        answer = self.http.get(to_platform.headers["Location"], allow_redirects=False, timeout=20)
        assert answer.status_code == 200, answer.text
        return form_fields(answer.text)

    def launch(self, *, link_id: str | None = None, deep_link: bool = False) -> requests.Response:
        action, fields = self.id_token_form(link_id=link_id, deep_link=deep_link)
        return self.http.post(action, data=fields, timeout=30)

    def csrf(self) -> str:
        return self.http.cookies.get("csrftoken") or ""

    def post_tool(self, url: str, data: dict, **kwargs: object) -> requests.Response:
        token = self.csrf()
        return self.http.post(
            url,
            data={**data, "csrfmiddlewaretoken": token},
            headers={"X-CSRFToken": token},
            timeout=30,
            **kwargs,
        )  # type: ignore[arg-type]


def open_picker(teacher: Person) -> str:
    """The teacher's deep-linking launch: the URL of the picker it lands on."""
    picker = teacher.launch(deep_link=True)
    assert picker.status_code == 200, picker.text
    assert "/lti/deep-link/" in picker.url, picker.url
    return picker.url


def pick(teacher: Person, picker_url: str, choice: str) -> requests.Response:
    """The teacher's pick, sent back to the platform as the signed item; the platform's answer."""
    page = teacher.http.get(picker_url, timeout=20)
    assert f'value="{choice}"' in page.text, page.text
    returned = teacher.post_tool(picker_url, {"choice": choice})
    assert returned.status_code == 200, returned.text
    action, fields = form_fields(returned.text)
    assert action == teacher.platform.url + "/deep_link_return"
    return teacher.http.post(action, data=fields, timeout=20)


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))
