"""Operations: CloudWatch metrics, alarms and a dashboard for PresignedUrlApi and
NotebookInstance, importable from here as before.

The parts: where each metric comes from (metric_sources), alarm defaults and wiring
(alarms), the API's factory (api_monitoring), the notebook's (notebook_monitoring).
"""

from __future__ import annotations

from .alarms import (
    DEFAULT_DENIAL_PERIODS,
    DEFAULT_DENIALS_PER_5_MINUTES,
    DEFAULT_FUNCTION_ERRORS_PER_5_MINUTES,
    DEFAULT_RUNNING_HOURS,
    DEFAULT_UPSTREAM_ERRORS_PER_5_MINUTES,
    DEFAULT_WAF_BLOCKED_PER_5_MINUTES,
    FULL_HOUR_MINUTES,
    RUNNING_HOURS_MAX,
)
from .api_monitoring import ApiMonitoring
from .metric_sources import (
    API_METRICS,
    NAMESPACE_ROOT,
    NOTEBOOK_METRICS,
    DenyReason,
    MetricSource,
    namespace_for,
)
from .notebook_monitoring import NotebookMonitoring

__all__ = [
    "API_METRICS",
    "DEFAULT_DENIALS_PER_5_MINUTES",
    "DEFAULT_DENIAL_PERIODS",
    "DEFAULT_FUNCTION_ERRORS_PER_5_MINUTES",
    "DEFAULT_RUNNING_HOURS",
    "DEFAULT_UPSTREAM_ERRORS_PER_5_MINUTES",
    "DEFAULT_WAF_BLOCKED_PER_5_MINUTES",
    "FULL_HOUR_MINUTES",
    "NAMESPACE_ROOT",
    "NOTEBOOK_METRICS",
    "RUNNING_HOURS_MAX",
    "ApiMonitoring",
    "DenyReason",
    "MetricSource",
    "NotebookMonitoring",
    "namespace_for",
]
