"""The routes: what each one does once its caller is authorized and its request valid.

Two kinds of caller: SigV4-signed principals on ``/notebooks/...`` (IAM authorization),
and, with a NotebookPortal, signed-in people on ``/portal/...`` and the page (a Cognito
authorizer; portal.py reads the claims and renders the page). The resources are the
contract's, the ones API Gateway builds.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import Any

if "." in __name__:  # a package: the source tree (tests) and the wheel
    from . import (
        accounts,
        authorization,
        configuration,
        contract,
        errors,
        portal,
        portal_listing,
        responses,
        sagemaker_calls,
        validation,
    )
    from .routing import Call, Route
else:  # the Lambda: this folder is the top level (handler string "handler.handler")
    import accounts
    import authorization
    import configuration
    import contract
    import errors
    import portal
    import portal_listing
    import responses
    import sagemaker_calls
    import validation
    from routing import Call, Route

DURATION_FIELD = contract.SESSION_DURATION_FIELD


def _located(call: Call) -> tuple[accounts.Target, Any]:
    """The notebook the call names, once it may be served, and the client that reaches it."""
    authorization.require_served(call.name, call.settings)
    target = accounts.Target.of(call.name)
    if target.account is not None:
        call.audit["account"] = target.account
    return target, accounts.clients_for(target.account, call.settings).sagemaker


def serve_url(call: Call) -> dict[str, Any]:
    duration = validation.validate_duration(call.body, call.settings)
    call.audit["sessionDurationSeconds"] = duration
    target, client = _located(call)
    url = sagemaker_calls.mint_url(
        target.name,
        duration,
        tagged=not call.settings.listed(target.account, target.name),
        client=client,
    )
    return responses.respond(
        200,
        {"AuthorizedUrl": url, "NotebookInstanceName": call.name, DURATION_FIELD: duration},
    )


def serve_start(call: Call) -> dict[str, Any]:
    validation.validate_start_body(call.body)
    target, client = _located(call)
    status = sagemaker_calls.start_notebook(
        target.name, tagged=not call.settings.listed(target.account, target.name), client=client
    )
    return responses.respond(
        202, {"NotebookInstanceName": call.name, "NotebookInstanceStatus": status}
    )


def serve_page(call: Call) -> dict[str, Any]:
    settings = call.settings.portal
    return responses.html_page(portal.page_html(settings), portal.page_headers(settings))


def serve_portal_list(call: Call) -> dict[str, Any]:
    assert call.user is not None  # authorization.identify ran
    notebooks, complete = portal_listing.listing_for(call.user, call.settings)
    return responses.respond(
        200,
        {
            "notebooks": notebooks,
            "complete": complete,
            "allowStart": call.settings.allow_start,
            "signedInAs": call.user.shown_as,
        },
    )


def _entitled(call: Call) -> tuple[accounts.Target, Any, str]:
    """The portal's routes: the notebook, its client, and its status once the signed-in
    person is entitled to it (one 403 otherwise: sagemaker_calls.entitled_status)."""
    assert call.user is not None  # authorization.identify ran
    validation.validate_start_body(call.body)
    target, client = _located(call)
    status = sagemaker_calls.entitled_status(
        target.name, call.user, call.settings, account=target.account, client=client
    )
    return target, client, status


def serve_portal_open(call: Call) -> dict[str, Any]:
    target, client, status = _entitled(call)
    if status != "InService":
        raise errors.NotebookNotInService(
            f"notebook instance {call.name!r} is {status}; it opens once it is InService",
            fields={"NotebookInstanceStatus": status},
        )
    # The portal's own session (NotebookPortal's notebook_session_minutes), not the API's
    # default for SigV4 callers: it is how long a person whose tag or group was removed
    # keeps an open Jupyter. Never longer than the API lets anyone ask for.
    settings = call.settings
    duration = min(settings.portal.notebook_session_seconds, settings.max_duration_seconds)
    call.audit["sessionDurationSeconds"] = duration
    url = sagemaker_calls.presign_for(target.name, duration, client)
    return responses.respond(
        200,
        {"AuthorizedUrl": url, "NotebookInstanceName": call.name, DURATION_FIELD: duration},
    )


def serve_portal_start(call: Call) -> dict[str, Any]:
    target, client, status = _entitled(call)
    started = sagemaker_calls.start_notebook(target.name, status, client=client)
    return responses.respond(
        202, {"NotebookInstanceName": call.name, "NotebookInstanceStatus": started}
    )


ROUTES: dict[str, Route] = {
    route.resource: route
    for route in (
        Route(contract.URL_RESOURCE, "url", serve_url),
        Route(contract.START_RESOURCE, "start", serve_start, needs_allow_start=True),
        Route(contract.SPOKE_URL_RESOURCE, "url", serve_url),
        Route(contract.SPOKE_START_RESOURCE, "start", serve_start, needs_allow_start=True),
        Route(contract.PAGE_RESOURCE, "portal-page", serve_page, method="GET", identity="page"),
        Route(
            contract.PORTAL_LIST_RESOURCE,
            "portal-list",
            serve_portal_list,
            method="GET",
            identity="user",
        ),
        Route(contract.PORTAL_OPEN_RESOURCE, "portal-open", serve_portal_open, identity="user"),
        Route(
            contract.PORTAL_START_RESOURCE,
            "portal-start",
            serve_portal_start,
            identity="user",
            needs_allow_start=True,
        ),
    )
}


def served_by(settings: configuration.Settings) -> Mapping[str, Route]:
    """The ROUTES the construct deployed with these settings; the others are unknown."""
    return _served(settings.allow_start, settings.portal.enabled, bool(settings.spoke_accounts))


@lru_cache(maxsize=8)
def _served(allow_start: bool, portal_enabled: bool, spokes_enabled: bool) -> Mapping[str, Route]:
    return MappingProxyType(
        {
            resource: route
            for resource, route in ROUTES.items()
            if route.deployed_with(
                allow_start=allow_start,
                portal_enabled=portal_enabled,
                spokes_enabled=spokes_enabled,
            )
        }
    )
