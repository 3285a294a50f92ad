"""The SigV4 REST API in front of the URL function: resource policy, stage, routes, logs.

The resource policy only denies (outside the allow-list); identity policies from
``grant_open`` do the allowing. Only ``POST`` is defined on the routes, and the gateway
responses (api/gateway_responses.py) give API Gateway's own errors the handler's shape.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Fn
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from ..acknowledgments import LAMBDA_PERMISSION_RULE, acknowledge
from ..lambda_src.presigned_url.contract import (
    SESSION_DURATION_FIELD,
    START_RESOURCE,
    URL_RESOURCE,
)
from ..limits import SESSION_DURATION_MAX_SECONDS, SESSION_DURATION_MIN_SECONDS
from .account_logging import ApiGatewayLoggingRole
from .gateway_responses import ACCESS_LOG_FIELDS, add_gateway_responses
from .grants import INVOKE_ACTION
from .log_settings import LogSettings
from .waf import ApiWebAcl


@dataclass(frozen=True)
class StageSettings:
    """The stage's props: its name and throttling, and the options they make."""

    stage_name: str
    throttling_rate_limit: float
    throttling_burst_limit: int

    def options(self, access_log_group: logs.ILogGroup) -> apigw.StageOptions:
        """The stage: throttled, traced, access logs as JSON, execution logs at ERROR."""
        return apigw.StageOptions(
            stage_name=self.stage_name,
            throttling_rate_limit=self.throttling_rate_limit,
            throttling_burst_limit=self.throttling_burst_limit,
            tracing_enabled=True,
            # Execution logs at ERROR: failures only, no request or response data.
            # Data tracing would write response bodies (URLs) to logs.
            logging_level=apigw.MethodLoggingLevel.ERROR,
            data_trace_enabled=False,
            access_log_destination=apigw.LogGroupLogDestination(access_log_group),
            access_log_format=apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS)),
        )


@dataclass(frozen=True)
class UrlRestApi:
    """What ``create`` builds: the REST API, its two log groups, the account logging role,
    the web ACL in front of the stage."""

    rest_api: apigw.RestApi
    access_log_group: logs.LogGroup
    execution_log_group: logs.LogGroup
    logging_role: ApiGatewayLoggingRole | None
    web_acl: ApiWebAcl
    routes: SigV4Routes

    @classmethod
    def create(
        cls,
        scope: Construct,
        *,
        function: lambda_.IFunction,
        allowed_cidrs: Sequence[str],
        allow_start: bool,
        stage: StageSettings,
        log_settings: LogSettings,
        waf_rate_limit_per_5_minutes: int,
        configure_api_gateway_logging_role: bool,
    ) -> UrlRestApi:
        """The API with its routes to ``function``, its logs, and its web ACL."""
        access_log_group = log_settings.log_group(scope, "AccessLogs")
        rest_api = apigw.RestApi(
            scope,
            "RestApi",
            description="Mints presigned SageMaker notebook URLs for IAM-authorized callers",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=False,
            policy=_deny_outside(allowed_cidrs),
            default_method_options=apigw.MethodOptions(
                authorization_type=apigw.AuthorizationType.IAM
            ),
            deploy_options=stage.options(access_log_group),
        )
        routes = _add_routes(rest_api, function, allow_start=allow_start)
        add_gateway_responses(rest_api)
        _acknowledge(rest_api)
        execution_log_group = log_settings.log_group(
            scope,
            "ExecutionLogs",
            # The name API Gateway writes execution logs to ("Set up CloudWatch logging for
            # REST APIs", API Gateway developer guide); created first, so it has the
            # construct's key and retention instead of API Gateway's unencrypted default.
            log_group_name=Fn.join(
                "",
                ["API-Gateway-Execution-Logs_", rest_api.rest_api_id, f"/{stage.stage_name}"],
            ),
        )
        rest_api.deployment_stage.node.add_dependency(execution_log_group)
        logging_role = None
        if configure_api_gateway_logging_role:
            # The stage's logging is refused until the account setting names a role.
            logging_role = ApiGatewayLoggingRole.of(scope)
            rest_api.deployment_stage.node.add_dependency(logging_role.account)
        web_acl = ApiWebAcl(
            scope,
            "WebAcl",
            stage=rest_api.deployment_stage,
            encryption_key=log_settings.encryption_key,
            rate_limit_per_5_minutes=waf_rate_limit_per_5_minutes,
            log_retention=log_settings.retention,
            removal_policy=log_settings.removal_policy,
        )
        return cls(rest_api, access_log_group, execution_log_group, logging_role, web_acl, routes)


def _deny_outside(allowed_cidrs: Sequence[str]) -> iam.PolicyDocument:
    return iam.PolicyDocument(
        statements=[
            # Deny only. An Allow to "*" here would admit signed requests from any AWS
            # account; identity policies (grant_open) do the allowing.
            iam.PolicyStatement(
                sid="DenyOutsideAllowedCidrs",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=[INVOKE_ACTION],
                resources=["execute-api:/*"],
                conditions={"NotIpAddress": {"aws:SourceIp": list(allowed_cidrs)}},
            )
        ]
    )


class SigV4Routes:
    """The IAM-authorized routes to the function: ``POST`` only, body and path checked first.

    ``add`` also serves NotebookAccessHub, which adds a member account's routes later.
    """

    def __init__(self, api: apigw.RestApi, function: lambda_.IFunction) -> None:
        self._api = api
        # No console test-invoke permission: it would skip IAM auth and the resource policy.
        self._integration = apigw.LambdaIntegration(function, allow_test_invoke=False)
        self._validator = api.add_request_validator(
            "Validator", validate_request_body=True, validate_request_parameters=True
        )
        self._body_model = api.add_model(
            "SessionRequest",
            content_type="application/json",
            schema=apigw.JsonSchema(
                schema=apigw.JsonSchemaVersion.DRAFT4,
                title="SessionRequest",
                type=apigw.JsonSchemaType.OBJECT,
                additional_properties=False,
                properties={
                    SESSION_DURATION_FIELD: apigw.JsonSchema(
                        type=apigw.JsonSchemaType.INTEGER,
                        minimum=SESSION_DURATION_MIN_SECONDS,
                        maximum=SESSION_DURATION_MAX_SECONDS,
                    )
                },
            ),
        )

    def add(self, resource: str, *, with_session_body: bool) -> apigw.Method:
        """``POST`` on ``resource`` (its path parameters required)."""
        # Only POST is defined. Another method on a route gets API Gateway's own answer for
        # an undefined method, 403 MISSING_AUTHENTICATION_TOKEN (api/gateway_responses.py):
        # a catch-all method cannot answer 405, because a method without IAM authorization
        # behind a resource policy with no explicit Allow is denied ("How API Gateway
        # resource policies affect authorization workflow", API Gateway developer guide).
        parameters = {
            f"method.request.path.{name}": True for name in re.findall(r"{(\w+)}", resource)
        }
        return self._api.root.resource_for_path(resource).add_method(
            "POST",
            self._integration,
            request_validator=self._validator,
            request_parameters=parameters,
            request_models=({"application/json": self._body_model} if with_session_body else None),
        )


def _add_routes(
    api: apigw.RestApi, function: lambda_.IFunction, *, allow_start: bool
) -> SigV4Routes:
    """The URL route, and the start route with ``allow_start``."""
    routes = SigV4Routes(api, function)
    routes.add(URL_RESOURCE, with_session_body=True)
    if allow_start:
        routes.add(START_RESOURCE, with_session_body=False)
    return routes


def _acknowledge(api: apigw.RestApi) -> None:
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
