"""Mint presigned SageMaker notebook URLs behind an API Gateway REST API (Lambda proxy).

The event is read once into a `Request`; `ROUTES` maps API Gateway's resource template
to the function that serves it; every refusal is an `ApiError` subclass that carries
its own status and code. Only the boto3 client and two thread pools live at module
scope. The AuthorizedUrl is a bearer credential: it goes into the 200 body and nowhere
else, never a log line.

Two kinds of caller: SigV4-signed principals on ``/notebooks/...`` (IAM authorization,
the identity in ``requestContext.identity``), and, with a NotebookPortal, signed-in
people on ``/portal/...`` (a Cognito authorizer, the claims in
``requestContext.authorizer.claims``; portal.py reads them and renders the page).
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
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property, lru_cache
from types import MappingProxyType
from typing import Any, ClassVar

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    ReadTimeoutError,
)

try:  # in the Lambda, this folder is the top level; in the source tree, a package
    from . import portal
    from .contract import (
        DENY_CROSS_ORIGIN,
        DENY_NO_IDENTITY,
        DENY_NO_SOURCE_IP,
        DENY_NOT_ENTITLED,
        DENY_OUTSIDE_ALLOW_LIST,
        NAME_SEGMENT,
        PAGE_RESOURCE,
        PORTAL_LIST_RESOURCE,
        PORTAL_OPEN_RESOURCE,
        PORTAL_START_RESOURCE,
        START_RESOURCE,
        URL_RESOURCE,
        Env,
        is_notebook_name,
    )
    from .contract import NOTEBOOK_NAME_MAX_LENGTH as NAME_MAX_LENGTH
    from .contract import SESSION_DURATION_FIELD as DURATION_FIELD
    from .contract import SESSION_DURATION_MAX_SECONDS as DURATION_MAX_SECONDS
    from .contract import SESSION_DURATION_MIN_SECONDS as DURATION_MIN_SECONDS
except ImportError:
    import portal  # type: ignore[no-redef]
    from contract import (  # type: ignore[no-redef]
        DENY_CROSS_ORIGIN,
        DENY_NO_IDENTITY,
        DENY_NO_SOURCE_IP,
        DENY_NOT_ENTITLED,
        DENY_OUTSIDE_ALLOW_LIST,
        NAME_SEGMENT,
        PAGE_RESOURCE,
        PORTAL_LIST_RESOURCE,
        PORTAL_OPEN_RESOURCE,
        PORTAL_START_RESOURCE,
        START_RESOURCE,
        URL_RESOURCE,
        Env,
        is_notebook_name,
    )
    from contract import NOTEBOOK_NAME_MAX_LENGTH as NAME_MAX_LENGTH  # type: ignore[no-redef]
    from contract import SESSION_DURATION_FIELD as DURATION_FIELD  # type: ignore[no-redef]
    from contract import (  # type: ignore[no-redef]
        SESSION_DURATION_MAX_SECONDS as DURATION_MAX_SECONDS,
    )
    from contract import (  # type: ignore[no-redef]
        SESSION_DURATION_MIN_SECONDS as DURATION_MIN_SECONDS,
    )

# The portal lists at most this many entitled notebooks, reads tags this many at a
# time, and starts no call after the budget: one call in flight (at most 9 s, below)
# still ends under the 20 s Lambda timeout.
PORTAL_LIST_LIMIT = 100
TAG_READS_AT_ONCE = 8
PORTAL_LIST_BUDGET_SECONDS = 10
MAX_BODY_BYTES = 4096
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
REQUEST_ID_LIMIT = 128

# Timeout budget. The start route makes two SageMaker calls one after the other
# (describe, then start); the URL route makes two at the same time. Per call, the
# worst case is attempts x (connect + read) + the standard-mode backoff between
# attempts (at most 1 s before the second): 2 x (1 + 3) + 1 = 9 s. Two in a row:
# 18 s, under the 20 s Lambda timeout, itself under API Gateway's 29 s. The portal's
# open and start: describe and ListTags side by side, then presign or start (two in a
# row); its listing starts no call after PORTAL_LIST_BUDGET_SECONDS (10 + 9 < 20).
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
# The portal's listing reads each listed notebook's tags; its own pool, so a listing
# never waits behind (or holds up) the describe/presign pair.
_tag_reads = ThreadPoolExecutor(max_workers=TAG_READS_AT_ONCE, thread_name_prefix="tags")

logger = logging.getLogger("presigned_url.audit")
logger.setLevel(logging.INFO)

# Where _guard_sdk_logs records the filter it installed. It lives on the logger, not in
# this module, because logging keeps the logger for the life of the process.
_BODY_FILTER_ATTRIBUTE = "presigned_url_body_filter"


def _drop_url_records(record: logging.LogRecord) -> bool:
    """False for a log record that would carry a presigned URL (botocore's body dumps)."""
    # Self-contained on purpose: once installed, this filter may outlive the module
    # object that installed it, so it must not depend on the module's globals.
    return "AuthorizedUrl" not in record.getMessage()


def _guard_sdk_logs() -> None:
    """Keep SDK logging quiet, and URL-free even when someone turns botocore to DEBUG."""
    # botocore logs at INFO on credential discovery; keep the log one line per request.
    logging.getLogger("botocore").setLevel(logging.WARNING)
    # At DEBUG, botocore.parsers logs every response body: the presign one is the URL.
    # Idempotent: one filter per process, however often this runs, and put back if it
    # was removed.
    body_logger = logging.getLogger("botocore.parsers")
    if getattr(body_logger, _BODY_FILTER_ATTRIBUTE, None) not in body_logger.filters:
        body_logger.addFilter(_drop_url_records)
        setattr(body_logger, _BODY_FILTER_ATTRIBUTE, _drop_url_records)


_guard_sdk_logs()

SECURITY_HEADERS = {
    "Content-Type": "application/json",
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
}

# ---------------------------------------------------------------- errors
# One subclass per status/code pair, so each pair is written once (the shape of
# AWS Lambda Powertools' BadRequestError, NotFoundError, ...; without the dependency).


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
    default_message = (
        f"the request body is over {MAX_BODY_BYTES} bytes; send at most {MAX_BODY_BYTES} bytes"
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


@dataclass(frozen=True)
class Settings:
    notebook_names: frozenset[str]
    notebook_name_prefix: str
    allowed_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    allow_start: bool
    max_duration_seconds: int
    default_duration_seconds: int
    rest_api_id: str  # REST_API_ID: the API the function is deployed behind; "" if unset
    notebook_arn_prefix: str  # NOTEBOOK_ARN_PREFIX: arn:...:notebook-instance/ (portal tags)
    portal: portal.PortalSettings

    def serves(self, name: str) -> bool:
        if name in self.notebook_names:
            return True
        return bool(self.notebook_name_prefix) and name.startswith(self.notebook_name_prefix)

    @cached_property
    def routes(self) -> Mapping[str, Route]:
        """The ROUTES these settings serve, built once per Settings (load_settings caches those)."""
        return MappingProxyType(
            {
                resource: route
                for resource, route in ROUTES.items()
                if (self.allow_start or not route.needs_allow_start)
                and (self.portal.enabled or not route.needs_portal)
            }
        )


@lru_cache(maxsize=4)
def _settings_from(
    names: str,
    prefix: str,
    cidrs: str,
    allow_start: str,
    max_duration: str,
    default_duration: str,
    rest_api_id: str,
    notebook_arn_prefix: str,
    portal_settings: portal.PortalSettings,
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
        rest_api_id=rest_api_id,
        notebook_arn_prefix=notebook_arn_prefix,
        portal=portal_settings,
    )


def load_settings(env: os._Environ | dict[str, str] = os.environ) -> Settings:
    """Read the construct's configuration; cached, since it only changes on redeploy."""
    return _settings_from(
        env.get(Env.NOTEBOOK_NAMES, ""),
        env.get(Env.NOTEBOOK_NAME_PREFIX, ""),
        env.get(Env.ALLOWED_CIDRS, ""),
        env.get(Env.ALLOW_START, "false"),
        env.get(Env.MAX_SESSION_DURATION_SECONDS, ""),
        env.get(Env.DEFAULT_SESSION_DURATION_SECONDS, ""),
        env.get(Env.REST_API_ID, ""),
        env.get(Env.NOTEBOOK_ARN_PREFIX, ""),
        portal.PortalSettings(
            portal_url=env.get(Env.PORTAL_URL, ""),
            client_id=env.get(Env.PORTAL_CLIENT_ID, ""),
            sign_in_url=env.get(Env.PORTAL_SIGN_IN_URL, ""),
            notebook_session_seconds=60
            * int(
                env.get(Env.PORTAL_NOTEBOOK_SESSION_MINUTES)
                or portal.DEFAULT_NOTEBOOK_SESSION_MINUTES
            ),
            # Lambda sets AWS_REGION for every function.
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION", ""),
        ),
    )


# ---------------------------------------------------------------- parse


@dataclass(frozen=True)
class Request:
    """The parts of an API Gateway proxy event the handler uses, read once.

    Reading never fails, whatever the event holds: the audit line needs caller and
    source IP even for a malformed event. Method, name and body stay as sent, since
    checking them is ordered after authorization (see handle).
    """

    route: str  # API Gateway's resource template, a key of ROUTES; "" if absent
    method: Any
    notebook_name: Any
    caller: str | None
    source_ip: str | None
    request_id: str
    body: Any
    body_is_base64: bool
    api_id: Any  # requestContext.apiId: the input of the audit line's viaDeployedApi
    claims: Mapping[str, Any]  # requestContext.authorizer.claims (Cognito routes); {} if none
    headers: Mapping[str, Any]
    # The Authorization header when the request carries exactly one (the token the
    # Cognito authorizer validated); None when it carries none or several.
    authorization: str | None


def parse_request(event: Any, context: Any) -> Request:
    event = _as_dict(event)
    request_context = _as_dict(event.get("requestContext"))
    identity = _as_dict(request_context.get("identity"))
    resource = event.get("resource")
    return Request(
        # Only a string can name a route (and be looked up in ROUTES).
        route=resource if isinstance(resource, str) else "",
        method=event.get("httpMethod"),
        notebook_name=_as_dict(event.get("pathParameters")).get("NotebookInstanceName"),
        caller=caller_of(identity),
        source_ip=_text_or_none(identity.get("sourceIp")),
        request_id=request_id_of(request_context, context),
        body=event.get("body"),
        body_is_base64=event.get("isBase64Encoded") is True,
        api_id=request_context.get("apiId"),
        claims=MappingProxyType(
            _as_dict(_as_dict(request_context.get("authorizer")).get("claims"))
        ),
        headers=MappingProxyType(_as_dict(event.get("headers"))),
        authorization=only_header(event, "authorization"),
    )


def only_header(event: dict[str, Any], name: str) -> str | None:
    """The value of header ``name`` (any case), or None unless the request sent it once.

    ``headers`` keeps one value a name, ``multiValueHeaders`` all of them: a header sent
    twice, or twice in different cases, has no one value to trust.
    """
    seen: list[Any] = []
    for source in ("headers", "multiValueHeaders"):
        for key, value in _as_dict(event.get(source)).items():
            if not (isinstance(key, str) and key.lower() == name):
                continue
            if source == "multiValueHeaders":
                if not isinstance(value, list) or len(value) != 1:
                    return None
                value = value[0]
            seen.append(value)
    first = seen[0] if seen else None
    return first if isinstance(first, str) and all(v == first for v in seen) else None


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def request_id_of(request_context: dict[str, Any], context: Any) -> str:
    request_id = _text_or_none(request_context.get("requestId"))
    if request_id is None:
        # A direct invocation may carry no API request id; Lambda's own id still traces it.
        request_id = str(getattr(context, "aws_request_id", "") or "unknown")
    return request_id[:REQUEST_ID_LIMIT]


def caller_of(identity: dict[str, Any]) -> str | None:
    # The principal's ARN when API Gateway gives one, else its caller id.
    for key in ("userArn", "caller"):
        value = _text_or_none(identity.get(key))
        if value is not None:
            return value
    return None


def came_through_the_api(api_id: Any, settings: Settings) -> bool:
    """Whether the event names the API this function was deployed behind (REST_API_ID).

    False marks a direct invocation (lambda:InvokeFunction), which skips SigV4, the
    resource policy, the WAF and the per-notebook grants. It is a flag for the audit
    line, not a check: whoever may invoke the function can write any requestContext,
    the real apiId included. The boundary is IAM on lambda:InvokeFunction (README,
    security model); CloudTrail's Lambda data events record who invoked it.
    """
    expected = settings.rest_api_id
    return bool(expected) and api_id == expected


def raw_body_of(request: Request) -> bytes:
    body = request.body
    if body is None or body == "":
        return b""
    if not isinstance(body, str):
        raise ValidationFailed("the request body must be a JSON object or absent")
    encoded = body.encode("utf-8", "surrogatepass")
    if request.body_is_base64:
        encoded = _decode_base64(encoded)
    if len(encoded) > MAX_BODY_BYTES:
        raise PayloadTooLarge()
    return encoded


def _decode_base64(encoded: bytes) -> bytes:
    # base64 is 4/3 the size of what it holds: reject big bodies before decoding.
    if len(encoded) > (MAX_BODY_BYTES + 2) // 3 * 4:
        raise PayloadTooLarge()
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed(
            "the request body is marked base64-encoded but is not valid base64; "
            "send standard padded base64 of a JSON object"
        ) from None


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
        raise ValidationFailed(
            "the request body is not valid JSON (duplicate keys, NaN and Infinity are "
            f'not accepted); send {{"{DURATION_FIELD}": <integer>}} or no body'
        ) from None
    if not isinstance(parsed, dict):
        raise ValidationFailed(
            f'the request body must be a JSON object such as {{"{DURATION_FIELD}": 3600}}'
        )
    return parsed


# ---------------------------------------------------------------- validate


def validate_method(method: Any, allowed: str) -> None:
    if method == allowed:
        return
    # Echo the method only when it is plainly one; anything else could be arbitrary text.
    shown = method if isinstance(method, str) and re.fullmatch(r"[A-Z]{1,10}", method) else None
    raise MethodNotAllowed(
        f"method {shown or '(invalid)'} is not allowed here; this route accepts {allowed} only",
        allowed=allowed,
    )


def validate_name(name: Any) -> str:
    if not isinstance(name, str) or not name:
        raise ValidationFailed("the path must name a notebook instance: POST /notebooks/{name}/url")
    if not is_notebook_name(name):
        raise ValidationFailed(
            f"the notebook instance name is not valid: use 1..{NAME_MAX_LENGTH} letters, "
            "digits and hyphens, starting and ending with a letter or digit"
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
        raise ValidationFailed(
            f"{DURATION_FIELD} must be a JSON integer number of seconds, {allowed} "
            f"(got {_json_type(value)})"
        )
    if not DURATION_MIN_SECONDS <= value <= settings.max_duration_seconds:
        raise ValidationFailed(
            f"{DURATION_FIELD} must be between {DURATION_MIN_SECONDS} and "
            f"{settings.max_duration_seconds} seconds (got {value})"
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
    raise ValidationFailed(f"unknown field(s) {shown}; {expected}")


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


def authorize(request: Request, settings: Settings) -> None:
    """Defence in depth behind the API's resource policy; fails closed."""
    if request.caller is None:
        raise Forbidden(
            "the request carries no AWS identity; sign it with SigV4 (IAM authorization)",
            reason=DENY_NO_IDENTITY,
        )
    require_allowed_source(request, settings)


def authorize_user(request: Request, settings: Settings) -> portal.User:
    """The browser routes' check: allow-list, a signed-in person, a same-origin page.

    The token itself was validated by API Gateway's Cognito authorizer; an event with
    no claims did not pass one (or was invoked directly), and is refused.
    """
    require_allowed_source(request, settings)
    token = portal.token_claims(request.authorization)
    user = portal.user_of(request.claims, settings.portal.client_id, token)
    if user is None:
        raise Forbidden("the request carries no signed-in user; sign in", reason=DENY_NO_IDENTITY)
    if not portal.same_origin(request.headers, settings.portal):
        raise Forbidden(
            "this route only answers the portal page's own requests", reason=DENY_CROSS_ORIGIN
        )
    return user


def require_allowed_source(request: Request, settings: Settings) -> None:
    forms = parse_source_ip(request.source_ip) if request.source_ip else []
    if not forms:
        raise Forbidden(
            "the request has no valid source IP address; call from a network on the allow-list",
            reason=DENY_NO_SOURCE_IP,
        )
    if not _on_allow_list(forms, settings):
        raise Forbidden(
            f"source IP address {forms[0]} is not on this API's allow-list; "
            "call from an allowed network",
            reason=DENY_OUTSIDE_ALLOW_LIST,
        )


def _on_allow_list(
    forms: list[ipaddress.IPv4Address | ipaddress.IPv6Address], settings: Settings
) -> bool:
    return any(
        address.version == network.version and address in network
        for address in forms
        for network in settings.allowed_networks
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
        return _client_error(error, name)
    if isinstance(error, ConnectTimeoutError | ReadTimeoutError):
        return UpstreamTimeout()
    if isinstance(error, BotoCoreError):
        return UpstreamError("SageMaker could not be reached; retry in a few seconds")
    return error


def _client_error(error: ClientError, name: str) -> ApiError:
    if _error_code(error) in THROTTLING_CODES:
        return Throttled()
    if _is_not_found(error):
        return NotebookNotFound(
            f"notebook instance {name!r} does not exist in this account and region"
        )
    return UpstreamError(
        "SageMaker refused or failed the request; retry later, and if it persists "
        "give the requestId to the API's operators"
    )


def require_served(name: str, settings: Settings) -> None:
    if not settings.serves(name):
        raise NotebookNotFound(
            f"notebook instance {name!r} is not served by this API; ask its owner to add it"
        )


def describe_status(name: str) -> str:
    return sagemaker.describe_notebook_instance(NotebookInstanceName=name)["NotebookInstanceStatus"]


def presign(name: str, duration: int) -> str:
    return sagemaker.create_presigned_notebook_instance_url(
        NotebookInstanceName=name, SessionExpirationDurationInSeconds=duration
    )["AuthorizedUrl"]


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
        raise NotebookNotInService(
            f"notebook instance {name!r} is {status}; a URL is only issued when it is InService",
            fields={"NotebookInstanceStatus": status},
        )
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


def start_notebook(name: str, status: str | None = None) -> str:
    """Start a Stopped notebook; report a starting or running one as it is.

    ``status``: what a describe made for this request already said (the portal's).
    """
    try:
        if status is None:
            status = describe_status(name)
        if status == STARTABLE_STATUS:
            sagemaker.start_notebook_instance(NotebookInstanceName=name)
            return "Pending"
    except Exception as error:
        raise upstream_error(error, name) from None
    if status in STARTED_STATUSES:
        return status
    raise NotebookNotStartable(
        f"notebook instance {name!r} is {status}; only a Stopped notebook can be started",
        fields={"NotebookInstanceStatus": status},
    )


def notebook_tags(arn: str) -> dict[str, str]:
    """The notebook's entitlement tags (ListTags pages of 50; the two tags are all we need)."""
    tags: list[Any] = []
    for page in sagemaker.get_paginator("list_tags").paginate(ResourceArn=arn):
        tags.extend(page.get("Tags", []))
    return portal.tags_of(tags)


def entitled_status(name: str, user: portal.User, settings: Settings) -> str:
    """The notebook's status, once its tags show ``user`` may use it (403 otherwise).

    Describe and ListTags run side by side; the status is told only to an entitled person.
    """
    arn = settings.notebook_arn_prefix + name.lower()
    status_call = _calls.submit(describe_status, name)
    tags_call = _calls.submit(notebook_tags, arn)
    # The tags decide first: a person not entitled learns neither the status nor whether
    # the describe failed.
    try:
        tags = tags_call.result()
    except Exception as error:
        # A served name with no notebook behind it: the same 403 as another person's
        # notebook, so a person learns nothing of which served names exist. What ListTags
        # answers for a missing ARN is not documented; DescribeNotebookInstance's
        # "RecordNotFound" is (see _is_not_found), so either one says it is missing.
        if _is_missing(error) or _is_missing(status_call.exception()):
            raise _not_entitled(name) from None
        raise upstream_error(error, name) from None
    if not portal.entitled(user, tags):
        _discard(status_call)
        raise _not_entitled(name)
    try:
        return status_call.result()
    except Exception as error:
        raise upstream_error(error, name) from None


def _is_missing(error: BaseException | None) -> bool:
    """Whether an SDK error says the notebook does not exist."""
    return isinstance(error, ClientError) and _is_not_found(error)


def _not_entitled(name: str) -> Forbidden:
    return Forbidden(
        f"you are not entitled to notebook instance {name!r}; ask its owner to add you "
        f"to its {portal.OWNERS_TAG} or {portal.GROUPS_TAG} tag",
        reason=DENY_NOT_ENTITLED,
    )


def listing_for(
    user: portal.User, settings: Settings, clock: Callable[[], float] = time.monotonic
) -> tuple[list[dict[str, str]], bool]:
    """The served notebooks ``user`` is entitled to, and whether that is all of them.

    Page by page of ListNotebookInstances (ascending by name), the served names' tags
    read TAG_READS_AT_ONCE at a time. It stops at PORTAL_LIST_LIMIT entitled notebooks,
    or when PORTAL_LIST_BUDGET_SECONDS have passed, so a large account cannot run the
    Lambda into its timeout; a notebook whose tags could not be read is left out (fail
    closed). Either way the answer says it is incomplete.
    """
    deadline = clock() + PORTAL_LIST_BUDGET_SECONDS
    arguments: dict[str, Any] = {"SortBy": "Name", "SortOrder": "Ascending"}
    if settings.notebook_name_prefix and not settings.notebook_names:
        arguments["NameContains"] = settings.notebook_name_prefix
    shown: list[dict[str, str]] = []
    complete = True
    try:
        pages = sagemaker.get_paginator("list_notebook_instances").paginate(
            **arguments, PaginationConfig={"PageSize": 100}
        )
        for page in pages:
            served = [
                summary
                for summary in page.get("NotebookInstances", [])
                if settings.serves(summary.get("NotebookInstanceName", ""))
            ]
            for start in range(0, len(served), TAG_READS_AT_ONCE):
                if clock() > deadline:
                    return shown, False
                rows, all_read = _entitled_rows(user, served[start : start + TAG_READS_AT_ONCE])
                shown.extend(rows)
                complete = complete and all_read
                if len(shown) >= PORTAL_LIST_LIMIT:
                    return shown[:PORTAL_LIST_LIMIT], False
            if clock() > deadline:
                return shown, False
    except Exception as error:
        raise upstream_error(error, "") from None
    return shown, complete


def _entitled_rows(
    user: portal.User, batch: list[dict[str, Any]]
) -> tuple[list[dict[str, str]], bool]:
    """The listing rows of ``batch`` that ``user`` is entitled to, its tags read at once,
    and whether every notebook's tags could be read."""
    rows, all_read = [], True
    for summary, tags in zip(batch, _tag_reads.map(_tags_or_none, batch), strict=True):
        if tags is None:
            all_read = False
        elif portal.entitled(user, tags):
            rows.append(
                {
                    "NotebookInstanceName": summary["NotebookInstanceName"],
                    "NotebookInstanceStatus": summary.get("NotebookInstanceStatus", "Unknown"),
                }
            )
    return rows, all_read


def _tags_or_none(summary: dict[str, Any]) -> dict[str, str] | None:
    try:
        return notebook_tags(summary["NotebookInstanceArn"])
    except Exception:  # throttled or failed: this notebook is not shown, the rest are
        return None


# ---------------------------------------------------------------- respond


def respond(
    status: int, body: dict[str, Any], headers: Mapping[str, str] | None = None
) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {**SECURITY_HEADERS, **(headers or {})},
        "body": json.dumps(body, separators=(",", ":")),
        "isBase64Encoded": False,
    }


def error_response(error: ApiError, request_id: str) -> dict[str, Any]:
    body = {"error": error.code, "message": error.message, "requestId": request_id}
    body.update(error.fields)
    return respond(error.status, body, error.headers)


# ---------------------------------------------------------------- routes


@dataclass(frozen=True)
class Call:
    """What a route's serve function gets: the checked request, its settings and audit."""

    name: str  # the validated notebook name; "" on routes that take none
    body: dict[str, Any]
    settings: Settings
    audit: dict[str, Any]
    user: portal.User | None  # the signed-in person on the browser routes


def serve_url(call: Call) -> dict[str, Any]:
    duration = validate_duration(call.body, call.settings)
    call.audit["sessionDurationSeconds"] = duration
    require_served(call.name, call.settings)
    url = mint_url(call.name, duration)
    return respond(
        200,
        {"AuthorizedUrl": url, "NotebookInstanceName": call.name, DURATION_FIELD: duration},
    )


def serve_start(call: Call) -> dict[str, Any]:
    validate_start_body(call.body)
    require_served(call.name, call.settings)
    status = start_notebook(call.name)
    return respond(202, {"NotebookInstanceName": call.name, "NotebookInstanceStatus": status})


def serve_page(call: Call) -> dict[str, Any]:
    return {
        "statusCode": 200,
        "headers": portal.page_headers(call.settings.portal),
        "body": portal.page_html(call.settings.portal),
        "isBase64Encoded": False,
    }


def serve_portal_list(call: Call) -> dict[str, Any]:
    assert call.user is not None  # authorize_user ran
    notebooks, complete = listing_for(call.user, call.settings)
    return respond(
        200,
        {
            "notebooks": notebooks,
            "complete": complete,
            "allowStart": call.settings.allow_start,
            "signedInAs": call.user.shown_as,
        },
    )


def serve_portal_open(call: Call) -> dict[str, Any]:
    assert call.user is not None
    validate_start_body(call.body)
    require_served(call.name, call.settings)
    status = entitled_status(call.name, call.user, call.settings)
    if status != "InService":
        raise NotebookNotInService(
            f"notebook instance {call.name!r} is {status}; it opens once it is InService",
            fields={"NotebookInstanceStatus": status},
        )
    # The portal's own session (NotebookPortal's notebook_session_minutes), not the API's
    # default for SigV4 callers: it is how long a person whose tag or group was removed
    # keeps an open Jupyter. Never longer than the API lets anyone ask for.
    settings = call.settings
    duration = min(settings.portal.notebook_session_seconds, settings.max_duration_seconds)
    call.audit["sessionDurationSeconds"] = duration
    try:
        url = presign(call.name, duration)
    except Exception as error:
        raise upstream_error(error, call.name) from None
    return respond(
        200,
        {"AuthorizedUrl": url, "NotebookInstanceName": call.name, DURATION_FIELD: duration},
    )


def serve_portal_start(call: Call) -> dict[str, Any]:
    assert call.user is not None
    validate_start_body(call.body)
    require_served(call.name, call.settings)
    status = entitled_status(call.name, call.user, call.settings)
    started = start_notebook(call.name, status)
    return respond(202, {"NotebookInstanceName": call.name, "NotebookInstanceStatus": started})


@dataclass(frozen=True)
class Route:
    resource: str  # API Gateway's resource template: the event's "resource"
    name: str  # the audit line's route
    serve: Callable[[Call], dict[str, Any]]
    method: str = "POST"
    # Who the caller is: "iam" (SigV4), "user" (Cognito-signed-in person) or "page"
    # (anyone on the allow-list: the page holds no data, it signs the person in).
    identity: str = "iam"
    # The construct deploys the start resources only with allow_start=True (ALLOW_START);
    # without it, an event naming those resources is answered as for any unknown route.
    needs_allow_start: bool = False

    @property
    def listed(self) -> str:
        """How the 404 for an unknown route names this one."""
        return f"{self.method} {self.resource.replace(NAME_SEGMENT, '{name}')}"

    @property
    def takes_name(self) -> bool:
        return NAME_SEGMENT in self.resource

    @property
    def needs_portal(self) -> bool:
        """The browser routes exist only with a portal (PORTAL_*); otherwise they are unknown."""
        return self.identity != "iam"


ROUTES: dict[str, Route] = {
    route.resource: route
    for route in (
        Route(URL_RESOURCE, "url", serve_url),
        Route(START_RESOURCE, "start", serve_start, needs_allow_start=True),
        Route(PAGE_RESOURCE, "portal-page", serve_page, method="GET", identity="page"),
        Route(
            PORTAL_LIST_RESOURCE, "portal-list", serve_portal_list, method="GET", identity="user"
        ),
        Route(PORTAL_OPEN_RESOURCE, "portal-open", serve_portal_open, identity="user"),
        Route(
            PORTAL_START_RESOURCE,
            "portal-start",
            serve_portal_start,
            identity="user",
            needs_allow_start=True,
        ),
    )
}


def identify(route: Route, request: Request, settings: Settings) -> portal.User | None:
    if route.identity == "iam":
        authorize(request, settings)
        return None
    if route.identity == "user":
        return authorize_user(request, settings)
    require_allowed_source(request, settings)
    return None


def handle(request: Request, settings: Settings, audit: dict[str, Any]) -> dict[str, Any]:
    routes = settings.routes
    route = routes.get(request.route)
    audit["route"] = route.name if route else None
    if route is None:
        served = " and ".join(r.listed for r in routes.values())
        raise RouteNotFound(f"no such route; this API serves {served}")
    # Authorize first: a caller outside the allow-list learns nothing, not even the method.
    user = identify(route, request, settings)
    if user is not None:
        audit["user"] = _clip(user.sub)
    validate_method(request.method, route.method)
    name = ""
    if route.takes_name:
        name = validate_name(request.notebook_name)
        audit["notebook"] = name
    body = parse_body(raw_body_of(request))
    return route.serve(Call(name=name, body=body, settings=settings, audit=audit, user=user))


# ---------------------------------------------------------------- entry point


def _clip(value: str | None) -> str | None:
    return value[:AUDIT_TEXT_LIMIT] if value is not None else None


def audit_of(request: Request) -> dict[str, Any]:
    # Keys avoid the ones Lambda's JSON log format writes itself (requestId, errorType, ...),
    # which would win over ours.
    return {
        "callerArn": _clip(request.caller),
        "user": None,  # the signed-in person's Cognito sub, on the browser routes
        "sourceIp": _clip(request.source_ip),
        "route": None,
        "notebook": None,
        "sessionDurationSeconds": None,
        "denyReason": None,
        "apiRequestId": request.request_id,
        # Set by handler once the settings (REST_API_ID) load; stays False if they do not.
        "viaDeployedApi": False,
    }


def handler(event: Any, context: Any) -> dict[str, Any]:
    started = time.monotonic()
    request = parse_request(event, context)
    audit = audit_of(request)
    try:
        settings = load_settings()
        audit["viaDeployedApi"] = came_through_the_api(request.api_id, settings)
        response = handle(request, settings, audit)
        outcome = "ok"
    except ApiError as error:
        response = error_response(error, request.request_id)
        outcome = error.code
        if isinstance(error, Forbidden):
            audit["denyReason"] = error.reason
    except Exception as error:  # the contract's 500; the type name is safe, its text may not be
        response = error_response(InternalError(), request.request_id)
        outcome = InternalError.code
        audit["exceptionType"] = type(error).__name__
    audit["outcome"] = outcome
    audit["status"] = response["statusCode"]
    audit["durationMs"] = round((time.monotonic() - started) * 1000, 1)
    logger.info("presigned-url request", extra=audit)
    return response
