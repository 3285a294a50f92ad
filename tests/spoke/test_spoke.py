"""NotebookAccessSpoke: the trust and policy it writes, serving a notebook, and its prop checks.

One App, synthesized once: a spoke with defaults in a member account, one with every
non-default prop beside a notebook it serves, and one whose hub values are CloudFormation
parameters (as a StackSet passes them). Bad props are tried on fresh stacks: each error
names the prop and leaves nothing in the tree.
"""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Annotations, Match
from presigned_url.contract import SERVED_BY_TAG, spoke_role_name
from template_lookup import the_one
from vpcs import make_vpc

from sagemaker_notebook_access import NotebookAccessSpoke, NotebookInstance, ValidationError
from sagemaker_notebook_access.notebook.tag_guard import tag_guard_document

HUB = "111122223333"
SPOKE = "444455556666"
REGION = "eu-west-1"
HUB_ROLE = f"arn:aws:iam::{HUB}:role/hub-url-function"
ENDPOINT = "vpce-0123456789abcdef0"
SERVING = "research-hub"
CIDRS = ["198.51.7.0/24"]
PROPS = {
    "hub_account": HUB,
    "hub_role_arn": HUB_ROLE,
    "hub_endpoint_id": ENDPOINT,
    "serving_tag_value": SERVING,
    "allowed_cidrs": CIDRS,
}
ADMIN = f"arn:aws:iam::{SPOKE}:role/NotebookAdmins"
PRESIGN = "sagemaker:CreatePresignedNotebookInstanceUrl"
DESCRIBE = "sagemaker:DescribeNotebookInstance"
START = "sagemaker:StartNotebookInstance"


def member_stack(app: cdk.App, name: str) -> cdk.Stack:
    return cdk.Stack(app, name, env=cdk.Environment(account=SPOKE, region=REGION))


@pytest.fixture(scope="module")
def built() -> dict:
    app = cdk.App()
    defaults = member_stack(app, "Defaults")
    spoke = NotebookAccessSpoke(defaults, "Spoke", **PROPS)
    custom = member_stack(app, "Custom")
    notebook = NotebookInstance(
        custom, "Notebook", vpc=make_vpc(custom), notebook_instance_name="analysis"
    )
    custom_spoke = NotebookAccessSpoke(
        custom,
        "Spoke",
        **{**PROPS, "allowed_cidrs": ["198.51.7.0/24", "2001:db8:1::/48"]},
        external_id="a-longer-shared-secret:2026",
        allow_start=True,
        tag_administrators=[ADMIN],
    )
    custom_spoke.serve(notebook)
    parameters = cdk.Stack(app, "Parameters")
    values = {
        name: cdk.CfnParameter(parameters, name, type="String").value_as_string
        for name in ("HubAccount", "HubRoleArn", "HubEndpointId")
    }
    NotebookAccessSpoke(
        parameters,
        "Spoke",
        hub_account=values["HubAccount"],
        hub_role_arn=values["HubRoleArn"],
        hub_endpoint_id=values["HubEndpointId"],
        serving_tag_value=SERVING,
        allowed_cidrs=CIDRS,
    )
    assembly = app.synth()
    return {
        "spoke": spoke,
        "custom_spoke": custom_spoke,
        **{
            name: assembly.get_stack_by_name(name).template
            for name in ("Defaults", "Custom", "Parameters")
        },
    }


def role_of(template: dict) -> dict:
    return the_one(template, "AWS::IAM::Role", {"RoleName": spoke_role_name(SERVING)})[1][
        "Properties"
    ]


def statements(template: dict) -> dict[str, dict]:
    _, policy = the_one(template, "AWS::IAM::ManagedPolicy", {"Description": _DESCRIPTION})
    return {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}


_DESCRIPTION = (
    "Hub notebook access: mint URLs for notebooks carrying its serving tag, opening only "
    "from its allow-list"
)


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def notebooks_of(account: str) -> dict:
    return {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                f":sagemaker:{REGION}:{account}:notebook-instance/*",
            ],
        ]
    }


# ----------------------------------------------------------------- the trust


