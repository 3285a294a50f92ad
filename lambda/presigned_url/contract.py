"""The contract between the constructs and the URL function: one copy of what one side
writes and the other reads.

It ships inside the function's asset (this folder), and the constructs import it from the
same file (``sagemaker_notebook_access.lambda_src.presigned_url.contract`` in the wheel):
environment variable names, routes, the audit line's deny reasons, the entitlement tags and
SageMaker's limits. Standard library only.
"""

from __future__ import annotations

import hashlib
import re

# --- SageMaker's limits (SageMaker API reference: CreateNotebookInstance,
# CreatePresignedNotebookInstanceUrl). Use fullmatch: "$" also matches before a newline.
NOTEBOOK_NAME_PATTERN = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9])*")
NOTEBOOK_NAME_MAX_LENGTH = 63
SESSION_DURATION_FIELD = "SessionExpirationDurationInSeconds"
SESSION_DURATION_MIN_SECONDS = 1800
SESSION_DURATION_MAX_SECONDS = 43200


def is_notebook_name(value: object) -> bool:
    """A name SageMaker accepts: up to 63 letters, digits and hyphens, starting and ending
    with a letter or digit. The one rule, for the handler, the constructs and the
    ``notebook-url`` client."""
    return (
        isinstance(value, str)
        and len(value) <= NOTEBOOK_NAME_MAX_LENGTH
        and NOTEBOOK_NAME_PATTERN.fullmatch(value) is not None
    )


# --- Routes: the REST API's resources, as API Gateway writes them in requestContext.
NAME_PARAMETER = "NotebookInstanceName"
NAME_SEGMENT = "{" + NAME_PARAMETER + "}"
URL_RESOURCE = f"/notebooks/{NAME_SEGMENT}/url"
START_RESOURCE = f"/notebooks/{NAME_SEGMENT}/start"
# A member account's notebook on the SigV4 routes (issue 22): its own resources, so a grant
# on /notebooks/* (every notebook of the hub's account) never reaches a member account.
ACCOUNT_PARAMETER = "AccountId"
ACCOUNT_SEGMENT = "{" + ACCOUNT_PARAMETER + "}"
SPOKE_URL_RESOURCE = f"/accounts/{ACCOUNT_SEGMENT}/notebooks/{NAME_SEGMENT}/url"
SPOKE_START_RESOURCE = f"/accounts/{ACCOUNT_SEGMENT}/notebooks/{NAME_SEGMENT}/start"
# The browser routes (issue 11): Cognito-authorized, deployed only with a portal.
PAGE_RESOURCE = "/"
PORTAL_LIST_RESOURCE = "/portal/notebooks"
PORTAL_OPEN_RESOURCE = f"{PORTAL_LIST_RESOURCE}/{NAME_SEGMENT}/open"
PORTAL_START_RESOURCE = f"{PORTAL_LIST_RESOURCE}/{NAME_SEGMENT}/start"


# --- The audit line's denyReason on a handler 403 (metric filters match these values).
DENY_NO_IDENTITY = "noIdentity"
DENY_NO_SOURCE_IP = "noSourceIp"
DENY_OUTSIDE_ALLOW_LIST = "outsideAllowList"
DENY_NOT_ENTITLED = "notEntitled"
DENY_CROSS_ORIGIN = "crossOrigin"

# --- Entitlement: who may open a notebook through the portal (NotebookInstance tags).
OWNERS_TAG = "notebook-access:owners"
GROUPS_TAG = "notebook-access:groups"
# Serving (issue 21): a notebook is served by the API whose serving id is this tag's value.
# The minting role may describe, presign and start only notebooks carrying it
# (aws:ResourceTag/${TagKey} on SageMaker's notebook-instance resource, Service
# Authorization Reference), and the portal lists them with the tagging API's GetResources.
SERVED_BY_TAG = "notebook-access:served-by"
# SageMaker's Tag Value: up to 256 of letters, digits, spaces and _ . : / = + - @
# (SageMaker API reference, Tag); a serving id keeps to these without the space.
SERVED_BY_PATTERN = re.compile(r"[A-Za-z0-9_.:/=+\-@]{1,256}")
# Spokes (issue 22): notebooks in member accounts, minted through a role there that the
# hub's function assumes. A notebook in a spoke is named "<account id>:<name>" in the
# portal's routes and listing, grant_open and the notebook-url client (a notebook name has
# no ":", so this is never ambiguous), and is at SPOKE_*_RESOURCE on the SigV4 routes; a
# bare name is the hub's own account's.
ACCOUNT_SEPARATOR = ":"
ACCOUNT_ID_PATTERN = re.compile(r"[0-9]{12}")
SPOKE_ROLE_NAME_PREFIX = "notebook-access-spoke-"


def spoke_role_name(serving_id: str) -> str:
    """The spoke role's name in every member account of the hub whose serving id this is:
    both sides derive it, so the hub finds the role in an account nobody told it about."""
    digest = hashlib.sha256(serving_id.encode("utf-8")).hexdigest()[:16]
    return SPOKE_ROLE_NAME_PREFIX + digest


def split_notebook_ref(value: object) -> tuple[str | None, str] | None:
    """(account id or None, notebook name) of "<account id>:<name>" or "<name>"; None if
    it is neither."""
    if not isinstance(value, str):
        return None
    account, separator, name = value.rpartition(ACCOUNT_SEPARATOR)
    if not separator:
        return (None, value) if is_notebook_name(value) else None
    if ACCOUNT_ID_PATTERN.fullmatch(account) and is_notebook_name(name):
        return account, name
    return None


# The OAuth scopes the portal's app client allows and its page asks for.
PORTAL_SCOPES = ("openid", "email", "profile")


class Env:
    """The function's environment variables: the constructs set them, the handler reads them."""

    SERVED_BY = "SERVED_BY"  # the serving id: the SERVED_BY_TAG value of served notebooks
    NOTEBOOK_NAMES = "NOTEBOOK_NAMES"  # comma-separated served names (listed, untagged)
    NOTEBOOK_NAME_PREFIX = "NOTEBOOK_NAME_PREFIX"
    ALLOWED_CIDRS = "ALLOWED_CIDRS"  # comma-separated
    ALLOW_START = "ALLOW_START"  # "true" or "false"
    MAX_SESSION_DURATION_SECONDS = "MAX_SESSION_DURATION_SECONDS"
    DEFAULT_SESSION_DURATION_SECONDS = "DEFAULT_SESSION_DURATION_SECONDS"
    REST_API_ID = "REST_API_ID"
    NOTEBOOK_ARN_PREFIX = "NOTEBOOK_ARN_PREFIX"
    PORTAL_URL = "PORTAL_URL"
    PORTAL_CLIENT_ID = "PORTAL_CLIENT_ID"
    PORTAL_SIGN_IN_URL = "PORTAL_SIGN_IN_URL"
    PORTAL_NOTEBOOK_SESSION_MINUTES = "PORTAL_NOTEBOOK_SESSION_MINUTES"
    SPOKE_ACCOUNTS = "SPOKE_ACCOUNTS"  # comma-separated member account ids (issue 22)
    SPOKE_ROLE_ARN_PREFIX = "SPOKE_ROLE_ARN_PREFIX"  # "arn:<partition>:iam::" of the roles
    SPOKE_EXTERNAL_ID = "SPOKE_EXTERNAL_ID"
