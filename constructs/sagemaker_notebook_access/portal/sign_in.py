"""The sign-in props of a NotebookPortal (``SignIn`` for ``IpRestrictedNotebook``) and
their checks, which need no construct: made before the portal (or its parent) exists."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_cognito as cognito

from ..validation import ValidationError, is_token, validate_int_range

SESSION_MINUTES_MIN = 5  # Cognito's shortest ID/access token validity (TokenValidityUnitsType)
SESSION_MINUTES_MAX = 24 * 60
DEFAULT_SESSION_MINUTES = 15
# The notebook session a portal open mints (SessionExpirationDurationInSeconds, 1800..43200
# in the SageMaker API reference), in minutes. It is how long a person removed from a tag
# or group keeps an open Jupyter: a presigned session cannot be ended early.
NOTEBOOK_SESSION_MINUTES_MIN = 30
NOTEBOOK_SESSION_MINUTES_MAX = 12 * 60
DEFAULT_NOTEBOOK_SESSION_MINUTES = 60
# Cognito domain prefixes: lowercase letters, digits and hyphens, 1..63, and none of the
# reserved words (CognitoDomainOptions / AWS::Cognito::UserPoolDomain).
_DOMAIN_PREFIX = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_RESERVED_IN_PREFIX = ("aws", "amazon", "cognito")
# What AWS::Cognito::UserPool's DeletionPolicy takes (no Snapshot).
POOL_REMOVAL_POLICIES = (
    RemovalPolicy.RETAIN,
    RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    RemovalPolicy.DESTROY,
)


@dataclass(frozen=True)
class SignIn:
    """``IpRestrictedNotebook(sign_in=...)``: the ``NotebookPortal`` props but ``api``."""

    domain_prefix: str | None = None
    user_pool: cognito.IUserPool | None = None
    sign_in_url: str | None = None
    identity_providers: Sequence[cognito.UserPoolClientIdentityProvider] = ()
    session_minutes: int = DEFAULT_SESSION_MINUTES
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
    notebook_session_minutes: int = DEFAULT_NOTEBOOK_SESSION_MINUTES

    def options(self) -> dict[str, Any]:
        """The props as ``NotebookPortal`` keyword arguments (all but ``api``)."""
        return {field.name: getattr(self, field.name) for field in fields(self)}


def check_sign_in(
    *,
    domain_prefix: str | None,
    sign_in_url: str | None,
    session_minutes: int,
    removal_policy: RemovalPolicy,
    notebook_session_minutes: int,
) -> None:
    """Raise ``ValidationError`` (without a scope: the caller's ``validating`` names it)
    for a sign-in prop the portal cannot deploy; the API's own checks are the API's."""
    if (domain_prefix is None) == (sign_in_url is None):
        raise ValidationError(
            "pass exactly one of domain_prefix (create a managed login domain) or "
            "sign_in_url (an existing domain of user_pool)"
        )
    if domain_prefix is not None and not is_token(domain_prefix):
        reserved = [word for word in _RESERVED_IN_PREFIX if word in domain_prefix]
        if not re.fullmatch(_DOMAIN_PREFIX, domain_prefix) or reserved:
            raise ValidationError(
                f"domain_prefix {domain_prefix!r} is not a valid Cognito domain prefix: use "
                "1..63 lowercase letters, digits and hyphens, not starting or ending with a "
                "hyphen, without 'aws', 'amazon' or 'cognito'"
            )
    if (
        sign_in_url is not None
        and not is_token(sign_in_url)
        and not re.fullmatch(r"https://[^/?#\s]+", sign_in_url)
    ):
        raise ValidationError(
            f"sign_in_url {sign_in_url!r} must be a domain's base URL such as "
            "https://team.auth.eu-west-1.amazoncognito.com (https, no path)"
        )
    if removal_policy not in POOL_REMOVAL_POLICIES:
        raise ValidationError(
            f"removal_policy {removal_policy} is not allowed for the user pool (a user pool "
            "has no snapshot): use RemovalPolicy.RETAIN (kept, deletion protection on), "
            "RETAIN_ON_UPDATE_OR_DELETE or DESTROY"
        )
    # Cognito's ID token validity: 5 minutes to a day (TokenValidityUnitsType).
    validate_int_range(
        session_minutes,
        prop="session_minutes",
        minimum=SESSION_MINUTES_MIN,
        maximum=SESSION_MINUTES_MAX,
        unit="minutes",
    )
    validate_int_range(
        notebook_session_minutes,
        prop="notebook_session_minutes",
        minimum=NOTEBOOK_SESSION_MINUTES_MIN,
        maximum=NOTEBOOK_SESSION_MINUTES_MAX,
        unit="minutes",
    )
