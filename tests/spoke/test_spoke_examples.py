"""The two rollouts of issue 22: examples/spoke_stages (a hub stage and a stage per member
account) and examples/organization_stackset (a service-managed StackSet to an OU).

Each example is loaded from its own ``app.py`` and built by its ``build(app, env)``, in one
App per example with the five cdk-nag packs, synthesized once; what else is tried (missing
or bad context) builds without synthesizing.
"""

from __future__ import annotations

import importlib.util
import json
import re

import aws_cdk as cdk
import pytest
from cfn_lint_problems import cfn_lint_problems
from conftest import REPO_ROOT, TEST_ENV
from presigned_url.contract import Env, spoke_role_name
from template_lookup import resources, the_one

from compliance import (
    CONTROL_TOWER,
    NO_FAIL_CONTEXT,
    PACK_NAMES,
    findings,
    read_report,
    register_control_tower,
    register_nag_packs,
)
from sagemaker_notebook_access import ValidationError

EXAMPLES_DIR = REPO_ROOT / "examples"
REGION = TEST_ENV["region"]
HUB = TEST_ENV["account"]
SPOKES = ["444455556666", "777788889999"]  # the example's placeholders
ENDPOINT = "vpce-0123456789abcdef0"
OU = "ou-ab12-34cd56ef"
HUB_ROLE = f"arn:aws:iam::{HUB}:role/hub-url-function"
# An environment-specific stack names its AZs (CDK writes what it looked up): W3010 is what
# every `cdk init` app with an env gets (as tests/package/test_examples.py ignores it).
CFN_LINT_IGNORED = {"W3010"}


def load(name: str):
    spec = importlib.util.spec_from_file_location(
        f"spoke_example_{name}", EXAMPLES_DIR / name / "app.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def az_context(*accounts: str) -> dict:
    """What `cdk synth` with credentials looks up and caches in cdk.context.json."""
    return {
        f"availability-zones:account={account}:region={REGION}": [f"{REGION}{z}" for z in "abc"]
        for account in accounts
    }


def new_app(tmp_path_factory, name: str, **context) -> cdk.App:
    return cdk.App(
        context={**NO_FAIL_CONTEXT, **az_context(HUB, *SPOKES), **context},
        outdir=str(tmp_path_factory.mktemp(name)),
    )


def template_of(stack: cdk.Stack) -> dict:
    """A stack's template, in its stage's nested assembly when it has one."""
    return cdk.Stage.of(stack).synth().get_stack_by_name(stack.stack_name).template


def statement(template: dict, sid: str) -> dict:
    for _, policy in resources(template, "AWS::IAM::ManagedPolicy").items():
        for found in policy["Properties"]["PolicyDocument"]["Statement"]:
            if found.get("Sid") == sid:
                return found
    raise AssertionError(f"no statement {sid}")


# ================================================================= spoke_stages


@pytest.fixture(scope="module")
def stages(tmp_path_factory) -> dict:
    app = new_app(tmp_path_factory, "spoke_stages", hubEndpointId=ENDPOINT)
    register_nag_packs(app)
    register_control_tower(app)
    stacks = load("spoke_stages").build(app, cdk.Environment(**TEST_ENV))
    assembly = app.synth()
    hub, *spokes = stacks
    return {
        "hub": hub,
        "spokes": spokes,
        "templates": {stack.node.path: template_of(stack) for stack in stacks},
        "report": read_report(assembly.directory),
    }


def test_a_hub_stage_and_a_stage_per_member_account(stages):
    assert [cdk.Stage.of(s).stage_name for s in [stages["hub"], *stages["spokes"]]] == [
        "Hub",
        *(f"Spoke-{account}" for account in SPOKES),
    ]
    assert stages["hub"].account == HUB
    assert [s.account for s in stages["spokes"]] == SPOKES
    assert {s.region for s in [stages["hub"], *stages["spokes"]]} == {REGION}


def test_each_spoke_trusts_the_hubs_function_role_by_the_name_the_hub_deploys(stages):
    hub = stages["templates"][stages["hub"].node.path]
    _, function = the_one(hub, "AWS::Lambda::Function")
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    name = hub["Resources"][role_id]["Properties"]["RoleName"]
    variables = function["Properties"]["Environment"]["Variables"]
    for spoke in stages["spokes"]:
        template = stages["templates"][spoke.node.path]
        _, role = the_one(
            template, "AWS::IAM::Role", {"RoleName": spoke_role_name("research-notebooks")}
        )
        (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Condition"] == {
            "ArnEquals": {
                "aws:PrincipalArn": {
                    "Fn::Join": [
                        "",
                        ["arn:", {"Ref": "AWS::Partition"}, f":iam::{HUB}:role/{name}"],
                    ]
                }
            },
            # The external id the hub's function presents.
            "StringEquals": {"sts:ExternalId": variables[Env.SPOKE_EXTERNAL_ID]},
        }


def test_the_hub_assumes_exactly_the_spoke_roles_the_stages_create(stages):
    hub = stages["templates"][stages["hub"].node.path]
    arns = as_list(statement(hub, "AssumeSpokeRoles")["Resource"])
    name = spoke_role_name("research-notebooks")
    assert [json.dumps(arn) for arn in arns] == [
        json.dumps(
            {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":iam::{a}:role/{name}"]]}
        )
        for a in SPOKES
    ]


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def test_each_spoke_exempts_the_endpoint_given_and_serves_its_notebook(stages):
    for spoke in stages["spokes"]:
        template = stages["templates"][spoke.node.path]
        deny = statement(template, "DenyUrlsThatWouldOpenOutsideAllowedCidrs")
        assert deny["Condition"]["StringNotEquals"] == {"aws:SourceVpce": [ENDPOINT]}
        assert deny["Condition"]["NotIpAddress"] == {"aws:SourceIp": ["198.51.100.0/24"]}
        _, notebook = the_one(template, "AWS::SageMaker::NotebookInstance")
        assert {"Key": "notebook-access:served-by", "Value": "research-notebooks"} in notebook[
            "Properties"
        ]["Tags"]


