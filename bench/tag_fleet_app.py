"""Tag-served fleet app for the benchmark (issue 21): one API stack, N notebooks in other stacks.

Usage: python bench/tag_fleet_app.py N. Stack ``TagFleetApi`` holds the PrivateVpc and the
PresignedUrlApi (the same name for every N: the serving id is made of it); stacks
``TagFleetNotebooks<k>`` hold up to NOTEBOOKS_PER_STACK
NotebookInstances each (under CloudFormation's 500 resources a stack), each with its own
key and security group, in the API stack's VPC, and each notebook is served with
``api.add_notebook(notebook)``. bench/fleet_listing.py reads the API stack's template: what
serving a notebook adds to it.
"""

import sys

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms

from sagemaker_notebook_access import NotebookInstance, PresignedUrlApi, PrivateVpc

ALLOWED = ["203.0.113.0/24"]
NOTEBOOKS_PER_STACK = 50


API_STACK = "TagFleetApi"


def build(app: cdk.App, count: int) -> cdk.Stack:
    stack = cdk.Stack(app, API_STACK)
    vpc = PrivateVpc(stack, "Vpc")
    api = PresignedUrlApi(stack, "Api", vpc=vpc, allowed_cidrs=ALLOWED)
    for first in range(0, count, NOTEBOOKS_PER_STACK):
        notebooks = cdk.Stack(app, f"TagFleetNotebooks{first // NOTEBOOKS_PER_STACK}")
        key = kms.Key(notebooks, "NotebookKey", enable_key_rotation=True)
        group = ec2.SecurityGroup(
            notebooks, "NotebookSecurityGroup", vpc=vpc, allow_all_outbound=False
        )
        group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS to the endpoints")
        for i in range(first, min(first + NOTEBOOKS_PER_STACK, count)):
            notebook = NotebookInstance(
                notebooks,
                f"Notebook{i}",
                vpc=vpc,
                notebook_instance_name=f"nb-{i:05d}",
                encryption_key=key,
                security_group=group,
            )
            api.add_notebook(notebook)
    return stack


if __name__ == "__main__":
    app = cdk.App()
    build(app, int(sys.argv[1]))
    app.synth()
