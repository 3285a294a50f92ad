"""Alarm defaults and the one way this package makes and wires an alarm."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_sns as sns
from constructs import Construct

# Alarm defaults (documented in docs/operations.md).
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


def threshold_alarm(
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


def notify(alarms: Sequence[cloudwatch.Alarm], topic: sns.ITopic) -> None:
    action = cloudwatch_actions.SnsAction(topic)
    for alarm in alarms:
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)
