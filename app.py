#!/usr/bin/env python3
"""Demo app: one stack with an IP-restricted notebook, settings from cdk.json context.

Override on the command line, e.g. `cdk synth -c allowedCidrs=198.51.100.0/24,2001:db8::/32`
or `-c 'allowedCidrs=["198.51.100.0/24"]'`. The default in cdk.json is a documentation
range: the library warns (sagemaker-notebook-access:placeholder-cidrs) until it is replaced.
"""

from __future__ import annotations

import json

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from compliance import (
    acknowledge_demo,
    exit_on_findings,
    register_control_tower,
    register_nag_packs,
)
from sagemaker_notebook_access import IpRestrictedNotebook


def parse_cidr_context(value: object) -> list[str]:
    """Context arrives as a list (cdk.json) or a string (-c): comma-separated or JSON."""
    if isinstance(value, list):
        return _cidr_strings(value)
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError:
                raise ValueError(
                    f"allowedCidrs {value!r} is not valid JSON; write "
                    "'[\"203.0.113.0/24\"]' or a comma-separated list"
                ) from None
            return _cidr_strings(parsed)
        return [part.strip() for part in text.split(",") if part.strip()]
    raise ValueError(
        f"allowedCidrs must be a list or a comma-separated string of CIDRs, got {value!r}"
    )


def _cidr_strings(items: list) -> list[str]:
    if not all(isinstance(item, str) for item in items):
        raise ValueError(f"allowedCidrs entries must be CIDR strings, got {items!r}")
    return [item.strip() for item in items]


def context_flag(app: cdk.App, key: str, default: bool) -> bool:
    value = app.node.try_get_context(key)
    if value is None:
        return default
    return str(value).strip().lower() not in ("false", "0", "no", "off")


class NotebookAccessStack(cdk.Stack):
    """The demo: a notebook, its API, and a group of users allowed to open it."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        allowed_cidrs: list[str],
        notebook_instance_name: str | None,
        **kwargs,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        access = IpRestrictedNotebook(
            self,
            "Notebook",
            allowed_cidrs=allowed_cidrs,
            notebook_instance_name=notebook_instance_name,
        )
        users = iam.Group(self, "NotebookUsers")
        acknowledge_demo(
            users,
            "HIPAA.Security::HIPAA.Security-IAMGroupHasUsers",
            "PCI.DSS.321::PCI.DSS.321-IAMGroupHasUsers",
            "cdk-validator-cfnguard::iam_inline_policy_no_statements_with_admin_access_check",
            "cdk-validator-cfnguard::iam_inline_policy_no_statements_with_full_access_check",
        )
        access.grant_open(users)
        access.ip_policy.attach_to_group(users)

        name = access.notebook.notebook_instance_name
        cdk.CfnOutput(
            self, "ApiUrl", value=access.api.url, description="Presigned URL API stage URL"
        )
        cdk.CfnOutput(self, "NotebookName", value=name, description="Notebook instance name")
        cdk.CfnOutput(
            self,
            "NotebookUsersGroup",
            value=users.group_name,
            description="Add IAM users to this group to let them open the notebook",
        )
        cdk.CfnOutput(
            self,
            "OpenNotebookCommand",
            value=cdk.Fn.join("", ["notebook-url --stack-name ", self.stack_name, " ", name]),
            description="Open the notebook (needs AWS credentials of a NotebookUsers member)",
        )


def main() -> None:
    app = cdk.App()
    cidrs = parse_cidr_context(app.node.try_get_context("allowedCidrs") or "")
    name = app.node.try_get_context("notebookInstanceName") or None
    NotebookAccessStack(
        app,
        "SageMakerNotebookAccess",
        allowed_cidrs=cidrs,
        notebook_instance_name=name,
        description="IP-restricted SageMaker notebook with a presigned-URL API",
    )
    # cdk-nag v3 packs: on by default; `-c nag=false` skips them.
    if context_flag(app, "nag", default=True):
        register_nag_packs(app)
    # AWS Control Tower's proactive controls (cdk-validator-cfnguard, a dev requirement):
    # off by default (cdk.json), `-c controlTower=true` runs them.
    control_tower = context_flag(app, "controlTower", default=False)
    if control_tower:
        register_control_tower(app)
    assembly = app.synth()
    if control_tower:
        exit_on_findings(assembly)


if __name__ == "__main__":
    main()
