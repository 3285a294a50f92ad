"""NotebookAccessHub (issue 22): what it adds to a PresignedUrlApi's template, its checks, and
the five cdk-nag packs, AWS Control Tower's proactive controls and cfn-lint over it.

One App: a hub on an IpRestrictedNotebook with a portal made first (the portal's tagging
endpoint admits the spokes when the hub comes second), a hub on a bare API with the portal
made after it, and a hub on an API with a given SageMaker endpoint (left alone).
"""

from __future__ import annotations

import json
import re

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template
from cfn_lint_problems import cfn_lint_problems
from compliance_stacks import cdk_json_context
from conftest import TEST_ENV
from vpcs import make_vpc

from compliance import (
    CONTROL_TOWER,
    NO_FAIL_CONTEXT,
    findings,
    read_report,
    register_control_tower,
    register_nag_packs,
)
from sagemaker_notebook_access import (
    IpRestrictedNotebook,
    NotebookAccessHub,
    NotebookInstance,
    NotebookPortal,
    PresignedUrlApi,
    PrivateVpc,
    SignIn,
    ValidationError,
)
from sagemaker_notebook_access.lambda_src.presigned_url.contract import spoke_role_name

SPOKES = ["222222222222", "333333333333"]
CIDRS = ["198.51.100.0/24"]
PORTAL_FIRST, HUB_FIRST, GIVEN_ENDPOINT = "HubPortalFirst", "HubThenPortal", "HubGivenEndpoint"
STACKS = (PORTAL_FIRST, HUB_FIRST, GIVEN_ENDPOINT)
# The given endpoint's stack is the test's own network (make_vpc): only the hub's stacks with
# the library's VPC go through the packs.
CHECKED = (PORTAL_FIRST, HUB_FIRST)


def build(app: cdk.App) -> dict:
    built = {}
    stack = cdk.Stack(app, PORTAL_FIRST)
    access = IpRestrictedNotebook(
        stack,
        "Access",
        allowed_cidrs=CIDRS,
        notebook_instance_name="hub-notebook",
        sign_in=SignIn(domain_prefix="hub-first"),
    )
    built[PORTAL_FIRST] = NotebookAccessHub(stack, "Hub", api=access.api, spoke_accounts=SPOKES)
    stack = cdk.Stack(app, HUB_FIRST)
    api = PresignedUrlApi(stack, "Api", vpc=PrivateVpc(stack, "Vpc"), allowed_cidrs=CIDRS)
    built[HUB_FIRST] = NotebookAccessHub(
        stack, "Hub", api=api, spoke_accounts=SPOKES[:1], external_id="hub-2026"
    )
    NotebookPortal(stack, "Portal", api=api, domain_prefix="hub-second")
    stack = cdk.Stack(app, GIVEN_ENDPOINT)
    vpc = make_vpc(stack)
    given = vpc.add_interface_endpoint(
        "SageMaker", service=ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_API
    )
    api = PresignedUrlApi(stack, "Api", vpc=vpc, allowed_cidrs=CIDRS, endpoint=given)
    built[GIVEN_ENDPOINT] = NotebookAccessHub(stack, "Hub", api=api, spoke_accounts=SPOKES)
    return built


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory):
    app = cdk.App(
        context={**cdk_json_context(), **NO_FAIL_CONTEXT},
        outdir=str(tmp_path_factory.mktemp("hub")),
    )
    register_nag_packs(app)
    register_control_tower(app)
    hubs = build(app)
    assembly = app.synth()
    templates = {name: assembly.get_stack_by_name(name).template for name in STACKS}
    return templates, read_report(assembly.directory), hubs


def of_type(template: dict, type_: str) -> dict[str, dict]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def endpoint(template: dict, service: str) -> dict:
    (found,) = [
        e["Properties"]
        for e in of_type(template, "AWS::EC2::VPCEndpoint").values()
        if f".{service}" in json.dumps(e["Properties"]["ServiceName"])
    ]
    return found


def function_variables(template: dict) -> dict:
    (function,) = [
        f
        for f in of_type(template, "AWS::Lambda::Function").values()
        if f["Properties"].get("Handler") == "handler.handler"
    ]
    return function["Properties"]["Environment"]["Variables"]


def spoke_arn(account: str, serving_id: str) -> dict:
    return {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                f":iam::{account}:role/{spoke_role_name(serving_id)}",
            ],
        ]
    }


