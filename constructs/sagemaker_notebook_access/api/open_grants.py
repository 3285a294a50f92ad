"""``PresignedUrlApi.grant_open``: ``execute-api:Invoke`` on one notebook's routes, or on
every served notebook's; the route contains the name, so IAM scopes the grant per notebook."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Stack
from aws_cdk import aws_iam as iam

from ..lambda_src.presigned_url.contract import (
    ACCOUNT_ID_PATTERN,
    ACCOUNT_SEGMENT,
    ACCOUNT_SEPARATOR,
    NAME_SEGMENT,
    SPOKE_START_RESOURCE,
    SPOKE_URL_RESOURCE,
    START_RESOURCE,
    URL_RESOURCE,
    split_notebook_ref,
)
from ..notebook.instance import NotebookInstance
from ..validation import ValidationError, is_token, validating
from .grants import warn_if_not_applied
from .served_notebooks import NotebookRef, served_name

if TYPE_CHECKING:
    from .presigned_url_api import PresignedUrlApi


def grant_open_routes(
    api: PresignedUrlApi, grantee: iam.IGrantable, notebook: NotebookRef | None
) -> iam.Grant:
    """Let ``grantee`` call ``api`` for ``notebook`` (None: every served notebook of the
    hub's own account; "<account id>:<name>" or "<account id>:*": a member account's)."""
    account, name = _target(api, notebook)
    resources = [URL_RESOURCE] + ([START_RESOURCE] if api.allow_start else [])
    if account is not None:
        # Their own routes: a grant on /notebooks/* never reaches a member account.
        resources = [SPOKE_URL_RESOURCE] + ([SPOKE_START_RESOURCE] if api.allow_start else [])
    paths = [
        resource.replace(NAME_SEGMENT, name).replace(ACCOUNT_SEGMENT, account or "")
        for resource in resources
    ]
    grant = api._invoke_policies.grant(
        grantee,
        [api.rest_api.arn_for_execute_api("POST", path, api.stage_name) for path in paths],
    )
    return warn_if_not_applied(
        api, grant, grantee, granted=" or ".join(f"POST {path}" for path in paths)
    )


def _target(api: PresignedUrlApi, notebook: NotebookRef | None) -> tuple[str | None, str]:
    """(member account or None, name or "*") of what ``grant_open`` was given."""
    if notebook is None:
        return None, "*"
    if isinstance(notebook, str) and ACCOUNT_SEPARATOR in notebook:
        account, _, name = notebook.rpartition(ACCOUNT_SEPARATOR)
        if name == "*" and ACCOUNT_ID_PATTERN.fullmatch(account):
            return account, name
        if split_notebook_ref(notebook) is None:
            raise ValidationError(
                f"notebook {notebook!r} is not '<12-digit account id>:<notebook name>' or "
                "'<12-digit account id>:*' (a notebook name is 1..63 letters, digits and "
                "hyphens)",
                api,
            )
        return account, name
    # Any name: a notebook may join by its serving tag after the deploy (issue 21).
    with validating(api):
        name = served_name(notebook)
    if isinstance(notebook, NotebookInstance):
        theirs, ours = Stack.of(notebook).account, Stack.of(api).account
        if not is_token(theirs) and not is_token(ours) and theirs != ours:
            return theirs, name  # a spoke's notebook, made in its own account's stack
    return None, name
