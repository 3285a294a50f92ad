"""Where the URL function sits: its closed security group, and the SageMaker API endpoint
it reaches SageMaker through (the endpoint the role's IP deny exempts)."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from constructs import Construct

from ..network.endpoint_reach import EndpointReach
from ..network.security_groups import closed_security_group
from ..notebook.ip_policy import PRESIGN_ACTION
from .served_notebooks import notebook_arn


@dataclass(frozen=True)
class FunctionNetwork:
    """The function's security group and the endpoint it calls SageMaker through."""

    security_group: ec2.SecurityGroup
    endpoint: ec2.IInterfaceVpcEndpoint

    @classmethod
    def create(
        cls,
        scope: Construct,
        *,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        endpoint: ec2.IInterfaceVpcEndpoint | None,
    ) -> FunctionNetwork:
        """The group, and ``endpoint`` or a new one in ``subnets`` (private DNS, closed)."""
        # Its one rule goes to the endpoint's group (a separate resource), so the group
        # declares a closing rule of its own: without it EC2 keeps its allow-all egress.
        security_group = closed_security_group(
            scope,
            "FunctionSecurityGroup",
            vpc=vpc,
            description="Presigned URL Lambda: outbound HTTPS to the SageMaker API endpoint only",
        )
        endpoint = endpoint or ec2.InterfaceVpcEndpoint(
            scope,
            "SageMakerApiEndpoint",
            vpc=vpc,
            service=ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_API,
            private_dns_enabled=True,
            subnets=subnets,
            open=False,
        )
        endpoint.connections.allow_default_port_from(
            security_group, "Presigned URL Lambda to SageMaker API"
        )
        # Every notebook this library creates in the VPC (served as an object, by name, by
        # prefix, or not at all) stops itself through this endpoint when idle.
        EndpointReach.of(scope).add_endpoint(vpc, endpoint, description="Notebook to SageMaker API")
        return cls(security_group, endpoint)


def restrict_endpoint_policy(
    endpoint: ec2.InterfaceVpcEndpoint, *, minting_role: iam.IRole
) -> None:
    """Let only ``minting_role`` presign through ``endpoint``, and only this account use it.

    Only on an endpoint the API created: a given one is the user's to govern.
    """
    # Adding statements replaces the endpoint's default full-access policy.
    endpoint.add_to_policy(
        iam.PolicyStatement(
            sid="AnyCallButPresignByThisAccount",
            principals=[iam.AnyPrincipal()],
            not_actions=[PRESIGN_ACTION],
            resources=["*"],
            # Foreign credentials must not use this VPC's endpoint as a way out.
            conditions={"StringEquals": {"aws:PrincipalAccount": Stack.of(endpoint).account}},
        )
    )
    endpoint.add_to_policy(
        iam.PolicyStatement(
            sid="PresignOnlyByTheMintingRole",
            principals=[iam.ArnPrincipal(minting_role.role_arn)],
            actions=[PRESIGN_ACTION],
            resources=[notebook_arn(endpoint, "*")],
        )
    )
