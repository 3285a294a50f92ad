"""What API Gateway answers itself: JSON error shapes and the access-log line.

Messages are fixed per response type: API Gateway's own text for IAM failures names
the caller's ARN and account id, which the contract keeps out of every response.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from aws_cdk import aws_apigateway as apigw

RETRY_AFTER_SECONDS = "5"


@dataclass(frozen=True)
class GatewayError:
    response_type: apigw.ResponseType
    status: int | None  # None keeps API Gateway's own status (the DEFAULT_* fallbacks)
    code: str
    message: str
    retry_after: bool = False


GATEWAY_ERRORS = (
    # Fallbacks. Their status stays API Gateway's: setting it would rewrite the status of
    # every unlisted 4XX/5XX type (404 RESOURCE_NOT_FOUND, 415, ...) to one value.
    GatewayError(
        apigw.ResponseType.DEFAULT_4_XX,
        None,
        "BadRequest",
        "API Gateway rejected the request; see POST /notebooks/{name}/url in the README",
    ),
    GatewayError(
        apigw.ResponseType.DEFAULT_5_XX,
        None,
        "InternalError",
        "API Gateway could not complete the request; retry later",
        retry_after=True,
    ),
    GatewayError(
        apigw.ResponseType.ACCESS_DENIED,
        403,
        "Forbidden",
        "not authorized: call from an allowed network with an identity granted "
        "execute-api:Invoke on this notebook's route",
    ),
    # API Gateway's answer for an undefined path or method (a GET on a POST route too).
    GatewayError(
        apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN,
        403,
        "Forbidden",
        "no such route or method, or the request is not SigV4-signed: use a signed "
        "POST /notebooks/{name}/url",
    ),
    GatewayError(
        apigw.ResponseType.INVALID_SIGNATURE,
        403,
        "Forbidden",
        "the SigV4 signature does not match: sign for service execute-api with your current "
        "credentials and region",
    ),
    GatewayError(
        apigw.ResponseType.EXPIRED_TOKEN,
        403,
        "Forbidden",
        "the credentials that signed the request have expired: refresh them and retry",
    ),
    GatewayError(
        apigw.ResponseType.UNAUTHORIZED,
        401,
        "Unauthorized",
        "the request is not authorized: sign it with SigV4",
    ),
    # A web ACL block (managed rules, per-IP rate): 403 like the resource policy's deny.
    GatewayError(
        apigw.ResponseType.WAF_FILTERED,
        403,
        "Forbidden",
        "the request was blocked by the API's web application firewall",
    ),
    GatewayError(
        apigw.ResponseType.THROTTLED,
        429,
        "Throttled",
        "too many requests: retry after the Retry-After delay",
        retry_after=True,
    ),
    GatewayError(
        apigw.ResponseType.QUOTA_EXCEEDED,
        429,
        "Throttled",
        "request quota exceeded: retry after the Retry-After delay",
        retry_after=True,
    ),
    GatewayError(
        apigw.ResponseType.REQUEST_TOO_LARGE,
        413,
        "PayloadTooLarge",
        "the request is too large: send a body of at most 4096 bytes",
    ),
    GatewayError(
        apigw.ResponseType.BAD_REQUEST_BODY,
        400,
        "ValidationError",
        'the body must be a JSON object with at most {"SessionExpirationDurationInSeconds": '
        "<integer 1800..43200>}",
    ),
    GatewayError(
        apigw.ResponseType.BAD_REQUEST_PARAMETERS,
        400,
        "ValidationError",
        "the path must name a notebook instance: POST /notebooks/{name}/url",
    ),
    GatewayError(
        apigw.ResponseType.INTEGRATION_TIMEOUT,
        504,
        "UpstreamTimeout",
        "the URL service did not answer in time; retry later",
        retry_after=True,
    ),
    GatewayError(
        apigw.ResponseType.INTEGRATION_FAILURE,
        502,
        "UpstreamError",
        "the URL service failed or is at capacity; retry later",
        retry_after=True,
    ),
)

NO_STORE_HEADERS = {"Cache-Control": "'no-store'", "Content-Type": "'application/json'"}


def error_body_template(code: str, message: str) -> str:
    body = json.dumps(
        {"error": "__CODE__", "message": message, "requestId": "__ID__"}, separators=(",", ":")
    )
    # Context variables are substituted by API Gateway inside the JSON strings.
    return body.replace("__CODE__", code).replace("__ID__", "$context.requestId")


def add_gateway_responses(api: apigw.RestApi) -> None:
    for error in GATEWAY_ERRORS:
        headers = dict(NO_STORE_HEADERS)
        if error.retry_after:
            headers["Retry-After"] = f"'{RETRY_AFTER_SECONDS}'"
        api.add_gateway_response(
            error.response_type.response_type.title().replace("_", ""),
            type=error.response_type,
            status_code=None if error.status is None else str(error.status),
            response_headers=headers,
            templates={"application/json": error_body_template(error.code, error.message)},
        )


# API Gateway access log, one JSON line per request. No body, no response data.
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "extendedRequestId": "$context.extendedRequestId",
    "requestTime": "$context.requestTime",
    "sourceIp": "$context.identity.sourceIp",
    "caller": "$context.identity.caller",
    "userArn": "$context.identity.userArn",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "path": "$context.path",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "integrationLatency": "$context.integrationLatency",
    "errorType": "$context.error.responseType",
    "wafStatus": "$context.waf.status",
}
