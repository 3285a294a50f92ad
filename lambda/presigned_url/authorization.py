"""Authorize: who the caller is and whether they may ask, behind the API's own checks.

Defence in depth behind the resource policy, the IAM or Cognito authorizer and the WAF;
fails closed. Every refusal is a 403 whose reason goes to the audit line's denyReason
(the contract's DENY_* values, which the metric filters match); a notebook this API does
not serve is a 404 that reveals nothing else.
"""

from __future__ import annotations

import ipaddress

if "." in __name__:  # a package: the source tree (tests) and the wheel
    from . import configuration, contract, errors, parsing, portal
else:  # the Lambda: this folder is the top level (handler string "handler.handler")
    import configuration
    import contract
    import errors
    import parsing
    import portal

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def identify(
    kind: str, request: parsing.Request, settings: configuration.Settings
) -> portal.User | None:
    """Check the caller as the route says (routing.Route.identity); the signed-in person
    on the browser routes, else None.

    "iam": a SigV4-signed principal; "user": a person the Cognito authorizer let in;
    "page": anyone on the allow-list (the page holds no data, it signs the person in).
    """
    if kind == "iam":
        authorize(request, settings)
        return None
    if kind == "user":
        return authorize_user(request, settings)
    require_allowed_source(request, settings)
    return None


def authorize(request: parsing.Request, settings: configuration.Settings) -> None:
    """The SigV4 routes' check: an AWS identity, from an address on the allow-list."""
    if request.caller is None:
        raise errors.Forbidden(
            "the request carries no AWS identity; sign it with SigV4 (IAM authorization)",
            reason=contract.DENY_NO_IDENTITY,
        )
    require_allowed_source(request, settings)


def authorize_user(request: parsing.Request, settings: configuration.Settings) -> portal.User:
    """The browser routes' check: allow-list, a signed-in person, a same-origin page.

    The token itself was validated by API Gateway's Cognito authorizer; an event with
    no claims did not pass one (or was invoked directly), and is refused.
    """
    require_allowed_source(request, settings)
    token = portal.token_claims(request.authorization)
    user = portal.user_of(request.claims, settings.portal.client_id, token)
    if user is None:
        raise errors.Forbidden(
            "the request carries no signed-in user; sign in", reason=contract.DENY_NO_IDENTITY
        )
    if not portal.same_origin(request.headers, settings.portal):
        raise errors.Forbidden(
            "this route only answers the portal page's own requests",
            reason=contract.DENY_CROSS_ORIGIN,
        )
    return user


def require_allowed_source(request: parsing.Request, settings: configuration.Settings) -> None:
    forms = parse_source_ip(request.source_ip) if request.source_ip else []
    if not forms:
        raise errors.Forbidden(
            "the request has no valid source IP address; call from a network on the allow-list",
            reason=contract.DENY_NO_SOURCE_IP,
        )
    if not _on_allow_list(forms, settings):
        raise errors.Forbidden(
            f"source IP address {forms[0]} is not on this API's allow-list; "
            "call from an allowed network",
            reason=contract.DENY_OUTSIDE_ALLOW_LIST,
        )


def parse_source_ip(text: str) -> list[Address]:
    """The address in every form a network may list it: v4-mapped v6 also as IPv4."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return []
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return [address.ipv4_mapped, address]
    return [address]


def _on_allow_list(forms: list[Address], settings: configuration.Settings) -> bool:
    return any(
        address.version == network.version and address in network
        for address in forms
        for network in settings.allowed_networks
    )


def require_served(ref: str, settings: configuration.Settings) -> None:
    """A 404, before any AWS call, for a notebook the API cannot serve: a name not listed
    without a serving id, or an account that is not one of the hub's spokes. With a serving
    id any name may carry the tag: SageMaker's answer decides (sagemaker_calls)."""
    account, name = contract.split_notebook_ref(ref) or (None, ref)
    if account is not None:
        if account not in settings.spoke_accounts or not settings.served_by:
            raise errors.NotebookNotFound.not_served(ref)
    elif not settings.may_serve(name):
        raise errors.NotebookNotFound.not_served(ref)
