"""PresignedUrlApi: a SigV4 REST API whose Lambda mints presigned notebook URLs.

The API only admits the allow-list (resource policy) and IAM-granted callers
(IAM authorization); the Lambda reaches SageMaker through an interface endpoint,
and its role carries the IP deny, so a URL it mints only opens from the allow-list.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Duration, Fn, Names, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from ..acknowledgments import LAMBDA_PERMISSION_RULE, acknowledge
from ..api.account_logging import ApiGatewayLoggingRole
from ..api.capacity import (
    ENVIRONMENT_LIMIT_BYTES,
    MANAGED_POLICY_MAX_CHARS,
    MAX_SERVED_NOTEBOOK_POLICIES,
    REST_API_ID_CHARS,
    SERVED_POLICY_OVERHEAD_CHARS,
    arn_chars,
    environment_bytes,
    first_policy_room,
)
from ..api.gateway_responses import ACCESS_LOG_FIELDS, add_gateway_responses
from ..api.grants import ManagedPolicyPrincipal, managed_policy_target, warn_if_not_applied
from ..api.waf import DEFAULT_RATE_LIMIT_PER_5_MINUTES, ApiWebAcl
from ..function_permissions import (
    network_interfaces_statement,
    own_logs_statement,
    traces_statement,
)
from ..lambda_assets import lambda_code_path
from ..lambda_src.presigned_url.contract import (
    NAME_PARAMETER,
    NAME_SEGMENT,
    START_RESOURCE,
    URL_RESOURCE,
    Env,
)
from ..limits import (
    NOTEBOOK_NAME_MAX_LENGTH,
    SESSION_DURATION_MAX_SECONDS,
    SESSION_DURATION_MIN_SECONDS,
)
from ..log_key import create_log_key
from ..monitoring.operations import ApiOperations
from ..network.endpoint_reach import EndpointReach
from ..network.security_groups import closed_security_group
from ..notebook.instance import NotebookInstance, private_subnet_selection
from ..notebook.ip_policy import PRESIGN_ACTION, deny_presign_outside_cidrs
from ..notebook.tag_guard import tag_guard_statements
from ..validation import (
    THROTTLING_BURST_MAX,
    THROTTLING_RATE_MAX,
    ValidationError,
    is_token,
    normalize_cidrs,
    validate_int_range,
    validate_notebook_name,
    validate_positive_number,
    validate_stage_name,
    validating,
    warn_if_open,
)

DESCRIBE_ACTION = "sagemaker:DescribeNotebookInstance"
START_ACTION = "sagemaker:StartNotebookInstance"
INVOKE_ACTION = "execute-api:Invoke"
LAMBDA_TIMEOUT = Duration.seconds(20)
DEFAULT_THROTTLING_RATE_LIMIT = 10
DEFAULT_THROTTLING_BURST_LIMIT = 20


def handler_code_path() -> Path:
    """The URL function's folder (lambda/presigned_url), installed or in the source tree."""
    return lambda_code_path("presigned_url")


NotebookRef = NotebookInstance | str


@dataclass
class _ServedPolicy:
    """A statement listing served-notebook ARNs and the characters its policy has left."""

    statement: iam.PolicyStatement
    chars_left: int


