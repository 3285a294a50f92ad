"""How a PresignedUrlApi puts its parts together once its props are checked: the function
with its network and role, then the REST API in front of it and the stack output the
``notebook-url`` client reads. The construct's ``__init__`` calls these in this order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from aws_cdk import CfnOutput, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs

from ..cidr_warnings import warn_if_open
from ..lambda_src.presigned_url.contract import Env
from ..monitoring.api_monitoring import ApiMonitoring
from ..notebook.serving import SERVING_ID_MAX_LENGTH, default_serving_id
from ..stack_output import API_OUTPUT_ID, api_output_description
from .capacity import REST_API_ID_CHARS
from .function_network import FunctionNetwork, restrict_endpoint_policy
from .grants import InvokePolicies
from .log_settings import LogSettings
from .prop_checks import CheckedProps
from .served_notebooks import NotebookRef, ServedNotebookPolicies, tagged_mint_statement
from .url_function import UrlFunction
from .url_rest_api import StageSettings, UrlRestApi

if TYPE_CHECKING:
    from .presigned_url_api import PresignedUrlApi


def assemble(
    api: PresignedUrlApi,
    checked: CheckedProps,
    *,
    vpc: ec2.IVpc,
    allow_start: bool,
    log_settings: tuple[kms.IKey | None, logs.RetentionDays, RemovalPolicy],
    endpoint: ec2.IInterfaceVpcEndpoint | None,
    reserved_concurrent_executions: int | None,
    stage: StageSettings,
    waf_rate_limit_per_5_minutes: int,
    configure_api_gateway_logging_role: bool,
    serving_tag_value: str | None,
    notebooks: Sequence[NotebookRef],
) -> None:
    """The API's attributes from its checked props, its log settings (``log_settings``:
    key, a new one where None, retention, removal policy), the function, the REST API in
    front of it, then the served ``notebooks`` and the metrics."""
    serving_id = serving_tag_value or default_serving_id(api)
    warn_if_open(api, checked.cidrs, what="any network can call this API and open its URLs")
    api.vpc = vpc
    api.allowed_cidrs = checked.cidrs
    api.allow_start = allow_start
    api.notebook_name_prefix = checked.served.prefix
    api.stage_name = stage.stage_name
    api.serving_tag_value = serving_id
    # Room was kept for it (prop_checks): the default is only known once the API exists,
    # and stays counted at its longest, so add_notebook admits what the props check did.
    checked.environment.set(Env.SERVED_BY, serving_id, max_chars=SERVING_ID_MAX_LENGTH)
    api._environment = checked.environment
    api._served = checked.served
    api._invoke_policies = InvokePolicies(api)
    api._portal = None
    api._hub = None  # NotebookAccessHub's, issue 22
    encryption_key, retention, removal_policy = log_settings
    settings = LogSettings.create(
        api, encryption_key, retention=retention, removal_policy=removal_policy
    )
    api.encryption_key = settings.encryption_key
    build_function(
        api,
        checked,
        settings,
        endpoint=endpoint,
        reserved_concurrent_executions=reserved_concurrent_executions,
    )
    build_rest_api(
        api,
        settings,
        stage=stage,
        waf_rate_limit_per_5_minutes=waf_rate_limit_per_5_minutes,
        configure_api_gateway_logging_role=configure_api_gateway_logging_role,
    )
    for notebook in notebooks:
        api.add_notebook(notebook)
    api._monitoring = ApiMonitoring(api)  # what the metric_* methods delegate to


def build_function(
    api: PresignedUrlApi,
    checked: CheckedProps,
    log_settings: LogSettings,
    *,
    endpoint: ec2.IInterfaceVpcEndpoint | None,
    reserved_concurrent_executions: int | None,
) -> None:
    """The function, its security group and endpoint, its role and the served-notebook
    policies; sets the API's attributes of those."""
    api._subnets = checked.subnets  # where a portal puts its tagging endpoint too
    network = FunctionNetwork.create(api, vpc=api.vpc, subnets=checked.subnets, endpoint=endpoint)
    api.function_security_group = network.security_group
    api.endpoint = network.endpoint
    minting = tagged_mint_statement(
        api, allow_start=api.allow_start, serving_id=api.serving_tag_value
    )
    url_function = UrlFunction.create(
        api,
        network=network,
        vpc=api.vpc,
        subnets=checked.subnets,
        allowed_cidrs=checked.cidrs,
        mint_statement=minting,
        environment=checked.environment.values,
        log_settings=log_settings,
        reserved_concurrent_executions=reserved_concurrent_executions,
    )
    api.role = url_function.role
    api.function_log_group = url_function.log_group
    api.function_policy = url_function.policy
    api.function = url_function.function
    api._served_policies = ServedNotebookPolicies(
        api,
        function_policy=api.function_policy,
        role=api.role,
        function=api.function,
        allow_start=api.allow_start,
        prefix=api.notebook_name_prefix,
    )
    if endpoint is None:
        restrict_endpoint_policy(network.endpoint, minting_role=api.role)


def build_rest_api(
    api: PresignedUrlApi,
    log_settings: LogSettings,
    *,
    stage: StageSettings,
    waf_rate_limit_per_5_minutes: int,
    configure_api_gateway_logging_role: bool,
) -> None:
    """The REST API in front of the function, and the stack output naming its stage URL."""
    rest = UrlRestApi.create(
        api,
        function=api.function,
        allowed_cidrs=api.allowed_cidrs,
        allow_start=api.allow_start,
        stage=stage,
        log_settings=log_settings,
        waf_rate_limit_per_5_minutes=waf_rate_limit_per_5_minutes,
        configure_api_gateway_logging_role=configure_api_gateway_logging_role,
    )
    api.rest_api = rest.rest_api
    api.access_log_group = rest.access_log_group
    api.execution_log_group = rest.execution_log_group
    api.logging_role = rest.logging_role
    api.web_acl = rest.web_acl
    api._sigv4_routes = rest.routes  # NotebookAccessHub adds a member account's routes
    # What `notebook-url --stack-name` reads: marked by its description, in any stack.
    api.url_output = CfnOutput(
        api, API_OUTPUT_ID, value=api.url, description=api_output_description(api.node.path)
    )
    # The audit line marks events that do not name this API (a direct invocation).
    api._add_environment(Env.REST_API_ID, api.rest_api.rest_api_id, max_chars=REST_API_ID_CHARS)
