"""PrivateVpc: isolated subnets with the endpoints and flow log a notebook without internet needs.

The VPC IpRestrictedNotebook creates when given none; public so that a stack with several
notebooks on one PresignedUrlApi builds the same network and reaches its parts by attribute.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from ..acknowledgments import acknowledge
from ..log_key import create_log_key
from ..network.endpoint_reach import EndpointReach
from ..validation import ValidationError, is_token, validating

# Amazon Linux 2023's package repositories are S3 buckets owned by AWS, read without
# credentials, so the account condition below cannot admit them. Bucket name pattern:
# aws-samples/data-perimeter-policy-examples, vpc_endpoint_policies/s3_endpoint_policy.json
# ("AllowRequestsToAWSOwnedResources": "Amazon EC2 makes an unauthenticated call to Amazon S3"
# to download packages from the Amazon Linux repositories).
AMAZON_LINUX_2023_REPOSITORY_BUCKETS = ("al2023-repos-{region}-de612dc2",)

# An AZ name: region name and a letter ("us-east-1b", "ap-northeast-1d").
_AZ_NAME = re.compile(r"[a-z]{2}(-[a-z]+)+-\d[a-z]")
AVAILABILITY_ZONES_MIN, AVAILABILITY_ZONES_MAX = 2, 6


def validate_availability_zones(availability_zones: Sequence[str]) -> None:
    if isinstance(availability_zones, str):
        raise ValidationError(
            f"availability_zones must be a list of AZ names, not one string {availability_zones!r}"
        )
    names = list(availability_zones)
    for name in names:
        if not is_token(name) and not (isinstance(name, str) and _AZ_NAME.fullmatch(name)):
            raise ValidationError(
                f"availability_zones entry {name!r} is not an AZ name such as 'us-east-1b'"
            )
    if len(set(names)) != len(names) or not (
        AVAILABILITY_ZONES_MIN <= len(names) <= AVAILABILITY_ZONES_MAX
    ):
        raise ValidationError(
            f"availability_zones {names} must name {AVAILABILITY_ZONES_MIN} to "
            f"{AVAILABILITY_ZONES_MAX} different AZs"
        )


def restrict_s3_endpoint(endpoint: ec2.GatewayVpcEndpoint) -> None:
    """Replace the gateway endpoint's default full-access policy: no way out through S3.

    Allowed: any bucket of this account (``aws:ResourceAccount``, as in the S3 user guide's
    "Restricting access to buckets in a specific account from a VPC endpoint"), and reads
    of the Amazon Linux 2023 repositories. Foreign credentials cannot write to a bucket of
    another account from the VPC. Add statements for other buckets with
    ``endpoint.add_to_policy``.
    """
    stack = Stack.of(endpoint)
    endpoint.add_to_policy(
        iam.PolicyStatement(
            sid="BucketsOfThisAccount",
            principals=[iam.AnyPrincipal()],
            actions=["s3:*"],
            resources=["*"],
            conditions={"StringEquals": {"aws:ResourceAccount": stack.account}},
        )
    )
    endpoint.add_to_policy(
        iam.PolicyStatement(
            sid="ReadAmazonLinuxRepositories",
            principals=[iam.AnyPrincipal()],
            actions=["s3:GetObject"],
            resources=[
                f"arn:{stack.partition}:s3:::{bucket.format(region=stack.region)}/*"
                for bucket in AMAZON_LINUX_2023_REPOSITORY_BUCKETS
            ],
        )
    )


class PrivateVpc(ec2.Vpc):
    """A VPC of isolated subnets: nothing in them reaches or is reached from the internet.

    Two AZs (``availability_zones``), no NAT, no internet gateway. Endpoints: S3 (gateway;
    this account's buckets and the Amazon Linux 2023 repositories only, exposed as
    ``s3_endpoint``: add buckets with ``s3_endpoint.add_to_policy``) and CloudWatch Logs
    (interface, private DNS, this account's principals and log groups only, exposed as
    ``logs_endpoint``) for the notebooks' own logs. A ``PresignedUrlApi`` in the VPC adds
    the SageMaker API endpoint. Every flow is recorded by ``flow_log`` into
    ``flow_log_group``, encrypted with ``flow_logs_key`` and written by ``flow_logs_role``.

    :param flow_logs_key: KMS key for the flow log group. Default: a new rotating key that
        CloudWatch Logs may use for this account's log groups.
    :param log_retention: how long the flow logs are kept. Default: one year.
    :param removal_policy: for the flow log group and the key this construct creates.
        Default: ``RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE``: kept on stack delete or
        replacement, deleted when the stack's first create fails and rolls back.
    :param availability_zones: two to six AZ names (e.g. ``["us-east-1b", "us-east-1c"]``)
        for the subnets and so the interface endpoints, where an endpoint service is not
        offered in one of the region's first two AZs of your account (README, "Before the
        first deploy"). Default: the region's first two AZs.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        flow_logs_key: kms.IKey | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
        availability_zones: Sequence[str] | None = None,
    ) -> None:
        if availability_zones is not None:
            with validating(scope, id):
                validate_availability_zones(availability_zones)
        placement = (
            {"availability_zones": list(availability_zones)}
            if availability_zones
            else {"max_azs": 2}
        )
        super().__init__(
            scope,
            id,
            **placement,
            nat_gateways=0,
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name="Isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24
                )
            ],
            restrict_default_security_group=False,
        )
        self.s3_endpoint: ec2.GatewayVpcEndpoint = self._add_s3_endpoint()
        self.logs_endpoint: ec2.InterfaceVpcEndpoint = self._add_logs_endpoint()
        acknowledge(
            self,
            "NIST.800.53.R5::NIST.800.53.R5-VPCDefaultSecurityGroupClosed",
            "HIPAA.Security::HIPAA.Security-VPCDefaultSecurityGroupClosed",
            "PCI.DSS.321::PCI.DSS.321-VPCDefaultSecurityGroupClosed",
        )
        self.flow_logs_key: kms.IKey = flow_logs_key or create_log_key(
            self,
            "FlowLogsKey",
            description=f"Encrypts the flow logs of {self.node.path}",
            removal_policy=removal_policy,
        )
        self.flow_log_group = logs.LogGroup(
            self,
            "FlowLogs",
            encryption_key=self.flow_logs_key,
            retention=log_retention,
            removal_policy=removal_policy,
        )
        self.flow_logs_role: iam.Role = self._flow_logs_role()
        self.flow_log: ec2.FlowLog = self._add_flow_log()

    def _add_s3_endpoint(self) -> ec2.GatewayVpcEndpoint:
        # Same construct id as the Vpc prop's gateway_endpoints={"S3": ...} had: same logical id.
        endpoint = self.add_gateway_endpoint("S3", service=ec2.GatewayVpcEndpointAwsService.S3)
        restrict_s3_endpoint(endpoint)
        return endpoint

    def _add_logs_endpoint(self) -> ec2.InterfaceVpcEndpoint:
        # The notebook has no internet; SageMaker ships its LifecycleConfigOnStart and
        # jupyter.log streams through this endpoint. Its group admits the notebooks the
        # library creates in this VPC (network/endpoint_reach.py), not the whole VPC.
        endpoint = self.add_interface_endpoint(
            "LogsEndpoint",
            service=ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
            private_dns_enabled=True,
            open=False,
        )
        account = Stack.of(self).account
        # Not a way out either: only this account's principals, only this account's log groups.
        endpoint.add_to_policy(
            iam.PolicyStatement(
                sid="LogsOfThisAccountOnly",
                principals=[iam.AnyPrincipal()],
                actions=["logs:*"],
                resources=["*"],
                conditions={
                    "StringEquals": {
                        "aws:PrincipalAccount": account,
                        "aws:ResourceAccount": account,
                    }
                },
            )
        )
        EndpointReach.of(self).add_endpoint(
            self, endpoint, description="Notebook to CloudWatch Logs"
        )
        return endpoint

    def _flow_logs_role(self) -> iam.Role:
        stack = Stack.of(self)
        # Only this account's flow logs may use the role (confused-deputy guard).
        return iam.Role(
            self,
            "FlowLogsRole",
            description=f"Delivers the flow logs of {self.node.path}",
            assumed_by=iam.ServicePrincipal(
                "vpc-flow-logs.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(
                            service="ec2", resource="vpc-flow-log", resource_name="*"
                        )
                    },
                },
            ),
        )

    def _add_flow_log(self) -> ec2.FlowLog:
        # The log group's Arn attribute ends in ":*": its own streams, no other group's.
        policy = iam.ManagedPolicy(
            self,
            "FlowLogsPolicy",
            description=f"Writes the flow logs of {self.node.path}",
            statements=[
                iam.PolicyStatement(
                    actions=[
                        "logs:CreateLogStream",
                        "logs:PutLogEvents",
                        "logs:DescribeLogStreams",
                    ],
                    resources=[self.flow_log_group.log_group_arn],
                )
            ],
            roles=[self.flow_logs_role],
        )
        flow_log = self.add_flow_log(
            "FlowLog",
            # Immutable: the policy above has the statements CDK would add inline.
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(
                self.flow_log_group, self.flow_logs_role.without_policy_updates()
            ),
            traffic_type=ec2.FlowLogTrafficType.ALL,
        )
        flow_log.node.add_dependency(policy)
        return flow_log
