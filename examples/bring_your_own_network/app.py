#!/usr/bin/env python3
"""Bring your own VPC, role and key: the construct creates only what you don't pass.

Notes on what each imported object must allow: docs/bring-your-own.md.
"""

from __future__ import annotations

import os

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from sagemaker_notebook_access import IpRestrictedNotebook


class ExistingNetworkStack(cdk.Stack):
    def __init__(self, scope: Construct, id: str, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        # ec2.Vpc.from_lookup(self, "Vpc", vpc_id=...) also works in a stack with an env.
        vpc = ec2.Vpc.from_vpc_attributes(
            self,
            "Vpc",
            vpc_id="vpc-0123456789abcdef0",
            availability_zones=["eu-west-1a", "eu-west-1b"],
            private_subnet_ids=["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"],
        )
        role = iam.Role.from_role_arn(
            self, "Role", "arn:aws:iam::123456789012:role/notebook-execution", mutable=False
        )
        key = kms.Key.from_key_arn(
            self,
            "Key",
            "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        )
        notebook = IpRestrictedNotebook(
            self,
            "Notebook",
            allowed_cidrs=["198.51.100.0/24"],
            notebook_instance_name="analysis",
            vpc=vpc,  # the notebook and the Lambda go into its private subnets
            role=role,  # the notebook runs as this role
            encryption_key=key,  # encrypts the notebook's volume
        )
        # The role your analysts assume; `notebook-url --stack-name` reads ApiUrl.
        analysts = iam.Role(self, "Analysts", assumed_by=iam.AccountRootPrincipal())
        notebook.grant_open(analysts)
        notebook.ip_policy.attach_to_role(analysts)
        cdk.CfnOutput(self, "ApiUrl", value=notebook.api.url)


def build(app: cdk.App, env: cdk.Environment | None = None) -> list[cdk.Stack]:
    return [ExistingNetworkStack(app, "ExistingNetworkStack", env=env)]


if __name__ == "__main__":
    app = cdk.App()
    build(
        app,
        cdk.Environment(
            account=os.environ.get("CDK_DEFAULT_ACCOUNT"),
            region=os.environ.get("CDK_DEFAULT_REGION"),
        ),
    )
    app.synth()
