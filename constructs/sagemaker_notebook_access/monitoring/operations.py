"""Operations: CloudWatch metrics, alarms and a dashboard for PresignedUrlApi and NotebookInstance.

Every metric comes from a log line the constructs already write (the handler's JSON audit
line, the API Gateway access log, the idle-stop checker's JSON line) through a metric
filter: no extra call at run time, and no URL, ARN or IP address in any dimension. A filter
is created the first time something asks for its metric (like ``LogGroup.extract_metric``),
so a stack that asks for none has none.

Sources the filter patterns rest on:

- Lambda's JSON log format (``logging_format=JSON``) writes a Python ``logging`` call's
  ``extra`` keys as top-level keys of the JSON line, next to ``timestamp``, ``level``,
  ``message``, ``logger`` and ``requestId``, and leaves out keys whose value is None
  ("Using Lambda advanced logging controls with Python", Lambda developer guide,
  python-logging.html#python-logging-advanced; the runtime's formatter is
  aws-lambda-python-runtime-interface-client ``awslambdaric/lambda_runtime_log_utils.py``
  ``JsonFormatter``). So ``$.outcome`` is the audit line's ``outcome``, and a None
  ``denyReason`` is absent, not null.
- JSON filter patterns ``{ $.key = "value" }``, ``!=``, numeric ``=``/``>``/``>=``, ``"*"``
  for any value, ``&&``/``||`` ("Using filter patterns to match terms in JSON log events",
  CloudWatch Logs user guide, matching-terms-json-log-events.html); the patterns are built
  with CDK's ``logs.FilterPattern``, which writes that syntax.
- A filter dimension takes its value from a field of the event and is published only when
  the event has it; each distinct value is a custom metric, so only low-cardinality fields
  are dimensions (``AWS::Logs::MetricFilter Dimension``, CloudFormation reference;
  "Publishing dimensions with metrics from values in JSON or space-delimited log events").
- ``AWS/WAFV2`` ``BlockedRequests`` with dimensions ``WebACL``, ``Rule`` (``ALL`` for the
  whole web ACL) and ``Region`` ("AWS WAF metrics and dimensions", AWS WAF developer guide;
  cdklabs/cdk-monitoring-constructs ``WafV2MetricFactory``). The ``WebACL`` value CloudWatch
  shows is the web ACL's ``VisibilityConfig.MetricName`` in practice; that is what is used
  here (README, "Verify in your account").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aws_cdk import Duration, Names, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from ..lambda_src.presigned_url import contract
from ..limits import NOTEBOOK_LOG_GROUP
from ..monitoring.notebook_watch import NotebookWatch
from ..singleton import child_singleton, stack_singleton
from ..validation import ValidationError, validate_int_range, validating

NAMESPACE_ROOT = "SageMakerNotebookAccess"
FIVE_MINUTES = Duration.minutes(5)
ONE_HOUR = Duration.hours(1)
# CloudWatch namespaces: letters, digits and . - _ / # : and space, at most 255.
_NAMESPACE_UNSAFE = re.compile(r"[^0-9A-Za-z._/#: -]")
NAMESPACE_MAX_CHARS = 255


class DenyReason:
    """``Reason`` values of ``Denied``: the handler's ``denyReason`` (camelCase) and API
    Gateway's own response types from the access log (UPPER_CASE).

    "Not granted" is counted at the gateway: with IAM authorization, a signed caller whose
    identity policies allow no ``execute-api:Invoke`` on the route is refused by API Gateway
    with ``ACCESS_DENIED`` before the Lambda runs. The resource policy's deny of a signed
    caller outside the allow-list is ``ACCESS_DENIED`` too, and the access log does not say
    which of the two refused, so ``NOT_GRANTED`` counts both.
    """

    # The handler's (lambda/presigned_url/contract.py, the one copy).
    OUTSIDE_ALLOW_LIST = contract.DENY_OUTSIDE_ALLOW_LIST
    NO_SOURCE_IP = contract.DENY_NO_SOURCE_IP
    NO_IDENTITY = contract.DENY_NO_IDENTITY
    NOT_ENTITLED = contract.DENY_NOT_ENTITLED
    CROSS_ORIGIN = contract.DENY_CROSS_ORIGIN  # a portal POST from another site's page
    NOT_GRANTED = "ACCESS_DENIED"
    WAF_BLOCKED = "WAF_FILTERED"
    UNSIGNED = "MISSING_AUTHENTICATION_TOKEN"
    BAD_SIGNATURE = "INVALID_SIGNATURE"
    EXPIRED_CREDENTIALS = "EXPIRED_TOKEN"


P = logs.FilterPattern


def _one_of(field: str, *values: str) -> logs.IFilterPattern:
    """``field`` equal to any of ``values``."""
    return P.any(*(P.string_value(field, "=", value) for value in values))


@dataclass(frozen=True)
class MetricSource:
    """One metric filter: which log it reads, what it matches, what it publishes."""

    log: str  # "audit" (the function's log group), "access" (API Gateway's), "notebook"
    pattern: logs.IFilterPattern
    value: str = "1"
    dimensions: Mapping[str, str] = field(default_factory=dict)
    unit: cloudwatch.Unit | None = None


_AUDIT_403 = P.number_value("$.status", "=", 403)
_HAS_DENY_REASON = P.exists("$.denyReason")
# The access log writes "-" for a context variable that has no value (here: the error
# type of a response the integration gave, such as a handler 403).
_GATEWAY_403 = P.all(
    P.string_value("$.status", "=", "403"), P.string_value("$.errorType", "!=", "-")
)

API_METRICS: dict[str, tuple[MetricSource, ...]] = {
    # A URL was minted: an ok outcome that carries the session length it was minted for.
    # Route-independent, so the browser routes (portal-open) count as they mint.
    "UrlsMinted": (
        MetricSource(
            "audit",
            P.all(
                P.string_value("$.outcome", "=", "ok"),
                P.number_value("$.sessionDurationSeconds", ">", 0),
            ),
        ),
    ),
    "Denied": (
        MetricSource("audit", P.all(_AUDIT_403, _HAS_DENY_REASON)),
        MetricSource("access", _GATEWAY_403),
    ),
    "DeniedByReason": (
        MetricSource(
            "audit", P.all(_AUDIT_403, _HAS_DENY_REASON), dimensions={"Reason": "$.denyReason"}
        ),
        MetricSource("access", _GATEWAY_403, dimensions={"Reason": "$.errorType"}),
    ),
    # The resource policy let these callers in, so they are inside the allow-list: any
    # handler 403 but outsideAllowList (notEntitled, noIdentity, noSourceIp, new reasons).
    "DeniedInsideAllowList": (
        MetricSource(
            "audit",
            P.all(
                _AUDIT_403,
                _HAS_DENY_REASON,
                P.string_value("$.denyReason", "!=", DenyReason.OUTSIDE_ALLOW_LIST),
            ),
        ),
    ),
    "NotInService": (
        MetricSource("audit", P.string_value("$.outcome", "=", "NotebookNotInService")),
    ),
    "UpstreamErrors": (
        MetricSource(
            "audit",
            _one_of("$.outcome", "UpstreamError", "UpstreamTimeout"),
        ),
    ),
    # Told to retry: SageMaker throttled the handler (503), or the stage throttled the caller.
    "Throttled": (
        MetricSource("audit", P.string_value("$.outcome", "=", "Throttled")),
        MetricSource(
            "access",
            _one_of("$.errorType", "THROTTLED", "QUOTA_EXCEEDED"),
        ),
    ),
    "Latency": (
        MetricSource(
            "audit",
            P.number_value("$.durationMs", ">=", 0),
            value="$.durationMs",
            unit=cloudwatch.Unit.MILLISECONDS,
        ),
    ),
}

_CHECK_LINE = P.string_value("$.event", "=", "idle-stop")
_NAMES_NOTEBOOK = P.exists("$.notebook")
_BY_NOTEBOOK = {"NotebookInstanceName": "$.notebook"}
NOTEBOOK_METRICS: dict[str, tuple[MetricSource, ...]] = {
    # The checker writes one line per check; "stop" when it stopped the notebook. These lines
    # are the notebook role's to write, so the count is the notebook user's word: fine for a
    # dashboard, not for an alarm (RunningMinutes comes from NotebookWatch instead).
    "IdleStops": (
        MetricSource(
            "notebook",
            P.all(_CHECK_LINE, _NAMES_NOTEBOOK, P.string_value("$.action", "=", "stop")),
            dimensions=_BY_NOTEBOOK,
        ),
    ),
}

# Alarm defaults (documented in docs/operations.md and the README).
DEFAULT_UPSTREAM_ERRORS_PER_5_MINUTES = 5
DEFAULT_DENIALS_PER_5_MINUTES = 10
DEFAULT_DENIAL_PERIODS = 3
DEFAULT_WAF_BLOCKED_PER_5_MINUTES = 100
DEFAULT_FUNCTION_ERRORS_PER_5_MINUTES = 1
DEFAULT_RUNNING_HOURS = 12
RUNNING_HOURS_MAX = 24
# Minutes of running in a clock hour that count as "ran the whole hour": 12 checks make
# 60; 55 forgives one missed check.
FULL_HOUR_MINUTES = 55
NOT_BREACHING = cloudwatch.TreatMissingData.NOT_BREACHING


def namespace_for(scope: Construct, *, per_construct: bool) -> str:
    """``SageMakerNotebookAccess/<stack name>[/<path in the stack>]``.

    Stack names are unique in an account and region, so two stacks never publish into one
    namespace (two filters counting one line twice); the path keeps two APIs of one stack
    apart. Stack names have no ``/``, so a notebook namespace never equals an API's.
    """
    stack = Stack.of(scope)
    namespace = f"{NAMESPACE_ROOT}/{stack.stack_name}"
    if per_construct:
        relative = scope.node.path[len(stack.node.path) :].strip("/")
        namespace += "/" + _NAMESPACE_UNSAFE.sub("_", relative)
    if len(namespace) > NAMESPACE_MAX_CHARS:
        namespace = f"{NAMESPACE_ROOT}/{Names.unique_id(scope)[-200:]}"
    return namespace


def _metric(
    namespace: str,
    name: str,
    *,
    dimensions: Mapping[str, str] | None = None,
    statistic: str = "Sum",
    period: Duration = FIVE_MINUTES,
    unit: cloudwatch.Unit | None = None,
    options: Mapping[str, Any],
) -> cloudwatch.Metric:
    settings: dict[str, Any] = {"statistic": statistic, "period": period, "unit": unit}
    settings.update(options)
    return cloudwatch.Metric(
        namespace=namespace, metric_name=name, dimensions_map=dict(dimensions or {}), **settings
    )


def _add_filters(
    scope: Construct,
    name: str,
    sources: Sequence[MetricSource],
    namespace: str,
    log_groups: Mapping[str, logs.ILogGroup],
) -> list[logs.MetricFilter]:
    made = []
    for source in sources:
        made.append(
            child_singleton(
                scope,
                f"{name}From{source.log.title()}",
                logs.MetricFilter,
                lambda parent, id, source=source: logs.MetricFilter(
                    parent,
                    id,
                    log_group=log_groups[source.log],
                    filter_pattern=source.pattern,
                    metric_namespace=namespace,
                    # DeniedByReason publishes into Denied, with the Reason dimension.
                    metric_name=name.removesuffix("ByReason"),
                    metric_value=source.value,
                    dimensions=dict(source.dimensions) or None,
                    unit=source.unit,
                ),
            )
        )
    return made


class ApiMonitoring:
    """Metrics, alarms and a dashboard for one ``PresignedUrlApi``: a plain factory the
    construct holds and its ``metric_*``, ``add_alarms`` and ``add_dashboard`` delegate to
    (cdk-monitoring-constructs' ``*MetricFactory`` pattern; CDK's metrics guideline keeps the
    one-line ``metric_*`` methods on the construct). It reads the API's
    ``function_log_group``, ``access_log_group``, ``web_acl`` and ``function``."""

    def __init__(self, api: Any) -> None:
        self.api = api

    @property
    def metrics_namespace(self) -> str:
        """The CloudWatch namespace of this API's metrics."""
        return namespace_for(self.api, per_construct=True)

    def _operations_scope(self) -> Construct:
        return child_singleton(self.api, "Operations", Construct)

    def _api_metric(self, name: str, **kwargs: Any) -> cloudwatch.Metric:
        _add_filters(
            self._operations_scope(),
            name,
            API_METRICS[name],
            self.metrics_namespace,
            {"audit": self.api.function_log_group, "access": self.api.access_log_group},
        )
        source = API_METRICS[name][0]
        return _metric(
            self.metrics_namespace, name.removesuffix("ByReason"), unit=source.unit, **kwargs
        )

    def metric_urls_minted(self, **options: Any) -> cloudwatch.Metric:
        """Presigned URLs minted (any route). Default: Sum over 5 minutes."""
        return self._api_metric("UrlsMinted", options=options)

    def metric_denied(self, reason: str | None = None, **options: Any) -> cloudwatch.Metric:
        """403s: all of them, or those of one ``reason`` (a ``DenyReason`` value: the handler's
        ``denyReason``, or API Gateway's response type; ``DenyReason.NOT_GRANTED`` for "not
        granted"). Default: Sum over 5 minutes."""
        if reason is None:
            return self._api_metric("Denied", options=options)
        if not isinstance(reason, str) or not reason:
            raise ValidationError(
                f"reason must be a non-empty DenyReason value, got {reason!r}", self.api
            )
        return self._api_metric("DeniedByReason", dimensions={"Reason": reason}, options=options)

    def metric_denied_inside_allow_list(self, **options: Any) -> cloudwatch.Metric:
        """Handler 403s of callers the resource policy let in (every reason but
        outsideAllowList). Default: Sum over 5 minutes."""
        return self._api_metric("DeniedInsideAllowList", options=options)

    def metric_not_in_service(self, **options: Any) -> cloudwatch.Metric:
        """409 NotebookNotInService: a URL asked for a notebook that is not InService."""
        return self._api_metric("NotInService", options=options)

    def metric_upstream_errors(self, **options: Any) -> cloudwatch.Metric:
        """SageMaker refused, failed or timed out (502 UpstreamError, 504 UpstreamTimeout)."""
        return self._api_metric("UpstreamErrors", options=options)

    def metric_throttled(self, **options: Any) -> cloudwatch.Metric:
        """Callers told to retry: SageMaker throttling (503) and stage throttling (429)."""
        return self._api_metric("Throttled", options=options)

    def metric_latency(self, **options: Any) -> cloudwatch.Metric:
        """The handler's time per request (``durationMs``), in milliseconds. Default: p90
        over 5 minutes."""
        return self._api_metric("Latency", statistic="p90", options=options)

    def metric_waf_blocked_requests(self, **options: Any) -> cloudwatch.Metric:
        """Requests the web ACL blocked (``AWS/WAFV2`` ``BlockedRequests``, all rules)."""
        visibility = self.api.web_acl.web_acl.visibility_config
        return _metric(
            "AWS/WAFV2",
            "BlockedRequests",
            dimensions={
                "WebACL": visibility.metric_name,
                "Rule": "ALL",
                "Region": Stack.of(self.api).region,
            },
            options=options,
        )

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
        with validating(self.api):
            for prop, value in (
                ("upstream_errors_per_5_minutes", upstream_errors_per_5_minutes),
                ("denials_per_5_minutes", denials_per_5_minutes),
                ("waf_blocked_per_5_minutes", waf_blocked_per_5_minutes),
                ("function_errors_per_5_minutes", function_errors_per_5_minutes),
            ):
                validate_int_range(value, prop=prop, minimum=1, maximum=1_000_000)
            validate_int_range(denial_periods, prop="denial_periods", minimum=1, maximum=288)
        scope = self._operations_scope()
        # Either series has datapoints only in periods with a matching line; FILL makes a
        # period with only one kind of denial still add up ("Using metric math", CloudWatch
        # user guide: FILL fills a series' missing values).
        denials = cloudwatch.MathExpression(
            expression="FILL(inside, 0) + FILL(notGranted, 0)",
            using_metrics={
                "inside": self.metric_denied_inside_allow_list(),
                "notGranted": self.metric_denied(DenyReason.NOT_GRANTED),
            },
            period=FIVE_MINUTES,
            label="Denials of signed callers",
        )
        alarms = [
            _alarm(
                self.metric_upstream_errors(),
                scope,
                "UpstreamErrorsAlarm",
                f"{self.api.node.path}: SageMaker errors and timeouts",
                threshold=upstream_errors_per_5_minutes,
            ),
            _alarm(
                denials,
                scope,
                "SustainedDenialsAlarm",
                (
                    f"{self.api.node.path}: callers inside the allow-list (or signed callers the "
                    "gateway refused) keep getting 403"
                ),
                threshold=denials_per_5_minutes,
                periods=denial_periods,
            ),
            _alarm(
                self.metric_waf_blocked_requests(),
                scope,
                "WafBlocksAlarm",
                f"{self.api.node.path}: the web ACL blocks a spike of requests",
                threshold=waf_blocked_per_5_minutes,
            ),
            # Lambda's Errors: invocations that ended in a function error, a timeout
            # included ("Types of metrics for Lambda functions", Lambda developer guide).
            _alarm(
                self.api.function.metric_errors(period=FIVE_MINUTES, statistic="Sum"),
                scope,
                "FunctionErrorsAlarm",
                f"{self.api.node.path}: the function crashed or timed out (no audit line)",
                threshold=function_errors_per_5_minutes,
            ),
        ]
        _notify(alarms, topic)
        return alarms

    def add_dashboard(
        self,
        *,
        dashboard_name: str | None = None,
        notebooks: Sequence[Any] = (),
    ) -> cloudwatch.Dashboard:
        """A CloudWatch dashboard of this API and of ``notebooks`` (their running hours and
        idle stops). Default name: CloudFormation's."""
        scope = self._operations_scope()
        reasons = cloudwatch.MathExpression(
            expression=(
                f"SEARCH('{{{self.metrics_namespace},Reason}} MetricName=\"Denied\"', 'Sum', 300)"
            ),
            using_metrics={},
            label="",
            period=FIVE_MINUTES,
        )
        # The search only finds what has data: make sure the by-reason filters exist.
        self.metric_denied(DenyReason.NOT_GRANTED)
        latency = [
            self.metric_latency(statistic=statistic, label=statistic)
            for statistic in ("p50", "p90", "p99")
        ]
        dashboard = cloudwatch.Dashboard(scope, "Dashboard", dashboard_name=dashboard_name)
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="URLs minted and notebooks not in service",
                left=[
                    self.metric_urls_minted(label="URLs minted"),
                    self.metric_not_in_service(label="not InService (409)"),
                ],
            ),
            cloudwatch.GraphWidget(title="403 by reason", left=[reasons]),
            cloudwatch.GraphWidget(
                title="Errors and throttling",
                left=[
                    self.metric_upstream_errors(label="SageMaker errors (502/504)"),
                    self.metric_throttled(label="throttled (429/503)"),
                    self.metric_waf_blocked_requests(label="WAF blocked"),
                ],
            ),
            cloudwatch.GraphWidget(title="Handler latency (ms)", left=latency),
        )
        for notebook in notebooks:
            dashboard.add_widgets(
                cloudwatch.GraphWidget(
                    title=f"Notebook {notebook.node.path}",
                    left=[notebook.metric_running_hours(label="running hours")],
                    right=[notebook.metric_idle_stops(label="idle stops")],
                )
            )
        return dashboard


