"""The spoke through the five cdk-nag packs, AWS Control Tower's proactive controls and
cfn-lint.

One App (cdk.json's context, environment-agnostic like the compliance stacks) holds a spoke
with defaults, one with every non-default prop beside a notebook it serves in a PrivateVpc,
one whose hub values are CloudFormation parameters, and a throwaway stack whose role trusts
any principal with admin rights, so that a clean result cannot come from plugins that
checked nothing. Both plugin sets run in the one synthesis.
"""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from cfn_lint_problems import cfn_lint_problems
from compliance_stacks import cdk_json_context

from compliance import (
    CONTROL_TOWER,
    NO_FAIL_CONTEXT,
    PACK_NAMES,
    acknowledged,
    findings,
    read_report,
    register_control_tower,
    register_nag_packs,
)
from sagemaker_notebook_access import NotebookAccessSpoke, NotebookInstance, PrivateVpc
from sagemaker_notebook_access.acknowledgments import ACKNOWLEDGED_RULES, ANY_NOTEBOOK_RULE

PROPS = {
    "hub_account": "111122223333",
    "hub_role_arn": "arn:aws:iam::111122223333:role/hub-url-function",
    "hub_endpoint_id": "vpce-0123456789abcdef0",
    "serving_tag_value": "research-hub",
    "allowed_cidrs": ["198.51.7.0/24"],
}
DEFAULTS, NON_DEFAULTS, PARAMETERS = "SpokeDefaults", "SpokeNonDefaults", "SpokeParameters"
STACKS = (DEFAULTS, NON_DEFAULTS, PARAMETERS)
NON_COMPLIANT = "SpokeNonCompliant"
# What the spoke's policy trips, and only there: notebook-instance/* (tag-scoped minting and
# the portal's ListTags) and "*" (ListNotebookInstances and GetResources).
SPOKE_ACKNOWLEDGED = frozenset({ANY_NOTEBOOK_RULE, "AwsSolutions::AwsSolutions-IAM5[Resource::*]"})


def build(app: cdk.App) -> None:
    NotebookAccessSpoke(cdk.Stack(app, DEFAULTS), "Spoke", **PROPS)
    stack = cdk.Stack(app, NON_DEFAULTS)
    vpc = PrivateVpc(stack, "Vpc")
    notebook = NotebookInstance(stack, "Notebook", vpc=vpc, notebook_instance_name="analysis")
    spoke = NotebookAccessSpoke(
        stack,
        "Spoke",
        **{**PROPS, "allowed_cidrs": ["198.51.7.0/24", "2001:db8:1::/48"]},
        external_id="a-longer-shared-secret:2026",
        allow_start=True,
        tag_administrators=["arn:aws:iam::444455556666:role/NotebookAdmins"],
    )
    spoke.serve(notebook)
    stack = cdk.Stack(app, PARAMETERS)
    hub = {
        prop: cdk.CfnParameter(stack, name, type="String").value_as_string
        for prop, name in (
            ("hub_account", "HubAccount"),
            ("hub_role_arn", "HubRoleArn"),
            ("hub_endpoint_id", "HubEndpointId"),
        )
    }
    NotebookAccessSpoke(stack, "Spoke", **{**PROPS, **hub})
    # Teeth: a role anyone may assume with an inline admin policy, and a function without a
    # dead-letter queue for the Serverless pack (it reports nothing where there is no
    # serverless resource, as in the spoke).
    bad = cdk.Stack(app, NON_COMPLIANT)
    role = iam.Role(bad, "Open", assumed_by=iam.AnyPrincipal())
    role.add_to_policy(iam.PolicyStatement(actions=["*"], resources=["*"]))
    lambda_.Function(
        bad,
        "Function",
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
    )


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory):
    app = cdk.App(
        context={**cdk_json_context(), **NO_FAIL_CONTEXT},
        outdir=str(tmp_path_factory.mktemp("spoke")),
    )
    register_nag_packs(app)
    register_control_tower(app)
    build(app)
    assembly = app.synth()
    templates = {name: assembly.get_stack_by_name(name).template for name in STACKS}
    return templates, read_report(assembly.directory)


@pytest.fixture(scope="module")
def report(synthesized) -> dict:
    return synthesized[1]


# ----------------------------------------------------------------- the checks have teeth


def test_all_five_packs_and_control_tower_ran(report):
    ran = {plugin["pluginName"] for plugin in report["pluginReports"]}
    assert {*PACK_NAMES, CONTROL_TOWER} <= ran


def test_the_open_admin_role_is_reported_by_both(report):
    packs = findings(report, path_prefix=f"{NON_COMPLIANT}/")
    tower = findings(report, path_prefix=f"{NON_COMPLIANT}/", plugins=(CONTROL_TOWER,))
    assert any("AwsSolutions-IAM5" in line for line in packs), packs
    assert any("iam_inline_policy_no_statements_with_admin_access_check" in line for line in tower)
    assert any("Serverless-LambdaDLQ" in line for line in packs), packs


# ----------------------------------------------------------------- the spoke


@pytest.mark.parametrize("stack", STACKS)
def test_no_unacknowledged_pack_findings(report, stack):
    assert findings(report, path_prefix=f"{stack}/") == []


@pytest.mark.parametrize("stack", STACKS)
def test_no_unacknowledged_control_tower_findings(report, stack):
    assert findings(report, path_prefix=f"{stack}/", plugins=(CONTROL_TOWER,)) == []


@pytest.mark.parametrize("stack", (DEFAULTS, PARAMETERS))
def test_the_spoke_acknowledges_exactly_its_policys_two_wildcards(report, stack):
    used = acknowledged(report, f"{stack}/")
    assert set(used) == SPOKE_ACKNOWLEDGED
    for rule, suppressed in used.items():
        for finding in suppressed:
            # On the policy that trips it, with the reason recorded for the rule.
            assert finding["constructPath"] == f"{stack}/Spoke/Policy/Resource", finding
            assert finding["acknowledgedAt"] == f"{stack}/Spoke/Policy", finding
            assert finding["reason"] == ACKNOWLEDGED_RULES[rule]


def test_beside_a_notebook_the_spoke_adds_no_acknowledgment_of_its_own(report):
    spoke = acknowledged(report, f"{NON_DEFAULTS}/Spoke/")
    assert set(spoke) == SPOKE_ACKNOWLEDGED


@pytest.mark.parametrize("stack", STACKS)
def test_cfn_lint_clean(synthesized, stack):
    templates, _ = synthesized
    assert cfn_lint_problems(templates[stack]) == []
