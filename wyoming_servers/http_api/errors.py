"""Errors in OpenAI's shape, with the status codes an HTTP client expects.

Every failure leaves the gateway as
``{"error": {"message", "type", "param", "code"}}``; ``code`` is stable and
is also the ``kind`` label of ``local_voice_errors_total{server="api"}``.
A Wyoming server's ``error`` event keeps its code (``text-too-long``,
``utterance-too-long``...) and gets the status that fits it.
"""

from __future__ import annotations

from typing import Final

from aiohttp import web

INVALID_REQUEST: Final = "invalid_request_error"
SERVER_ERROR: Final = "server_error"

_SERVER_CODE_STATUS: Final = {
    "text-too-long": 413,
    "utterance-too-long": 413,
    "event-too-large": 413,
    "bad-audio-format": 422,
    "bad-event-data": 400,
    "not-allowed": 502,  # the server refused the gateway itself: an operator problem
    "too-many-clients": 503,
    "inference-failed": 502,
}


class ApiError(Exception):
    """One failed request: HTTP status, stable code, the field at fault."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str,
        param: str | None = None,
        error_type: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param
        self.error_type = error_type or (INVALID_REQUEST if status < 500 else SERVER_ERROR)  # noqa: PLR2004

    def body(self) -> dict[str, dict[str, str | None]]:
        """OpenAI's error object."""
        return {
            "error": {
                "message": self.message,
                "type": self.error_type,
                "param": self.param,
                "code": self.code,
            }
        }

    def response(self) -> web.Response:
        """The JSON response for this error."""
        headers = {"Retry-After": "1"} if self.status == 503 else None  # noqa: PLR2004
        return web.json_response(self.body(), status=self.status, headers=headers)


def bad_request(message: str, param: str | None = None, code: str = "invalid-value") -> ApiError:
    """400: a field is missing, of the wrong type or out of range."""
    return ApiError(400, message, code=code, param=param)


def unprocessable(message: str, param: str | None = None, code: str = "invalid-value") -> ApiError:
    """422: well-formed, but the content cannot be used (e.g. silent or absurd audio)."""
    return ApiError(422, message, code=code, param=param)


def too_large(message: str, param: str | None = None) -> ApiError:
    """413: over a size cap."""
    return ApiError(413, message, code="too-large", param=param)


def unsupported_media(message: str, param: str | None = None) -> ApiError:
    """415: a content type or audio container we do not read."""
    return ApiError(415, message, code="unsupported-media-type", param=param)


def unavailable(message: str, code: str = "upstream-unavailable") -> ApiError:
    """503: a Wyoming server does not answer, or every slot is taken."""
    return ApiError(503, message, code=code, error_type="service_unavailable")


def from_server_error(server: str, code: str, text: str) -> ApiError:
    """An ``error`` event of a Wyoming server as the HTTP error that fits it."""
    status = _SERVER_CODE_STATUS.get(code, 502)
    if code.startswith("bad-") and status == 502:  # noqa: PLR2004
        status = 400
    return ApiError(status, f"{server}: {text}", code=code)