def test_the_role_has_the_name_the_hub_derives_and_a_one_hour_session(built):
    role = role_of(built["Defaults"])
    assert role["RoleName"] == spoke_role_name(SERVING) == built["spoke"].role_name
    assert role["RoleName"].startswith("notebook-access-spoke-")
    # Role chaining (the hub assumes it from its function's session) caps a session at 1 h.
    assert role["MaxSessionDuration"] == 3600


def test_only_the_hub_function_role_with_the_external_id_may_assume_it(built):
    (statement,) = role_of(built["Defaults"])["AssumeRolePolicyDocument"]["Statement"]
    assert statement == {
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        # The account, not the role ARN: deploys before the hub role exists, survives its
        # re-creation; the conditions narrow it to that role and the external id.
        "Principal": {
            "AWS": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":iam::{HUB}:root"]]}
        },
        "Condition": {
            "ArnEquals": {"aws:PrincipalArn": HUB_ROLE},
            "StringEquals": {"sts:ExternalId": SERVING},
        },
    }


def test_an_external_id_given_replaces_the_serving_id(built):
    (statement,) = role_of(built["Custom"])["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Condition"]["StringEquals"] == {
        "sts:ExternalId": "a-longer-shared-secret:2026"
    }


def test_the_role_has_no_inline_or_aws_managed_policy(built):
    role = role_of(built["Defaults"])
    assert "Policies" not in role and "ManagedPolicyArns" not in role
    assert not [
        r for r in built["Defaults"]["Resources"].values() if r["Type"] == "AWS::IAM::Policy"
    ]


# ----------------------------------------------------------------- the policy


def test_it_mints_only_for_notebooks_of_this_account_with_the_hubs_tag(built):
    mint = statements(built["Defaults"])["MintForTaggedNotebooks"]
    assert mint["Effect"] == "Allow"
    assert sorted(as_list(mint["Action"])) == [PRESIGN, DESCRIBE]
    assert mint["Resource"] == notebooks_of(SPOKE)
    assert mint["Condition"] == {"StringEquals": {f"aws:ResourceTag/{SERVED_BY_TAG}": SERVING}}


def test_allow_start_adds_the_start_action_to_the_tagged_statement_only(built):
    custom = statements(built["Custom"])
    assert sorted(as_list(custom["MintForTaggedNotebooks"]["Action"])) == [PRESIGN, DESCRIBE, START]
    others = [s for sid, s in custom.items() if sid != "MintForTaggedNotebooks"]
    assert all(START not in as_list(s["Action"]) for s in others)


def test_the_portals_listing_reads_are_allowed_and_nothing_else(built):
    allowed = {
        sid: (sorted(as_list(s["Action"])), s["Resource"])
        for sid, s in statements(built["Defaults"]).items()
        if s["Effect"] == "Allow"
    }
    assert allowed == {
        "MintForTaggedNotebooks": ([PRESIGN, DESCRIBE], notebooks_of(SPOKE)),
        # No resource-level permissions for either (Service Authorization Reference).
        "ListNotebooks": (["sagemaker:ListNotebookInstances"], "*"),
        "ListServedNotebooks": (["tag:GetResources"], "*"),
        "ReadEntitlementTags": (["sagemaker:ListTags"], notebooks_of(SPOKE)),
    }


def test_presigning_is_denied_outside_the_allow_list_unless_through_the_hubs_endpoint(built):
    deny = statements(built["Defaults"])["DenyUrlsThatWouldOpenOutsideAllowedCidrs"]
    assert deny == {
        "Sid": "DenyUrlsThatWouldOpenOutsideAllowedCidrs",
        "Effect": "Deny",
        "Action": PRESIGN,
        "Resource": "*",
        "Condition": {
            "NotIpAddress": {"aws:SourceIp": CIDRS},
            "StringNotEquals": {"aws:SourceVpce": [ENDPOINT]},
        },
    }
    custom = statements(built["Custom"])["DenyUrlsThatWouldOpenOutsideAllowedCidrs"]
    assert custom["Condition"]["NotIpAddress"]["aws:SourceIp"] == [
        "198.51.7.0/24",
        "2001:db8:1::/48",
    ]


