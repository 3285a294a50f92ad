"""IpRestrictedNotebook: a hardened notebook that only opens from an IP allow-list.

Composes NotebookInstance, NotebookIpPolicy and PresignedUrlApi, and creates a
private VPC (no NAT, SageMaker API, CloudWatch Logs and S3 endpoints, flow logs) when
none is given.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from aws_cdk import Annotations, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from ..acknowledgments import acknowledge
from ..api.presigned_url_api import PresignedUrlApi
from ..log_key import create_log_key
from ..network.endpoint_reach import EndpointReach
from ..notebook.instance import (
    DEFAULT_IDLE_TIMEOUT_MINUTES,
    DEFAULT_INSTANCE_TYPE,
    DEFAULT_VOLUME_SIZE_GB,
    NotebookInstance,
)
from ..notebook.ip_policy import NotebookIpPolicy
from ..portal.notebook_portal import NotebookPortal, SignIn
from ..validation import ValidationError, is_token, normalize_cidrs, validating, warn_if_open

# Amazon Linux 2023's package repositories are S3 buckets owned by AWS, read without
# credentials, so the account condition below cannot admit them. Bucket name pattern:
# aws-samples/data-perimeter-policy-examples, vpc_endpoint_policies/s3_endpoint_policy.json
# ("AllowRequestsToAWSOwnedResources": "Amazon EC2 makes an unauthenticated call to Amazon S3"
# to download packages from the Amazon Linux repositories).
AMAZON_LINUX_2023_REPOSITORY_BUCKETS = ("al2023-repos-{region}-de612dc2",)


# Children of the VPC create_private_vpc returns; IpRestrictedNotebook exposes them.
S3_ENDPOINT_ID = "S3"
LOGS_ENDPOINT_ID = "LogsEndpoint"


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


def create_private_vpc(
    scope: Construct,
    id: str,
    *,
    flow_logs_key: kms.IKey | None = None,
    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    availability_zones: Sequence[str] | None = None,
) -> ec2.Vpc:
    """Two AZs of isolated subnets: nothing in them reaches or is reached from the internet.

    ``availability_zones`` names them (default: the region's first two), for regions and
    accounts where an endpoint service is not offered in one of the first two (README,
    "Before the first deploy").

    Endpoints: S3 (gateway; policy as in ``restrict_s3_endpoint``) and CloudWatch Logs
    (interface, private DNS) for the notebooks' own logs. A ``PresignedUrlApi`` in the VPC
    adds the SageMaker API endpoint.

    All traffic is recorded by a VPC flow log into a KMS-encrypted log group
    (``flow_logs_key``; default: a new key) kept for ``log_retention``.
    """
    placement = (
        {"availability_zones": list(availability_zones)} if availability_zones else {"max_azs": 2}
    )
    vpc = ec2.Vpc(
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
    # Same construct id as the Vpc prop's gateway_endpoints={"S3": ...} had: same logical id.
    s3_endpoint = vpc.add_gateway_endpoint(
        S3_ENDPOINT_ID, service=ec2.GatewayVpcEndpointAwsService.S3
    )
    restrict_s3_endpoint(s3_endpoint)
    # The notebook has no internet; SageMaker ships its LifecycleConfigOnStart and
    # jupyter.log streams through this endpoint. Its group admits the notebooks the
    # library creates in this VPC (network/endpoint_reach.py), not the whole VPC.
    logs_endpoint = vpc.add_interface_endpoint(
        LOGS_ENDPOINT_ID,
        service=ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
        private_dns_enabled=True,
        open=False,
    )
    # Not a way out either: only this account's principals, only this account's log groups.
    logs_endpoint.add_to_policy(
        iam.PolicyStatement(
            sid="LogsOfThisAccountOnly",
            principals=[iam.AnyPrincipal()],
            actions=["logs:*"],
            resources=["*"],
            conditions={
                "StringEquals": {
                    "aws:PrincipalAccount": Stack.of(vpc).account,
                    "aws:ResourceAccount": Stack.of(vpc).account,
                }
            },
        )
    )
    EndpointReach.of(vpc).add_endpoint(
        vpc, logs_endpoint, description="Notebook to CloudWatch Logs"
    )
    acknowledge(
        vpc,
        "NIST.800.53.R5::NIST.800.53.R5-VPCDefaultSecurityGroupClosed",
        "HIPAA.Security::HIPAA.Security-VPCDefaultSecurityGroupClosed",
        "PCI.DSS.321::PCI.DSS.321-VPCDefaultSecurityGroupClosed",
    )
    key = flow_logs_key or create_log_key(
        vpc,
        "FlowLogsKey",
        description=f"Encrypts the flow logs of {vpc.node.path}",
        removal_policy=removal_policy,
    )
    log_group = logs.LogGroup(
        vpc,
        "FlowLogs",
        encryption_key=key,
        retention=log_retention,
        removal_policy=removal_policy,
    )
    stack = Stack.of(vpc)
    # Only this account's flow logs may use the role (confused-deputy guard).
    role = iam.Role(
        vpc,
        "FlowLogsRole",
        description=f"Delivers the flow logs of {vpc.node.path}",
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
    # The log group's Arn attribute ends in ":*": its own streams, no other group's.
    policy = iam.ManagedPolicy(
        vpc,
        "FlowLogsPolicy",
        description=f"Writes the flow logs of {vpc.node.path}",
        statements=[
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                resources=[log_group.log_group_arn],
            )
        ],
        roles=[role],
    )
    flow_log = vpc.add_flow_log(
        "FlowLog",
        # Immutable: the policy above has the statements CDK would add inline.
        destination=ec2.FlowLogDestination.to_cloud_watch_logs(
            log_group, role.without_policy_updates()
        ),
        traffic_type=ec2.FlowLogTrafficType.ALL,
    )
    flow_log.node.add_dependency(policy)
    return vpc


# An AZ name: region name and a letter ("us-east-1b", "ap-northeast-1d").
_AZ_NAME = re.compile(r"[a-z]{2}(-[a-z]+)+-\d[a-z]")
AVAILABILITY_ZONES_MIN, AVAILABILITY_ZONES_MAX = 2, 6


def validate_availability_zones(availability_zones: Sequence[str], *, creates_vpc: bool) -> None:
    if not creates_vpc:
        raise ValidationError(
            "availability_zones places the VPC this construct creates; with vpc or api "
            "given, place your own subnets and endpoints"
        )
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


class IpRestrictedNotebook(Construct):
    """A SageMaker notebook whose URLs come from an API and open only from ``allowed_cidrs``.

    :param allowed_cidrs: IPv4/IPv6 CIDRs allowed to request and open URLs (public
        addresses). Required. Private, reserved, documentation and very wide ranges get a
        synth warning; a CIDR given as a token is neither checked nor warned about.
    :param notebook_instance_name: the notebook's name. Default: generated by CloudFormation.
    :param vpc: the VPC to use. Default: ``api.vpc`` if ``api`` is given, else a new VPC
        with isolated subnets in two AZs, no NAT, SageMaker API, CloudWatch Logs and S3
        endpoints, and a flow log of all traffic (encrypted, one year).
    :param api: an existing ``PresignedUrlApi`` to serve this notebook from, sharing its
        function and endpoint. Default: a new API for this notebook.
    :param instance_type: notebook instance type. Default: ``ml.t3.medium``.
    :param volume_size_in_gb: notebook volume, 5..16384 GB. Default: 5.
    :param role: notebook execution role. Default: a least-privilege role.
    :param encryption_key: KMS key for the notebook volume. Default: a new key.
    :param allow_start: let callers start a Stopped notebook through the API (only when
        the construct creates the API). Default: False.
    :param allow_all_ips: accept an open allow-list (``0.0.0.0/0``/``::/0``). Default: False.
    :param idle_timeout_minutes: stop the notebook after this many minutes (5..1440) without
        Jupyter kernel or terminal activity; ``None`` disables. Default: 60.
    :param removal_policy: for the keys and log groups the construct creates. Default:
        ``RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE``: kept on stack delete or replacement,
        deleted when the stack's first create fails and rolls back.
    :param configure_api_gateway_logging_role: as on ``PresignedUrlApi``, for the API this
        construct creates (ignored with ``api``): set the region's API Gateway account
        setting to a role that may write CloudWatch Logs. Default: True.
    :param sign_in: add browser sign-in (a ``NotebookPortal``, exposed as ``portal``) to
        the API this construct creates, e.g. ``SignIn(domain_prefix="team-notebooks")``.
        With a shared ``api``, create one ``NotebookPortal`` on that api instead.
        Default: none (SigV4 callers only).
    :param owners: people the portal lets open this notebook (``NotebookInstance``'s
        ``owners``). Default: none.
    :param groups: Cognito groups the portal lets open it. Default: none.
    :param availability_zones: two to six AZ names (e.g. ``["us-east-1b", "us-east-1c"]``)
        of the VPC this construct creates, its subnets and interface endpoints. Use it where
        an endpoint service (``sagemaker.api``, ``logs``) is not offered in one of the
        region's first two AZs of your account: the deploy then fails on the endpoint.
        Only without ``vpc`` and ``api``. Default: the region's first two AZs.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        allowed_cidrs: Sequence[str],
        notebook_instance_name: str | None = None,
        vpc: ec2.IVpc | None = None,
        api: PresignedUrlApi | None = None,
        instance_type: str = DEFAULT_INSTANCE_TYPE,
        volume_size_in_gb: int = DEFAULT_VOLUME_SIZE_GB,
        role: iam.IRole | None = None,
        encryption_key: kms.IKey | None = None,
        allow_start: bool = False,
        allow_all_ips: bool = False,
        idle_timeout_minutes: int | None = DEFAULT_IDLE_TIMEOUT_MINUTES,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
        configure_api_gateway_logging_role: bool = True,
        sign_in: SignIn | None = None,
        owners: Sequence[str] = (),
        groups: Sequence[str] = (),
        availability_zones: Sequence[str] | None = None,
    ) -> None:
        if availability_zones is not None:
            with validating(scope, id):
                validate_availability_zones(
                    availability_zones, creates_vpc=vpc is None and api is None
                )
        super().__init__(scope, id)
        if api is not None and sign_in is not None:
            raise ValidationError(
                "sign_in adds a portal to the API this construct creates; with a shared api, "
                f"create one NotebookPortal(api={api.node.path}) for all its notebooks",
                self,
            )
        with validating(self):
            cidrs = normalize_cidrs(allowed_cidrs, allow_all_ips=allow_all_ips)
        # The allow-list warnings once, here, for the policy and the API this construct
        # creates: warn_if_open skips them inside a construct that warned about the same
        # list (a shared api warned where it was created, about its own list).
        warn_if_open(
            self,
            cidrs,
            what=(
                "any network can call its API, open the URLs it mints and open the notebook "
                "from the console"
                if api is None
                else "its IP policy lets its holders open the notebook from any network"
            ),
        )
        if api is not None and allow_start and not api.allow_start:
            raise ValidationError(
                "allow_start=True needs an api created with allow_start=True; "
                f"{api.node.path} has no start route",
                self,
            )
        # One key for every log group the construct creates (flow, API, Lambda, WAF logs).
        logs_key: kms.IKey | None = None
        # The endpoints of the VPC this construct created (None for a given VPC): add
        # buckets the notebook may use with s3_endpoint.add_to_policy.
        self.s3_endpoint: ec2.GatewayVpcEndpoint | None = None
        self.logs_endpoint: ec2.InterfaceVpcEndpoint | None = None
        if vpc is None and api is None:
            logs_key = create_log_key(
                self,
                "LogsKey",
                description=f"Encrypts the log groups of {self.node.path}",
                removal_policy=removal_policy,
            )
            vpc = create_private_vpc(
                self,
                "Vpc",
                flow_logs_key=logs_key,
                removal_policy=removal_policy,
                availability_zones=availability_zones,
            )
            self.s3_endpoint = vpc.node.find_child(S3_ENDPOINT_ID)
            self.logs_endpoint = vpc.node.find_child(LOGS_ENDPOINT_ID)
        self.vpc: ec2.IVpc = vpc or api.vpc
        self.notebook = NotebookInstance(
            self,
            "Notebook",
            vpc=self.vpc,
            notebook_instance_name=notebook_instance_name,
            instance_type=instance_type,
            volume_size_in_gb=volume_size_in_gb,
            role=role,
            encryption_key=encryption_key,
            idle_timeout_minutes=idle_timeout_minutes,
            removal_policy=removal_policy,
            owners=owners,
            groups=groups,
        )
        self.ip_policy = NotebookIpPolicy(
            self,
            "IpPolicy",
            allowed_cidrs=cidrs,
            notebooks=[self.notebook],
            allow_all_ips=allow_all_ips,
        )
        if api is None:
            api = PresignedUrlApi(
                self,
                "Api",
                vpc=self.vpc,
                allowed_cidrs=cidrs,
                allow_start=allow_start,
                allow_all_ips=allow_all_ips,
                encryption_key=logs_key,
                removal_policy=removal_policy,
                configure_api_gateway_logging_role=configure_api_gateway_logging_role,
            )
        elif sorted(api.allowed_cidrs) != sorted(cidrs):
            Annotations.of(self).add_warning_v2(
                "sagemaker-notebook-access:shared-api-cidrs",
                f"the shared api {api.node.path} admits {api.allowed_cidrs}, this notebook's "
                f"allow-list is {cidrs}: callers need an address on both to open it",
            )
        self.api = api
        self.api.add_notebook(self.notebook)
        self.portal: NotebookPortal | None = (
            NotebookPortal(self, "Portal", api=api, **sign_in.options()) if sign_in else None
        )
        self.allowed_cidrs = cidrs

    def grant_open(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` request URLs for this notebook through the API (and only this one)."""
        return self.api.grant_open(grantee, self.notebook)
