#!/usr/bin/env python3
"""Operate it: alarms to the platform team's topic and a dashboard.

Every metric, threshold and what each alarm means: docs/operations.md.
"""

from __future__ import annotations

import os

import aws_cdk as cdk
from aws_cdk import aws_sns as sns
from constructs import Construct

from sagemaker_notebook_access import IpRestrictedNotebook


class MonitoredNotebookStack(cdk.Stack):
    def __init__(self, scope: Construct, id: str, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        notebook = IpRestrictedNotebook(
            self, "Notebook", allowed_cidrs=["198.51.100.0/24"], notebook_instance_name="ops"
        )
        # The platform team's topic. If it is KMS-encrypted, its key policy must let
        # cloudwatch.amazonaws.com use the key (kms:Decrypt, kms:GenerateDataKey*).
        topic = sns.Topic.from_topic_arn(
            self, "Alarms", f"arn:aws:sns:{self.region}:{self.account}:platform-alarms"
        )
        notebook.api.add_alarms(topic, upstream_errors_per_5_minutes=3)
        notebook.notebook.add_alarms(topic, running_hours=10)
        notebook.api.add_dashboard(dashboard_name="notebook-access", notebooks=[notebook.notebook])
        cdk.CfnOutput(self, "ApiUrl", value=notebook.api.url)


def build(app: cdk.App, env: cdk.Environment | None = None) -> list[cdk.Stack]:
    return [MonitoredNotebookStack(app, "MonitoredNotebookStack", env=env)]


if __name__ == "__main__":
    app = cdk.App()
    build(
        app,
        cdk.Environment(
            account=os.environ.get("CDK_DEFAULT_ACCOUNT"),
            region=os.environ.get("CDK_DEFAULT_REGION"),
        ),
    )
    app.synth()
