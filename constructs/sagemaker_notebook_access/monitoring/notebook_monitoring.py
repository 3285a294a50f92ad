"""NotebookMonitoring: metrics and alarms for one NotebookInstance (metric_sources says
where each metric comes from)."""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from ..limits import NOTEBOOK_LOG_GROUP
from ..singleton import stack_singleton
from ..validation import ValidationError, validate_int_range, validating
from .alarms import (
    DEFAULT_RUNNING_HOURS,
    FULL_HOUR_MINUTES,
    RUNNING_HOURS_MAX,
    notify,
    threshold_alarm,
)
from .metric_sources import NOTEBOOK_METRICS, ONE_HOUR, add_filters, metric, namespace_for
from .notebook_watch import NotebookWatch


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
        made = add_filters(
            filters, name, NOTEBOOK_METRICS[name], namespace, {"notebook": log_group}
        )
        for metric_filter in made:
            metric_filter.node.add_dependency(self.notebook.cfn_notebook_instance)
        return metric(
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
        return metric(
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
        """``NotebookInstance.add_alarms``, whose docstring says what the alarms watch."""
        with validating(self.notebook):
            validate_int_range(
                running_hours, prop="running_hours", minimum=1, maximum=RUNNING_HOURS_MAX
            )
        # A stopped notebook writes no check lines: no data is "not running".
        alarm = threshold_alarm(
            self.metric_running_minutes(),
            self.notebook,
            "RunningTooLongAlarm",
            f"Notebook {self.notebook.node.path} has run {running_hours} hours in a row",
            threshold=FULL_HOUR_MINUTES,
            periods=running_hours,
        )
        notify([alarm], topic)
        watch = NotebookWatch.of(
            self.notebook,
            namespace=namespace_for(self.notebook, per_construct=False),
            vpc=self.notebook.vpc,
            subnet=self.notebook.subnet,
        )
        return [alarm, *watch.add_alarms(topic)]