def test_the_role_may_not_write_notebook_access_tags_not_even_with_administrators(built):
    for name in ("Defaults", "Custom"):
        guard = statements(built[name])["DenyWritingNotebookAccessTags"]
        assert guard == tag_guard_document()["Statement"][0]
        assert "ArnNotLike" not in guard["Condition"]


def test_tag_administrators_get_a_tag_guard_for_the_account(built):
    assert built["spoke"].tag_guard is None
    guard = built["custom_spoke"].tag_guard
    assert isinstance(guard, iam.ManagedPolicy)
    _, policy = the_one(
        built["Custom"],
        "AWS::IAM::ManagedPolicy",
        {"PolicyDocument": {"Statement": tag_guard_document([ADMIN])["Statement"]}},
    )
    assert "Roles" not in policy["Properties"]  # attached where the account decides


# ----------------------------------------------------------------- the hub values as parameters


def test_parameters_reach_the_trust_and_the_deny_unchanged(built):
    template = built["Parameters"]
    (statement,) = role_of(template)["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"]["AWS"] == {
        "Fn::Join": [
            "",
            ["arn:", {"Ref": "AWS::Partition"}, ":iam::", {"Ref": "HubAccount"}, ":root"],
        ]
    }
    assert statement["Condition"]["ArnEquals"] == {"aws:PrincipalArn": {"Ref": "HubRoleArn"}}
    deny = statements(template)["DenyUrlsThatWouldOpenOutsideAllowedCidrs"]
    assert deny["Condition"]["StringNotEquals"] == {"aws:SourceVpce": [{"Ref": "HubEndpointId"}]}
    # Environment-agnostic: the account that deploys it, whichever that is.
    mint = statements(template)["MintForTaggedNotebooks"]
    assert {"Ref": "AWS::AccountId"} in mint["Resource"]["Fn::Join"][1]


# ----------------------------------------------------------------- serving a notebook


def test_serve_tags_the_notebook_with_the_hubs_serving_id(built):
    _, notebook = the_one(built["Custom"], "AWS::SageMaker::NotebookInstance")
    assert {"Key": SERVED_BY_TAG, "Value": SERVING} in notebook["Properties"]["Tags"]


@pytest.fixture
def member() -> tuple[cdk.Stack, NotebookAccessSpoke]:
    stack = member_stack(cdk.App(), "Member")
    return stack, NotebookAccessSpoke(stack, "Spoke", **PROPS)


def test_serve_refuses_a_notebook_of_another_account(member):
    stack, spoke = member
    other = cdk.Stack(
        stack.node.root, "Other", env=cdk.Environment(account="777788889999", region=REGION)
    )
    notebook = NotebookInstance(other, "Notebook", vpc=make_vpc(other), notebook_instance_name="x")
    with pytest.raises(
        ValidationError, match="is in account 777788889999, this spoke in 444455556666"
    ):
        spoke.serve(notebook)
    assert SERVED_BY_TAG not in notebook.cfn_notebook_instance.tags.tag_values()


def test_serve_refuses_a_notebook_of_another_region(member):
    stack, spoke = member
    other = cdk.Stack(
        stack.node.root, "Other", env=cdk.Environment(account=SPOKE, region="us-east-1")
    )
    notebook = NotebookInstance(other, "Notebook", vpc=make_vpc(other), notebook_instance_name="x")
    with pytest.raises(ValidationError, match="is in region us-east-1, this spoke in eu-west-1"):
        spoke.serve(notebook)


def test_serve_refuses_a_notebook_twice_and_a_name(member):
    stack, spoke = member
    notebook = NotebookInstance(stack, "Notebook", vpc=make_vpc(stack), notebook_instance_name="x")
    spoke.serve(notebook)
    with pytest.raises(ValidationError, match="already served by this API"):
        spoke.serve(notebook)
    with pytest.raises(ValidationError, match=r"must be a NotebookInstance, got str.*add-tags"):
        spoke.serve("analysis")


# ----------------------------------------------------------------- bad props