# ---------------------------------------------------------------- what the hub adds


def test_the_function_knows_its_spokes_and_external_id(synthesized):
    templates, _, hubs = synthesized
    variables = function_variables(templates[PORTAL_FIRST])
    assert variables["SPOKE_ACCOUNTS"] == ",".join(SPOKES)
    assert variables["SPOKE_EXTERNAL_ID"] == hubs[PORTAL_FIRST].api.serving_tag_value
    assert variables["SPOKE_ROLE_ARN_PREFIX"] == {
        "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::"]]
    }
    assert function_variables(templates[HUB_FIRST])["SPOKE_EXTERNAL_ID"] == "hub-2026"


def test_the_function_may_assume_exactly_the_spoke_roles(synthesized):
    templates, _, hubs = synthesized
    serving_id = hubs[PORTAL_FIRST].api.serving_tag_value
    statements = [
        s
        for p in of_type(templates[PORTAL_FIRST], "AWS::IAM::ManagedPolicy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if "sts:AssumeRole" in json.dumps(s.get("Action"))
    ]
    assert statements == [
        {
            "Sid": "AssumeSpokeRoles",
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Resource": [spoke_arn(account, serving_id) for account in SPOKES],
        }
    ]


def test_sts_is_reached_through_an_endpoint_only_the_function_may_use_for_the_spokes(synthesized):
    templates, _, hubs = synthesized
    sts = endpoint(templates[PORTAL_FIRST], "sts")
    assert sts["PrivateDnsEnabled"] is True
    (statement,) = sts["PolicyDocument"]["Statement"]
    serving_id = hubs[PORTAL_FIRST].api.serving_tag_value
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Resource"] == [spoke_arn(account, serving_id) for account in SPOKES]
    assert "FunctionRole" in statement["Principal"]["AWS"]["Fn::GetAtt"][0]


@pytest.mark.parametrize("stack", [PORTAL_FIRST, HUB_FIRST])
def test_the_apis_endpoints_admit_the_spoke_roles_by_principal_arn(synthesized, stack):
    templates, _, hubs = synthesized
    serving_id = hubs[stack].api.serving_tag_value
    accounts = SPOKES if stack == PORTAL_FIRST else SPOKES[:1]
    for service, actions in (
        ("sagemaker.api", "sagemaker:CreatePresignedNotebookInstanceUrl"),
        ("tagging", "tag:GetResources"),
    ):
        statements = endpoint(templates[stack], service)["PolicyDocument"]["Statement"]
        (spokes,) = [s for s in statements if s.get("Sid") == "SpokeRoles"]
        assert spokes["Principal"] == {"AWS": "*"}
        assert actions in json.dumps(spokes["Action"])
        assert spokes["Condition"] == {
            "ArnEquals": {"aws:PrincipalArn": [spoke_arn(a, serving_id) for a in accounts]}
        }


def test_a_given_sagemaker_endpoint_is_left_to_its_owner(synthesized):
    templates, _, _ = synthesized
    given = endpoint(templates[GIVEN_ENDPOINT], "sagemaker.api")
    assert "PolicyDocument" not in given


def test_spoke_settings_name_this_hubs_values(synthesized):
    _, _, hubs = synthesized
    hub = hubs[PORTAL_FIRST]
    settings = hub.spoke_settings
    assert settings["serving_tag_value"] == hub.api.serving_tag_value
    assert settings["external_id"] == hub.external_id
    assert settings["allowed_cidrs"] == CIDRS
    assert hub.spoke_role_name == spoke_role_name(hub.api.serving_tag_value)


# ---------------------------------------------------------------- compliance


@pytest.mark.parametrize("stack", CHECKED)
def test_no_unacknowledged_pack_or_control_tower_findings(synthesized, stack):
    _, report, _ = synthesized
    assert findings(report, path_prefix=f"{stack}/") == []
    assert findings(report, path_prefix=f"{stack}/", plugins=(CONTROL_TOWER,)) == []


@pytest.mark.parametrize("stack", CHECKED)
def test_cfn_lint_clean(synthesized, stack):
    templates, _, _ = synthesized
    assert cfn_lint_problems(templates[stack]) == []


# ---------------------------------------------------------------- bad props


@pytest.fixture(scope="module")
def refusing() -> tuple[cdk.Stack, PresignedUrlApi]:
    """One API for every refused hub: a refusal leaves nothing, so they can share it."""
    stack = cdk.Stack(cdk.App(), "Bad", env=cdk.Environment(**TEST_ENV))
    return stack, PresignedUrlApi(stack, "Api", vpc=make_vpc(stack), allowed_cidrs=CIDRS)


@pytest.mark.parametrize(
    "accounts, message",
    [
        ([], r"spoke_accounts must be a list of 1\.\.40 account ids"),
        ("222222222222", r"spoke_accounts must be a list"),
        (["22222222222"], r"spoke_accounts entry '22222222222' is not an account id: 12 digits"),
        (["222222222222", "222222222222"], r"spoke_accounts has duplicates"),
        (["123456789012"], r"is the hub's own account"),
    ],
)
def test_bad_spoke_accounts_are_refused_leaving_nothing(refusing, accounts, message):
    stack, api = refusing
    with pytest.raises(ValidationError, match=message):
        NotebookAccessHub(stack, "Hub", api=api, spoke_accounts=accounts)
    assert stack.node.try_find_child("Hub") is None
    assert "SPOKE_ACCOUNTS" not in json.dumps(Template.from_stack(stack).to_json())


def test_a_bad_external_id_and_a_second_hub_are_refused():
    stack = cdk.Stack(cdk.App(), "Bad", env=cdk.Environment(**TEST_ENV))
    api = PresignedUrlApi(stack, "Api", vpc=make_vpc(stack), allowed_cidrs=CIDRS)
    with pytest.raises(ValidationError, match=r"external_id 'x' must be 2\.\.1224"):
        NotebookAccessHub(stack, "Hub", api=api, spoke_accounts=SPOKES, external_id="x")
    NotebookAccessHub(stack, "Hub", api=api, spoke_accounts=SPOKES)
    with pytest.raises(ValidationError, match=r"has a hub already"):
        NotebookAccessHub(stack, "Second", api=api, spoke_accounts=["444444444444"])


def granted_paths(stack: cdk.Stack, user: iam.User) -> list[str]:
    ref = stack.get_logical_id(user.node.default_child)
    policies = [
        json.dumps(r["Properties"]["PolicyDocument"])
        for r in Template.from_stack(stack).to_json()["Resources"].values()
        if r["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
        and {"Ref": ref} in r["Properties"].get("Users", [])
    ]
    return sorted(set(re.findall(r"/v1/POST/([^\"]+)", " ".join(policies))))


def test_grants_on_the_hubs_notebooks_never_reach_a_member_account():
    # The attack: a role granted every notebook of the hub (grant_open without a notebook)
    # calls POST /notebooks/222222222222:nb-a/url. Its grant is on /notebooks/*; a member
    # account's notebooks are only at /accounts/{account}/notebooks/..., which it does not
    # match (and the handler refuses "<account>:<name>" on the hub's own route:
    # tests/function/test_spoke_accounts.py).
    stack = cdk.Stack(cdk.App(), "Grants", env=cdk.Environment(**TEST_ENV))
    api = PresignedUrlApi(stack, "Api", vpc=make_vpc(stack), allowed_cidrs=CIDRS)
    NotebookAccessHub(stack, "Hub", api=api, spoke_accounts=SPOKES)
    everyone, one, whole_account = iam.User(stack, "A"), iam.User(stack, "B"), iam.User(stack, "C")
    api.grant_open(everyone)
    api.grant_open(one, f"{SPOKES[0]}:nb-a")
    api.grant_open(whole_account, f"{SPOKES[1]}:*")
    assert granted_paths(stack, everyone) == ["notebooks/*/url"]
    assert granted_paths(stack, one) == [f"accounts/{SPOKES[0]}/notebooks/nb-a/url"]
    assert granted_paths(stack, whole_account) == [f"accounts/{SPOKES[1]}/notebooks/*/url"]
    # The member account's route exists, IAM-authorized like the others.
    methods = [
        m["Properties"]
        for m in Template.from_stack(stack).to_json()["Resources"].values()
        if m["Type"] == "AWS::ApiGateway::Method"
    ]
    assert all(m["AuthorizationType"] == "AWS_IAM" for m in methods)
    assert len(methods) == 2  # /notebooks/{name}/url and /accounts/{account}/notebooks/{name}/url
    for bad in ("12:nb-a", f"{SPOKES[0]}:nb_a", f"{SPOKES[0]}:", "x:*"):
        with pytest.raises(
            ValidationError, match=r"is not '<12-digit account id>:<notebook name>'"
        ):
            api.grant_open(everyone, bad)


def test_a_grant_on_a_member_accounts_notebook_instance_names_its_account():
    # The attack: a NotebookInstance made in a spoke's stack, granted by object, must not
    # become a grant on the hub's notebook of the same name.
    app = cdk.App()
    hub_stack = cdk.Stack(app, "HubStack", env=cdk.Environment(**TEST_ENV))
    api = PresignedUrlApi(hub_stack, "Api", vpc=make_vpc(hub_stack), allowed_cidrs=CIDRS)
    spoke_stack = cdk.Stack(
        app, "SpokeStack", env=cdk.Environment(account=SPOKES[0], region="eu-west-1")
    )
    notebook = NotebookInstance(
        spoke_stack, "Nb", vpc=make_vpc(spoke_stack), notebook_instance_name="analysis"
    )
    user = iam.User(hub_stack, "U")
    api.grant_open(user, notebook)
    assert granted_paths(hub_stack, user) == [f"accounts/{SPOKES[0]}/notebooks/analysis/url"]


def test_the_hub_outputs_what_a_spoke_in_another_account_needs(synthesized):
    templates, _, _ = synthesized
    outputs = templates[HUB_FIRST]["Outputs"]
    (role,) = [o for k, o in outputs.items() if k.startswith("HubHubRoleArn")]
    (endpoint_id,) = [o for k, o in outputs.items() if k.startswith("HubHubEndpointId")]
    assert "FunctionRole" in role["Value"]["Fn::GetAtt"][0]
    assert "SageMakerApiEndpoint" in endpoint_id["Value"]["Ref"]


@pytest.mark.parametrize("external_id", ["hub-\u00e9t\u00e9", "ab\u0663"])
def test_a_non_ascii_external_id_is_refused(refusing, external_id):
    # STS's ExternalId is ASCII ([\w+=,.@:/-], STS API reference): a Unicode one would pass
    # synth and fail every AssumeRole.
    stack, api = refusing
    with pytest.raises(ValidationError, match=r"external_id .* must be 2\.\.1224"):
        NotebookAccessHub(stack, "Hub", api=api, spoke_accounts=SPOKES, external_id=external_id)


def test_a_given_sts_endpoint_is_used_instead_of_a_new_one():
    # A VPC with an STS endpoint already (private DNS): a second one would fail the deploy.
    stack = cdk.Stack(cdk.App(), "GivenSts", env=cdk.Environment(**TEST_ENV))
    vpc = make_vpc(stack)
    given = vpc.add_interface_endpoint("Sts", service=ec2.InterfaceVpcEndpointAwsService.STS)
    api = PresignedUrlApi(stack, "Api", vpc=vpc, allowed_cidrs=CIDRS)
    hub = NotebookAccessHub(stack, "Hub", api=api, spoke_accounts=SPOKES, sts_endpoint=given)
    assert hub.sts_endpoint is given
    template = Template.from_stack(stack).to_json()
    sts = [
        e
        for e in of_type(template, "AWS::EC2::VPCEndpoint").values()
        if ".sts" in json.dumps(e["Properties"]["ServiceName"])
    ]
    assert len(sts) == 1
    # The function may reach it.
    assert any(
        r["Properties"].get("FromPort") == 443
        and "Sts" in json.dumps(r["Properties"].get("GroupId", ""))
        for r in of_type(template, "AWS::EC2::SecurityGroupIngress").values()
    )


def test_the_sagemaker_endpoint_admits_spoke_roles_to_their_accounts_notebooks_only(synthesized):
    templates, _, _ = synthesized
    statements = endpoint(templates[PORTAL_FIRST], "sagemaker.api")["PolicyDocument"]["Statement"]
    (notebooks,) = [s for s in statements if s.get("Sid") == "SpokeRoles"]
    resources = json.dumps(notebooks["Resource"])
    assert all(f":{account}:notebook-instance/*" in resources for account in SPOKES)
    assert '"*"' not in resources
    (listing,) = [s for s in statements if s.get("Sid") == "SpokeRolesList"]
    assert (listing["Action"], listing["Resource"]) == ("sagemaker:ListNotebookInstances", "*")
