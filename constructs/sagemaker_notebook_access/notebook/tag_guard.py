"""The tag guard: writing a ``notebook-access:`` tag is granting access, so few may write one.

The portal entitles people by a notebook's ``notebook-access:owners`` and
``notebook-access:groups`` tags, and ``sagemaker:AddTags`` is held far more widely than
notebook access is meant to be (any ``sagemaker:*`` policy, or a broad notebook execution
role that every user of that notebook holds). The guard denies adding, changing or removing
any tag whose key starts with ``notebook-access:``, and creating a notebook that carries one,
to everyone but the administrators named.

Sources: SageMaker's ``AddTags`` supports ``aws:TagKeys`` and ``aws:RequestTag/${TagKey}``,
``DeleteTags`` supports ``aws:TagKeys``, and ``CreateNotebookInstance`` supports both for the
tags it is created with (Service Authorization Reference, "Actions, resources, and condition
keys for Amazon SageMaker"); the SageMaker developer guide's "Control access to SageMaker
resources by using tags" denies re-tagging the same way. ``aws:TagKeys`` is multivalued, so
it is tested with ``ForAnyValue:`` ("Condition keys with multiple values", IAM user guide).
``aws:PrincipalArn`` is the ARN of the role (not the session) making the request, and works
in service control policies, which have no ``Principal`` element ("AWS global condition
context keys", IAM user guide; "SCP syntax", AWS Organizations user guide).

Three ways to use it, all from ``tag_guard_document``:

- a service control policy: ``python -m sagemaker_notebook_access.notebook.tag_guard --administrator
  ARN ...`` prints the JSON (``aws organizations create-policy --type SERVICE_CONTROL_POLICY``);
- ``TagGuardPolicy``: a managed policy on the roles, users and groups an app names;
- ``TagGuardPolicy.permissions_boundary``: the same denies under an allow-all, as a boundary.

The roles this library creates (a notebook's execution role, the URL function's role) carry
the denies with no exemption.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from aws_cdk import aws_iam as iam
from constructs import Construct

from ..validation import ValidationError, is_token, validating

TAG_KEY_PREFIX = "notebook-access:"
GUARDED_TAG_KEYS = f"{TAG_KEY_PREFIX}*"
TAGGING_ACTIONS = ("sagemaker:AddTags", "sagemaker:DeleteTags")
# Created with the tag already on it: tag-on-create is authorized on the create call.
CREATE_ACTIONS = ("sagemaker:CreateNotebookInstance",)
# Service control policies are at most 5,120 characters ("Quotas for AWS Organizations").
SCP_MAX_CHARS = 5120


def tag_guard_document(administrators: Sequence[str] = ()) -> dict:
    """The guard as an IAM policy document (a plain dict, ready for ``json.dumps``).

    ``administrators``: ARNs (``*`` and ``?`` allowed, e.g. the CloudFormation execution
    role that deploys notebooks with ``owners=``/``groups=``) left out of the deny. Empty:
    nobody may write these tags, not even a deploy; use that only on roles that never
    deploy notebooks. An exempt execution role exempts everyone who may pass it to
    CloudFormation: CDK's default one has AdministratorAccess and every deployer passes it
    (aws/aws-cdk#27097), so give notebook stacks a dedicated execution role.
    """
    _check_administrators(administrators)
    condition: dict[str, dict[str, list[str]]] = {
        "ForAnyValue:StringLike": {"aws:TagKeys": [GUARDED_TAG_KEYS]}
    }
    if administrators:
        condition["ArnNotLike"] = {"aws:PrincipalArn": list(administrators)}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyWritingNotebookAccessTags",
                "Effect": "Deny",
                "Action": sorted([*TAGGING_ACTIONS, *CREATE_ACTIONS]),
                "Resource": "*",
                "Condition": condition,
            }
        ],
    }


def tag_guard_statements(administrators: Sequence[str] = ()) -> list[iam.PolicyStatement]:
    """The guard's statements, for a policy of your own."""
    return [
        iam.PolicyStatement.from_json(statement)
        for statement in tag_guard_document(administrators)["Statement"]
    ]


def _check_administrators(administrators: Sequence[str]) -> None:
    if isinstance(administrators, str):
        raise ValidationError(
            f"administrators must be a list of ARNs, not one string {administrators!r}"
        )
    for arn in administrators:
        if is_token(arn):
            continue
        if not isinstance(arn, str) or not arn.startswith("arn:") or arn.count(":") < 5:
            raise ValidationError(
                f"administrators entry {arn!r} is not an ARN: give role or user ARNs such "
                "as arn:aws:iam::111122223333:role/NotebookAdmins (* and ? allowed)"
            )


class TagGuardPolicy(iam.ManagedPolicy):
    """A managed policy that denies writing ``notebook-access:`` tags.

    :param administrators: ARNs of the roles and users that may still write them (the
        deploy role that creates notebooks with ``owners=``/``groups=``, the team that
        grants access). Default: none.
    :param roles: roles to attach it to. Default: none.
    :param users: users to attach it to. Default: none.
    :param groups: groups to attach it to. Default: none.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        administrators: Sequence[str] = (),
        roles: Sequence[iam.IRole] = (),
        users: Sequence[iam.IUser] = (),
        groups: Sequence[iam.IGroup] = (),
    ) -> None:
        with validating(scope, id):
            statements = tag_guard_statements(administrators)
        super().__init__(
            scope,
            id,
            description="Writing a notebook-access: tag grants notebook access: "
            "administrators only",
            statements=statements,
            roles=list(roles),
            users=list(users),
            groups=list(groups),
        )

    @staticmethod
    def permissions_boundary(
        scope: Construct, id: str, *, administrators: Sequence[str] = ()
    ) -> iam.ManagedPolicy:
        """The guard as a permissions boundary: everything the identity policies allow,
        except writing ``notebook-access:`` tags (a boundary only limits, so it must
        allow the rest: "Permissions boundaries for IAM entities", IAM user guide)."""
        with validating(scope, id):
            statements = tag_guard_statements(administrators)
        return iam.ManagedPolicy(
            scope,
            id,
            description="Permissions boundary: anything but writing notebook-access: tags",
            statements=[
                iam.PolicyStatement(
                    sid="AllowWhatIdentityPoliciesAllow", actions=["*"], resources=["*"]
                ),
                *statements,
            ],
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sagemaker_notebook_access.notebook.tag_guard",
        description="Print the tag guard as a policy document, e.g. for a service control "
        "policy: writing a notebook-access: tag grants notebook access.",
    )
    parser.add_argument(
        "--administrator",
        action="append",
        default=[],
        metavar="ARN",
        help="a role or user ARN that may still write the tags (repeatable; * and ? allowed)",
    )
    args = parser.parse_args(argv)
    try:
        document = tag_guard_document(args.administrator)
    except ValidationError as error:
        parser.error(str(error))
    text = json.dumps(document, indent=2)
    if len(json.dumps(document, separators=(",", ":"))) > SCP_MAX_CHARS:
        print(f"warning: over {SCP_MAX_CHARS} characters, too long for an SCP", file=sys.stderr)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