BAD_PROPS = [
    ({"hub_account": "11112222333"}, "hub_account '11112222333' is not an AWS account id"),
    ({"hub_account": 111122223333}, "hub_account 111122223333 is not an AWS account id"),
    (
        {"hub_account": SPOKE, "hub_role_arn": f"arn:aws:iam::{SPOKE}:role/fn"},
        "hub_account 444455556666 is this stack's own account",
    ),
    (
        {"hub_role_arn": "hub-url-function"},
        "hub_role_arn 'hub-url-function' is not an IAM role ARN",
    ),
    ({"hub_role_arn": f"arn:aws:iam::{HUB}:user/ana"}, "hub_role_arn .* is not an IAM role ARN"),
    (
        {"hub_role_arn": f"arn:aws:sts::{HUB}:assumed-role/fn/s"},
        "hub_role_arn .* is not an IAM role ARN",
    ),
    # ArnEquals honours * and ? as ArnLike does ("Condition operators", ARN condition
    # operators, IAM user guide): a wildcard in the ARN would trust every matching role.
    *(
        ({"hub_role_arn": f"arn:aws:iam::{HUB}:role/{tail}"}, "hub_role_arn .* is not an IAM role")
        for tail in ["*", "*/x", "a*b?/-", "hub-fn?", "team/*", "team/hub-?n", "hüb", "a//b"]
    ),
    (
        {"hub_role_arn": "arn:aws:iam::777788889999:role/fn"},
        "is a role of account 777788889999, not of hub_account 111122223333",
    ),
    (
        {"hub_endpoint_id": "vpc-0123456789abcdef0"},
        "hub_endpoint_id 'vpc-0123456789abcdef0' is not a VPC endpoint id",
    ),
    ({"hub_endpoint_id": "vpce-0123456789ABCDEF0"}, "hub_endpoint_id .* is not a VPC endpoint id"),
    ({"serving_tag_value": "research hub"}, "serving_tag_value 'research hub' must be"),
    ({"serving_tag_value": None}, "serving_tag_value must be the hub's serving id"),
    ({"allowed_cidrs": []}, "allowed_cidrs must list at least one CIDR"),
    ({"allowed_cidrs": "198.51.7.0/24"}, "allowed_cidrs must be a list of CIDR strings"),
    ({"allowed_cidrs": ["0.0.0.0/0"]}, "allowed_cidrs entry '0.0.0.0/0' allows every address"),
    ({"external_id": "x"}, "external_id 'x' is not an STS external id"),
    ({"external_id": "with space"}, "external_id 'with space' is not an STS external id"),
    # ExternalId's [\w+=,.@:/-] is ASCII (STS API reference): STS would refuse it at deploy.
    ({"external_id": "hub-été"}, "external_id 'hub-été' is not an STS external id"),
    ({"external_id": "ab٣"}, "external_id .ab٣. is not an STS external id"),
    ({"serving_tag_value": "h"}, r"external_id \(default: serving_tag_value\) 'h' is not an STS"),
    ({"tag_administrators": ADMIN}, "^tag_administrators must be a list of ARNs"),
    (
        {"tag_administrators": ["NotebookAdmins"]},
        "^tag_administrators entry 'NotebookAdmins' is not an ARN",
    ),
]


@pytest.mark.parametrize(("change", "message"), BAD_PROPS)
def test_a_bad_prop_names_itself_and_leaves_nothing_in_the_tree(change, message):
    stack = member_stack(cdk.App(), "Member")
    with pytest.raises(ValidationError, match=message) as raised:
        NotebookAccessSpoke(stack, "Spoke", **{**PROPS, **change})
    assert raised.value.construct_path == "Member/Spoke"
    assert stack.node.try_find_child("Spoke") is None


def test_a_token_serving_id_is_refused_since_the_role_is_named_after_it():
    stack = member_stack(cdk.App(), "Member")
    token = cdk.CfnParameter(stack, "Serving", type="String").value_as_string
    with pytest.raises(ValidationError, match="known at synth \\(not a token\\)"):
        NotebookAccessSpoke(stack, "Spoke", **{**PROPS, "serving_tag_value": token})


