"""How many notebooks a PresignedUrlApi can list explicitly: plain arithmetic, no CDK.

Two limits bound the explicit list (``add_notebook``); past them the answer is
``notebook_name_prefix``:

- Lambda caps a function's environment variables at 4 KiB together ("Lambda quotas",
  Lambda developer guide). The served-notebook list gets what the other variables leave.
- A customer-managed IAM policy holds 6,144 characters, whitespace not counted, and a role
  takes 10 managed policies by default ("IAM and AWS STS quotas", IAM user guide).
  Served-notebook ARNs fill the function policy's statement (its other statements keep
  FUNCTION_POLICY_RESERVED_CHARS), then up to MAX_SERVED_NOTEBOOK_POLICIES more policies.

A name that is a token (CloudFormation generates it) is counted at the 63-character
maximum, and each ARN at its longest (partition aws-us-gov, a 14-character region).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..limits import NOTEBOOK_NAME_MAX_LENGTH

ENVIRONMENT_LIMIT_BYTES = 4096
# Room left for what a user adds (AWS_ENDPOINT_URL_SAGEMAKER, tracing options).
ENVIRONMENT_HEADROOM_BYTES = 256
MANAGED_POLICY_MAX_CHARS = 6144
FUNCTION_POLICY_RESERVED_CHARS = 3072
SERVED_POLICY_OVERHEAD_CHARS = 512
MAX_SERVED_NOTEBOOK_POLICIES = 4
LONGEST_REGION = "ap-southeast-5"
NOTEBOOK_ARN_PREFIX_MAX_CHARS = len(
    f"arn:aws-us-gov:sagemaker:{LONGEST_REGION}:123456789012:notebook-instance/"
)
# Variables whose value is a token are counted at the longest it can resolve to.
REST_API_ID_CHARS = 10  # API Gateway's REST API ids, e.g. a1b2c3d4e5
COGNITO_CLIENT_ID_MAX_CHARS = 128  # ClientId, Cognito API reference


def arn_chars(name: str, *, is_token: bool) -> int:
    """Characters a served notebook's ARN takes in a policy: the ARN, quotes and comma."""
    return NOTEBOOK_ARN_PREFIX_MAX_CHARS + _name_chars(name, is_token) + 3


def first_policy_room(prefix: str) -> int:
    """What the function policy's statement has for listed ARNs, after the prefix ARN."""
    room = MANAGED_POLICY_MAX_CHARS - FUNCTION_POLICY_RESERVED_CHARS
    # The ARN notebook-instance/<prefix>*, as a listed ARN is counted.
    return room - arn_chars(prefix + "*", is_token=False) if prefix else room


def environment_bytes(variables: Mapping[str, str], names: Sequence[tuple[str, bool]]) -> int:
    """The environment's size with ``names`` ((name, is_token) pairs) in the list.

    ``variables`` are the other variables (the list's own key counts with them); the names
    are joined by commas, and the headroom is added on top.
    """
    names_bytes = sum(_name_chars(name, token) for name, token in names)
    others = sum(len(key) + len(value) for key, value in variables.items())
    return others + names_bytes + max(len(names) - 1, 0) + ENVIRONMENT_HEADROOM_BYTES


def _name_chars(name: str, is_token: bool) -> int:
    # A token (a generated name) at the longest a name can be.
    return NOTEBOOK_NAME_MAX_LENGTH if is_token else len(name)
