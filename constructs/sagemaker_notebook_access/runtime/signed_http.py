"""notebook-url's HTTP: SigV4-signed POSTs to the API, and the API's answers read as errors.

Standard library HTTP plus botocore signing, so the client adds no dependency.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import ReadOnlyCredentials

from .cli_errors import EXIT_API_ERROR, EXIT_UNAVAILABLE, PROG, CliError, shown

SIGNING_SERVICE = "execute-api"
MAX_RESPONSE_BYTES = 1024 * 1024

WAITING_STATUSES = frozenset({"Pending", "Updating"})
RETRYABLE_HTTP_STATUSES = frozenset({429, 503})
# API Gateway names its own rejections in x-amzn-ErrorType.
CREDENTIAL_ERROR_TYPES = frozenset(
    {
        "ExpiredTokenException",
        "IncompleteSignatureException",
        "InvalidSignatureException",
        "UnrecognizedClientException",
    }
)
MISSING_ROUTE_MESSAGE = "Missing Authentication Token"


@dataclass
class ApiResponse:
    status: int
    body: dict[str, Any] | None
    headers: dict[str, str] = field(default_factory=dict)

    def text(self, name: str) -> str:
        value = (self.body or {}).get(name)
        return value if isinstance(value, str) else ""

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """Never follow a redirect: it would carry the signed headers to another URL."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class ApiClient:
    """Signs each request with SigV4 (service execute-api) and sends it with urllib."""

    def __init__(
        self, api_url: str, credentials: ReadOnlyCredentials, region: str, timeout: float
    ) -> None:
        self.api_url = api_url
        self.credentials = credentials
        self.region = region
        self.timeout = timeout
        self._opener = urllib.request.build_opener(_RefuseRedirects)

    def route(self, notebook: str, action: str) -> str:
        """The route of ``notebook``; "<account id>:<name>" is a hub's member account's,
        at /accounts/<account id>/notebooks/<name>/ (its own routes, issue 22)."""
        account, _, name = notebook.rpartition(":")
        prefix = f"accounts/{quote(account, safe='')}/" if account else ""
        return f"{self.api_url}{prefix}notebooks/{quote(name, safe='')}/{action}"

    def post(self, url: str, payload: dict[str, Any]) -> ApiResponse:
        # Always a JSON object, "{}" at least: the API validates the body against its model.
        body = json.dumps(payload, separators=(",", ":")).encode()
        signed = AWSRequest(
            method="POST",
            url=url,
            data=body,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        SigV4Auth(self.credentials, SIGNING_SERVICE, self.region).add_auth(signed)
        # The scheme is https (or http to localhost): normalize_api_url checked it.
        request = urllib.request.Request(  # noqa: S310
            url, data=body, method="POST", headers=dict(signed.headers.items())
        )
        request.add_header("User-Agent", f"{PROG} (sagemaker-notebook-access)")
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return _api_response(response.status, response.headers, response)
        except urllib.error.HTTPError as error:
            with error:
                return _api_response(error.code, error.headers, error)
        except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
            reason = getattr(error, "reason", None) or error
            host = urlsplit(url).netloc
            raise CliError(
                f"could not reach the API at {host}: {shown(str(reason))}", EXIT_UNAVAILABLE
            ) from None


def _api_response(status: int, headers: Any, stream: Any) -> ApiResponse:
    raw = stream.read(MAX_RESPONSE_BYTES + 1)
    lowered = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
    if len(raw) > MAX_RESPONSE_BYTES:
        return ApiResponse(status, None, lowered)
    try:
        body = json.loads(raw.decode("utf-8")) if raw.strip() else None
    except (UnicodeDecodeError, ValueError):
        body = None
    return ApiResponse(status, body if isinstance(body, dict) else None, lowered)


def api_error(response: ApiResponse, notebook: str, *, hint: str = "") -> CliError:
    """The API's error code, message and request id; never the raw body."""
    code = response.text("error")
    message = response.text("message")
    request_id = response.text("requestId") or response.header("x-amzn-requestid")
    if 300 <= response.status < 400:
        message = "the API answered with a redirect; check the API URL"
    elif not message:
        message = "the API gave no error message"
    text = f"HTTP {response.status}" + (f" {shown(code, 80)}" if code else "")
    text += f": {shown(message)}"
    if request_id:
        text += f" (request id {shown(request_id, 128)})"
    exit_code = EXIT_API_ERROR
    if response.header("x-amzn-errortype").split(":")[0] in CREDENTIAL_ERROR_TYPES:
        exit_code = EXIT_UNAVAILABLE
        hint = hint or "your AWS credentials were rejected: refresh them and retry"
    hint = hint or _hint(response, notebook)
    if hint:
        text += f"\n{hint}"
    return CliError(text, exit_code)


def _hint(response: ApiResponse, notebook: str) -> str:
    status = response.text("NotebookInstanceStatus")
    retry_after = response.header("retry-after")
    if response.status in RETRYABLE_HTTP_STATUSES and retry_after:
        return f"retry after {shown(retry_after, 20)} seconds"
    if response.status == 409 and status == "Stopped":
        return (
            f"notebook {notebook!r} is stopped: pass --start to start it (needs an API "
            "deployed with allow_start=True)"
        )
    if response.status == 409 and status in WAITING_STATUSES:
        return f"notebook {notebook!r} is starting: pass --start to wait for it"
    return ""


def is_missing_route(response: ApiResponse) -> bool:
    """API Gateway's answer for a path it has no resource for (here: no start route)."""
    if response.status == 404:
        return response.text("error") != "NotebookNotFound"
    return response.status == 403 and (
        MISSING_ROUTE_MESSAGE in response.text("message")
        or response.header("x-amzn-errortype").startswith("MissingAuthenticationToken")
    )
