"""``PresignedUrlApi.grant_open``: ``execute-api:Invoke`` on one notebook's routes, or on
every served notebook's; the route contains the name, so IAM scopes the grant per notebook."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import aws_iam as iam

from ..lambda_src.presigned_url.contract import (
    ACCOUNT_SEPARATOR,
    NAME_SEGMENT,
    START_RESOURCE,
    URL_RESOURCE,
    split_notebook_ref,
)
from ..validation import ValidationError, validating
from .grants import warn_if_not_applied
from .served_notebooks import NotebookRef, served_name

if TYPE_CHECKING:
    from .presigned_url_api import PresignedUrlApi


def grant_open_routes(
    api: PresignedUrlApi, grantee: iam.IGrantable, notebook: NotebookRef | None
) -> iam.Grant:
    """Let ``grantee`` call ``api`` for ``notebook`` (None: every served notebook)."""
    name = "*"
    if isinstance(notebook, str) and ACCOUNT_SEPARATOR in notebook:
        # A spoke's notebook, "<account id>:<name>" (issue 22), as requests name it.
        if split_notebook_ref(notebook) is None:
            raise ValidationError(
                f"notebook {notebook!r} is not '<12-digit account id>:<notebook name>' "
                "(a notebook name is 1..63 letters, digits and hyphens)",
                api,
            )
        name = notebook
    elif notebook is not None:
        # Any name: a notebook may join by its serving tag after the deploy (issue 21).
        with validating(api):
            name = served_name(notebook)
    paths = [
        resource.replace(NAME_SEGMENT, name)
        for resource in [URL_RESOURCE] + ([START_RESOURCE] if api.allow_start else [])
    ]
    grant = api._invoke_policies.grant(
        grantee,
        [api.rest_api.arn_for_execute_api("POST", path, api.stage_name) for path in paths],
    )
    return warn_if_not_applied(
        api, grant, grantee, granted=" or ".join(f"POST {path}" for path in paths)
    )
