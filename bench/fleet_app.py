"""Fleet app for the benchmark: N per-user notebooks behind one PresignedUrlApi.

Usage: python bench/fleet_app.py N. The same pattern as the README's per-user example:
one API, one KMS key, one security group and one IP policy for the whole fleet.
"""

import sys

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

from sagemaker_notebook_access import (
    NotebookInstance,
    NotebookIpPolicy,
    PresignedUrlApi,
    PrivateVpc,
)

ALLOWED = ["203.0.113.0/24"]


def build(app: cdk.App, count: int) -> cdk.Stack:
    stack = cdk.Stack(app, f"Fleet{count}")
    # The VPC IpRestrictedNotebook creates by default: isolated subnets, endpoints, flow log.
    vpc = PrivateVpc(stack, "Vpc")
    api = PresignedUrlApi(stack, "Api", vpc=vpc, allowed_cidrs=ALLOWED)
    key = kms.Key(stack, "NotebookKey", enable_key_rotation=True)
    group = ec2.SecurityGroup(stack, "NotebookSecurityGroup", vpc=vpc, allow_all_outbound=False)
    group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS to the endpoints")
    ip_policy = NotebookIpPolicy(stack, "IpPolicy", allowed_cidrs=ALLOWED)
    for i in range(count):
        user = iam.User.from_user_name(stack, f"User{i}", f"user-{i:03d}")
        notebook = NotebookInstance(
            stack,
            f"Notebook{i}",
            vpc=vpc,
            notebook_instance_name=f"nb-user-{i:03d}",
            encryption_key=key,
            security_group=group,
        )
        api.add_notebook(notebook)
        api.grant_open(user, notebook)
        ip_policy.attach_to_user(user)
    return stack


if __name__ == "__main__":
    app = cdk.App()
    build(app, int(sys.argv[1]))
    app.synth()
