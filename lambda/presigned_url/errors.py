"""The contract's refusals and failures: one class per status and code, each written once.

Raising one is the whole of answering with it (responses.error_response); its message is
safe to show the caller. The shape of Powertools' event_handler exceptions
(BadRequestError, NotFoundError, ...), without the dependency.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

RETRY_AFTER_SECONDS = "5"


class ApiError(Exception):
    """An outcome with a contract status; its message is safe to show the caller."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "InternalError"
    headers: ClassVar[Mapping[str, str]] = {}
    default_message: ClassVar[str] = ""

    def __init__(self, message: str = "", *, fields: Mapping[str, Any] | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)
        self.fields = dict(fields or {})


class ValidationFailed(ApiError):
    status = 400
    code = "ValidationError"


class Forbidden(ApiError):
    """A 403 from the handler; ``reason`` goes to the audit line's denyReason (metrics)."""

    status = 403
    code = "Forbidden"

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class RouteNotFound(ApiError):
    status = 404
    code = "NotFound"


class NotebookNotFound(ApiError):
    status = 404
    code = "NotebookNotFound"

    @classmethod
    def not_served(cls, name: str) -> NotebookNotFound:
        """The one answer for a name this API does not serve, whatever told it so: the
        same words whether or not a notebook of that name exists."""
        return cls(f"notebook instance {name!r} is not served by this API; ask its owner to add it")


class MethodNotAllowed(ApiError):
    status = 405
    code = "MethodNotAllowed"

    def __init__(self, message: str, *, allowed: str) -> None:
        super().__init__(message)
        self.headers = {"Allow": allowed}


class NotebookNotInService(ApiError):
    status = 409
    code = "NotebookNotInService"


class NotebookNotStartable(ApiError):
    status = 409
    code = "NotebookNotStartable"


class PayloadTooLarge(ApiError):
    status = 413
    code = "PayloadTooLarge"

    def __init__(self, limit_bytes: int) -> None:
        super().__init__(
            f"the request body is over {limit_bytes} bytes; send at most {limit_bytes} bytes"
        )


class InternalError(ApiError):
    # Anything unexpected: the exception's text may hold AWS's, so none of it is shown.
    default_message = (
        "an unexpected error occurred; retry later, and if it persists give the "
        "requestId to the API's operators"
    )


class UpstreamError(ApiError):
    status = 502
    code = "UpstreamError"


class Throttled(ApiError):
    status = 503
    code = "Throttled"
    headers: ClassVar[Mapping[str, str]] = {"Retry-After": RETRY_AFTER_SECONDS}
    default_message = f"SageMaker is throttling requests; retry after {RETRY_AFTER_SECONDS} seconds"


class UpstreamTimeout(ApiError):
    status = 504
    code = "UpstreamTimeout"
    default_message = "SageMaker did not answer in time; retry in a few seconds"
