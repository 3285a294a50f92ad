"""What a portal's listing needs: the function's read permissions, and the Resource Groups
Tagging API endpoint it reads served notebooks through.

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

from ..api.served_notebooks import notebook_arn
from ..hub.hub import admit_spoke_roles

if TYPE_CHECKING:
    from ..api.presigned_url_api import PresignedUrlApi

GET_RESOURCES_ACTION = "tag:GetResources"
LIST_ACTION = "sagemaker:ListNotebookInstances"
TAGS_ACTION = "sagemaker:ListTags"


def listing_statements(scope: Construct) -> list[iam.PolicyStatement]:
    """What the listing reads: notebooks, served notebooks with their tags, one's tags."""
    return [
        # ListNotebookInstances has no resource-level permissions (SageMaker developer
        # guide, API permissions reference); the handler keeps only served names.
        iam.PolicyStatement(sid="ListNotebooks", actions=[LIST_ACTION], resources=["*"]),
        # The served notebooks with their tags, 100 a call (tag_reads.py); no resource-level
        # permissions (Service Authorization Reference, Resource Groups Tagging API): the
        # handler filters on its own serving tag.
        iam.PolicyStatement(
            sid="ListServedNotebooks", actions=[GET_RESOURCES_ACTION], resources=["*"]
        ),
        # Tags of this account's notebooks only: who may open which is in them.
        iam.PolicyStatement(
            sid="ReadEntitlementTags", actions=[TAGS_ACTION], resources=[notebook_arn(scope, "*")]
        ),
    ]


def reach_listing_endpoint(
    portal: Construct, api: PresignedUrlApi, given: ec2.IInterfaceVpcEndpoint | None
) -> ec2.IInterfaceVpcEndpoint:
    """``given``, or a new endpoint (admitting a hub's spoke roles too), reachable by the
    function."""
    endpoint = given or listing_endpoint(portal, api)
    if api._hub is not None and given is None:  # spokes list through it too
        admit_spoke_roles(endpoint, api._hub.spoke_role_arns, [GET_RESOURCES_ACTION])
    endpoint.connections.allow_default_port_from(
        api.function_security_group, "Presigned URL Lambda to the tagging API"
    )
    return endpoint


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
