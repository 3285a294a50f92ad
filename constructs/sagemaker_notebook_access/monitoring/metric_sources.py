"""Where every metric comes from: the metric filters, their log lines and namespaces.

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
  here (docs/verify-in-your-account.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aws_cdk import Duration, Names, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_logs as logs
from constructs import Construct

from ..lambda_src.presigned_url import contract
from ..singleton import child_singleton

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


def metric(
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


def add_filters(
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