class PresignedUrlApi(ApiOperations, Construct):
    """REST API ``POST /notebooks/{NotebookInstanceName}/url`` that returns a presigned URL.

    :param vpc: the VPC the Lambda runs in; the construct adds a SageMaker API
        interface endpoint (private DNS) to it unless ``endpoint`` is given. Required.
    :param allowed_cidrs: IPv4/IPv6 CIDRs allowed to call the API and to open the
        URLs it mints: public addresses, as API Gateway sees callers. Required, non-empty.
        Private, reserved, documentation and very wide (shorter than /8, IPv6 /32) ranges
        get a synth warning; a CIDR given as a token is neither checked nor warned about.
    :param notebooks: notebooks the API serves (``NotebookInstance`` objects or names of
        existing notebooks). Default: none; add with ``add_notebook``.
    :param notebook_name_prefix: also serve every notebook whose name starts with this
        prefix (IAM resources become ``notebook-instance/<prefix>*``). For fleets too
        big for an explicit list. Default: no prefix.
    :param allow_start: add ``POST /notebooks/{name}/start`` and let the Lambda start a
        Stopped notebook. Default: False (no route, no permission).
    :param max_session_duration_seconds: longest session a caller may request,
        1800..43200. Default: 43200 (SageMaker's maximum).
    :param default_session_duration_seconds: session length when the body omits it.
        Default: ``max_session_duration_seconds``.
    :param endpoint: an existing SageMaker API interface endpoint (``com.amazonaws.<region>.
        sagemaker.api``, private DNS on) to use instead of creating one. Default: a new
        endpoint in ``vpc_subnets`` whose policy lets only the minting role presign.
    :param vpc_subnets: subnets for the Lambda and the endpoint. Default: the VPC's
        private subnets, else its isolated subnets.
    :param throttling_rate_limit: stage steady-state requests per second, above 0 up to
        10,000. Default: 10.
    :param throttling_burst_limit: stage burst, 1..5,000 requests. Default: 20.
    :param waf_rate_limit_per_5_minutes: requests one IP address may send in any 5 minutes
        before the web ACL blocks it, 10..2,000,000,000. Default: 300.
    :param stage_name: the API stage (letters, digits, ``-``, ``_``). Default: ``"v1"``.
    :param log_retention: retention of the Lambda, access, execution and WAF log groups.
        Default: one year.
    :param encryption_key: KMS key for the log groups; its key policy must let CloudWatch
        Logs use it. Default: a new key, rotation on.
    :param removal_policy: for the log groups and the key. Default:
        ``RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE``: kept when the stack is deleted or
        they are replaced, deleted when the stack's first create fails and rolls back.
    :param reserved_concurrent_executions: Lambda reserved concurrency, at least 1: caps
        how many URL requests run at once and guarantees them that much of the account's
        concurrency. Default: ``None`` (no reservation). Lambda keeps 100 concurrent
        executions of every account unreserved, and new accounts may start with a quota
        of 10, where any reservation fails the deploy; set it where the quota allows.
    :param allow_all_ips: accept ``0.0.0.0/0`` or ``::/0`` in ``allowed_cidrs`` (the
        construct then adds an acknowledgeable warning). Default: False.
    :param configure_api_gateway_logging_role: set the region's API Gateway account
        setting to a role that may write CloudWatch Logs, which access logging needs
        (one per stack, retained on delete; it serves every REST API in the account).
        Default: True. Pass False where the account's role is managed elsewhere.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        vpc: ec2.IVpc,
        allowed_cidrs: Sequence[str],
        notebooks: Sequence[NotebookRef] = (),
        notebook_name_prefix: str | None = None,
        allow_start: bool = False,
        max_session_duration_seconds: int = SESSION_DURATION_MAX_SECONDS,
        default_session_duration_seconds: int | None = None,
        endpoint: ec2.IInterfaceVpcEndpoint | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        throttling_rate_limit: float = DEFAULT_THROTTLING_RATE_LIMIT,
        throttling_burst_limit: int = DEFAULT_THROTTLING_BURST_LIMIT,
        waf_rate_limit_per_5_minutes: int = DEFAULT_RATE_LIMIT_PER_5_MINUTES,
        stage_name: str = "v1",
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        encryption_key: kms.IKey | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
        reserved_concurrent_executions: int | None = None,
        allow_all_ips: bool = False,
        configure_api_gateway_logging_role: bool = True,
    ) -> None:
        super().__init__(scope, id)
        with validating(self):
            self._validate(
                allowed_cidrs,
                allow_all_ips=allow_all_ips,
                notebook_name_prefix=notebook_name_prefix,
                max_session_duration_seconds=max_session_duration_seconds,
                default_session_duration_seconds=default_session_duration_seconds,
                throttling_rate_limit=throttling_rate_limit,
                throttling_burst_limit=throttling_burst_limit,
                stage_name=stage_name,
                reserved_concurrent_executions=reserved_concurrent_executions,
            )
        warn_if_open(
            self, self.allowed_cidrs, what="any network can call this API and open its URLs"
        )
        self.vpc = vpc
        self.allow_start = allow_start
        self.notebook_name_prefix = notebook_name_prefix or ""
        self.stage_name = stage_name
        self._notebook_names: list[str] = []
        self._open_policies: dict[str, iam.ManagedPolicy] = {}
        with validating(self):
            subnets = vpc_subnets or private_subnet_selection(vpc)

        self.encryption_key: kms.IKey = encryption_key or create_log_key(
            self,
            "LogsKey",
            description=f"Encrypts the log groups of {self.node.path}",
            removal_policy=removal_policy,
        )
        self._configure_network(vpc, subnets, endpoint)
        self._configure_function_role(log_retention, removal_policy)
        self._configure_function(
            vpc,
            subnets,
            reserved_concurrent_executions=reserved_concurrent_executions,
            max_session_duration_seconds=max_session_duration_seconds,
            default_session_duration_seconds=default_session_duration_seconds,
        )
        if endpoint is None:
            self._restrict_endpoint_policy(self.endpoint)
        self._configure_rest_api(
            throttling_rate_limit,
            throttling_burst_limit,
            log_retention=log_retention,
            removal_policy=removal_policy,
            configure_api_gateway_logging_role=configure_api_gateway_logging_role,
        )
        self.web_acl = ApiWebAcl(
            self,
            "WebAcl",
            stage=self.rest_api.deployment_stage,
            encryption_key=self.encryption_key,
            rate_limit_per_5_minutes=waf_rate_limit_per_5_minutes,
            log_retention=log_retention,
            removal_policy=removal_policy,
        )

        for notebook in notebooks:
            self.add_notebook(notebook)

    # ------------------------------------------------------------ public

    @property
    def url(self) -> str:
        """The stage URL, e.g. ``https://abc123.execute-api.eu-west-1.amazonaws.com/v1/``."""
        return self.rest_api.url

    @property
    def notebook_names(self) -> list[str]:
        """Names of the notebooks served explicitly (tokens for generated names)."""
        return list(self._notebook_names)

    def add_notebook(self, notebook: NotebookRef) -> None:
        """Serve one more notebook: a ``NotebookInstance`` or the name of an existing one.

        A name under ``notebook_name_prefix`` is served by the prefix already and is not
        listed again. The explicit list is bounded by the Lambda's 4 KiB environment and
        the role's IAM policy size (57 names of 63 characters, more if shorter);
        past that ``add_notebook`` raises ``ValidationError``: use ``notebook_name_prefix``.
        """
        name, arn = self._name_and_arn(notebook)
        if not self._served_by_prefix(name):
            if self._lists(name):
                raise ValidationError(f"notebook {name!r} is already served by this API", self)
            projected = self._environment_bytes(extra_names=[name])
            if projected > ENVIRONMENT_LIMIT_BYTES:
                raise ValidationError(
                    f"cannot serve notebook {name!r}: the Lambda environment would need "
                    f"{projected} bytes (limit {ENVIRONMENT_LIMIT_BYTES}, names counted at up to "
                    f"{NOTEBOOK_NAME_MAX_LENGTH} characters); give the notebooks a common name "
                    "prefix and pass notebook_name_prefix instead of adding them one by one",
                    self,
                )
            statement = self._served_statement_with_room_for(name)
            self._notebook_names.append(name)
            self._set_environment(Env.NOTEBOOK_NAMES, Fn.join(",", self._notebook_names))
            statement.add_resources(arn)

    def grant_open(self, grantee: iam.IGrantable, notebook: NotebookRef | None = None) -> iam.Grant:
        """Let ``grantee`` call the API for ``notebook`` (default: every served notebook).

        Grants ``execute-api:Invoke`` on that notebook's routes only: the route
        contains the name, so IAM scopes the grant per notebook.
        """
        if notebook is None:
            name = "*"
        else:
            name, _ = self._name_and_arn(notebook)
            if not (self._lists(name) or self._served_by_prefix(name)):
                raise ValidationError(
                    f"notebook {name!r} is not served by this API: call add_notebook "
                    "with it first (or name it under notebook_name_prefix)",
                    self,
                )
        paths = [
            resource.replace(NAME_SEGMENT, name)
            for resource in [URL_RESOURCE] + ([START_RESOURCE] if self.allow_start else [])
        ]
        grant = self._grant_invoke(
            grantee,
            [self.rest_api.arn_for_execute_api("POST", path, self.stage_name) for path in paths],
        )
        return warn_if_not_applied(
            self, grant, grantee, granted=" or ".join(f"POST {path}" for path in paths)
        )

    # ------------------------------------------------------------ building

    def _configure_network(
        self,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        endpoint: ec2.IInterfaceVpcEndpoint | None,
    ) -> None:
        """The function's security group and the SageMaker API endpoint it calls through."""
        # Its one rule goes to the endpoint's group (a separate resource), so the group
        # declares a closing rule of its own: without it EC2 keeps its allow-all egress.
        self.function_security_group = closed_security_group(
            self,
            "FunctionSecurityGroup",
            vpc=vpc,
            description="Presigned URL Lambda: outbound HTTPS to the SageMaker API endpoint only",
        )
        self.endpoint: ec2.IInterfaceVpcEndpoint = endpoint or ec2.InterfaceVpcEndpoint(
            self,
            "SageMakerApiEndpoint",
            vpc=vpc,
            service=ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_API,
            private_dns_enabled=True,
            subnets=subnets,
            open=False,
        )
        self.endpoint.connections.allow_default_port_from(
            self.function_security_group, "Presigned URL Lambda to SageMaker API"
        )
        # Every notebook this library creates in the VPC (served as an object, by name, by
        # prefix, or not at all) stops itself through this endpoint when idle.
        EndpointReach.of(self).add_endpoint(
            vpc, self.endpoint, description="Notebook to SageMaker API"
        )

    def _configure_function_role(
        self, log_retention: logs.RetentionDays, removal_policy: RemovalPolicy
    ) -> None:
        """The role, its log group, and the one managed policy the function runs with."""
        self.role = iam.Role(
            self,
            "FunctionRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Mints presigned SageMaker notebook URLs for the served notebooks",
        )
        self.function_log_group = logs.LogGroup(
            self,
            "FunctionLogs",
            encryption_key=self.encryption_key,
            retention=log_retention,
            removal_policy=removal_policy,
        )
        self._notebook_statement = iam.PolicyStatement(
            sid="MintForServedNotebooks",
            actions=[PRESIGN_ACTION, DESCRIBE_ACTION]
            + ([START_ACTION] if self.allow_start else []),
            resources=[],
        )
        # Where served-notebook ARNs go, with the room each policy has left; the first is
        # function_policy's statement, which keeps room for its other statements.
        if self.notebook_name_prefix:
            self._notebook_statement.add_resources(
                _notebook_arn(self, f"{self.notebook_name_prefix}*")
            )
        self._served_policies = [
            _ServedPolicy(self._notebook_statement, first_policy_room(self.notebook_name_prefix))
        ]
        self.function_policy = iam.ManagedPolicy(
            self,
            "FunctionPolicy",
            description="Presigned URL Lambda: own logs, own network interfaces, served notebooks",
            roles=[self.role],
            statements=self._function_statements(),
        )
        acknowledge(self.function_policy, "AwsSolutions::AwsSolutions-IAM5[Resource::*]")

    def _configure_function(
        self,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        *,
        reserved_concurrent_executions: int | None,
        max_session_duration_seconds: int,
        default_session_duration_seconds: int | None,
    ) -> None:
        """The VPC function, ordered so its ENI permissions come first and leave last."""
        self._token_chars: dict[str, int] = {}  # see _set_environment
        self._environment = {
            Env.NOTEBOOK_NAMES: "",  # filled by add_notebook
            Env.NOTEBOOK_NAME_PREFIX: self.notebook_name_prefix,
            Env.ALLOWED_CIDRS: ",".join(self.allowed_cidrs),
            Env.ALLOW_START: "true" if self.allow_start else "false",
            Env.MAX_SESSION_DURATION_SECONDS: str(max_session_duration_seconds),
            Env.DEFAULT_SESSION_DURATION_SECONDS: str(
                default_session_duration_seconds or max_session_duration_seconds
            ),
        }
        # The function gets the role as an immutable reference: given the Role itself, CDK
        # would put tracing's X-Ray statement (already in function_policy) into an inline
        # policy and add a DependsOn the role that its GetAtt already implies (cfn-lint W3005).
        function_role = iam.Role.from_role_arn(
            self, "FunctionRoleReference", self.role.role_arn, mutable=False
        )
        self.function = lambda_.Function(
            self,
            "Function",
            description="Mints presigned SageMaker notebook URLs (POST /notebooks/{name}/url)",
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64,
            handler="handler.handler",
            code=lambda_.Code.from_asset(
                str(handler_code_path()), exclude=["__pycache__", "*.pyc"]
            ),
            timeout=LAMBDA_TIMEOUT,
            memory_size=256,
            role=function_role,
            vpc=vpc,
            vpc_subnets=subnets,
            security_groups=[self.function_security_group],
            log_group=self.function_log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            tracing=lambda_.Tracing.ACTIVE,
            reserved_concurrent_executions=reserved_concurrent_executions,
            environment=self._environment,
            # The environment lists the served notebooks and the allow-list: encrypted at
            # rest with this construct's key (function_policy lets the role decrypt it).
            environment_encryption=self.encryption_key,
        )
        # A VPC function is created with its ENIs: the role needs the ENI permissions first.
        self.function.node.add_dependency(self.function_policy)
        # And they must outlive the ENIs: Lambda releases a deleted function's interfaces
        # later, with the role's ec2:DeleteNetworkInterface (aws-cdk#6701). CloudFormation
        # deletes in reverse dependency order, so with the security group depending on the
        # policy, the policy goes only after the group, which cannot go while an interface
        # uses it.
        self.function_security_group.node.add_dependency(self.function_policy)
        acknowledge(
            self.function,
            "NIST.800.53.R5::NIST.800.53.R5-LambdaDLQ",
            "HIPAA.Security::HIPAA.Security-LambdaDLQ",
            "Serverless::Serverless-LambdaDLQ",
        )
        if reserved_concurrent_executions is None:
            acknowledge(
                self.function,
                "NIST.800.53.R5::NIST.800.53.R5-LambdaConcurrency",
                "HIPAA.Security::HIPAA.Security-LambdaConcurrency",
            )

    def _configure_rest_api(
        self,
        rate_limit: float,
        burst_limit: int,
        *,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
        configure_api_gateway_logging_role: bool,
    ) -> None:
        """The REST API with its access and execution logs and the account logging role."""
        self.access_log_group = logs.LogGroup(
            self,
            "AccessLogs",
            encryption_key=self.encryption_key,
            retention=log_retention,
            removal_policy=removal_policy,
        )
        self.rest_api = self._rest_api(rate_limit, burst_limit)
        # The audit line marks events that do not name this API (a direct invocation).
        self._set_environment(
            Env.REST_API_ID, self.rest_api.rest_api_id, max_chars=REST_API_ID_CHARS
        )
        self.execution_log_group = logs.LogGroup(
            self,
            "ExecutionLogs",
            # The name API Gateway writes execution logs to ("Set up CloudWatch logging for
            # REST APIs", API Gateway developer guide); created first, so it has the
            # construct's key and retention instead of API Gateway's unencrypted default.
            log_group_name=Fn.join(
                "",
                [
                    "API-Gateway-Execution-Logs_",
                    self.rest_api.rest_api_id,
                    f"/{self.stage_name}",
                ],
            ),
            encryption_key=self.encryption_key,
            retention=log_retention,
            removal_policy=removal_policy,
        )
        self.rest_api.deployment_stage.node.add_dependency(self.execution_log_group)
        self.logging_role: ApiGatewayLoggingRole | None = None
        if configure_api_gateway_logging_role:
            # The stage's logging is refused until the account setting names a role.
            self.logging_role = ApiGatewayLoggingRole.of(self)
            self.rest_api.deployment_stage.node.add_dependency(self.logging_role.account)

    def _validate(
        self,
        allowed_cidrs: Sequence[str],
        *,
        allow_all_ips: bool,
        notebook_name_prefix: str | None,
        max_session_duration_seconds: int,
        default_session_duration_seconds: int | None,
        throttling_rate_limit: float,
        throttling_burst_limit: int,
        stage_name: str,
        reserved_concurrent_executions: int | None,
    ) -> None:
        self.allowed_cidrs = normalize_cidrs(allowed_cidrs, allow_all_ips=allow_all_ips)
        if notebook_name_prefix is not None:
            if notebook_name_prefix == "" or "*" in notebook_name_prefix:
                raise ValidationError(
                    f"notebook_name_prefix {notebook_name_prefix!r} must be a non-empty "
                    "start of a notebook name (letters, digits, hyphens), without wildcards"
                )
            validate_notebook_name(
                notebook_name_prefix.rstrip("-") or "x", prop="notebook_name_prefix"
            )
        validate_int_range(
            max_session_duration_seconds,
            prop="max_session_duration_seconds",
            minimum=SESSION_DURATION_MIN_SECONDS,
            maximum=SESSION_DURATION_MAX_SECONDS,
            unit="seconds",
        )
        validate_int_range(
            default_session_duration_seconds,
            prop="default_session_duration_seconds",
            minimum=SESSION_DURATION_MIN_SECONDS,
            maximum=max_session_duration_seconds,
            unit="seconds",
        )
        validate_positive_number(
            throttling_rate_limit,
            prop="throttling_rate_limit",
            maximum=THROTTLING_RATE_MAX,
            unit="requests per second",
        )
        validate_int_range(
            throttling_burst_limit,
            prop="throttling_burst_limit",
            minimum=1,
            maximum=THROTTLING_BURST_MAX,
            unit="requests",
        )
        validate_stage_name(stage_name)
        # 0 would be valid for Lambda and switch the API off; the account quota caps the top.
        validate_int_range(
            reserved_concurrent_executions,
            prop="reserved_concurrent_executions",
            minimum=1,
            maximum=1_000_000,
        )

    def _grant_invoke(self, grantee: iam.IGrantable, resource_arns: list[str]) -> iam.Grant:
        """Allow ``execute-api:Invoke`` on ``resource_arns`` in a customer-managed policy.

        Users, groups and roles of this app get one managed policy per API (statements
        accumulate in it) instead of CDK's inline default policy; any other principal
        (an imported role, a service) gets the usual ``Grant.add_to_principal``.
        """
        principal = grantee.grant_principal
        attach = managed_policy_target(principal)
        if attach is None:
            return iam.Grant.add_to_principal(
                grantee=grantee, actions=[INVOKE_ACTION], resource_arns=resource_arns
            )
        key = principal.node.path
        policy = self._open_policies.get(key)
        if policy is None:
            policy = iam.ManagedPolicy(
                principal,
                f"OpenNotebooks{Names.unique_id(self)[-40:]}",
                description=f"Lets the holder request notebook URLs from {self.node.path}",
            )
            attach(policy)
            self._open_policies[key] = policy
        return iam.Grant.add_to_principal(
            grantee=ManagedPolicyPrincipal(principal, policy),
            actions=[INVOKE_ACTION],
            resource_arns=resource_arns,
        )

    def _function_statements(self) -> list[iam.PolicyStatement]:
        return [
            own_logs_statement(self.function_log_group),
            network_interfaces_statement(),
            iam.PolicyStatement(
                sid="DecryptOwnEnvironment",
                actions=["kms:Decrypt"],
                resources=[self.encryption_key.key_arn],
            ),
            traces_statement(),
            self._notebook_statement,
            # It reads entitlement tags; it never writes one.
            *tag_guard_statements(),
            deny_presign_outside_cidrs(
                self.allowed_cidrs,
                exempt_vpc_endpoint_ids=[self.endpoint.vpc_endpoint_id],
                sid="DenyUrlsThatWouldOpenOutsideAllowedCidrs",
            ),
        ]

    def _restrict_endpoint_policy(self, endpoint: ec2.InterfaceVpcEndpoint) -> None:
        """Only on the endpoint this construct created: a given one is the user's to govern."""
        # Adding statements replaces the endpoint's default full-access policy.
        endpoint.add_to_policy(
            iam.PolicyStatement(
                sid="AnyCallButPresignByThisAccount",
                principals=[iam.AnyPrincipal()],
                not_actions=[PRESIGN_ACTION],
                resources=["*"],
                # Foreign credentials must not use this VPC's endpoint as a way out.
                conditions={"StringEquals": {"aws:PrincipalAccount": Stack.of(self).account}},
            )
        )
        endpoint.add_to_policy(
            iam.PolicyStatement(
                sid="PresignOnlyByTheMintingRole",
                principals=[iam.ArnPrincipal(self.role.role_arn)],
                actions=[PRESIGN_ACTION],
                resources=[_notebook_arn(self, "*")],
            )
        )

    def _rest_api(self, rate_limit: float, burst_limit: int) -> apigw.RestApi:
        api = apigw.RestApi(
            self,
            "RestApi",
            description="Mints presigned SageMaker notebook URLs for IAM-authorized callers",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=False,
            policy=iam.PolicyDocument(
                statements=[
                    # Deny only. An Allow to "*" here would admit signed requests from
                    # any AWS account; identity policies (grant_open) do the allowing.
                    iam.PolicyStatement(
                        sid="DenyOutsideAllowedCidrs",
                        effect=iam.Effect.DENY,
                        principals=[iam.AnyPrincipal()],
                        actions=["execute-api:Invoke"],
                        resources=["execute-api:/*"],
                        conditions={"NotIpAddress": {"aws:SourceIp": self.allowed_cidrs}},
                    )
                ]
            ),
            default_method_options=apigw.MethodOptions(
                authorization_type=apigw.AuthorizationType.IAM
            ),
            deploy_options=apigw.StageOptions(
                stage_name=self.stage_name,
                throttling_rate_limit=rate_limit,
                throttling_burst_limit=burst_limit,
                tracing_enabled=True,
                # Execution logs at ERROR: failures only, no request or response data.
                # Data tracing would write response bodies (URLs) to logs.
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
                access_log_destination=apigw.LogGroupLogDestination(self.access_log_group),
                access_log_format=apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS)),
            ),
        )
        # No console test-invoke permission: it would skip IAM auth and the resource policy.
        integration = apigw.LambdaIntegration(self.function, allow_test_invoke=False)
        validator = api.add_request_validator(
            "Validator", validate_request_body=True, validate_request_parameters=True
        )
        body_model = api.add_model(
            "SessionRequest",
            content_type="application/json",
            schema=apigw.JsonSchema(
                schema=apigw.JsonSchemaVersion.DRAFT4,
                title="SessionRequest",
                type=apigw.JsonSchemaType.OBJECT,
                additional_properties=False,
                properties={
                    "SessionExpirationDurationInSeconds": apigw.JsonSchema(
                        type=apigw.JsonSchemaType.INTEGER,
                        minimum=SESSION_DURATION_MIN_SECONDS,
                        maximum=SESSION_DURATION_MAX_SECONDS,
                    )
                },
            ),
        )
        path_parameters = {f"method.request.path.{NAME_PARAMETER}": True}
        # Only POST is defined. Another method on a route gets API Gateway's own answer for
        # an undefined method, 403 MISSING_AUTHENTICATION_TOKEN (api/gateway_responses.py): a
        # catch-all method cannot answer 405, because a method without IAM authorization
        # behind a resource policy with no explicit Allow is denied ("How API Gateway
        # resource policies affect authorization workflow", API Gateway developer guide).
        url_route = api.root.resource_for_path(URL_RESOURCE)
        url_route.add_method(
            "POST",
            integration,
            request_validator=validator,
            request_parameters=path_parameters,
            request_models={"application/json": body_model},
        )
        if self.allow_start:
            start_route = api.root.resource_for_path(START_RESOURCE)
            start_route.add_method(
                "POST", integration, request_validator=validator, request_parameters=path_parameters
            )
        add_gateway_responses(api)
        acknowledge(
            api.deployment_stage,
            "NIST.800.53.R5::NIST.800.53.R5-APIGWCacheEnabledAndEncrypted",
            "HIPAA.Security::HIPAA.Security-APIGWCacheEnabledAndEncrypted",
            "PCI.DSS.321::PCI.DSS.321-APIGWCacheEnabledAndEncrypted",
            "NIST.800.53.R5::NIST.800.53.R5-APIGWSSLEnabled",
            "HIPAA.Security::HIPAA.Security-APIGWSSLEnabled",
            "PCI.DSS.321::PCI.DSS.321-APIGWSSLEnabled",
        )
        # On the resource tree, so methods added later (the start route) are covered too.
        acknowledge(api.root, "AwsSolutions::AwsSolutions-COG4", LAMBDA_PERMISSION_RULE)
        return api

    def _name_and_arn(self, notebook: NotebookRef) -> tuple[str, str]:
        if isinstance(notebook, NotebookInstance):
            return notebook.notebook_instance_name, notebook.notebook_instance_arn
        if isinstance(notebook, str):
            with validating(self):
                validate_notebook_name(notebook, prop="notebook")
            return notebook, _notebook_arn(self, notebook)
        raise ValidationError(
            "notebook must be a NotebookInstance or a notebook name, "
            f"got {type(notebook).__name__}",
            self,
        )

    def _served_by_prefix(self, name: str) -> bool:
        # Case-sensitive, as the handler compares; the prefix ARN matches the lowercase ARN.
        return (
            bool(self.notebook_name_prefix)
            and not is_token(name)
            and name.startswith(self.notebook_name_prefix)
        )

    def _lists(self, name: str) -> bool:
        """Whether ``name`` is in the explicit list (ARNs, and so names, ignore case)."""
        if is_token(name):
            return name in self._notebook_names
        return name.lower() in {n.lower() for n in self._notebook_names if not is_token(n)}

    def _served_statement_with_room_for(self, name: str) -> iam.PolicyStatement:
        """The statement to list ``name``'s ARN in; opens one more managed policy when full."""
        needed = arn_chars(name, is_token=is_token(name))
        current = self._served_policies[-1]
        if current.chars_left < needed:
            count = len(self._served_policies)
            if count > MAX_SERVED_NOTEBOOK_POLICIES:
                raise ValidationError(
                    f"cannot serve notebook {name!r}: the Lambda role's policies are full "
                    f"({count} managed policies of {MANAGED_POLICY_MAX_CHARS} characters, "
                    "ARNs counted at their longest); give the notebooks a common name prefix "
                    "and pass notebook_name_prefix instead of adding them one by one",
                    self,
                )
            statement = iam.PolicyStatement(
                sid=f"MintForServedNotebooks{count + 1}",
                actions=list(self._notebook_statement.actions),
                resources=[],
            )
            policy = iam.ManagedPolicy(
                self,
                f"ServedNotebooksPolicy{count + 1}",
                description="Presigned URL Lambda: more served notebooks",
                roles=[self.role],
                statements=[statement],
            )
            self.function.node.add_dependency(policy)
            current = _ServedPolicy(
                statement, MANAGED_POLICY_MAX_CHARS - SERVED_POLICY_OVERHEAD_CHARS
            )
            self._served_policies.append(current)
        current.chars_left -= needed
        return current.statement

    def _set_environment(self, key: str, value: str, *, max_chars: int | None = None) -> None:
        """Set a function variable, within Lambda's 4 KiB for all of them.

        ``max_chars``: for a token value, the longest it can resolve to (what the size
        check counts). NOTEBOOK_NAMES is counted name by name, and checked by add_notebook
        before it grows.
        """
        if is_token(value) and key != Env.NOTEBOOK_NAMES:
            if max_chars is None:
                raise TypeError(f"{key} is a token: pass max_chars, its longest value")
            self._token_chars[key] = max_chars
        self._environment[key] = value
        projected = self._environment_bytes()
        if projected > ENVIRONMENT_LIMIT_BYTES:
            raise ValidationError(
                f"cannot set the Lambda's {key}: its environment would need {projected} bytes "
                f"(limit {ENVIRONMENT_LIMIT_BYTES}); serve fewer notebooks by name (give them "
                "a common prefix and pass notebook_name_prefix)",
                self,
            )
        self.function.add_environment(key, value)

    def _environment_bytes(self, extra_names: Sequence[str] = ()) -> int:
        """The function's environment size with ``extra_names`` served too, tokens at 63."""
        names = [(n, is_token(n)) for n in [*self._notebook_names, *extra_names]]
        # The list is counted name by name, not as the Fn::Join token it is stored as.
        counted = {
            key: "x" * self._token_chars[key] if key in self._token_chars else value
            for key, value in self._environment.items()
        }
        return environment_bytes({**counted, Env.NOTEBOOK_NAMES: ""}, names)


def _notebook_arn(scope: Construct, name: str) -> str:
    # SageMaker writes notebook instance names in lower case inside ARNs; a token
    # (a generated name) is left to CloudFormation as it is.
    return Stack.of(scope).format_arn(
        service="sagemaker",
        resource="notebook-instance",
        resource_name=name if is_token(name) else name.lower(),
    )
