"""The KMS keys the library creates: the log key (API, Lambda, WAF, VPC flow logs) and the
grant limit every key of the library carries.

CloudWatch Logs encrypts a log group with a customer managed key only if the key
policy lets the regional Logs service use it; this key lets it for this account only.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct


def create_log_key(
    scope: Construct, id: str, *, description: str, removal_policy: RemovalPolicy
) -> kms.Key:
    """A rotating key that CloudWatch Logs may use for this account's log groups in this region."""
    key = kms.Key(
        scope,
        id,
        description=description,
        enable_key_rotation=True,
        removal_policy=removal_policy,
    )
    grants_only_for_aws_services(key)
    stack = Stack.of(scope)
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AllowCloudWatchLogsOfThisAccount",
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
            actions=[
                "kms:Encrypt*",
                "kms:Decrypt*",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:Describe*",
            ],
            # In a key policy "*" is this key.
            resources=["*"],
            conditions={
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                        service="logs",
                        resource="log-group",
                        resource_name="*",
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    )
                }
            },
        )
    )
    return key


def grants_only_for_aws_services(key: kms.Key) -> None:
    """No principal may grant the key's use to another by itself: CreateGrant only when an
    AWS service calls it for a resource it creates with the key (an EBS volume, a Lambda
    environment) or is the caller itself.

    AWS Control Tower's proactive control CT.KMS.PR.3 ("Require an AWS KMS key policy to
    have a statement that limits creation of AWS KMS grants to AWS services"), written as the
    control's guidance shows; ``kms:GrantIsForAWSResource`` is true only "when an AWS service
    integrated with AWS KMS calls the CreateGrant operation on the user's behalf" and
    ``aws:PrincipalIsAWSService`` when a service principal calls ("AWS KMS condition keys",
    KMS developer guide; "AWS global condition context keys", IAM user guide).
    """
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="GrantsOnlyForAwsServices",
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=["kms:CreateGrant"],
            # In a key policy "*" is this key.
            resources=["*"],
            conditions={
                "BoolIfExists": {
                    "kms:GrantIsForAWSResource": "false",
                    "aws:PrincipalIsAWSService": "false",
                }
            },
        )
    )
