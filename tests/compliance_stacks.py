"""The stacks the compliance and cfn-lint tests synthesize: defaults, non-defaults, the demo.

Built in an App that carries cdk.json's context (feature flags), as `cdk synth` does, and
environment-agnostic like the demo app (an explicit account would pin made-up AZs).
"""

from __future__ import annotations

import json

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from conftest import REPO_ROOT

from app import NotebookAccessStack
from sagemaker_notebook_access import IpRestrictedNotebook, NotebookPortal, SignIn
from sagemaker_notebook_access.log_key import grants_only_for_aws_services

DEFAULT_STACK = "Defaults"
CUSTOM_STACK = "NonDefaults"
DEMO_STACK = "Demo"
PORTAL_STACK = "Portal"
# Where the construct sits in the first two stacks: its acknowledgments live below it.
CONSTRUCT_ID = "Access"

# The test's own VPC is a fixture, not the construct: what it trips is acknowledged on it.
_FIXTURE_VPC_RULES = {
    "NIST.800.53.R5::NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW": (
        "test fixture: the NAT gateway's public subnets route 0.0.0.0/0 to the internet gateway"
    ),
    "HIPAA.Security::HIPAA.Security-VPCNoUnrestrictedRouteToIGW": (
        "test fixture: the NAT gateway's public subnets route 0.0.0.0/0 to the internet gateway"
    ),
    "PCI.DSS.321::PCI.DSS.321-VPCNoUnrestrictedRouteToIGW": (
        "test fixture: the NAT gateway's public subnets route 0.0.0.0/0 to the internet gateway"
    ),
    "NIST.800.53.R5::NIST.800.53.R5-VPCDefaultSecurityGroupClosed": (
        "test fixture: nothing uses the default security group"
    ),
    "HIPAA.Security::HIPAA.Security-VPCDefaultSecurityGroupClosed": (
        "test fixture: nothing uses the default security group"
    ),
    "PCI.DSS.321::PCI.DSS.321-VPCDefaultSecurityGroupClosed": (
        "test fixture: nothing uses the default security group"
    ),
}


def cdk_json_context() -> dict:
    return json.loads((REPO_ROOT / "cdk.json").read_text())["context"]


def new_app(**extra_context) -> cdk.App:
    return cdk.App(context={**cdk_json_context(), **extra_context})


def add_default_stack(app: cdk.App) -> cdk.Stack:
    stack = cdk.Stack(app, DEFAULT_STACK)
    IpRestrictedNotebook(stack, CONSTRUCT_ID, allowed_cidrs=["203.0.113.0/24"])
    return stack


def add_custom_stack(app: cdk.App) -> cdk.Stack:
    """Own VPC (private subnets with NAT), own role, own key, an IPv6 allow-list, a grantee."""
    stack = cdk.Stack(app, CUSTOM_STACK)
    vpc = ec2.Vpc(
        stack,
        "Network",
        max_azs=2,
        nat_gateways=1,
        subnet_configuration=[
            ec2.SubnetConfiguration(
                name="Public",
                subnet_type=ec2.SubnetType.PUBLIC,
                cidr_mask=24,
                map_public_ip_on_launch=False,
            ),
            ec2.SubnetConfiguration(
                name="Private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=24
            ),
        ],
        restrict_default_security_group=False,
    )
    flow_key = kms.Key(stack, "FlowLogsKey", enable_key_rotation=True)
    grants_only_for_aws_services(flow_key)
    flow_key.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
            actions=["kms:Encrypt*", "kms:Decrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            resources=["*"],
        )
    )
    flow_logs = logs.LogGroup(
        stack,
        "FlowLogs",
        encryption_key=flow_key,
        retention=logs.RetentionDays.ONE_YEAR,
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    vpc.add_flow_log(
        "FlowLog",
        destination=ec2.FlowLogDestination.to_cloud_watch_logs(
            flow_logs, _flow_log_role(stack, flow_logs)
        ),
    )
    cdk.Validations.of(vpc).acknowledge(
        *(cdk.Acknowledgment(id=rule, reason=why) for rule, why in _FIXTURE_VPC_RULES.items())
    )
    role = iam.Role(
        stack,
        "AnalystNotebookRole",
        assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
        description="The team's own notebook role",
    )
    key = kms.Key(stack, "TeamKey", enable_key_rotation=True)
    grants_only_for_aws_services(key)
    access = IpRestrictedNotebook(
        stack,
        CONSTRUCT_ID,
        allowed_cidrs=["2001:db8::/32", "198.51.100.0/24"],
        notebook_instance_name="team-notebook",
        vpc=vpc,
        role=role,
        encryption_key=key,
        instance_type="ml.t3.large",
        volume_size_in_gb=20,
        allow_start=True,
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    analyst = iam.Role(stack, "Analyst", assumed_by=iam.AccountRootPrincipal())
    access.grant_open(analyst)
    access.ip_policy.attach_to_role(analyst)
    # The stack's notebook watch (running time from SageMaker's view), in the NAT'd VPC.
    access.notebook.metric_running_minutes()
    return stack


def _flow_log_role(stack: cdk.Stack, log_group: logs.LogGroup) -> iam.IRole:
    role = iam.Role(
        stack, "FlowLogsRole", assumed_by=iam.ServicePrincipal("vpc-flow-logs.amazonaws.com")
    )
    iam.ManagedPolicy(
        stack,
        "FlowLogsPolicy",
        roles=[role],
        statements=[
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                resources=[log_group.log_group_arn],
            )
        ],
    )
    return role.without_policy_updates()


def add_demo_stack(app: cdk.App) -> cdk.Stack:
    """app.py's stack with cdk.json's settings."""
    context = cdk_json_context()
    return NotebookAccessStack(
        app,
        DEMO_STACK,
        allowed_cidrs=[context["allowedCidrs"]],
        notebook_instance_name=context["notebookInstanceName"],
    )


def add_portal_stack(app: cdk.App) -> cdk.Stack:
    """Browser sign-in two ways: through IpRestrictedNotebook, and on a shared API."""
    stack = cdk.Stack(app, PORTAL_STACK)
    IpRestrictedNotebook(
        stack,
        CONSTRUCT_ID,
        allowed_cidrs=["203.0.113.0/24"],
        notebook_instance_name="alice-notebook",
        allow_start=True,
        sign_in=SignIn(domain_prefix="team-notebooks"),
        owners=["alice@example.com"],
        groups=["ml-team"],
    )
    shared = IpRestrictedNotebook(
        stack, "First", allowed_cidrs=["198.51.100.0/24"], notebook_instance_name="first"
    )
    NotebookPortal(
        stack, "SharedPortal", api=shared.api, domain_prefix="shared-notebooks", session_minutes=5
    )
    return stack


def build_all(app: cdk.App) -> dict[str, cdk.Stack]:
    return {
        DEFAULT_STACK: add_default_stack(app),
        CUSTOM_STACK: add_custom_stack(app),
        DEMO_STACK: add_demo_stack(app),
        PORTAL_STACK: add_portal_stack(app),
    }