def test_the_hub_outputs_its_api_url_and_the_endpoint_id_the_spokes_need(stages):
    hub = stages["templates"][stages["hub"].node.path]
    assert "ApiUrl" in hub["Outputs"]
    endpoint = hub["Outputs"]["HubEndpointId"]["Value"]["Ref"]
    assert hub["Resources"][endpoint]["Type"] == "AWS::EC2::VPCEndpoint"
    assert "sagemaker.api" in json.dumps(hub["Resources"][endpoint]["Properties"]["ServiceName"])


def test_the_packs_and_control_tower_ran_over_every_stage_and_found_nothing_unacknowledged(stages):
    report = stages["report"]
    assert {p["pluginName"] for p in report["pluginReports"]} >= {*PACK_NAMES, CONTROL_TOWER}
    for stack in [stages["hub"], *stages["spokes"]]:
        for plugins in (PACK_NAMES, (CONTROL_TOWER,)):
            assert findings(report, path_prefix=f"{stack.node.path}/", plugins=plugins) == []
    # They did look inside the stages: what the library acknowledges there is listed.
    suppressed = {
        construct["constructPath"].split("/")[0]
        for plugin in report["pluginReports"]
        for violation in plugin.get("suppressedViolations") or []
        for construct in violation["violatingConstructs"]
    }
    assert {"Hub", *(f"Spoke-{a}" for a in SPOKES)} <= suppressed


def test_every_stage_template_is_cfn_lint_clean(stages):
    for path, template in stages["templates"].items():
        assert cfn_lint_problems(template, region=REGION, ignored=CFN_LINT_IGNORED) == [], path


def test_without_the_endpoint_id_the_spokes_fail_closed_and_say_so():
    app = cdk.App(context=az_context(HUB, *SPOKES))
    _, spoke, _ = load("spoke_stages").build(app, cdk.Environment(**TEST_ENV))
    messages = [m.data for m in spoke.node.metadata if m.type == "aws:cdk:warning"]
    assert any("no -c hubEndpointId" in str(m) for m in messages), messages
    deny = spoke.resolve(spoke.node.find_child("Spoke").policy.document.to_json())["Statement"]
    (exempt,) = [s for s in deny if s.get("Sid") == "DenyUrlsThatWouldOpenOutsideAllowedCidrs"]
    assert exempt["Condition"]["StringNotEquals"] == {"aws:SourceVpce": ["vpce-00000000000000000"]}


