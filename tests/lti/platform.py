"""A small LTI 1.3 platform (an LMS's side), written from the IMS specifications with PyJWT and
cryptography, served over real HTTP from a thread. None of the tool's code is used here: it is what
the tool under test must interoperate with.

Followed (sections named where the checks are made):
- LTI Core 1.3 (https://www.imsglobal.org/spec/lti/v1p3/): OIDC third-party-initiated login (5.1.1),
  the authentication response and id_token claims (5.1.2-5.1.3, 5.3-5.4).
- IMS Security Framework 1.0 (https://www.imsglobal.org/spec/security/v1p0/): the auth request's
  parameters (5.1.1.2), the id_token (5.1.2), client_credentials with a signed client_assertion
  (4.1.1), JWKS (6.3).
- Deep Linking 2.0 (https://www.imsglobal.org/spec/lti-dl/v2p0/): the request's settings claim
  (4.4.1) and the LtiDeepLinkingResponse the tool posts back (4.5), ltiResourceLink items (3.1).
- Assignment and Grade Services 2.0 (https://www.imsglobal.org/spec/lti-ags/v2p0/): the endpoint
  claim (3.1), line items, the score publish service (3.4, media type
  application/vnd.ims.lis.v1.score+json).
- Names and Role Provisioning Services 2.0 (https://www.imsglobal.org/spec/lti-nrps/v2p0/):
  the claim (3.6.1), the membership container and paging through Link rel="next" (2.4.2).
"""

from __future__ import annotations

import html
import json
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class Person:
    sub: str
    name: str
    roles: list[str]
    email: str = ""
    status: str = "Active"


@dataclass
class ResourceLink:
    id: str
    title: str
    url: str
    custom: dict[str, str] = field(default_factory=dict)
    lineitem: str | None = None  # a line item id


@dataclass
class LineItem:
    id: str
    label: str
    score_maximum: float
    resource_link_id: str | None
    scores: list[dict] = field(default_factory=list)


