"""Notebook watch: how long each watched notebook has been running, from SageMaker's view.

Every few minutes (an EventBridge schedule) it describes each watched notebook and, for each
one SageMaker reports ``InService``, writes one CloudWatch embedded-metric-format line:
``RunningMinutes`` = the schedule's period, with the dimension ``NotebookInstanceName``.
CloudWatch turns such a line into the metric itself ("Specification: Embedded metric
format", CloudWatch user guide), so the function needs no ``PutMetricData``.

Why not the idle-stop checker's lines: they are written by the notebook's own role, which
every notebook user holds, with the notebook's name taken from the line, so a user could
fake another notebook's running time or silence their own. Nobody but this function's role
writes to its log group, and the status is SageMaker's.
"""

from __future__ import annotations

import json
import os
import time

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

RUNNING_STATUS = "InService"
METRIC_NAME = "RunningMinutes"
DIMENSION = "NotebookInstanceName"
# Short timeouts: one slow call must not eat the run (the function has 60 seconds).
_sagemaker = boto3.client(
    "sagemaker",
    config=Config(
        retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=10
    ),
)
# Left for the rest of the run when it stops describing (one call's worst case and more).
RESERVE_MILLIS = 15_000


class NotebooksNotDescribed(Exception):
    """Some watched notebooks could not be described; Lambda counts the run as an error."""


def watched_names(environ: dict[str, str]) -> list[str]:
    return [name for name in environ.get("NOTEBOOK_NAMES", "").split(",") if name]


def metric_line(namespace: str, name: str, minutes: int, now_ms: int) -> str:
    return json.dumps(
        {
            "_aws": {
                "Timestamp": now_ms,
                "CloudWatchMetrics": [
                    {
                        "Namespace": namespace,
                        "Dimensions": [[DIMENSION]],
                        "Metrics": [{"Name": METRIC_NAME, "Unit": "None"}],
                    }
                ],
            },
            DIMENSION: name,
            METRIC_NAME: minutes,
        },
        separators=(",", ":"),
    )


def _is_gone(error: ClientError) -> bool:
    # A deleted notebook: ValidationException with "RecordNotFound" in the message, which the
    # API reference does not document; terraform-provider-aws tests DescribeNotebookInstance
    # errors the same way (ErrMessageContains(err, "ValidationException", "RecordNotFound")).
    # Not running, and nothing to alarm about.
    message = error.response.get("Error", {}).get("Message", "")
    return _code(error) == "ValidationException" and "RecordNotFound" in message


def handler(event: dict, context: object) -> dict:
    namespace = os.environ["METRICS_NAMESPACE"]
    minutes = int(os.environ["PERIOD_MINUTES"])
    now_ms = int(time.time() * 1000)
    running, failed = [], []
    names = watched_names(os.environ)
    for index, name in enumerate(names):
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        if remaining is not None and remaining() < RESERVE_MILLIS:
            failed.extend(names[index:])  # not described this run: counted as failures
            print(json.dumps({"level": "ERROR", "error": "OutOfTime", "left": len(failed)}))
            break
        try:
            status = _sagemaker.describe_notebook_instance(NotebookInstanceName=name)[
                "NotebookInstanceStatus"
            ]
        except ClientError as error:
            if _is_gone(error):
                continue
            failed.append(name)
            print(json.dumps({"level": "ERROR", "notebook": name, "error": _code(error)}))
            continue
        except BotoCoreError as error:
            failed.append(name)
            print(json.dumps({"level": "ERROR", "notebook": name, "error": type(error).__name__}))
            continue
        if status == RUNNING_STATUS:
            running.append(name)
            print(metric_line(namespace, name, minutes, now_ms))
    if failed:
        # An error of this run (Lambda's Errors metric, which the watch's alarm reads); the
        # function is never retried (its MaximumRetryAttempts is 0), so no line is counted
        # twice.
        raise NotebooksNotDescribed(f"{len(failed)} watched notebooks could not be described")
    return {"running": len(running)}


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", "Unknown"))
