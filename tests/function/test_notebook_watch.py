"""The notebook watch's function (lambda/notebook_watch/handler.py), called as Lambda calls it.

SageMaker is botocore's Stubber on the handler's own client (the statuses a describe
returns). The construct side is in test_operations.py.
"""

from __future__ import annotations

import json
import os

import pytest
from botocore.stub import Stubber

os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
from notebook_watch import handler

from sagemaker_notebook_access.monitoring.notebook_watch import PERIOD_MINUTES

NAMESPACE = "SageMakerNotebookAccess/Team"


@pytest.fixture
def environment(monkeypatch):
    monkeypatch.setenv("METRICS_NAMESPACE", NAMESPACE)
    monkeypatch.setenv("PERIOD_MINUTES", str(PERIOD_MINUTES))
    monkeypatch.setenv("NOTEBOOK_NAMES", "alpha,beta,gone,gamma")


def described(status: str) -> dict:
    return {
        "NotebookInstanceName": "x",
        "NotebookInstanceArn": "arn:aws:sagemaker:eu-west-1:111111111111:notebook-instance/x",
        "NotebookInstanceStatus": status,
    }


def stub_statuses(stubber: Stubber, answers: dict[str, str | tuple[str, str]]) -> None:
    """Each watched name answered in order: a status, or (error code, message)."""
    for name, answer in answers.items():
        if isinstance(answer, tuple):
            code, message = answer
            stubber.add_client_error(
                "describe_notebook_instance",
                service_error_code=code,
                service_message=message,
                expected_params={"NotebookInstanceName": name},
            )
        else:
            stubber.add_response(
                "describe_notebook_instance",
                described(answer),
                expected_params={"NotebookInstanceName": name},
            )


def metric_lines(output: str) -> list[dict]:
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [line for line in lines if "_aws" in line]


def test_only_notebooks_sagemaker_reports_in_service_count_as_running(environment, capsys):
    with Stubber(handler._sagemaker) as stubber:
        stub_statuses(
            stubber,
            {
                "alpha": "InService",
                "beta": "Stopped",
                "gone": ("ValidationException", "RecordNotFound"),
                "gamma": "InService",
            },
        )
        assert handler.handler({"source": "aws.events"}, None) == {"running": 2}
        stubber.assert_no_pending_responses()
    lines = metric_lines(capsys.readouterr().out)
    assert [line["NotebookInstanceName"] for line in lines] == ["alpha", "gamma"]
    for line in lines:
        # The embedded metric format: the directive names the namespace, the dimension set
        # and the metric; their values are top-level members of the same line.
        (directive,) = line["_aws"]["CloudWatchMetrics"]
        assert directive == {
            "Namespace": NAMESPACE,
            "Dimensions": [["NotebookInstanceName"]],
            "Metrics": [{"Name": "RunningMinutes", "Unit": "None"}],
        }
        assert line["RunningMinutes"] == PERIOD_MINUTES
        assert isinstance(line["_aws"]["Timestamp"], int)


def test_a_notebook_that_cannot_be_described_fails_the_run_after_the_others_count(
    environment, capsys
):
    with Stubber(handler._sagemaker) as stubber:
        stub_statuses(
            stubber,
            {
                "alpha": "InService",
                "beta": ("ThrottlingException", "Rate exceeded"),
                "gone": "Stopped",
                "gamma": ("AccessDeniedException", "not authorized"),
            },
        )
        with pytest.raises(handler.NotebooksNotDescribed, match="2 watched notebooks"):
            handler.handler({"source": "aws.events"}, None)
    output = capsys.readouterr().out
    assert [line["NotebookInstanceName"] for line in metric_lines(output)] == ["alpha"]
    errors = [json.loads(line) for line in output.splitlines() if '"ERROR"' in line]
    assert [(e["notebook"], e["error"]) for e in errors] == [
        ("beta", "ThrottlingException"),
        ("gamma", "AccessDeniedException"),
    ]
    assert "not authorized" not in output  # AWS error text stays out of the log


def test_metric_and_dimension_are_what_the_construct_reads():
    import aws_cdk as cdk
    from aws_cdk import aws_ec2 as ec2

    from sagemaker_notebook_access import NotebookInstance

    stack = cdk.Stack(cdk.App(), "Team")
    vpc = ec2.Vpc(stack, "Vpc", nat_gateways=0, max_azs=1)
    notebook = NotebookInstance(stack, "Nb", vpc=vpc, notebook_instance_name="alpha")
    metric = notebook.metric_running_minutes()
    assert metric.metric_name == handler.METRIC_NAME
    assert metric.namespace == NAMESPACE
    assert list(metric.dimensions) == [handler.DIMENSION]


class LambdaContext:
    """Lambda's context object, as far as the handler reads it (a stand-in: no real one
    runs here)."""

    def __init__(self, remaining_millis: int) -> None:
        self.remaining_millis = remaining_millis

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_millis


def test_a_run_out_of_time_stops_describing_and_fails(environment, capsys):
    with Stubber(handler._sagemaker) as stubber:  # no response queued: no call may happen
        with pytest.raises(handler.NotebooksNotDescribed, match="4 watched notebooks"):
            handler.handler({"source": "aws.events"}, LambdaContext(remaining_millis=5_000))
        stubber.assert_no_pending_responses()
    assert metric_lines(capsys.readouterr().out) == []


def test_only_sagemakers_own_not_found_counts_as_deleted(environment):
    """RecordNotFound under another code (a proxy, a new error) is a failure, not 'gone'."""
    with Stubber(handler._sagemaker) as stubber:
        stub_statuses(
            stubber,
            {
                "alpha": ("ValidationException", "RecordNotFound"),
                "beta": ("InternalFailure", "RecordNotFound"),
                "gone": "Stopped",
                "gamma": "Stopped",
            },
        )
        with pytest.raises(handler.NotebooksNotDescribed, match="1 watched notebooks"):
            handler.handler({"source": "aws.events"}, LambdaContext(remaining_millis=60_000))
