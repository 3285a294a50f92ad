#!/usr/bin/env python3
"""A spoke in every account of an organizational unit, by a CloudFormation StackSet.

Run in the organization's management account (or a delegated administrator, with
`-c callAs=DELEGATED_ADMIN`). The StackSet has service-managed permissions and automatic
deployment: an account that joins the OU gets its spoke without anyone running
`cdk deploy`, and one that leaves loses it. Its template is a stack holding only a
`NotebookAccessSpoke`, synthesized here in an App of its own, with the hub's values as
CloudFormation parameters, so one template serves every account. Prerequisites (trusted
access, no bootstrap in the members) and sources: docs/spokes.md.

    cdk deploy -c organizationalUnitIds=ou-ab12-34cd56ef -c regions=eu-west-1 \\
        -c hubAccount=111122223333 -c hubEndpointId=vpce-0123456789abcdef0 \\
        -c hubRoleArn=arn:aws:iam::111122223333:role/<the hub function role's name>
"""

from __future__ import annotations

import json
import os
import re
import tempfile

import aws_cdk as cdk
from aws_cdk import aws_cloudformation as cloudformation
from constructs import Construct

from sagemaker_notebook_access import NotebookAccessSpoke

# CreateStackSet's TemplateBody: 1 to 51,200 bytes (CloudFormation API reference).
TEMPLATE_BODY_MAX_BYTES = 51_200
SERVING_ID = "research-notebooks"  # the hub's serving_tag_value
ALLOWED = ["198.51.100.0/24"]  # the hub's allowed_cidrs
# An OU or the organization root (Organizations API reference, OrganizationalUnit Id).
OU_ID = re.compile(r"ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32}")
# Placeholders, for `cdk synth` without context (AWS's documentation values); the spoke's
# own checks refuse malformed ones, and the endpoint placeholder fails closed.
PLACEHOLDERS = {
    "organizationalUnitIds": "ou-ab12-34cd56ef",
    "hubAccount": "111122223333",
    "hubRoleArn": "arn:aws:iam::111122223333:role/notebook-access-hub-function",
    "hubEndpointId": "vpce-00000000000000000",
}
# A role ARN, path and name of IAM's characters only (CreateRole, IAM API reference): no *
# or ?, which the spoke's ArnEquals trust would honour as wildcards, so that a parameter
# update cannot make every spoke trust every role of the hub account.
ROLE_ARN = r"arn:aws[a-z-]*:iam::[0-9]{12}:role/([A-Za-z0-9_+=,.@-]+/)*[A-Za-z0-9_+=,.@-]{1,64}"
HUB_PARAMETERS = {  # parameter name: (spoke prop, context key, AllowedPattern)
    "HubAccount": ("hub_account", "hubAccount", "[0-9]{12}"),
    "HubRoleArn": ("hub_role_arn", "hubRoleArn", ROLE_ARN),
    "HubEndpointId": ("hub_endpoint_id", "hubEndpointId", "vpce-[0-9a-f]+"),
}


class SpokeTemplateStack(cdk.Stack):
    """What every member account deploys: the spoke alone, the hub's values as parameters.

    No bootstrap in the member accounts: a bootstrapless synthesizer (no assets, no
    BootstrapVersion parameter) and no CDK metadata resource.
    """

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(
            scope, id, synthesizer=cdk.BootstraplessSynthesizer(), analytics_reporting=False
        )
        hub = {
            prop: cdk.CfnParameter(
                self, name, type="String", allowed_pattern=pattern, description=f"the hub's {prop}"
            ).value_as_string
            for name, (prop, _, pattern) in HUB_PARAMETERS.items()
        }
        NotebookAccessSpoke(
            self, "Spoke", **hub, serving_tag_value=SERVING_ID, allowed_cidrs=ALLOWED
        )
        # No CloudFormation rule checks that HubRoleArn is a role of HubAccount: a rule
        # cannot split a string (Fn::Split is not among the rule functions, "Rules",
        # CloudFormation template reference); the values this app passes are checked at
        # synth by building a spoke with them (hub_values).


