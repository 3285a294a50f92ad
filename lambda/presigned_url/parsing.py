"""Parse: an API Gateway proxy event read once into a `Request`, and its body into a dict.

Reading the event never fails, whatever it holds: the audit line needs caller and source
IP even for a malformed event. Reading the body may fail (400, 413); the handler asks for
it only after authorization.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

if "." in __name__:  # a package: the source tree (tests) and the wheel
    from . import contract, errors
else:  # the Lambda: this folder is the top level (handler string "handler.handler")
    import contract
    import errors

MAX_BODY_BYTES = 4096
REQUEST_ID_LIMIT = 128


@dataclass(frozen=True)
class Request:
    """The parts of an API Gateway proxy event the handler uses, read once.

    Method, name and body stay as sent, since checking them is ordered after
    authorization (see handler.handle).
    """

    route: str  # API Gateway's resource template, a key of routes.ROUTES; "" if absent
    method: Any
    notebook_name: Any
    account_id: Any  # the AccountId path parameter of a member account's route; None if absent
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
        # Only a string can name a route (and be looked up in routes.ROUTES).
        route=resource if isinstance(resource, str) else "",
        method=event.get("httpMethod"),
        notebook_name=_as_dict(event.get("pathParameters")).get(contract.NAME_PARAMETER),
        account_id=_as_dict(event.get("pathParameters")).get(contract.ACCOUNT_PARAMETER),
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


# ---------------------------------------------------------------- the body


def raw_body_of(request: Request) -> bytes:
    body = request.body
    if body is None or body == "":
        return b""
    if not isinstance(body, str):
        raise errors.ValidationFailed("the request body must be a JSON object or absent")
    encoded = body.encode("utf-8", "surrogatepass")
    if request.body_is_base64:
        encoded = _decode_base64(encoded)
    if len(encoded) > MAX_BODY_BYTES:
        raise errors.PayloadTooLarge(MAX_BODY_BYTES)
    return encoded


def _decode_base64(encoded: bytes) -> bytes:
    # base64 is 4/3 the size of what it holds: reject big bodies before decoding.
    if len(encoded) > (MAX_BODY_BYTES + 2) // 3 * 4:
        raise errors.PayloadTooLarge(MAX_BODY_BYTES)
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise errors.ValidationFailed(
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
        raise errors.ValidationFailed(
            "the request body is not valid JSON (duplicate keys, NaN and Infinity are "
            f'not accepted); send {{"{contract.SESSION_DURATION_FIELD}": <integer>}} or no body'
        ) from None
    if not isinstance(parsed, dict):
        raise errors.ValidationFailed(
            "the request body must be a JSON object such as "
            f'{{"{contract.SESSION_DURATION_FIELD}": 3600}}'
        )
    return parsed
