"""One vocabulary for "the service said no".

Services raise an `ApplicationError` (or a subclass) with a machine `code` and a `message` a
student or teacher can act on. It is mapped once for views (`ApplicationErrorMiddleware`: JSON for
fetch requests, the error page otherwise) and once for sockets (an `error` frame with the same
code and message). Detail meant for admins goes to the log, never into `message`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)


class ApplicationError(Exception):
    status = 400
    default_code = "invalid"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code

    def as_dict(self) -> dict[str, object]:
        return {"error": self.message, "code": self.code}


class Invalid(ApplicationError):
    """What the user sent can't be used as it is; the message says what to change."""


class NotFound(ApplicationError):
    status = 404
    default_code = "not_found"


class Forbidden(ApplicationError):
    status = 403
    default_code = "forbidden"


class Conflict(ApplicationError):
    status = 409
    default_code = "conflict"


class Throttled(ApplicationError):
    status = 429
    default_code = "throttled"

    def __init__(self, message: str, *, retry_after: int = 60, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = max(1, int(retry_after))

    def as_dict(self) -> dict[str, object]:
        return {**super().as_dict(), "retry_after": self.retry_after}


def _wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return (
        request.content_type == "application/json"
        or "application/json" in accept
        or request.headers.get("X-Requested-With") == "fetch"
    )


def error_response(request: HttpRequest, error: ApplicationError) -> HttpResponse:
    if _wants_json(request):
        response: HttpResponse = JsonResponse(error.as_dict(), status=error.status)
    else:
        response = render(request, "error.html", {"error": error}, status=error.status)
    if isinstance(error, Throttled):
        response["Retry-After"] = str(error.retry_after)
    return response


class ApplicationErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, ApplicationError):
            logger.info("%s %s refused: %s (%s)", request.method, request.path, exception.code, exception)
            return error_response(request, exception)
        return None
