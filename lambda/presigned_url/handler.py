"""Mint presigned SageMaker notebook URLs behind an API Gateway REST API (Lambda proxy).

parse -> validate -> authorize -> call -> respond, each a small function. Only the
boto3 client and a two-thread pool live at module scope. The AuthorizedUrl is a
bearer credential: it goes into the 200 body and nowhere else, never a log line.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import ipaddress
import json
import logging
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    ReadTimeoutError,
)

URL_RESOURCE = "/notebooks/{NotebookInstanceName}/url"
START_RESOURCE = "/notebooks/{NotebookInstanceName}/start"
MAX_BODY_BYTES = 4096
NAME_PATTERN = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9])*")
NAME_MAX_LENGTH = 63
DURATION_FIELD = "SessionExpirationDurationInSeconds"
DURATION_MIN_SECONDS = 1800
DURATION_MAX_SECONDS = 43200
RETRY_AFTER_SECONDS = "5"
NOT_FOUND_CODES = {"ResourceNotFound", "ResourceNotFoundException"}
THROTTLING_CODES = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "ProvisionedThroughputExceededException",
    "SlowDown",
}
STARTABLE_STATUS = "Stopped"
STARTED_STATUSES = {"Pending", "InService"}
AUDIT_TEXT_LIMIT = 256

# Timeout budget. The start route makes two SageMaker calls one after the other
# (describe, then start); the URL route makes two at the same time. Per call, the
# worst case is attempts x (connect + read) + the standard-mode backoff between
# attempts (at most 1 s before the second): 2 x (1 + 3) + 1 = 9 s. Two in a row:
# 18 s, under the 20 s Lambda timeout, itself under API Gateway's 29 s.
CONNECT_TIMEOUT_SECONDS = 1
READ_TIMEOUT_SECONDS = 3
MAX_ATTEMPTS = 2
# Region and AWS_ENDPOINT_URL_SAGEMAKER come from the standard SDK configuration.
sagemaker = boto3.client(
    "sagemaker",
    config=Config(
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
    ),
)
# Describe and presign run side by side: one SageMaker round trip of latency.
_calls = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sagemaker")

logger = logging.getLogger("presigned_url.audit")
logger.setLevel(logging.INFO)


def _drop_url_records(record: logging.LogRecord) -> bool:
    """False for a log record that would carry a presigned URL (botocore's body dumps)."""
    return "AuthorizedUrl" not in record.getMessage()


def _guard_sdk_logs() -> None:
    """Keep SDK logging quiet, and URL-free even when someone turns botocore to DEBUG."""
    # botocore logs at INFO on credential discovery; keep the log one line per request.
    logging.getLogger("botocore").setLevel(logging.WARNING)
    # At DEBUG, botocore.parsers logs every response body: the presign one is the URL.
    body_logger = logging.getLogger("botocore.parsers")
    for installed in list(body_logger.filters):
        if getattr(installed, "__name__", "") == _drop_url_records.__name__:  # module reload
            body_logger.removeFilter(installed)
    body_logger.addFilter(_drop_url_records)


_guard_sdk_logs()

SECURITY_HEADERS = {
    "Content-Type": "application/json",
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
}


class ApiError(Exception):
    """An outcome with a contract status; its message is safe to show the caller."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        fields: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.fields = fields or {}


@dataclass(frozen=True)
class Settings:
    notebook_names: frozenset[str]
    notebook_name_prefix: str
    allowed_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    allow_start: bool
    max_duration_seconds: int
    default_duration_seconds: int

    def serves(self, name: str) -> bool:
        if name in self.notebook_names:
            return True
        return bool(self.notebook_name_prefix) and name.startswith(self.notebook_name_prefix)


@lru_cache(maxsize=4)
def _settings_from(
    names: str, prefix: str, cidrs: str, allow_start: str, max_duration: str, default_duration: str
) -> Settings:
    networks = tuple(ipaddress.ip_network(c.strip()) for c in cidrs.split(",") if c.strip())
    maximum = int(max_duration or DURATION_MAX_SECONDS)
    return Settings(
        notebook_names=frozenset(n.strip() for n in names.split(",") if n.strip()),
        notebook_name_prefix=prefix.strip(),
        allowed_networks=networks,
        allow_start=allow_start.strip().lower() == "true",
        max_duration_seconds=maximum,
        default_duration_seconds=int(default_duration or maximum),
    )


def load_settings(env: os._Environ | dict[str, str] = os.environ) -> Settings:
    """Read the construct's configuration; cached, since it only changes on redeploy."""
    return _settings_from(
        env.get("NOTEBOOK_NAMES", ""),
        env.get("NOTEBOOK_NAME_PREFIX", ""),
        env.get("ALLOWED_CIDRS", ""),
        env.get("ALLOW_START", "false"),
        env.get("MAX_SESSION_DURATION_SECONDS", ""),
        env.get("DEFAULT_SESSION_DURATION_SECONDS", ""),
    )


# ---------------------------------------------------------------- parse


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _identity_of(event: dict[str, Any]) -> dict[str, Any]:
    return _as_dict(_as_dict(event.get("requestContext")).get("identity"))


def request_id_of(event: Any, context: Any) -> str:
    request_id = _as_dict(_as_dict(event).get("requestContext")).get("requestId")
    if isinstance(request_id, str) and request_id:
        return request_id[:128]
    return str(getattr(context, "aws_request_id", "") or "unknown")[:128]


def came_through_the_api(event: dict[str, Any], env: Any = os.environ) -> bool:
    """Whether the event names the API this function was deployed behind (REST_API_ID).

    False marks a direct invocation (lambda:InvokeFunction), which skips SigV4, the
    resource policy, the WAF and the per-notebook grants. It is a flag for the audit
    line, not a check: whoever may invoke the function can write any requestContext,
    the real apiId included. The boundary is IAM on lambda:InvokeFunction (README,
    security model); CloudTrail's Lambda data events record who invoked it.
    """
    expected = env.get("REST_API_ID", "")
    api_id = _as_dict(event.get("requestContext")).get("apiId")
    return bool(expected) and api_id == expected


def route_of(event: dict[str, Any], settings: Settings) -> str:
    """'url' or 'start' from the API Gateway resource template; '' for anything else."""
    resource = event.get("resource")
    if resource == URL_RESOURCE:
        return "url"
    if resource == START_RESOURCE and settings.allow_start:
        return "start"
    return ""


def source_ip_of(event: dict[str, Any]) -> str | None:
    source_ip = _identity_of(event).get("sourceIp")
    return source_ip if isinstance(source_ip, str) and source_ip else None


def caller_of(event: dict[str, Any]) -> str | None:
    identity = _identity_of(event)
    for key in ("userArn", "caller"):
        value = identity.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def raw_body_of(event: dict[str, Any]) -> bytes:
    body = event.get("body")
    if body is None or body == "":
        return b""
    if not isinstance(body, str):
        raise ApiError(400, "ValidationError", "the request body must be a JSON object or absent")
    encoded = body.encode("utf-8", "surrogatepass")
    if event.get("isBase64Encoded") is True:
        # base64 is 4/3 the size of what it holds: reject big bodies before decoding.
        if len(encoded) > (MAX_BODY_BYTES + 2) // 3 * 4:
            raise _too_large()
        try:
            encoded = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(
                400,
                "ValidationError",
                "the request body is marked base64-encoded but is not valid base64; "
                "send standard padded base64 of a JSON object",
            ) from None
    if len(encoded) > MAX_BODY_BYTES:
        raise _too_large()
    return encoded


def _too_large() -> ApiError:
    return ApiError(
        413,
        "PayloadTooLarge",
        f"the request body is over {MAX_BODY_BYTES} bytes; send at most {MAX_BODY_BYTES} bytes",
    )


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError("duplicate key")
        result[key] = value
    return result


def parse_body(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        parsed = json.loads(
            raw.decode("utf-8"),
            parse_constant=_reject_constant,
            object_pairs_hook=_reject_duplicates,
        )
    except (ValueError, RecursionError):
        raise ApiError(
            400,
            "ValidationError",
            "the request body is not valid JSON (duplicate keys, NaN and Infinity are "
            f'not accepted); send {{"{DURATION_FIELD}": <integer>}} or no body',
        ) from None
    if not isinstance(parsed, dict):
        raise ApiError(
            400,
            "ValidationError",
            f'the request body must be a JSON object such as {{"{DURATION_FIELD}": 3600}}',
        )
    return parsed


# ---------------------------------------------------------------- validate


def validate_method(method: Any) -> None:
    if method == "POST":
        return
    shown = method if isinstance(method, str) and re.fullmatch(r"[A-Z]{1,10}", method) else None
    raise ApiError(
        405,
        "MethodNotAllowed",
        f"method {shown or '(invalid)'} is not allowed here; this route accepts POST only",
        headers={"Allow": "POST"},
    )


def validate_name(name: Any) -> str:
    if not isinstance(name, str) or not name:
        raise ApiError(
            400,
            "ValidationError",
            "the path must name a notebook instance: POST /notebooks/{name}/url",
        )
    if len(name) > NAME_MAX_LENGTH or not NAME_PATTERN.fullmatch(name):
        raise ApiError(
            400,
            "ValidationError",
            f"the notebook instance name is not valid: use 1..{NAME_MAX_LENGTH} letters, "
            "digits and hyphens, starting and ending with a letter or digit",
        )
    return name


def validate_duration(body: dict[str, Any], settings: Settings) -> int:
    _reject_unknown_fields(body, allowed={DURATION_FIELD})
    if DURATION_FIELD not in body:
        return settings.default_duration_seconds
    value = body[DURATION_FIELD]
    allowed = f"{DURATION_MIN_SECONDS}..{settings.max_duration_seconds}"
    # bool is an int in Python; a float like 3600.0 is not an integer here.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(
            400,
            "ValidationError",
            f"{DURATION_FIELD} must be a JSON integer number of seconds, {allowed} "
            f"(got {_json_type(value)})",
        )
    if not DURATION_MIN_SECONDS <= value <= settings.max_duration_seconds:
        raise ApiError(
            400,
            "ValidationError",
            f"{DURATION_FIELD} must be between {DURATION_MIN_SECONDS} and "
            f"{settings.max_duration_seconds} seconds (got {value})",
        )
    return value


def validate_start_body(body: dict[str, Any]) -> None:
    _reject_unknown_fields(body, allowed=set())


def _reject_unknown_fields(body: dict[str, Any], *, allowed: set[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if not unknown:
        return
    shown = ", ".join(json.dumps(key[:40]) for key in unknown[:5])
    expected = (
        f"the only field allowed is {next(iter(allowed))!r}"
        if allowed
        else "this route takes no body fields"
    )
    raise ApiError(400, "ValidationError", f"unknown field(s) {shown}; {expected}")


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, float):
        return "a number with a fraction or exponent"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    return "an array" if isinstance(value, list) else "an object"


# ---------------------------------------------------------------- authorize


def parse_source_ip(text: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The address in every form a network may list it: v4-mapped v6 also as IPv4."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return []
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return [address.ipv4_mapped, address]
    return [address]


def authorize(event: dict[str, Any], settings: Settings) -> None:
    """Defence in depth behind the API's resource policy; fails closed."""
    if caller_of(event) is None:
        raise ApiError(
            403,
            "Forbidden",
            "the request carries no AWS identity; sign it with SigV4 (IAM authorization)",
        )
    source_ip = source_ip_of(event)
    forms = parse_source_ip(source_ip) if source_ip else []
    if not forms:
        raise ApiError(
            403,
            "Forbidden",
            "the request has no valid source IP address; call from a network on the allow-list",
        )
    if not any(
        address.version == network.version and address in network
        for address in forms
        for network in settings.allowed_networks
    ):
        raise ApiError(
            403,
            "Forbidden",
            f"source IP address {forms[0]} is not on this API's allow-list; "
            "call from an allowed network",
        )


# ---------------------------------------------------------------- call


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _is_not_found(error: ClientError) -> bool:
    code = _error_code(error)
    message = str(error.response.get("Error", {}).get("Message", ""))
    # DescribeNotebookInstance answers a missing notebook with ValidationException "RecordNotFound".
    return code in NOT_FOUND_CODES or (
        code == "ValidationException" and "RecordNotFound" in message
    )


def upstream_error(error: Exception, name: str) -> Exception:
    """Map an SDK failure to the contract; AWS error text never reaches the caller.

    Anything that is not an SDK failure comes back unchanged: the contract's 500.
    """
    if isinstance(error, ClientError):
        code = _error_code(error)
        if code in THROTTLING_CODES:
            return ApiError(
                503,
                "Throttled",
                f"SageMaker is throttling requests; retry after {RETRY_AFTER_SECONDS} seconds",
                headers={"Retry-After": RETRY_AFTER_SECONDS},
            )
        if _is_not_found(error):
            return ApiError(
                404,
                "NotebookNotFound",
                f"notebook instance {name!r} does not exist in this account and region",
            )
        return ApiError(
            502,
            "UpstreamError",
            "SageMaker refused or failed the request; retry later, and if it persists "
            "give the requestId to the API's operators",
        )
    if isinstance(error, ConnectTimeoutError | ReadTimeoutError):
        return ApiError(
            504, "UpstreamTimeout", "SageMaker did not answer in time; retry in a few seconds"
        )
    if isinstance(error, BotoCoreError):
        return ApiError(
            502, "UpstreamError", "SageMaker could not be reached; retry in a few seconds"
        )
    return error


def not_served(name: str) -> ApiError:
    return ApiError(
        404,
        "NotebookNotFound",
        f"notebook instance {name!r} is not served by this API; ask its owner to add it",
    )


def describe_status(name: str) -> str:
    return sagemaker.describe_notebook_instance(NotebookInstanceName=name)["NotebookInstanceStatus"]


def presign(name: str, duration: int) -> str:
    return sagemaker.create_presigned_notebook_instance_url(
        NotebookInstanceName=name, SessionExpirationDurationInSeconds=duration
    )["AuthorizedUrl"]


def not_in_service(name: str, status: str) -> ApiError:
    return ApiError(
        409,
        "NotebookNotInService",
        f"notebook instance {name!r} is {status}; a URL is only issued when it is InService",
        fields={"NotebookInstanceStatus": status},
    )


def mint_url(name: str, duration: int) -> str:
    """Describe and presign concurrently; return the URL only for an InService notebook."""
    status_call = _calls.submit(describe_status, name)
    url_call = _calls.submit(presign, name, duration)
    try:
        status = status_call.result()
    except Exception as error:
        _discard(url_call)
        raise upstream_error(error, name) from None
    if status != "InService":
        _discard(url_call)
        raise not_in_service(name, status)
    try:
        return url_call.result()
    except Exception as error:
        raise upstream_error(error, name) from None


def _discard(future: Any) -> None:
    """Wait out a call whose result is not used, so no URL outlives the request."""
    future.cancel()
    # Its outcome is irrelevant once the other call decided the response.
    with contextlib.suppress(Exception):
        future.result()


def start_notebook(name: str) -> str:
    """Start a Stopped notebook; report a starting or running one as it is."""
    try:
        status = describe_status(name)
        if status == STARTABLE_STATUS:
            sagemaker.start_notebook_instance(NotebookInstanceName=name)
            return "Pending"
    except Exception as error:
        raise upstream_error(error, name) from None
    if status in STARTED_STATUSES:
        return status
    raise ApiError(
        409,
        "NotebookNotStartable",
        f"notebook instance {name!r} is {status}; only a Stopped notebook can be started",
        fields={"NotebookInstanceStatus": status},
    )


# ---------------------------------------------------------------- respond


def respond(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict:
    return {
        "statusCode": status,
        "headers": {**SECURITY_HEADERS, **(headers or {})},
        "body": json.dumps(body, separators=(",", ":")),
        "isBase64Encoded": False,
    }


def error_response(error: ApiError, request_id: str) -> dict:
    body = {"error": error.code, "message": error.message, "requestId": request_id}
    body.update(error.fields)
    return respond(error.status, body, error.headers)


def handle(event: dict[str, Any], settings: Settings, audit: dict[str, Any]) -> dict:
    route = route_of(event, settings)
    audit["route"] = route or None
    if not route:
        routes = "POST /notebooks/{name}/url" + (
            " and POST /notebooks/{name}/start" if settings.allow_start else ""
        )
        raise ApiError(404, "NotFound", f"no such route; this API serves {routes}")
    # Authorize first: a caller outside the allow-list learns nothing, not even the method.
    authorize(event, settings)
    validate_method(event.get("httpMethod"))
    name = validate_name(_as_dict(event.get("pathParameters")).get("NotebookInstanceName"))
    audit["notebook"] = name
    body = parse_body(raw_body_of(event))
    if route == "start":
        validate_start_body(body)
        if not settings.serves(name):
            raise not_served(name)
        status = start_notebook(name)
        return respond(202, {"NotebookInstanceName": name, "NotebookInstanceStatus": status})
    duration = validate_duration(body, settings)
    audit["sessionDurationSeconds"] = duration
    if not settings.serves(name):
        raise not_served(name)
    url = mint_url(name, duration)
    return respond(
        200,
        {"AuthorizedUrl": url, "NotebookInstanceName": name, DURATION_FIELD: duration},
    )


def _clip(value: str | None) -> str | None:
    return value[:AUDIT_TEXT_LIMIT] if value is not None else None


def handler(event: Any, context: Any) -> dict:
    started = time.monotonic()
    request_id = request_id_of(event, context)
    event = _as_dict(event)
    # Keys avoid the ones Lambda's JSON log format writes itself (requestId, errorType, ...),
    # which would win over ours.
    audit: dict[str, Any] = {
        "callerArn": _clip(caller_of(event)),
        "sourceIp": _clip(source_ip_of(event)),
        "route": None,
        "notebook": None,
        "sessionDurationSeconds": None,
        "apiRequestId": request_id,
        "viaDeployedApi": came_through_the_api(event),
    }
    try:
        response = handle(event, load_settings(), audit)
        outcome = "ok"
    except ApiError as error:
        response = error_response(error, request_id)
        outcome = error.code
    except Exception as error:  # the contract's 500; the type name is safe, its text may not be
        response = error_response(
            ApiError(
                500,
                "InternalError",
                "an unexpected error occurred; retry later, and if it persists give the "
                "requestId to the API's operators",
            ),
            request_id,
        )
        outcome = "InternalError"
        audit["exceptionType"] = type(error).__name__
    audit["outcome"] = outcome
    audit["status"] = response["statusCode"]
    audit["durationMs"] = round((time.monotonic() - started) * 1000, 1)
    logger.info("presigned-url request", extra=audit)
    return response
