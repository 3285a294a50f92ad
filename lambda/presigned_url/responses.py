"""Respond: the Lambda proxy responses, every one with headers that keep it out of caches.

A success is JSON with the route's fields; a refusal or failure is the contract's
``{"error", "message", "requestId"}`` (plus the fields its error carries, such as
NotebookInstanceStatus); the portal page is HTML with its own strict headers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

if "." in __name__:  # a package: the source tree (tests) and the wheel
    from . import errors
else:  # the Lambda: this folder is the top level (handler string "handler.handler")
    import errors

SECURITY_HEADERS = {
    "Content-Type": "application/json",
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
}


def respond(
    status: int, body: dict[str, Any], headers: Mapping[str, str] | None = None
) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {**SECURITY_HEADERS, **(headers or {})},
        "body": json.dumps(body, separators=(",", ":")),
        "isBase64Encoded": False,
    }


def error_response(error: errors.ApiError, request_id: str) -> dict[str, Any]:
    body = {"error": error.code, "message": error.message, "requestId": request_id}
    body.update(error.fields)
    return respond(error.status, body, error.headers)


def html_page(html: str, headers: Mapping[str, str]) -> dict[str, Any]:
    """A page; ``headers`` are all of its headers (portal.page_headers)."""
    return {"statusCode": 200, "headers": dict(headers), "body": html, "isBase64Encoded": False}