GOOD_PROPS = [
    {"hub_role_arn": f"arn:aws:iam::{HUB}:role/service-role/teams/hub-fn"},  # a role path
    {"hub_role_arn": f"arn:aws:iam::{HUB}:role/a_b+c=d,e.f@g-h"},  # every name character
    {"hub_account": "012345678901", "hub_role_arn": "arn:aws-cn:iam::012345678901:role/fn"},
    {"hub_endpoint_id": "vpce-1a2b3c4d"},  # the older, 8-digit ids
    {"external_id": "ab"},
    {"allowed_cidrs": ["0.0.0.0/0"], "allow_all_ips": True},
]


@pytest.mark.parametrize("change", GOOD_PROPS)
def test_what_the_checks_must_not_refuse(change):
    """The other side of each check: the nearest valid values pass."""
    stack = member_stack(cdk.App(), "Member")
    NotebookAccessSpoke(stack, "Spoke", **{**PROPS, **change})


def test_an_open_allow_list_warns():
    stack = member_stack(cdk.App(), "Member")
    NotebookAccessSpoke(
        stack, "Spoke", **{**PROPS, "allowed_cidrs": ["::/0"], "allow_all_ips": True}
    )
    Annotations.from_stack(stack).has_warning(
        "/Member/Spoke", Match.string_like_regexp("admits every IP address.*open anywhere")
    )


# ----------------------------------------------------------------- the hub role from another stage


def stages(app: cdk.App, *, role_name: str | None) -> tuple[iam.Role, cdk.Stack, cdk.Stack]:
    """A hub stage (declared, and so synthesized, first) with a function role, and an empty
    stack in a spoke stage of another account."""
    hub = cdk.Stack(
        cdk.Stage(app, "Hub", env=cdk.Environment(account=HUB, region=REGION)), "Platform"
    )
    role = iam.Role(
        hub,
        "FunctionRole",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        role_name=role_name,
    )
    spoke = cdk.Stack(
        cdk.Stage(app, "Member", env=cdk.Environment(account=SPOKE, region=REGION)), "Spoke"
    )
    return role, hub, spoke


def stage_template(stack: cdk.Stack) -> dict:
    return cdk.Stage.of(stack).synth().get_stack_by_name(stack.stack_name).template


def test_a_hub_role_from_another_stage_is_named_before_the_hub_is_written():
    app = cdk.App()
    role, hub, spoke = stages(app, role_name=cdk.PhysicalName.GENERATE_IF_NEEDED)
    NotebookAccessSpoke(spoke, "Spoke", **{**PROPS, "hub_role_arn": role.role_arn})
    app.synth()
    _, hub_role = the_one(stage_template(hub), "AWS::IAM::Role")
    name = hub_role["Properties"]["RoleName"]
    (statement,) = role_of(stage_template(spoke))["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Condition"]["ArnEquals"]["aws:PrincipalArn"] == {
        "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":iam::{HUB}:role/{name}"]]
    }


def test_without_the_spoke_settling_it_the_hub_stage_is_written_without_the_name():
    """Why the spoke resolves the ARN early: a plain consumer in a later stage gets a
    generated name the hub's template, written first, never carries."""
    app = cdk.App()
    role, hub, spoke = stages(app, role_name=cdk.PhysicalName.GENERATE_IF_NEEDED)
    iam.Role(spoke, "Consumer", assumed_by=iam.AccountRootPrincipal(), description=role.role_arn)
    app.synth()
    _, hub_role = the_one(stage_template(hub), "AWS::IAM::Role")
    assert "RoleName" not in hub_role["Properties"]
    _, consumer = the_one(stage_template(spoke), "AWS::IAM::Role")
    assert ":role/" in json.dumps(consumer["Properties"]["Description"])


def test_a_hub_role_without_a_physical_name_is_refused_clearly():
    app = cdk.App()
    role, _, spoke = stages(app, role_name=None)
    with pytest.raises(ValidationError, match=r"role_name=PhysicalName\.GENERATE_IF_NEEDED"):
        NotebookAccessSpoke(spoke, "Spoke", **{**PROPS, "hub_role_arn": role.role_arn})
    assert spoke.node.try_find_child("Spoke") is None
