#!/usr/bin/env python3
"""One API for a team: a notebook per person, each person granted only their own.

`PrivateVpc` is the network IpRestrictedNotebook creates when given none. Scale and
sharing: docs/team.md. Names from context: `cdk synth -c users=ana,ben`.
"""

from __future__ import annotations

import os

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from sagemaker_notebook_access import (
    NotebookInstance,
    NotebookIpPolicy,
    PresignedUrlApi,
    PrivateVpc,
)

ALLOWED = ["198.51.100.0/24"]


class TeamNotebooksStack(cdk.Stack):
    def __init__(self, scope: Construct, id: str, *, user_names: list[str], **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        # Isolated subnets, flow log, S3 and CloudWatch Logs endpoints (as IpRestrictedNotebook).
        vpc = PrivateVpc(self, "Vpc")
        api = PresignedUrlApi(self, "Api", vpc=vpc, allowed_cidrs=ALLOWED)
        # Shared by the whole fleet: one key, one security group, one IP policy.
        key = kms.Key(self, "NotebookKey", enable_key_rotation=True)
        group = ec2.SecurityGroup(self, "NotebookSecurityGroup", vpc=vpc, allow_all_outbound=False)
        group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS to the endpoints")
        ip_policy = NotebookIpPolicy(self, "IpPolicy", allowed_cidrs=ALLOWED)
        for user_name in user_names:
            # One role per person (assumed through your identity provider or IAM Identity
            # Center): policies on roles, not on IAM users, as the HIPAA/NIST/PCI packs ask.
            user = iam.Role(
                self,
                f"User-{user_name}",
                assumed_by=iam.AccountRootPrincipal(),
                role_name=f"notebook-{user_name}",
            )
            notebook = NotebookInstance(
                self,
                f"Notebook-{user_name}",
                vpc=vpc,
                notebook_instance_name=f"nb-{user_name}",
                encryption_key=key,
                security_group=group,
            )
            api.add_notebook(notebook)
            api.grant_open(user, notebook)  # this user, this notebook's route only
            ip_policy.attach_to_role(user)  # console and CLI follow the same allow-list
        cdk.CfnOutput(self, "ApiUrl", value=api.url)


def build(app: cdk.App, env: cdk.Environment | None = None) -> list[cdk.Stack]:
    users = app.node.try_get_context("users") or "ana,ben"
    names = [name.strip() for name in users.split(",") if name.strip()]
    return [TeamNotebooksStack(app, "TeamNotebooksStack", user_names=names, env=env)]


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
