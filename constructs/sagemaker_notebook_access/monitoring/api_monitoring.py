"""ApiMonitoring: metrics, alarms and a dashboard for one PresignedUrlApi (metric_sources
says where each metric comes from)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sns as sns
from constructs import Construct

from ..singleton import child_singleton
from ..validation import ValidationError, validate_int_range, validating
from .alarms import (
    DEFAULT_DENIAL_PERIODS,
    DEFAULT_DENIALS_PER_5_MINUTES,
    DEFAULT_FUNCTION_ERRORS_PER_5_MINUTES,
    DEFAULT_UPSTREAM_ERRORS_PER_5_MINUTES,
    DEFAULT_WAF_BLOCKED_PER_5_MINUTES,
    notify,
    threshold_alarm,
)
from .metric_sources import (
    API_METRICS,
    FIVE_MINUTES,
    DenyReason,
    add_filters,
    metric,
    namespace_for,
)


@dataclass(frozen=True)
class ApiAlarmThresholds:
    """``add_alarms``' thresholds, each per 5-minute period, checked before any alarm exists."""

    upstream_errors_per_5_minutes: int
    denials_per_5_minutes: int
    denial_periods: int
    waf_blocked_per_5_minutes: int
    function_errors_per_5_minutes: int

    def check(self, scope: Construct) -> None:
        with validating(scope):
            for prop in (
                "upstream_errors_per_5_minutes",
                "denials_per_5_minutes",
                "waf_blocked_per_5_minutes",
                "function_errors_per_5_minutes",
            ):
                validate_int_range(getattr(self, prop), prop=prop, minimum=1, maximum=1_000_000)
            validate_int_range(self.denial_periods, prop="denial_periods", minimum=1, maximum=288)


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
        add_filters(
            self._operations_scope(),
            name,
            API_METRICS[name],
            self.metrics_namespace,
            {"audit": self.api.function_log_group, "access": self.api.access_log_group},
        )
        source = API_METRICS[name][0]
        return metric(
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
        return metric(
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
        """``PresignedUrlApi.add_alarms``, whose docstring gives the alarms and thresholds."""
        thresholds = ApiAlarmThresholds(
            upstream_errors_per_5_minutes=upstream_errors_per_5_minutes,
            denials_per_5_minutes=denials_per_5_minutes,
            denial_periods=denial_periods,
            waf_blocked_per_5_minutes=waf_blocked_per_5_minutes,
            function_errors_per_5_minutes=function_errors_per_5_minutes,
        )
        thresholds.check(self.api)
        alarms = self._alarms(thresholds)
        notify(alarms, topic)
        return alarms

    def _signed_denials(self) -> cloudwatch.MathExpression:
        """Handler 403s inside the allow-list plus the gateway's "not granted", per period."""
        # Either series has datapoints only in periods with a matching line; FILL makes a
        # period with only one kind of denial still add up ("Using metric math", CloudWatch
        # user guide: FILL fills a series' missing values).
        return cloudwatch.MathExpression(
            expression="FILL(inside, 0) + FILL(notGranted, 0)",
            using_metrics={
                "inside": self.metric_denied_inside_allow_list(),
                "notGranted": self.metric_denied(DenyReason.NOT_GRANTED),
            },
            period=FIVE_MINUTES,
            label="Denials of signed callers",
        )

    def _alarms(self, thresholds: ApiAlarmThresholds) -> list[cloudwatch.Alarm]:
        """The four alarms of ``add_alarms``, not yet wired to a topic."""
        scope = self._operations_scope()
        path = self.api.node.path
        denials = self._signed_denials()
        return [
            threshold_alarm(
                self.metric_upstream_errors(),
                scope,
                "UpstreamErrorsAlarm",
                f"{path}: SageMaker errors and timeouts",
                threshold=thresholds.upstream_errors_per_5_minutes,
            ),
            threshold_alarm(
                denials,
                scope,
                "SustainedDenialsAlarm",
                (
                    f"{path}: callers inside the allow-list (or signed callers the "
                    "gateway refused) keep getting 403"
                ),
                threshold=thresholds.denials_per_5_minutes,
                periods=thresholds.denial_periods,
            ),
            threshold_alarm(
                self.metric_waf_blocked_requests(),
                scope,
                "WafBlocksAlarm",
                f"{path}: the web ACL blocks a spike of requests",
                threshold=thresholds.waf_blocked_per_5_minutes,
            ),
            # Lambda's Errors: invocations that ended in a function error, a timeout
            # included ("Types of metrics for Lambda functions", Lambda developer guide).
            threshold_alarm(
                self.api.function.metric_errors(period=FIVE_MINUTES, statistic="Sum"),
                scope,
                "FunctionErrorsAlarm",
                f"{path}: the function crashed or timed out (no audit line)",
                threshold=thresholds.function_errors_per_5_minutes,
            ),
        ]

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