class NotebookMonitoring:
    """Metrics and alarms for one ``NotebookInstance``: a plain factory the construct holds
    and its ``metric_*`` and ``add_alarms`` delegate to.

    - ``RunningMinutes`` comes from SageMaker's own view: the stack's ``NotebookWatch``
      describes the notebook every 5 minutes and publishes 5 while it is ``InService``.
      Nothing a notebook user holds can write or stop it, so the running-too-long alarm
      rests on it.
    - ``IdleStops`` comes from the idle-stop checker's lines in SageMaker's notebook log
      group, through a metric filter. A filter on a group that does not exist fails to
      create, and SageMaker creates the group only when a notebook's first lines arrive,
      asynchronously. So the OnStart script creates it (CreateLogGroup, "already exists"
      being success; the stack neither owns nor deletes the group, which every notebook of
      the region shares), and SageMaker reports a notebook ``InService`` only after OnStart
      has finished ("If a script runs for longer than 5 minutes, it fails and the notebook
      instance is not created or started", SageMaker developer guide, lifecycle
      configurations): the filters wait for the notebook (``DependsOn``).
    """

    def __init__(self, notebook: Any) -> None:
        self.notebook = notebook

    def _notebook_metric(self, name: str, **kwargs: Any) -> cloudwatch.Metric:
        if self.notebook.lifecycle_config is None:
            raise ValidationError(
                f"notebook metric {name} comes from the idle-stop checker, which "
                "idle_timeout_minutes=None turns off; set idle_timeout_minutes (5..1440)",
                self.notebook,
            )
        filters = stack_singleton(self.notebook, "NotebookMetricFilters", Construct)
        log_group = filters.node.try_find_child("LogGroup") or logs.LogGroup.from_log_group_name(
            filters, "LogGroup", NOTEBOOK_LOG_GROUP
        )
        namespace = namespace_for(self.notebook, per_construct=False)
        made = _add_filters(
            filters, name, NOTEBOOK_METRICS[name], namespace, {"notebook": log_group}
        )
        for metric_filter in made:
            metric_filter.node.add_dependency(self.notebook.cfn_notebook_instance)
        return _metric(
            namespace,
            name,
            dimensions={"NotebookInstanceName": self.notebook.notebook_instance_name},
            period=ONE_HOUR,
            **kwargs,
        )

    def metric_idle_stops(self, **options: Any) -> cloudwatch.Metric:
        """Times the idle-stop checker stopped this notebook (from the checker's own lines,
        which the notebook's users could also write). Default: Sum per hour."""
        return self._notebook_metric("IdleStops", options=options)

    def metric_running_minutes(self, **options: Any) -> cloudwatch.Metric:
        """Minutes SageMaker reported this notebook ``InService`` (5 per check of the stack's
        notebook watch, every 5 minutes). Default: Sum per hour, so a whole hour is 60."""
        namespace = namespace_for(self.notebook, per_construct=False)
        NotebookWatch.of(
            self.notebook, namespace=namespace, vpc=self.notebook.vpc, subnet=self.notebook.subnet
        ).watch(self.notebook.notebook_instance_name, self.notebook.notebook_instance_arn)
        return _metric(
            namespace,
            "RunningMinutes",
            dimensions={"NotebookInstanceName": self.notebook.notebook_instance_name},
            period=ONE_HOUR,
            options=options,
        )

    def metric_running_hours(self, **options: Any) -> cloudwatch.MathExpression:
        """``metric_running_minutes`` in hours (per hour: 1.0 for a whole hour)."""
        return cloudwatch.MathExpression(
            expression="minutes / 60",
            using_metrics={"minutes": self.metric_running_minutes()},
            period=options.pop("period", ONE_HOUR),
            **options,
        )

    def add_alarms(
        self, topic: sns.ITopic, *, running_hours: int = DEFAULT_RUNNING_HOURS
    ) -> list[cloudwatch.Alarm]:
        """An alarm that notifies ``topic`` when this notebook has run ``running_hours``
        (1..24, default 12) whole clock hours in a row (at least 55 running minutes in each):
        it fires between ``running_hours`` and one hour more after the notebook started.

        It reads ``metric_running_minutes``: SageMaker's status of the notebook, published by
        the stack's notebook watch, so it holds with idle stop off and no notebook user can
        fake or silence it. The watch's own two alarms (failing; not running) come with it,
        once per stack, and are returned after this notebook's."""
        with validating(self.notebook):
            validate_int_range(
                running_hours, prop="running_hours", minimum=1, maximum=RUNNING_HOURS_MAX
            )
        # A stopped notebook writes no check lines: no data is "not running".
        alarm = _alarm(
            self.metric_running_minutes(),
            self.notebook,
            "RunningTooLongAlarm",
            f"Notebook {self.notebook.node.path} has run {running_hours} hours in a row",
            threshold=FULL_HOUR_MINUTES,
            periods=running_hours,
        )
        _notify([alarm], topic)
        watch = NotebookWatch.of(
            self.notebook,
            namespace=namespace_for(self.notebook, per_construct=False),
            vpc=self.notebook.vpc,
            subnet=self.notebook.subnet,
        )
        return [alarm, *watch.add_alarms(topic)]


def _alarm(
    metric: cloudwatch.IMetric,
    scope: Construct,
    id: str,
    description: str,
    *,
    threshold: float,
    periods: int = 1,
) -> cloudwatch.Alarm:
    """``metric`` at or above ``threshold`` in ``periods`` periods in a row. Missing data is
    not breaching: no traffic, or a stopped notebook writing no lines, is not an alarm."""
    return metric.create_alarm(
        scope,
        id,
        alarm_description=description,
        threshold=threshold,
        evaluation_periods=periods,
        treat_missing_data=NOT_BREACHING,
    )


def _notify(alarms: Sequence[cloudwatch.Alarm], topic: sns.ITopic) -> None:
    action = cloudwatch_actions.SnsAction(topic)
    for alarm in alarms:
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)


__all__ = ["ApiMonitoring", "DenyReason", "NotebookMonitoring", "namespace_for"]
