"""The notebook watch lists watched names in its function's environment: past Lambda's
4 KiB (the API's budget, api/capacity.py) a further notebook is refused, not deployed."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2

from sagemaker_notebook_access import NotebookInstance, ValidationError
from sagemaker_notebook_access.api.capacity import ENVIRONMENT_LIMIT_BYTES, environment_bytes


def test_watching_past_the_environment_budget_is_refused_with_the_stack_named():
    stack = cdk.Stack(cdk.App(), "Many")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=1, nat_gateways=0)
    notebook = NotebookInstance(stack, "Nb", vpc=vpc, notebook_instance_name="n" * 63)
    notebook.metric_running_minutes()  # makes the stack's watch, watching this notebook
    watch = stack.node.find_child("SageMakerNotebookWatch")
    with pytest.raises(ValidationError, match=r"already watches \d+ notebooks") as refused:
        for index in range(100):
            watch.watch(f"{index:02d}" + "x" * 61, f"arn:aws:sagemaker:::notebook-instance/{index}")
    assert "Many" in str(refused.value)
    names = watch.watched_names
    fixed = {"METRICS_NAMESPACE": watch.namespace, "PERIOD_MINUTES": "5"}
    assert environment_bytes(fixed, [(n, False) for n in names]) <= ENVIRONMENT_LIMIT_BYTES
    one_more = [*names, "y" * 63]
    assert environment_bytes(fixed, [(n, False) for n in one_more]) > ENVIRONMENT_LIMIT_BYTES
