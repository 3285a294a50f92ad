#!/usr/bin/env python3
"""Notebooks in member accounts behind one hub API: a CDK app with one stage per account.

The hub stage (the platform account) holds the API; each spoke stage (a member account)
holds a `NotebookAccessSpoke` and a notebook it serves. Rollout, bootstrap and the trust:
docs/spokes.md. Accounts from context:

    cdk synth -c hubAccount=111122223333 -c spokeAccounts=444455556666,777788889999 \\
        -c region=eu-west-1 -c hubEndpointId=vpce-0123456789abcdef0

`hubEndpointId` is the hub's SageMaker API endpoint, known only once the hub is deployed
(its `HubEndpointId` output): deploy `Hub/*` first, then the spokes with it.
"""

from __future__ import annotations

import os

import aws_cdk as cdk
from constructs import Construct

from sagemaker_notebook_access import (
    NotebookAccessHub,
    NotebookAccessSpoke,
    NotebookInstance,
    PresignedUrlApi,
    PrivateVpc,
)

ALLOWED = ["198.51.100.0/24"]
# The hub's serving id: the tag value of every served notebook, in every account, and what
# the spoke role's name is derived from. Fixed here, so no construct path can change it.
SERVING_ID = "research-notebooks"
# AWS's documentation account ids, placeholders for `-c spokeAccounts=...`.
PLACEHOLDER_SPOKES = "444455556666,777788889999"
# Fail-closed until the real id is given: the spoke role's deny exempts only this endpoint,
# so the hub's calls (through its real endpoint) are refused.
PLACEHOLDER_ENDPOINT = "vpce-00000000000000000"


class HubStack(cdk.Stack):
    """The platform account: the API in a private VPC, minting in the spoke accounts."""

    def __init__(self, scope: Construct, id: str, *, spoke_accounts: list[str], **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        vpc = PrivateVpc(self, "Vpc")
        api = PresignedUrlApi(
            self, "Api", vpc=vpc, allowed_cidrs=ALLOWED, serving_tag_value=SERVING_ID
        )
        self.hub = NotebookAccessHub(self, "Hub", api=api, spoke_accounts=spoke_accounts)
        cdk.CfnOutput(self, "ApiUrl", value=api.url)
        cdk.CfnOutput(
            self,
            "HubEndpointId",
            value=api.endpoint.vpc_endpoint_id,
            description="pass to the spoke stages: cdk deploy -c hubEndpointId=<this>",
        )


class SpokeStack(cdk.Stack):
    """A member account: the role the hub assumes, and a notebook served through it."""

    def __init__(
        self, scope: Construct, id: str, *, hub: HubStack, hub_endpoint_id: str, **kwargs
    ) -> None:
        super().__init__(scope, id, **kwargs)
        # The hub's values; its function role's ARN by the name CDK generates for it (no
        # export crosses accounts). The endpoint has no name to generate: from context.
        spoke = NotebookAccessSpoke(
            self, "Spoke", **{**hub.hub.spoke_settings, "hub_endpoint_id": hub_endpoint_id}
        )
        notebook = NotebookInstance(
            self, "Notebook", vpc=PrivateVpc(self, "Vpc"), notebook_instance_name="analysis"
        )
        spoke.serve(notebook)  # the hub opens it as "<this account>:analysis"
        if hub_endpoint_id == PLACEHOLDER_ENDPOINT:
            cdk.Annotations.of(self).add_warning_v2(
                "spoke-stages:placeholder-endpoint",
                "no -c hubEndpointId: the spoke trusts a placeholder endpoint and refuses "
                "every URL the hub asks for. Deploy Hub/* first, then pass its HubEndpointId "
                "output: cdk deploy 'Spoke-*/*' -c hubEndpointId=vpce-...",
            )


def context_list(app: cdk.App, key: str, default: str) -> list[str]:
    value = app.node.try_get_context(key) or default
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def build(app: cdk.App, env: cdk.Environment | None = None) -> list[cdk.Stack]:
    hub_account = app.node.try_get_context("hubAccount") or (env and env.account)
    region = app.node.try_get_context("region") or (env and env.region)
    if not hub_account or not region:
        raise SystemExit(
            "spoke_stages: give the hub's account and region (-c hubAccount=... -c region=... "
            "or credentials for CDK_DEFAULT_ACCOUNT/CDK_DEFAULT_REGION): stacks of "
            "different accounts can refer to each other only with both known"
        )
    # One region for all: the hub reaches SageMaker only through its own region's endpoint.
    accounts = context_list(app, "spokeAccounts", PLACEHOLDER_SPOKES)
    hub_stage = cdk.Stage(app, "Hub", env=cdk.Environment(account=hub_account, region=region))
    hub = HubStack(hub_stage, "NotebookAccessHub", spoke_accounts=accounts)
    endpoint_id = app.node.try_get_context("hubEndpointId") or PLACEHOLDER_ENDPOINT
    stacks: list[cdk.Stack] = [hub]
    for account in accounts:
        stage = cdk.Stage(
            app, f"Spoke-{account}", env=cdk.Environment(account=account, region=region)
        )
        stacks.append(
            SpokeStack(stage, "NotebookAccessSpoke", hub=hub, hub_endpoint_id=endpoint_id)
        )
    return stacks


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