def test_without_a_hub_account_the_app_says_what_to_give():
    with pytest.raises(SystemExit, match=r"-c hubAccount=\.\.\. -c region="):
        load("spoke_stages").build(cdk.App(), cdk.Environment())


# ================================================================= organization_stackset


@pytest.fixture(scope="module")
def org(tmp_path_factory) -> dict:
    app = new_app(
        tmp_path_factory,
        "organization_stackset",
        organizationalUnitIds=OU,
        regions=REGION,
        hubAccount=HUB,
        hubRoleArn=HUB_ROLE,
        hubEndpointId=ENDPOINT,
    )
    register_nag_packs(app)
    register_control_tower(app)
    (stack,) = load("organization_stackset").build(app, cdk.Environment(**TEST_ENV))
    assembly = app.synth()
    template = assembly.get_stack_by_name(stack.stack_name).template
    _, stack_set = the_one(template, "AWS::CloudFormation::StackSet")
    return {
        "stack": stack,
        "template": template,
        "properties": stack_set["Properties"],
        "body": json.loads(stack_set["Properties"]["TemplateBody"]),
        "report": read_report(assembly.directory),
    }


def test_the_stackset_is_service_managed_and_follows_the_ou(org):
    properties = org["properties"]
    assert properties["PermissionModel"] == "SERVICE_MANAGED"
    assert properties["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": False}
    assert properties["CallAs"] == "SELF"
    (group,) = properties["StackInstancesGroup"]
    assert group == {"DeploymentTargets": {"OrganizationalUnitIds": [OU]}, "Regions": [REGION]}
    # The spoke role is named: CloudFormation refuses it without CAPABILITY_NAMED_IAM.
    assert properties["Capabilities"] == ["CAPABILITY_NAMED_IAM"]


def test_the_hub_values_are_the_stacksets_parameters(org):
    assert org["properties"]["Parameters"] == [
        {"ParameterKey": "HubAccount", "ParameterValue": HUB},
        {"ParameterKey": "HubRoleArn", "ParameterValue": HUB_ROLE},
        {"ParameterKey": "HubEndpointId", "ParameterValue": ENDPOINT},
    ]
    assert set(org["body"]["Parameters"]) == {"HubAccount", "HubRoleArn", "HubEndpointId"}


def test_the_template_body_holds_the_spoke_role_by_its_derived_name(org):
    body = org["body"]
    _, role = the_one(body, "AWS::IAM::Role")
    assert role["Properties"]["RoleName"] == spoke_role_name("research-notebooks")
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Condition"]["ArnEquals"] == {"aws:PrincipalArn": {"Ref": "HubRoleArn"}}
    deny = statement(body, "DenyUrlsThatWouldOpenOutsideAllowedCidrs")
    assert deny["Condition"]["StringNotEquals"] == {"aws:SourceVpce": [{"Ref": "HubEndpointId"}]}
    # Every resource is the spoke's: its role and its policy.
    assert sorted(r["Type"] for r in body["Resources"].values()) == [
        "AWS::IAM::ManagedPolicy",
        "AWS::IAM::Role",
    ]


WILDCARD_ROLE_ARNS = [
    f"arn:aws:iam::{HUB}:role/*",
    f"arn:aws:iam::{HUB}:role/*/x",
    f"arn:aws:iam::{HUB}:role/a*b?/-",
    f"arn:aws:iam::{HUB}:role/hub-url-functio?",
    f"arn:aws:iam::{HUB}:role/team/*",
]


