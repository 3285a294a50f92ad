"""Which API serves a NotebookInstance: the serving tag (issue 21) on its resource.

``PresignedUrlApi.add_notebook`` sets ``notebook-access:served-by`` to the API's serving
id; the API's role may describe, presign and start only notebooks carrying it. Tags of an
``AWS::SageMaker::NotebookInstance`` update without replacement (CloudFormation resource
reference: Tags, "Update requires: No interruption"; tests read it from the schema), so
serving an existing notebook does not replace it.
"""

from __future__ import annotations

import hashlib

from aws_cdk import Names, Stack
from constructs import Construct

from ..lambda_src.presigned_url.contract import SERVED_BY_PATTERN, SERVED_BY_TAG
from ..validation import ValidationError, is_token
from .instance import NotebookInstance

SERVING_ID_MAX_LENGTH = 64
# Hex digits of sha256("<account>/<region>") a default serving id ends with.
ENVIRONMENT_HASH_LENGTH = 8


def serving_tag_of(notebook: NotebookInstance) -> str | None:
    """The serving id the notebook is tagged with, None if no API serves it by tag."""
    return notebook.cfn_notebook_instance.tags.tag_values().get(SERVED_BY_TAG)


def tag_as_served(notebook: NotebookInstance, serving_id: str) -> None:
    """Tag ``notebook`` as served by the API of ``serving_id``; refuse a second API."""
    current = serving_tag_of(notebook)
    if current == serving_id:
        raise ValidationError(f"notebook {notebook.node.path} is already served by this API")
    if current is not None:
        raise ValidationError(
            f"notebook {notebook.node.path} is already served by the API whose serving id is "
            f"{current!r}: a notebook carries one {SERVED_BY_TAG} tag, so one API serves it"
        )
    notebook.cfn_notebook_instance.tags.set_tag(SERVED_BY_TAG, serving_id)


def default_serving_id(api: Construct) -> str:
    """The stack's name and the API's path with a hash: unique in an account and region
    (stack names are), known at synth, so notebooks in other stacks and ``aws sagemaker
    add-tags`` can name it. It changes if the API's construct path changes.

    In a stack with an account and a region, ``-`` and a hash of them follow (the name
    shortened to keep the whole within ``SERVING_ID_MAX_LENGTH``): the same app deployed as
    two hubs (dev and prod accounts, two regions) gets two serving ids, hence two spoke role
    names (IAM names are global to an account, so a member account can hold both spokes)
    and two external ids, and a notebook's tag names its hub. An environment-agnostic stack
    (a token account or region) keeps the name alone: nothing else is known at synth."""
    stack = Stack.of(api)
    if is_token(stack.account) or is_token(stack.region):
        return Names.unique_resource_name(api, max_length=SERVING_ID_MAX_LENGTH, separator="-")
    digest = hashlib.sha256(f"{stack.account}/{stack.region}".encode()).hexdigest()
    suffix = "-" + digest[:ENVIRONMENT_HASH_LENGTH]
    name = Names.unique_resource_name(
        api, max_length=SERVING_ID_MAX_LENGTH - len(suffix), separator="-"
    )
    return name + suffix


def check_serving_id(value: str) -> None:
    """A serving id must be known at synth and be a valid tag value without spaces."""
    if is_token(value) or not SERVED_BY_PATTERN.fullmatch(value):
        raise ValidationError(
            f"serving_tag_value {value!r} must be 1..256 letters, digits and _ . : / = + - @ "
            "known at synth (not a token): notebooks and `aws sagemaker add-tags` name it"
        )