class Refused(Exception):
    """The platform says no (HTTP 400/401/403 with this text)."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status


class LtiPlatform:
    def __init__(self, *, host: str = "127.0.0.1", client_id: str = "phi-tutor-client") -> None:
        self.key = new_rsa_key()
        self.kid = "platform-" + secrets.token_hex(4)
        self.client_id = client_id
        self.deployment_id = "deployment-1"
        self.context = {"id": "course-7", "label": "PHY9B", "title": "Physics 9B"}
        self.people: dict[str, Person] = {}
        self.links: dict[str, ResourceLink] = {}
        self.lineitems: dict[str, LineItem] = {}
        self.tokens: dict[str, set[str]] = {}
        self.pending_logins: dict[str, dict] = {}  # lti_message_hint -> what to launch
        self.deep_link_data: dict[str, str] = {}  # data -> deployment
        self.accepted_items: list[dict] = []
        self.errors: list[str] = []
        self.members_page_size = 2
        self.jwks_fetches = 0
        self.fail_tokens = False  # the token endpoint answers 503 (an LMS having a bad day)
        self.tool_kids_seen: list[str] = []
        # Set by a test to damage the next id_token: a callable (claims) -> (claims, signing key).
        self.tamper: Callable[[dict, Any], tuple[dict, Any]] | None = None
        self.tool_login_url = self.tool_launch_url = self.tool_jwks_url = ""
        self._server = ThreadingHTTPServer((host, 0), self._handler())
        self.url = f"http://{host}:{self._server.server_address[1]}"
        self.issuer = self.url
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    # --- set-up -------------------------------------------------------------------------------
    def register_tool(self, *, login_url: str, launch_url: str, jwks_url: str) -> None:
        self.tool_login_url, self.tool_launch_url, self.tool_jwks_url = login_url, launch_url, jwks_url

    def add_person(self, sub: str, name: str, role: str) -> Person:
        self.people[sub] = Person(sub=sub, name=name, roles=[role], email=f"{sub}@school.example")
        return self.people[sub]

    @property
    def auth_url(self) -> str:
        return self.url + "/auth"

    @property
    def token_url(self) -> str:
        return self.url + "/token"

    @property
    def jwks_url(self) -> str:
        return self.url + "/jwks"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- the platform's user interface, as URLs a browser (or a test) follows ------------------
    def login_initiation(self, *, sub: str, link_id: str | None = None, deep_link: bool = False) -> str:
        """The URL the LMS sends the browser to first (LTI Core 5.1.1: third-party-initiated login)."""
        hint = secrets.token_urlsafe(8)
        self.pending_logins[hint] = {"sub": sub, "link": link_id, "deep_link": deep_link}
        params = {
            "iss": self.issuer,
            "login_hint": sub,
            "target_link_uri": self.links[link_id].url if link_id else self.tool_launch_url,
            "lti_message_hint": hint,
            "client_id": self.client_id,
            "lti_deployment_id": self.deployment_id,
        }
        return self.tool_login_url + "?" + urlencode(params)

    def course_page(self, *, sub: str, link_id: str | None = None, deep_link: bool = False) -> str:
        return (
            self.url
            + "/course?"
            + urlencode({"sub": sub, "link": link_id or "", "dl": "1" if deep_link else ""})
        )

    # --- tokens -------------------------------------------------------------------------------
    def public_jwks(self) -> dict:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        jwk.update({"kid": self.kid, "alg": "RS256", "use": "sig"})
        return {"keys": [jwk]}

    def _tool_key(self, token: str) -> Any:
        header = jwt.get_unverified_header(token)
        keys = requests.get(self.tool_jwks_url, timeout=10).json()["keys"]
        for key in keys:
            if key.get("kid") == header.get("kid"):
                self.tool_kids_seen.append(key["kid"])
                return jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(key))
        raise Refused(401, f"no tool key with kid {header.get('kid')!r} in {self.tool_jwks_url}")

    def id_token(self, *, person: Person, nonce: str, pending: dict) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.client_id,
            "azp": self.client_id,
            "sub": person.sub,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "name": person.name,
            "given_name": person.name.split()[0],
            "family_name": person.name.split()[-1],
            "email": person.email,
            LTI + "deployment_id": self.deployment_id,
            LTI + "version": "1.3.0",
            LTI + "roles": person.roles,
            LTI + "context": {
                **self.context,
                "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
            },
            NRPS_CLAIM: {
                "context_memberships_url": f"{self.url}/contexts/{self.context['id']}/memberships",
                "service_versions": ["2.0"],
            },
        }
        if pending["deep_link"]:
            data = "dl-" + secrets.token_hex(6)
            self.deep_link_data[data] = self.deployment_id
            claims.update(
                {
                    LTI + "message_type": "LtiDeepLinkingRequest",
                    LTI + "target_link_uri": self.tool_launch_url,
                    DL + "deep_linking_settings": {
                        "deep_link_return_url": self.url + "/deep_link_return",
                        "accept_types": ["ltiResourceLink"],
                        "accept_presentation_document_targets": ["iframe", "window"],
                        "accept_multiple": False,
                        "data": data,
                    },
                }
            )
        else:
            link = self.links[pending["link"]]
            ags: dict[str, Any] = {
                "scope": [LINEITEM_SCOPE, SCORE_SCOPE],
                "lineitems": f"{self.url}/contexts/{self.context['id']}/lineitems",
            }
            if link.lineitem:
                ags["lineitem"] = f"{self.url}/lineitems/{link.lineitem}"
            claims.update(
                {
                    LTI + "message_type": "LtiResourceLinkRequest",
                    LTI + "target_link_uri": link.url,
                    LTI + "resource_link": {"id": link.id, "title": link.title},
                    LTI + "custom": link.custom,
                    AGS_CLAIM: ags,
                }
            )
        key: Any = self.key
        if self.tamper is not None:
            claims, key = self.tamper(claims, key)
            self.tamper = None
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": self.kid})

    def _authorize(self, query: dict[str, str]) -> str:
        """Security Framework 5.1.1: check the tool's authentication request, answer with a form
        that posts the id_token to the registered redirect URI."""
        expected = {
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
        }
        for name, value in expected.items():
            if query.get(name) != value:
                raise Refused(400, f"{name} must be {value!r}, got {query.get(name)!r}")
        if query.get("client_id") != self.client_id:
            raise Refused(400, "unknown client_id")
        if query.get("redirect_uri") != self.tool_launch_url:
            raise Refused(400, f"redirect_uri {query.get('redirect_uri')!r} is not registered")
        if not query.get("nonce") or not query.get("state"):
            raise Refused(400, "nonce and state are required")
        pending = self.pending_logins.pop(query.get("lti_message_hint", ""), None)
        if pending is None or pending["sub"] != query.get("login_hint"):
            raise Refused(400, "login_hint / lti_message_hint don't match a login this platform started")
        token = self.id_token(person=self.people[pending["sub"]], nonce=query["nonce"], pending=pending)
        return auto_post_form(self.tool_launch_url, {"id_token": token, "state": query["state"]})

    def _issue_access_token(self, form: dict[str, str]) -> dict:
        """Security Framework 4.1.1: client_credentials with a JWT client assertion."""
        if self.fail_tokens:
            raise Refused(503, "temporarily unavailable")
        if form.get("grant_type") != "client_credentials":
            raise Refused(400, "unsupported grant_type")
        if form.get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
            raise Refused(400, "client_assertion_type")
        assertion = form.get("client_assertion", "")
        try:
            claims = jwt.decode(
                assertion,
                self._tool_key(assertion),
                algorithms=["RS256"],
                audience=self.token_url,
                options={"require": ["iss", "sub", "aud", "iat", "exp", "jti"]},
            )
        except jwt.InvalidTokenError as e:
            raise Refused(401, f"client_assertion refused: {e}") from e
        if claims["iss"] != self.client_id or claims["sub"] != self.client_id:
            raise Refused(401, "client_assertion iss/sub is not this client")
        scopes = set(form.get("scope", "").split())
        allowed = {SCORE_SCOPE, LINEITEM_SCOPE, NRPS_SCOPE}
        if not scopes or not scopes <= allowed:
            raise Refused(400, f"scopes {sorted(scopes - allowed)} not granted")
        token = secrets.token_urlsafe(24)
        self.tokens[token] = scopes
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": 3600,
            "scope": " ".join(sorted(scopes)),
        }

    def _bearer(self, headers: Any, scope: str) -> None:
        auth = headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ").strip()
        if scope not in self.tokens.get(token, set()):
            raise Refused(401, f"a bearer token with {scope} is required")

    def _deep_link_return(self, form: dict[str, str]) -> str:
        """Deep Linking 4.5: verify the tool's signed response and make its items activities."""
        token = form.get("JWT", "")
        try:
            claims = jwt.decode(
                token,
                self._tool_key(token),
                algorithms=["RS256"],
                audience=self.issuer,
                options={"require": ["iss", "aud", "iat", "exp", "nonce"]},
            )
        except jwt.InvalidTokenError as e:
            raise Refused(400, f"deep linking response refused: {e}") from e
        if claims["iss"] != self.client_id:
            raise Refused(400, "iss must be the tool's client_id")
        if (
            claims.get(LTI + "message_type") != "LtiDeepLinkingResponse"
            or claims.get(LTI + "version") != "1.3.0"
        ):
            raise Refused(400, "not an LTI 1.3 LtiDeepLinkingResponse")
        data = claims.get(DL + "data")
        if self.deep_link_data.pop(data, None) != claims.get(LTI + "deployment_id"):
            raise Refused(400, "data / deployment_id don't match a deep linking request of this platform")
        added = []
        for item in claims.get(DL + "content_items", []):
            if item.get("type") != "ltiResourceLink" or not str(item.get("url", "")).startswith("http"):
                raise Refused(400, f"unacceptable content item {item!r}")
            link = ResourceLink(
                id="link-" + uuid.uuid4().hex[:8],
                title=item.get("title", ""),
                url=item["url"],
                custom={k: str(v) for k, v in (item.get("custom") or {}).items()},
            )
            if item.get("lineItem"):
                line = LineItem(
                    id="li-" + uuid.uuid4().hex[:8],
                    label=item["lineItem"].get("label", link.title),
                    score_maximum=float(item["lineItem"]["scoreMaximum"]),
                    resource_link_id=link.id,
                )
                self.lineitems[line.id] = line
                link.lineitem = line.id
            self.links[link.id] = link
            self.accepted_items.append(item)
            added.append(link.title)
        return f"<!doctype html><title>Added</title><p id='added'>Added to the course: {html.escape(', '.join(added))}</p>"

    def lineitem_json(self, line: LineItem) -> dict:
        return {
            "id": f"{self.url}/lineitems/{line.id}",
            "label": line.label,
            "scoreMaximum": line.score_maximum,
            "resourceLinkId": line.resource_link_id,
        }

    def _memberships(self, page: int) -> tuple[dict, str | None]:
        members = [
            {
                "user_id": p.sub,
                "name": p.name,
                "given_name": p.name.split()[0],
                "family_name": p.name.split()[-1],
                "email": p.email,
                "roles": p.roles,
                "status": p.status,
            }
            for p in self.people.values()
        ]
        size = self.members_page_size
        chunk = members[page * size : (page + 1) * size]
        url = f"{self.url}/contexts/{self.context['id']}/memberships"
        nxt = f"{url}?page={page + 1}" if (page + 1) * size < len(members) else None
        return {"id": url, "context": self.context, "members": chunk}, nxt

    # --- HTTP ---------------------------------------------------------------------------------
    def _handler(self) -> type[BaseHTTPRequestHandler]:
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(
                self, status: int, body: str, content_type: str = "text/html", headers: dict | None = None
            ) -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def _route(self, method: str) -> None:
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                form: dict[str, str] = {}
                raw = b""
                if method == "POST":
                    raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                    if self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
                        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                try:
                    path = parts.path
                    if method == "GET" and path == "/jwks":
                        platform.jwks_fetches += 1
                        return self._send(200, json.dumps(platform.public_jwks()), "application/json")
                    if path == "/auth":
                        return self._send(200, platform._authorize(query if method == "GET" else form))
                    if method == "POST" and path == "/token":
                        return self._send(
                            200, json.dumps(platform._issue_access_token(form)), "application/json"
                        )
                    if method == "POST" and path == "/deep_link_return":
                        return self._send(200, platform._deep_link_return(form))
                    match = re.fullmatch(r"/lineitems/([\w-]+)/scores", path)
                    if method == "POST" and match:
                        platform._bearer(self.headers, SCORE_SCOPE)
                        if self.headers.get("Content-Type") != "application/vnd.ims.lis.v1.score+json":
                            raise Refused(415, "scores are application/vnd.ims.lis.v1.score+json")
                        line = platform.lineitems.get(match.group(1))
                        if line is None:
                            raise Refused(404, "no such line item")
                        score = json.loads(raw)
                        for name in ("userId", "activityProgress", "gradingProgress", "timestamp"):
                            if name not in score:
                                raise Refused(400, f"score without {name}")
                        line.scores.append(score)
                        return self._send(204, "")
                    if re.fullmatch(r"/contexts/[\w-]+/lineitems", path):
                        # AGS 3.2: the line items container; a tool may list them and add one.
                        platform._bearer(self.headers, LINEITEM_SCOPE)
                        if method == "GET":
                            items = [platform.lineitem_json(line) for line in platform.lineitems.values()]
                            return self._send(
                                200, json.dumps(items), "application/vnd.ims.lis.v2.lineitemcontainer+json"
                            )
                        if self.headers.get("Content-Type") != "application/vnd.ims.lis.v2.lineitem+json":
                            raise Refused(415, "line items are application/vnd.ims.lis.v2.lineitem+json")
                        body = json.loads(raw)
                        line = LineItem(
                            id="li-" + uuid.uuid4().hex[:8],
                            label=body["label"],
                            score_maximum=float(body["scoreMaximum"]),
                            resource_link_id=body.get("resourceLinkId"),
                        )
                        platform.lineitems[line.id] = line
                        return self._send(
                            201,
                            json.dumps(platform.lineitem_json(line)),
                            "application/vnd.ims.lis.v2.lineitem+json",
                        )
                    if method == "GET" and re.fullmatch(r"/contexts/[\w-]+/memberships", path):
                        platform._bearer(self.headers, NRPS_SCOPE)
                        body, nxt = platform._memberships(int(query.get("page", "0")))
                        headers = {"Link": f'<{nxt}>; rel="next"'} if nxt else {}
                        return self._send(
                            200,
                            json.dumps(body),
                            "application/vnd.ims.lti-nrps.v2.membershipcontainer+json",
                            headers,
                        )
                    if path == "/favicon.ico":
                        return self._send(404, "", "text/plain")
                    if method == "GET" and path == "/course":
                        src = platform.login_initiation(
                            sub=query["sub"],
                            link_id=query.get("link") or None,
                            deep_link=bool(query.get("dl")),
                        )
                        return self._send(200, course_page(src))
                    raise Refused(404, f"no route {method} {path}")
                except Refused as e:
                    platform.errors.append(f"{self.path}: {e}")
                    return self._send(e.status, str(e), "text/plain")

            def do_GET(self) -> None:
                self._route("GET")

            def do_POST(self) -> None:
                self._route("POST")

        return Handler


