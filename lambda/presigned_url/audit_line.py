"""The one JSON audit line every request writes: who asked, from where, for what, and how
it ended.

Logged through the ``presigned_url.audit`` logger with the fields as extras, which
Lambda's JSON log format writes as top-level keys (the metric filters in
monitoring/operations.py read them). Never the AuthorizedUrl, AWS's error text or a
stack trace; an unexpected exception is named by its type only.
"""

from __future__ import annotations

import logging
import time
from typing import Any

if "." in __name__:  # a package: the source tree (tests) and the wheel
    from . import configuration, parsing
else:  # the Lambda: this folder is the top level (handler string "handler.handler")
    import configuration
    import parsing

AUDIT_TEXT_LIMIT = 256

logger = logging.getLogger("presigned_url.audit")
logger.setLevel(logging.INFO)


def clip(value: str | None) -> str | None:
    return value[:AUDIT_TEXT_LIMIT] if value is not None else None


def audit_of(request: parsing.Request) -> dict[str, Any]:
    """The line's fields as far as the event tells them; the handler fills in the rest."""
    # Keys avoid the ones Lambda's JSON log format writes itself (requestId, errorType, ...),
    # which would win over ours.
    return {
        "callerArn": clip(request.caller),
        "user": None,  # the signed-in person's Cognito sub, on the browser routes
        "sourceIp": clip(request.source_ip),
        "route": None,
        "notebook": None,
        "sessionDurationSeconds": None,
        "denyReason": None,
        "apiRequestId": request.request_id,
        # Set by the handler once the settings (REST_API_ID) load; stays False if they do not.
        "viaDeployedApi": False,
    }


def came_through_the_api(api_id: Any, settings: configuration.Settings) -> bool:
    """Whether the event names the API this function was deployed behind (REST_API_ID).

    False marks a direct invocation (lambda:InvokeFunction), which skips SigV4, the
    resource policy, the WAF and the per-notebook grants. It is a flag for the audit
    line, not a check: whoever may invoke the function can write any requestContext,
    the real apiId included. The boundary is IAM on lambda:InvokeFunction (README,
    security model); CloudTrail's Lambda data events record who invoked it.
    """
    expected = settings.rest_api_id
    return bool(expected) and api_id == expected


def write(audit: dict[str, Any], *, outcome: str, status: int, started: float) -> None:
    """Log the line, with the outcome, the status and the time since ``started`` (monotonic)."""
    audit["outcome"] = outcome
    audit["status"] = status
    audit["durationMs"] = round((time.monotonic() - started) * 1000, 1)
    logger.info("presigned-url request", extra=audit)
