"""PresignedUrlApi: a SigV4 REST API whose Lambda mints presigned notebook URLs.

The API only admits the allow-list (resource policy) and IAM-granted callers
(IAM authorization); the Lambda reaches SageMaker through an interface endpoint,
and its role carries the IP deny, so a URL it mints only opens from the allow-list.
The parts live beside it in api/: the function and its budgeted environment
(url_function, function_environment), the REST API (url_rest_api), the function's
network (function_network), the served notebooks (served_notebooks); this class checks
the props, composes the parts and owns the seams other constructs add through.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import CfnOutput, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from ..lambda_src.presigned_url.contract import SERVED_BY_TAG
from ..limits import SESSION_DURATION_MAX_SECONDS
from ..monitoring.alarms import (
    DEFAULT_DENIAL_PERIODS,
    DEFAULT_DENIALS_PER_5_MINUTES,
    DEFAULT_FUNCTION_ERRORS_PER_5_MINUTES,
    DEFAULT_UPSTREAM_ERRORS_PER_5_MINUTES,
    DEFAULT_WAF_BLOCKED_PER_5_MINUTES,
)
from ..notebook.instance import NotebookInstance
from ..validation import validating
from .account_logging import ApiGatewayLoggingRole
from .assembly import assemble
from .open_grants import grant_open_routes
from .portal_slot import check_portal_slot
from .prop_checks import check_props
from .served_notebooks import NotebookRef, serve_notebook
from .url_function import LAMBDA_TIMEOUT, handler_code_path
from .url_rest_api import StageSettings
from .waf import DEFAULT_RATE_LIMIT_PER_5_MINUTES, ApiWebAcl

# LAMBDA_TIMEOUT and handler_code_path: the function's, importable from here as before.
__all__ = ["LAMBDA_TIMEOUT", "NotebookRef", "PresignedUrlApi", "handler_code_path"]

DEFAULT_THROTTLING_RATE_LIMIT = 10
DEFAULT_THROTTLING_BURST_LIMIT = 20


class PresignedUrlApi(Construct):
    """REST API ``POST /notebooks/{NotebookInstanceName}/url`` that returns a presigned URL.

    :param vpc: the VPC the Lambda runs in; the construct adds a SageMaker API
        interface endpoint (private DNS) to it unless ``endpoint`` is given. Required.
    :param allowed_cidrs: IPv4/IPv6 CIDRs allowed to call the API and to open the
        URLs it mints: public addresses, as API Gateway sees callers. Required, non-empty.
        Private, reserved, documentation and very wide (shorter than /8, IPv6 /32) ranges
        get a synth warning; a CIDR given as a token is neither checked nor warned about.
    :param notebooks: notebooks the API serves: ``NotebookInstance`` objects (tagged with the
        serving tag) or names of existing notebooks (listed by name). Default: none; add
        with ``add_notebook``, or tag an existing notebook (docs/fleet.md).
    :param notebook_name_prefix: also serve every notebook whose name starts with this
        prefix (IAM resources become ``notebook-instance/<prefix>*``). Anyone who may
        create a notebook of such a name joins: prefer the serving tag, which the tag guard
        protects. Default: no prefix.
    :param serving_tag_value: the value of the ``notebook-access:served-by`` tag that
        makes a notebook served by this API: 1..256 letters, digits and ``_ . : / = + - @``,
        known at synth. Default: the stack name and the construct path with a hash (and, in a
        stack with an account and region, a hash of them)
        (``serving_tag_value`` attribute); set it to keep the value when the path changes.
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

    vpc: ec2.IVpc
    """The VPC the function runs in (``vpc``)."""
    allowed_cidrs: list[str]
    """The allow-list, normalized: the resource policy's, the handler's and the role's."""
    allow_start: bool
    """Whether the start route and the start permission exist (``allow_start``)."""
    notebook_name_prefix: str
    """The served name prefix, ``""`` without one (``notebook_name_prefix``)."""
    serving_tag_value: str
    """The ``notebook-access:served-by`` value of the notebooks this API serves by tag."""
    SERVING_TAG_KEY = SERVED_BY_TAG
    """The serving tag's key, ``notebook-access:served-by`` (protected by the tag guard)."""
    stage_name: str
    """The API stage (``stage_name``)."""
    encryption_key: kms.IKey
    """The key of the log groups and of the function's environment."""
    function_security_group: ec2.SecurityGroup
    """The function's group: outbound HTTPS to the SageMaker API endpoint only."""
    endpoint: ec2.IInterfaceVpcEndpoint
    """The SageMaker API endpoint the function presigns through (``endpoint``, or a new one)."""
    role: iam.Role
    """The function's role; its policies deny presigning for a URL outside the allow-list."""
    function_log_group: logs.LogGroup
    """The function's log group: one JSON audit line per request."""
    function_policy: iam.ManagedPolicy
    """The role's managed policy: own logs and network interfaces, the served notebooks."""
    function: lambda_.Function
    """The VPC function that mints the URLs."""
    rest_api: apigw.RestApi
    """The REST API: resource policy, IAM-authorized routes, the stage."""
    access_log_group: logs.LogGroup
    """The stage's access log group (one JSON line per request)."""
    execution_log_group: logs.LogGroup
    """The stage's execution log group (errors only), created before API Gateway would."""
    logging_role: ApiGatewayLoggingRole | None
    """The stack's API Gateway account logging role, None with
    ``configure_api_gateway_logging_role=False``."""
    web_acl: ApiWebAcl
    """The WAF web ACL on the stage (managed rule groups and the per-IP rate rule)."""
    url_output: CfnOutput
    """The stack output holding the stage URL, which ``notebook-url --stack-name`` finds by
    its description (it names this API's construct path)."""

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
        serving_tag_value: str | None = None,
    ) -> None:
        # Checked before the construct exists, so a bad prop leaves nothing in the tree.
        with validating(scope, id):
            checked = check_props(
                vpc=vpc,
                vpc_subnets=vpc_subnets,
                allowed_cidrs=allowed_cidrs,
                allow_all_ips=allow_all_ips,
                notebooks=notebooks,
                notebook_name_prefix=notebook_name_prefix,
                allow_start=allow_start,
                max_session_duration_seconds=max_session_duration_seconds,
                default_session_duration_seconds=default_session_duration_seconds,
                throttling_rate_limit=throttling_rate_limit,
                throttling_burst_limit=throttling_burst_limit,
                stage_name=stage_name,
                reserved_concurrent_executions=reserved_concurrent_executions,
                waf_rate_limit_per_5_minutes=waf_rate_limit_per_5_minutes,
                serving_tag_value=serving_tag_value,
            )
        super().__init__(scope, id)
        assemble(
            self,
            checked,
            vpc=vpc,
            allow_start=allow_start,
            log_settings=(encryption_key, log_retention, removal_policy),
            endpoint=endpoint,
            reserved_concurrent_executions=reserved_concurrent_executions,
            stage=StageSettings(stage_name, throttling_rate_limit, throttling_burst_limit),
            waf_rate_limit_per_5_minutes=waf_rate_limit_per_5_minutes,
            configure_api_gateway_logging_role=configure_api_gateway_logging_role,
            serving_tag_value=serving_tag_value,
            notebooks=notebooks,
        )

    # ------------------------------------------------------------ public

    @property
    def url(self) -> str:
        """The stage URL, e.g. ``https://abc123.execute-api.eu-west-1.amazonaws.com/v1/``."""
        return self.rest_api.url

    @property
    def notebook_names(self) -> list[str]:
        """Names of the notebooks added with ``add_notebook`` (or ``notebooks``), tagged or
        listed (tokens for generated names); not those joined with ``aws sagemaker add-tags``."""
        return [nb.notebook_instance_name for nb in self._served.tagged] + self._served.names

    def add_notebook(self, notebook: NotebookRef) -> None:
        """Serve one more notebook. A ``NotebookInstance`` gets the serving tag: nothing is
        added to this API's template, however many. A name is listed in the function's
        environment and policies (56 of 63 characters; past that ``ValidationError``): tag
        an existing notebook instead (docs/fleet.md)."""
        serve_notebook(self, notebook)

    def grant_open(self, grantee: iam.IGrantable, notebook: NotebookRef | None = None) -> iam.Grant:
        """Let ``grantee`` call the API for ``notebook`` (default: every served notebook of
        this account; ``"<account id>:<name>"`` or ``"<account id>:*"``: a hub's member
        account's). ``execute-api:Invoke`` on those routes only: IAM scopes it per notebook.
        """
        return grant_open_routes(self, grantee, notebook)

    # ------------------------------------------------------------ metrics and alarms

    @property
    def metrics_namespace(self) -> str:
        """The CloudWatch namespace of this API's metrics."""
        return self._monitoring.metrics_namespace

    def metric_urls_minted(self, **options: Any) -> cloudwatch.Metric:
        """Presigned URLs minted (any route). Default: Sum over 5 minutes."""
        return self._monitoring.metric_urls_minted(**options)

    def metric_denied(self, reason: str | None = None, **options: Any) -> cloudwatch.Metric:
        """403s: all of them, or those of one ``reason`` (a ``DenyReason`` value: the handler's
        ``denyReason``, or API Gateway's response type; ``DenyReason.NOT_GRANTED`` for "not
        granted"). Default: Sum over 5 minutes."""
        return self._monitoring.metric_denied(reason, **options)

    def metric_denied_inside_allow_list(self, **options: Any) -> cloudwatch.Metric:
        """Handler 403s of callers the resource policy let in (every reason but
        outsideAllowList). Default: Sum over 5 minutes."""
        return self._monitoring.metric_denied_inside_allow_list(**options)

    def metric_not_in_service(self, **options: Any) -> cloudwatch.Metric:
        """409 NotebookNotInService: a URL asked for a notebook that is not InService."""
        return self._monitoring.metric_not_in_service(**options)

    def metric_upstream_errors(self, **options: Any) -> cloudwatch.Metric:
        """SageMaker refused, failed or timed out (502 UpstreamError, 504 UpstreamTimeout)."""
        return self._monitoring.metric_upstream_errors(**options)

    def metric_throttled(self, **options: Any) -> cloudwatch.Metric:
        """Callers told to retry: SageMaker throttling (503) and stage throttling (429)."""
        return self._monitoring.metric_throttled(**options)

    def metric_latency(self, **options: Any) -> cloudwatch.Metric:
        """The handler's time per request (``durationMs``), in milliseconds. Default: p90
        over 5 minutes."""
        return self._monitoring.metric_latency(**options)

    def metric_waf_blocked_requests(self, **options: Any) -> cloudwatch.Metric:
        """Requests the web ACL blocked (``AWS/WAFV2`` ``BlockedRequests``, all rules)."""
        return self._monitoring.metric_waf_blocked_requests(**options)

    def add_alarms(
        self,
        topic: sns.ITopic,
        *,
        upstream_errors_per_5_minutes: int = DEFAULT_UPSTREAM_ERRORS_PER_5_MINUTES,
        denials_per_5_minutes: int = DEFAULT_DENIALS_PER_5_MINUTES,
        denial_periods: int = DEFAULT_DENIAL_PERIODS,
        waf_blocked_per_5_minutes: int = DEFAULT_WAF_BLOCKED_PER_5_MINUTES,
        function_errors_per_5_minutes: int = DEFAULT_FUNCTION_ERRORS_PER_5_MINUTES,
    ) -> list[cloudwatch.Alarm]:
        """Alarms that notify ``topic`` (on alarm and back to OK). Thresholds, each per
        5-minute period:

        - ``UpstreamErrors``: at least ``upstream_errors_per_5_minutes`` (default 5).
        - ``SustainedDenials``: at least ``denials_per_5_minutes`` (default 10) of
          ``metric_denied_inside_allow_list`` plus ``metric_denied(NOT_GRANTED)``, in each of
          ``denial_periods`` (default 3) periods in a row.
        - ``WafBlocks``: at least ``waf_blocked_per_5_minutes`` (default 100) blocked requests.
        - ``FunctionErrors``: at least ``function_errors_per_5_minutes`` (default 1) of the
          function's ``AWS/Lambda`` ``Errors``: crashes and timeouts, which write no audit
          line (the handler answers every error it catches itself, so those are not Errors)
          and reach callers as API Gateway's 5xx.

        Missing data is not breaching: no traffic is not an alarm.
        """
        return self._monitoring.add_alarms(
            topic,
            upstream_errors_per_5_minutes=upstream_errors_per_5_minutes,
            denials_per_5_minutes=denials_per_5_minutes,
            denial_periods=denial_periods,
            waf_blocked_per_5_minutes=waf_blocked_per_5_minutes,
            function_errors_per_5_minutes=function_errors_per_5_minutes,
        )

    def add_dashboard(
        self, *, dashboard_name: str | None = None, notebooks: Sequence[NotebookInstance] = ()
    ) -> cloudwatch.Dashboard:
        """A CloudWatch dashboard of this API and of ``notebooks`` (their running hours and
        idle stops). Default name: CloudFormation's."""
        return self._monitoring.add_dashboard(dashboard_name=dashboard_name, notebooks=notebooks)

    # ------------------------------------------------------------ seams (internal)

    def _check_portal_slot(self) -> None:
        """Internal, for ``NotebookPortal``: refuse a second portal (``portal_slot``)."""
        check_portal_slot(self, self._portal)

    def _attach_portal(self, portal: Construct) -> None:
        """Internal, for ``NotebookPortal``: record ``portal`` as this API's one portal
        (``portal_slot``)."""
        check_portal_slot(self, self._portal)
        self._portal = portal

    def _check_environment(self, variables: Mapping[str, tuple[str | None, int]]) -> None:
        """Internal, for ``NotebookPortal``: raise what ``_add_environment`` would for
        ``variables`` (name: value or None, and ``max_chars``), recording nothing."""
        trial = self._environment.copy()
        with validating(self):
            for name, (value, max_chars) in variables.items():
                trial.set(name, "x" * max_chars if value is None else value, max_chars=max_chars)

    def _add_environment(self, name: str, value: str, *, max_chars: int | None = None) -> None:
        """Internal, for this API and ``NotebookPortal``: ``Function.add_environment`` within
        Lambda's 4 KiB (``ValidationError``, setting nothing, past it). ``max_chars``: for a
        token value (required), the longest it can resolve to."""
        with validating(self):
            self._environment.set(name, value, max_chars=max_chars)
        self.function.add_environment(name, value)