def test_a_parameter_update_cannot_make_the_spokes_trust_a_wildcard_role(org):
    """The attack: `update-stack-set --parameters HubRoleArn=...:role/*`. ArnEquals honours
    * and ? ("Condition operators", IAM user guide), so the trust would admit every role of
    the hub account; the parameter's AllowedPattern (matched whole, as CloudFormation does)
    must refuse it, and still admit the hub's role, with a path or not."""
    pattern = org["body"]["Parameters"]["HubRoleArn"]["AllowedPattern"]
    for arn in WILDCARD_ROLE_ARNS:
        assert re.fullmatch(pattern, arn) is None, arn
    for arn in [
        HUB_ROLE,
        f"arn:aws-cn:iam::{HUB}:role/service-role/teams/hub-fn",
        f"arn:aws:iam::{HUB}:role/a_b+c=d,e.f@g-h",
    ]:
        assert re.fullmatch(pattern, arn), arn


@pytest.mark.parametrize("arn", WILDCARD_ROLE_ARNS)
def test_a_wildcard_hub_role_in_context_is_refused(arn):
    app = cdk.App(context={"regions": REGION, "hubAccount": HUB, "hubRoleArn": arn})
    with pytest.raises(ValidationError, match=r"hub_role_arn .* is not an IAM role ARN"):
        load("organization_stackset").build(app)


def test_the_template_body_needs_no_bootstrap_in_the_member_accounts(org):
    body = org["body"]
    assert "BootstrapVersion" not in body["Parameters"]
    # No rules at all: neither CDK's bootstrap check nor one of ours (a rule may use only
    # the rule functions, "Rules", CloudFormation template reference; no Fn::Split).
    assert body.get("Rules", {}) == {}
    assert "CDKMetadata" not in body["Resources"]


def test_the_template_body_is_within_its_limit_and_cfn_lint_clean(org):
    module = load("organization_stackset")
    assert len(org["properties"]["TemplateBody"].encode()) <= module.TEMPLATE_BODY_MAX_BYTES
    assert cfn_lint_problems(org["body"], region=REGION, ignored=CFN_LINT_IGNORED) == []


def test_a_template_body_over_the_limit_fails_clearly(monkeypatch):
    module = load("organization_stackset")
    monkeypatch.setattr(module, "TEMPLATE_BODY_MAX_BYTES", 1000)
    with pytest.raises(SystemExit, match=r"bytes, over TemplateBody's 1000: upload it to S3"):
        module.spoke_template_body()


def test_the_management_stack_passes_the_packs_control_tower_and_cfn_lint(org):
    for plugins in (PACK_NAMES, (CONTROL_TOWER,)):
        assert (
            findings(org["report"], path_prefix=f"{org['stack'].node.path}/", plugins=plugins) == []
        )
    assert cfn_lint_problems(org["template"], region=REGION, ignored=CFN_LINT_IGNORED) == []


def test_a_delegated_administrator_calls_as_one(tmp_path_factory):
    app = cdk.App(context={"regions": REGION, "callAs": "DELEGATED_ADMIN"})
    (stack,) = load("organization_stackset").build(app)
    template = app.synth().get_stack_by_name(stack.stack_name).template
    _, stack_set = the_one(template, "AWS::CloudFormation::StackSet")
    assert stack_set["Properties"]["CallAs"] == "DELEGATED_ADMIN"


BAD_CONTEXT = [
    ({"organizationalUnitIds": "ou-bad"}, "organizationalUnitIds \\['ou-bad'\\]"),
    ({"regions": "eu-west-1,us-east-1"}, "give exactly one, the hub's"),
    ({"regions": ""}, "give exactly one"),
    ({"hubAccount": "1111"}, "hub_account '1111' is not an AWS account id"),
    ({"hubRoleArn": "arn:aws:iam::999999999999:role/x"}, "is a role of account 999999999999"),
    ({"hubEndpointId": "endpoint"}, "hub_endpoint_id 'endpoint' is not a VPC endpoint id"),
]


@pytest.mark.parametrize(("context", "message"), BAD_CONTEXT)
def test_bad_context_is_refused_before_anything_is_built(context, message):
    app = cdk.App(context={"regions": REGION, **context})
    with pytest.raises((SystemExit, ValueError), match=message):
        load("organization_stackset").build(app)
    assert app.node.try_find_child("NotebookAccessSpokes") is None
