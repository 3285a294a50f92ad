"""NotebookAccessSpoke's prop checks, run before the construct exists: a bad prop leaves
nothing in the tree. Each names the prop, the value and what is allowed; a token (a
CloudFormation parameter, as a StackSet passes the hub's values) passes unchecked, except
the serving id, from which the role's name is derived at synth.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..cidrs import normalize_cidrs
from ..lambda_src.presigned_url.contract import ACCOUNT_ID_PATTERN, spoke_role_name
from ..notebook.serving import check_serving_id
from ..notebook.tag_guard import tag_guard_document
from ..validation import ValidationError, is_token

# An IAM role ARN: partition (aws, aws-cn, aws-us-gov, ...), 12-digit account, optional
# path, a role name of 1..64 of [\w+=,.@-] ("IAM identifiers", "IAM and AWS STS quotas",
# IAM user guide; CreateRole's RoleName pattern), ASCII only. The path takes the same
# characters between its slashes: the trust compares with ArnEquals, which honours * and ?
# as ArnLike does ("Condition operators", IAM user guide), so neither may appear anywhere.
ROLE_ARN_PATTERN = re.compile(
    r"arn:(aws[a-z-]*):iam::([0-9]{12}):role/(?:[\w+=,.@-]+/)*([\w+=,.@-]{1,64})", re.ASCII
)
# An interface endpoint's id as EC2 writes it (vpce- and hexadecimal digits).
ENDPOINT_ID_PATTERN = re.compile(r"vpce-[0-9a-f]+")
# AssumeRole's ExternalId: 2..1224 of [\w+=,.@:/-] (AWS STS API reference, AssumeRole),
# ASCII: STS refuses "été".
EXTERNAL_ID_PATTERN = re.compile(r"[\w+=,.@:/-]{2,1224}", re.ASCII)


@dataclass(frozen=True)
class CheckedSpokeProps:
    """What the checks derive from the props, for the construct to build with."""

    role_name: str
    """``spoke_role_name(serving_tag_value)``: the name the hub derives too."""
    cidrs: list[str]
    """The allow-list, normalized (``normalize_cidrs``)."""
    external_id: str
    """``external_id``, else the serving id."""


def check_spoke_props(
    *,
    spoke_account: str,
    hub_account: str,
    hub_role_arn: str,
    hub_endpoint_id: str,
    serving_tag_value: str,
    allowed_cidrs: Sequence[str],
    external_id: str | None,
    tag_administrators: Sequence[str],
    allow_all_ips: bool,
) -> CheckedSpokeProps:
    """Check every prop; ``spoke_account`` is the stack's account (a token when the stack
    is environment-agnostic)."""
    if not isinstance(serving_tag_value, str):
        raise ValidationError(
            f"serving_tag_value must be the hub's serving id (a string), got {serving_tag_value!r}"
        )
    check_serving_id(serving_tag_value)
    check_account_id(hub_account, prop="hub_account")
    if not is_token(hub_account) and hub_account == spoke_account:
        raise ValidationError(
            f"hub_account {hub_account} is this stack's own account: the hub serves its own "
            "account's notebooks by their bare names and needs no spoke there"
        )
    check_role_arn(hub_role_arn, hub_account=hub_account)
    check_endpoint_id(hub_endpoint_id)
    cidrs = normalize_cidrs(allowed_cidrs, allow_all_ips=allow_all_ips)
    chosen = serving_tag_value if external_id is None else external_id
    check_external_id(chosen, given=external_id is not None)
    try:
        tag_guard_document(tag_administrators)  # raises on what is not a list of ARNs
    except ValidationError as error:
        # The guard's own check calls the list "administrators": name this prop instead.
        raise ValidationError(f"tag_{error}") from None
    return CheckedSpokeProps(spoke_role_name(serving_tag_value), cidrs, chosen)


def check_account_id(value: object, *, prop: str) -> None:
    if is_token(value):
        return
    if not isinstance(value, str) or not ACCOUNT_ID_PATTERN.fullmatch(value):
        raise ValidationError(
            f"{prop} {value!r} is not an AWS account id: 12 digits, as a string "
            "(for example '111122223333'; keep leading zeros)"
        )


def check_role_arn(value: object, *, hub_account: str) -> None:
    if is_token(value):
        return
    match = ROLE_ARN_PATTERN.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValidationError(
            f"hub_role_arn {value!r} is not an IAM role ARN such as "
            "'arn:aws:iam::111122223333:role/HubFunctionRole': give the ARN of the hub "
            "API's function role (api.role.role_arn)"
        )
    if not is_token(hub_account) and match.group(2) != hub_account:
        raise ValidationError(
            f"hub_role_arn {value!r} is a role of account {match.group(2)}, not of "
            f"hub_account {hub_account}: the trust admits that account's principals only"
        )


def check_endpoint_id(value: object) -> None:
    if is_token(value):
        return
    if not isinstance(value, str) or not ENDPOINT_ID_PATTERN.fullmatch(value):
        raise ValidationError(
            f"hub_endpoint_id {value!r} is not a VPC endpoint id such as "
            "'vpce-0123456789abcdef0': give the id of the hub's SageMaker API endpoint "
            "(api.endpoint.vpc_endpoint_id)"
        )


def check_external_id(value: object, *, given: bool) -> None:
    if is_token(value):
        return
    if not isinstance(value, str) or not EXTERNAL_ID_PATTERN.fullmatch(value):
        where = "external_id" if given else "external_id (default: serving_tag_value)"
        raise ValidationError(
            f"{where} {value!r} is not an STS external id: 2..1224 letters, digits and "
            "_ + = , . @ : / -"
        )
