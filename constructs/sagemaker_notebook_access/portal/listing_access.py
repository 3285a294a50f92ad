"""The Resource Groups Tagging API endpoint a portal's listing reads served notebooks through.

The URL function has no route to the internet: ``GetResources`` goes through an interface
endpoint (``com.amazonaws.<region>.tagging``; "Access AWS Resource Groups Tagging API using
an interface endpoint (AWS PrivateLink)", Resource Groups Tagging API reference), in the
API's subnets, whose policy lets only the API's function role call ``tag:GetResources``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from constructs import Construct

if TYPE_CHECKING:
    from ..api.presigned_url_api import PresignedUrlApi

GET_RESOURCES_ACTION = "tag:GetResources"


def listing_endpoint(scope: Construct, api: PresignedUrlApi) -> ec2.InterfaceVpcEndpoint:
    """A tagging API endpoint (private DNS) that only ``api``'s function may use, to read."""
    endpoint = ec2.InterfaceVpcEndpoint(
        scope,
        "TaggingEndpoint",
        vpc=api.vpc,
        service=ec2.InterfaceVpcEndpointAwsService.TAGGING,
        private_dns_enabled=True,
        subnets=api._subnets,
        open=False,
    )
    # Adding a statement replaces the endpoint's default full-access policy.
    endpoint.add_to_policy(
        iam.PolicyStatement(
            sid="ReadServedNotebooksOnly",
            principals=[iam.ArnPrincipal(api.role.role_arn)],
            actions=[GET_RESOURCES_ACTION],
            resources=["*"],
        )
    )
    return endpoint
