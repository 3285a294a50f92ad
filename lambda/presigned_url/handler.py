"""Mint presigned SageMaker notebook URLs behind an API Gateway REST API (Lambda proxy).

The entry point: parse the event, find its route, authorize the caller, validate the
request, call SageMaker and respond, then write one audit line. Each step is its own
module (parsing, routing and routes, authorization, validation, sagemaker_calls,
responses, audit_line); every refusal is an errors.ApiError that carries its own status
and code. The AuthorizedUrl is a bearer credential: it goes into the 200 body and
nowhere else, never a log line.

Lambda imports this folder as its top level (handler string ``handler.handler``); the
tests and the constructs import it as a package. Each module picks its import form from
its own ``__name__``, and contract.py imports nothing from here.
"""

from __future__ import annotations

import time
from typing import Any

if "." in __name__:  # a package: the source tree (tests) and the wheel
    from . import (
        audit_line,
        authorization,
        configuration,
        errors,
        parsing,
        responses,
        routes,
        routing,
        sdk_logs,
        validation,
    )
    from .configuration import load_settings
else:  # the Lambda: this folder is the top level (handler string "handler.handler")
    import audit_line
    import authorization
    import configuration
    import errors
    import parsing
    import responses
    import routes
    import routing
    import sdk_logs
    import validation
    from configuration import load_settings

# Before the first request: botocore quiet, and its body dumps never carrying the URL.
sdk_logs.guard()


def handler(event: Any, context: Any) -> dict[str, Any]:
    started = time.monotonic()
    request = parsing.parse_request(event, context)
    audit = audit_line.audit_of(request)
    try:
        settings = load_settings()
        audit["viaDeployedApi"] = audit_line.came_through_the_api(request.api_id, settings)
        response = handle(request, settings, audit)
        outcome = "ok"
    except errors.ApiError as error:
        response = responses.error_response(error, request.request_id)
        outcome = error.code
        if isinstance(error, errors.Forbidden):
            audit["denyReason"] = error.reason
    except Exception as error:  # the contract's 500; the type name is safe, its text may not be
        response = responses.error_response(errors.InternalError(), request.request_id)
        outcome = errors.InternalError.code
        audit["exceptionType"] = type(error).__name__
    audit_line.write(audit, outcome=outcome, status=response["statusCode"], started=started)
    return response


def handle(
    request: parsing.Request, settings: configuration.Settings, audit: dict[str, Any]
) -> dict[str, Any]:
    """Route, authorize, validate, then let the route call SageMaker and respond."""
    route = routing.find(routes.served_by(settings), request.route)
    audit["route"] = route.name
    # Authorize first: a caller outside the allow-list learns nothing, not even the method.
    user = authorization.identify(route.identity, request, settings)
    if user is not None:
        audit["user"] = audit_line.clip(user.sub)
    validation.validate_method(request.method, route.method)
    name = ""
    if route.takes_name:
        name = validation.validate_target(
            request.notebook_name,
            request.account_id,
            takes_account=route.takes_account,
            takes_ref=route.needs_portal,
        )
        audit["notebook"] = name
    body = parsing.parse_body(parsing.raw_body_of(request))
    return route.serve(
        routing.Call(name=name, body=body, settings=settings, audit=audit, user=user)
    )