def auto_post_form(action: str, fields: dict[str, str]) -> str:
    inputs = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in fields.items()
    )
    return (
        "<!doctype html><title>Launching</title>"
        f'<form id="launch" method="post" action="{html.escape(action)}">{inputs}'
        '<button type="submit">Continue</button></form>'
        "<script>document.getElementById('launch').submit()</script>"
    )


def course_page(tool_url: str) -> str:
    """An LMS course page embedding the tool in an iframe, as Moodle and Canvas do."""
    return (
        "<!doctype html><title>Physics 9B - LMS</title><h1>Physics 9B (the LMS)</h1>"
        f'<iframe id="tool" src="{html.escape(tool_url)}" style="width:1100px;height:700px" '
        'allow="clipboard-write"></iframe>'
    )


def form_fields(page: str) -> tuple[str, dict[str, str]]:
    """The action and hidden fields of the page's auto-posting form (what a browser would submit):
    the first form carrying hidden fields other than a CSRF token."""
    for attrs, body in re.findall(r"<form([^>]*)>(.*?)</form>", page, flags=re.S):
        fields = {
            html.unescape(name): html.unescape(value)
            for name, value in re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)"', body)
            if name != "csrfmiddlewaretoken"
        }
        action = re.search(r'action="([^"]*)"', attrs)
        if fields and action:
            return html.unescape(action.group(1)), fields
    raise AssertionError(f"no auto-posting form in the page:\n{page[:2000]}")
