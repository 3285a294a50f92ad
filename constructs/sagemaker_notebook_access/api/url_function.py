"""The URL-minting function: its role, log group, managed policy and the VPC function.

The role carries the IP deny (exempting the SageMaker API endpoint the function calls
through), so a URL it mints opens only from the allow-list; its environment is the one
``FunctionEnvironment`` budgets (api/function_environment.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Duration, PhysicalName
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from ..acknowledgments import ANY_NOTEBOOK_RULE, acknowledge
from ..function_permissions import (
    network_interfaces_statement,
    own_logs_statement,
    traces_statement,
)
from ..lambda_assets import lambda_code_path
from ..notebook.ip_policy import deny_presign_outside_cidrs
from ..notebook.tag_guard import tag_guard_statements
from .function_network import FunctionNetwork
from .log_settings import LogSettings

LAMBDA_TIMEOUT = Duration.seconds(20)


def handler_code_path() -> Path:
    """The URL function's folder (lambda/presigned_url), installed or in the source tree."""
    return lambda_code_path("presigned_url")


@dataclass(frozen=True)
class UrlFunction:
    """What ``create`` builds: the role, its one managed policy, the log group, the function."""

    role: iam.Role
    log_group: logs.LogGroup
    policy: iam.ManagedPolicy
    function: lambda_.Function

    @classmethod
    def create(
        cls,
        scope: Construct,
        *,
        network: FunctionNetwork,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        allowed_cidrs: Sequence[str],
        mint_statement: iam.PolicyStatement,  # MintForTaggedNotebooks
        environment: dict[str, str],
        log_settings: LogSettings,
        reserved_concurrent_executions: int | None,
    ) -> UrlFunction:
        """The role and its policy first, then the function, ordered so that the function's
        network interfaces come after the permissions they need and leave before them."""
        role = iam.Role(
            scope,
            "FunctionRole",
            # Named only if a stack of another account or region refers to it (a spoke's
            # trust, issue 22): CDK then generates a name both sides know at synth.
            role_name=PhysicalName.GENERATE_IF_NEEDED,
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Mints presigned SageMaker notebook URLs for the served notebooks",
        )
        log_group = log_settings.log_group(scope, "FunctionLogs")
        policy = iam.ManagedPolicy(
            scope,
            "FunctionPolicy",
            description="Presigned URL Lambda: own logs, own network interfaces, served notebooks",
            roles=[role],
            statements=_policy_statements(
                log_group=log_group,
                encryption_key=log_settings.encryption_key,
                mint_statement=mint_statement,
                allowed_cidrs=allowed_cidrs,
                endpoint=network.endpoint,
            ),
        )
        acknowledge(policy, "AwsSolutions::AwsSolutions-IAM5[Resource::*]", ANY_NOTEBOOK_RULE)
        function = _function(
            scope,
            role=role,
            network=network,
            vpc=vpc,
            subnets=subnets,
            log_group=log_group,
            environment=environment,
            log_settings=log_settings,
            reserved_concurrent_executions=reserved_concurrent_executions,
        )
        # A VPC function is created with its ENIs: the role needs the ENI permissions first.
        function.node.add_dependency(policy)
        # And they must outlive the ENIs: Lambda releases a deleted function's interfaces
        # later, with the role's ec2:DeleteNetworkInterface (aws-cdk#6701). CloudFormation
        # deletes in reverse dependency order, so with the security group depending on the
        # policy, the policy goes only after the group, which cannot go while an interface
        # uses it.
        network.security_group.node.add_dependency(policy)
        return cls(role, log_group, policy, function)


def _policy_statements(
    *,
    log_group: logs.ILogGroup,
    encryption_key: kms.IKey,
    mint_statement: iam.PolicyStatement,
    allowed_cidrs: Sequence[str],
    endpoint: ec2.IInterfaceVpcEndpoint,
) -> list[iam.PolicyStatement]:
    return [
        own_logs_statement(log_group),
        network_interfaces_statement(),
        iam.PolicyStatement(
            sid="DecryptOwnEnvironment", actions=["kms:Decrypt"], resources=[encryption_key.key_arn]
        ),
        traces_statement(),
        mint_statement,
        # It reads entitlement tags; it never writes one.
        *tag_guard_statements(),
        deny_presign_outside_cidrs(
            allowed_cidrs,
            exempt_vpc_endpoint_ids=[endpoint.vpc_endpoint_id],
            sid="DenyUrlsThatWouldOpenOutsideAllowedCidrs",
        ),
    ]


def _function(
    scope: Construct,
    *,
    role: iam.Role,
    network: FunctionNetwork,
    vpc: ec2.IVpc,
    subnets: ec2.SubnetSelection,
    log_group: logs.LogGroup,
    environment: dict[str, str],
    log_settings: LogSettings,
    reserved_concurrent_executions: int | None,
) -> lambda_.Function:
    # The function gets the role as an immutable reference: given the Role itself, CDK
    # would put tracing's X-Ray statement (already in the function policy) into an inline
    # policy and add a DependsOn the role that its GetAtt already implies (cfn-lint W3005).
    function_role = iam.Role.from_role_arn(
        scope, "FunctionRoleReference", role.role_arn, mutable=False
    )
    function = lambda_.Function(
        scope,
        "Function",
        description="Mints presigned SageMaker notebook URLs (POST /notebooks/{name}/url)",
        runtime=lambda_.Runtime.PYTHON_3_14,
        architecture=lambda_.Architecture.ARM_64,
        handler="handler.handler",
        code=lambda_.Code.from_asset(str(handler_code_path()), exclude=["__pycache__", "*.pyc"]),
        timeout=LAMBDA_TIMEOUT,
        memory_size=256,
        role=function_role,
        vpc=vpc,
        vpc_subnets=subnets,
        security_groups=[network.security_group],
        log_group=log_group,
        logging_format=lambda_.LoggingFormat.JSON,
        application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
        system_log_level_v2=lambda_.SystemLogLevel.WARN,
        tracing=lambda_.Tracing.ACTIVE,
        reserved_concurrent_executions=reserved_concurrent_executions,
        environment=environment,
        # The environment lists the served notebooks and the allow-list: encrypted at
        # rest with the logs' key (the function policy lets the role decrypt it).
        environment_encryption=log_settings.encryption_key,
    )
    acknowledge(
        function,
        "NIST.800.53.R5::NIST.800.53.R5-LambdaDLQ",
        "HIPAA.Security::HIPAA.Security-LambdaDLQ",
        "Serverless::Serverless-LambdaDLQ",
    )
    if reserved_concurrent_executions is None:
        acknowledge(
            function,
            "NIST.800.53.R5::NIST.800.53.R5-LambdaConcurrency",
            "HIPAA.Security::HIPAA.Security-LambdaConcurrency",
        )
    return function