def spoke_template_body() -> str:
    """The member accounts' template, from an App of its own (its own output directory, so
    it writes nothing into this app's cdk.out), as compact JSON within TemplateBody's limit."""
    app = cdk.App(outdir=tempfile.mkdtemp(prefix="spoke-template-"), analytics_reporting=False)
    stack = SpokeTemplateStack(app, "NotebookAccessSpoke")
    body = json.dumps(
        app.synth().get_stack_by_name(stack.stack_name).template, separators=(",", ":")
    )
    size = len(body.encode("utf-8"))
    if size > TEMPLATE_BODY_MAX_BYTES:
        raise SystemExit(
            f"organization_stackset: the spoke template is {size} bytes, over TemplateBody's "
            f"{TEMPLATE_BODY_MAX_BYTES}: upload it to S3 and pass template_url instead"
        )
    return body


class OrganizationSpokesStack(cdk.Stack):
    """The management (or delegated administrator) account: the StackSet."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        organizational_unit_ids: list[str],
        region: str,
        hub_values: dict[str, str],
        call_as: str = "SELF",
        **kwargs,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        stack_set = cloudformation.CfnStackSet(
            self,
            "Spokes",
            stack_set_name="notebook-access-spokes",
            description="NotebookAccessSpoke in every account of the OUs",
            permission_model="SERVICE_MANAGED",
            call_as=call_as,
            auto_deployment=cloudformation.CfnStackSet.AutoDeploymentProperty(
                enabled=True, retain_stacks_on_account_removal=False
            ),
            capabilities=["CAPABILITY_NAMED_IAM"],  # the spoke role has a name
            template_body=spoke_template_body(),
            parameters=[
                cloudformation.CfnStackSet.ParameterProperty(
                    parameter_key=name, parameter_value=hub_values[name]
                )
                for name in HUB_PARAMETERS
            ],
            stack_instances_group=[
                cloudformation.CfnStackSet.StackInstancesProperty(
                    deployment_targets=cloudformation.CfnStackSet.DeploymentTargetsProperty(
                        organizational_unit_ids=organizational_unit_ids
                    ),
                    regions=[region],
                )
            ],
            operation_preferences=cloudformation.CfnStackSet.OperationPreferencesProperty(
                max_concurrent_percentage=25, failure_tolerance_percentage=10
            ),
        )
        cdk.CfnOutput(self, "StackSetId", value=stack_set.attr_stack_set_id)


def context_list(app: cdk.App, key: str) -> list[str]:
    value = app.node.try_get_context(key) or PLACEHOLDERS.get(key, "")
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def checked_context(app: cdk.App, env: cdk.Environment | None) -> dict:
    """The OUs, the one region and the hub's values from context, refused clearly if wrong."""
    ous = context_list(app, "organizationalUnitIds")
    bad = [ou for ou in ous if not OU_ID.fullmatch(ou)]
    if not ous or bad:
        raise SystemExit(
            f"organization_stackset: organizationalUnitIds {bad or ous!r}: give OU ids such as "
            "ou-ab12-34cd56ef (or the root, r-ab12), comma-separated"
        )
    regions = context_list(app, "regions")
    if not regions and env and env.region:
        regions = [env.region]
    if len(regions) != 1:
        raise SystemExit(
            f"organization_stackset: regions {regions!r}: give exactly one, the hub's. The "
            "spoke role's name is the same in every region and IAM names are global to an "
            "account, and the hub reaches SageMaker only in its own region"
        )
    hub = {
        name: app.node.try_get_context(key) or PLACEHOLDERS[key]
        for name, (_, key, _) in HUB_PARAMETERS.items()
    }
    # The spoke's own checks on the literal values, before they become parameters.
    NotebookAccessSpoke(
        cdk.Stack(cdk.App(), "Check"),
        "Spoke",
        **{HUB_PARAMETERS[name][0]: value for name, value in hub.items()},
        serving_tag_value=SERVING_ID,
        allowed_cidrs=ALLOWED,
    )
    return {"organizational_unit_ids": ous, "region": regions[0], "hub_values": hub}


def build(app: cdk.App, env: cdk.Environment | None = None) -> list[cdk.Stack]:
    settings = checked_context(app, env)
    call_as = app.node.try_get_context("callAs") or "SELF"
    stack = OrganizationSpokesStack(
        app, "NotebookAccessSpokes", call_as=call_as, env=env, **settings
    )
    if settings["hub_values"]["HubEndpointId"] == PLACEHOLDERS["hubEndpointId"]:
        cdk.Annotations.of(stack).add_warning_v2(
            "organization-stackset:placeholder-endpoint",
            "no -c hubEndpointId: the spokes trust a placeholder endpoint and refuse every URL "
            "the hub asks for; pass the hub's SageMaker endpoint id (its HubEndpointId output)",
        )
    return [stack]


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
