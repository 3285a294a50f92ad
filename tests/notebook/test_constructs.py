"""The foundation's constructs, asserted on one synthesized default stack (aws_cdk.assertions)."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import cx_api
from aws_cdk.assertions import Capture, Match, Template
from conftest import TEST_ENV
from template_lookup import resources, the_one

from sagemaker_notebook_access import IpRestrictedNotebook, NotebookIpPolicy

ALLOWED = ["203.0.113.0/24", "2001:db8::/32"]
PRESIGN = "sagemaker:CreatePresignedNotebookInstanceUrl"


@pytest.fixture(scope="module")
def built():
    app = cdk.App()
    stack = cdk.Stack(app, "Default", env=cdk.Environment(**TEST_ENV))
    access = IpRestrictedNotebook(
        stack, "Access", allowed_cidrs=ALLOWED, notebook_instance_name="team-notebook"
    )
    users = iam.Group(stack, "Users")
    grant = access.grant_open(users)
    return access, Template.from_stack(stack), grant


@pytest.fixture(scope="module")
def template(built) -> Template:
    return built[1]


@pytest.fixture(scope="module")
def variants() -> dict[str, Template]:
    """Other shapes of the constructs: stacks of one more App, synthesized once."""
    app = cdk.App()

    def stack(name: str) -> cdk.Stack:
        return cdk.Stack(app, name, env=cdk.Environment(**TEST_ENV))

    policy_only = stack("PolicyOnly")
    analyst = iam.Role(policy_only, "Analyst", assumed_by=iam.AccountRootPrincipal())
    NotebookIpPolicy(policy_only, "Policy", allowed_cidrs=["198.51.100.0/24"], roles=[analyst])

    shared = stack("Shared")
    first = IpRestrictedNotebook(shared, "First", allowed_cidrs=ALLOWED)
    IpRestrictedNotebook(shared, "Second", allowed_cidrs=ALLOWED, vpc=first.vpc, api=first.api)
    IpRestrictedNotebook(
        shared, "Third", allowed_cidrs=ALLOWED, vpc=first.vpc, idle_timeout_minutes=30
    )

    imported = stack("Imported")
    immutable = iam.Role.from_role_arn(
        imported, "Role", "arn:aws:iam::123456789012:role/notebook-execution", mutable=False
    )
    IpRestrictedNotebook(imported, "Access", allowed_cidrs=ALLOWED, role=immutable)

    mutable = stack("Mutable")
    role = iam.Role.from_role_arn(mutable, "Role", "arn:aws:iam::123456789012:role/nb-exec")
    IpRestrictedNotebook(mutable, "Access", allowed_cidrs=ALLOWED, role=role)

    return {s.stack_name: Template.from_stack(s) for s in (policy_only, shared, imported, mutable)}


def test_notebook_is_hardened(template):
    template.has_resource_properties(
        "AWS::SageMaker::NotebookInstance",
        {
            "NotebookInstanceName": "team-notebook",
            "DirectInternetAccess": "Disabled",
            "RootAccess": "Disabled",
            "PlatformIdentifier": "notebook-al2023-v1",
            "InstanceMetadataServiceConfiguration": {"MinimumInstanceMetadataServiceVersion": "2"},
            "InstanceType": "ml.t3.medium",
            "VolumeSizeInGB": 5,
            "KmsKeyId": {"Ref": Match.any_value()},
            "SubnetId": {"Ref": Match.any_value()},
            "SecurityGroupIds": Match.any_value(),
        },
    )


def test_notebook_key_rotates_and_is_its_volume_key(template):
    notebook = the_one(template, "AWS::SageMaker::NotebookInstance")[1]
    key_id = notebook["Properties"]["KmsKeyId"]["Ref"]
    key = template.to_json()["Resources"][key_id]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True


def test_notebook_sits_in_an_isolated_subnet(template):
    notebook = the_one(template, "AWS::SageMaker::NotebookInstance")[1]
    subnet = template.to_json()["Resources"][notebook["Properties"]["SubnetId"]["Ref"]]
    tags = {t["Key"]: t["Value"] for t in subnet["Properties"]["Tags"]}
    assert tags["aws-cdk:subnet-type"] == "Isolated"
    assert subnet["Properties"].get("MapPublicIpOnLaunch") is False


def test_notebook_security_group_has_no_ingress_and_only_https_out(template):
    notebook = the_one(template, "AWS::SageMaker::NotebookInstance")[1]
    group_id = notebook["Properties"]["SecurityGroupIds"][0]["Fn::GetAtt"][0]
    group = template.to_json()["Resources"][group_id]["Properties"]
    assert "SecurityGroupIngress" not in group
    assert group["SecurityGroupEgress"] == [
        {
            "CidrIp": "0.0.0.0/0",
            "Description": "HTTPS out",
            "FromPort": 443,
            "IpProtocol": "tcp",
            "ToPort": 443,
        }
    ]


def test_ip_policy_denies_presign_outside_both_families(template):
    template.has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {
            "PolicyDocument": {
                "Statement": [
                    {
                        "Effect": "Deny",
                        "Action": PRESIGN,
                        "Condition": {"NotIpAddress": {"aws:SourceIp": ALLOWED}},
                        "Resource": {"Fn::GetAtt": [Match.any_value(), "NotebookInstanceArn"]},
                        "Sid": Match.any_value(),
                    }
                ],
                "Version": "2012-10-17",
            }
        },
    )


def test_ip_policy_alone_is_one_deny_statement_and_attaches_where_told(variants):
    template = variants["PolicyOnly"]
    policy = the_one(template, "AWS::IAM::ManagedPolicy")[1]["Properties"]
    assert policy["PolicyDocument"]["Statement"] == [
        {
            "Sid": "DenyPresignedUrlOutsideAllowedCidrs",
            "Effect": "Deny",
            "Action": PRESIGN,
            "Resource": "*",
            "Condition": {"NotIpAddress": {"aws:SourceIp": ["198.51.100.0/24"]}},
        }
    ]
    (role_id,) = template.find_resources("AWS::IAM::Role")
    assert policy["Roles"] == [{"Ref": role_id}]


def test_api_method_is_post_url_route_with_iam_authorization(template):
    methods = [m["Properties"] for m in resources(template, "AWS::ApiGateway::Method").values()]
    # POST only: other methods get API Gateway's 403 (tests/api/test_api_gateway.py).
    assert sorted(m["HttpMethod"] for m in methods) == ["POST"]
    (method,) = [m for m in methods if m["HttpMethod"] == "POST"]
    assert method["AuthorizationType"] == "AWS_IAM"
    assert method["Integration"]["Type"] == "AWS_PROXY"
    paths = {
        r["Properties"]["PathPart"]
        for r in resources(template, "AWS::ApiGateway::Resource").values()
    }
    assert paths == {"notebooks", "{NotebookInstanceName}", "url"}


def test_api_resource_policy_only_denies_outside_the_allow_list(template):
    api = the_one(template, "AWS::ApiGateway::RestApi")[1]["Properties"]
    statements = api["Policy"]["Statement"]
    assert all(s["Effect"] == "Deny" for s in statements), "an Allow to * admits any account"
    assert statements == [
        {
            "Sid": "DenyOutsideAllowedCidrs",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "execute-api:Invoke",
            "Resource": "execute-api:/*",
            "Condition": {"NotIpAddress": {"aws:SourceIp": ALLOWED}},
        }
    ]


def test_function_is_latest_python_on_arm_with_explicit_limits(template):
    function = next(
        f["Properties"]
        for f in resources(template, "AWS::Lambda::Function").values()
        if f["Properties"].get("Handler") == "handler.handler"
    )
    assert function["Runtime"] == "python3.14"
    assert function["Architectures"] == ["arm64"]
    assert function["Timeout"] == 20
    assert function["MemorySize"] == 256
    assert function["VpcConfig"]["SubnetIds"]
    assert function["LoggingConfig"]["LogFormat"] == "JSON"
    env = function["Environment"]["Variables"]
    assert env["ALLOWED_CIDRS"] == ",".join(ALLOWED)
    # The notebook is served by its tag (issue 21): no name is listed.
    assert env["NOTEBOOK_NAMES"] == ""
    (notebook,) = resources(template, "AWS::SageMaker::NotebookInstance").values()
    tags = {t["Key"]: t["Value"] for t in notebook["Properties"]["Tags"]}
    assert tags["notebook-access:served-by"] == env["SERVED_BY"]
    assert env["ALLOW_START"] == "false"


def _function_policy_statements(template: Template) -> list[dict]:
    statements = []
    for policy in resources(template, "AWS::IAM::ManagedPolicy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            statements.append(statement)
    return statements


def test_function_role_may_mint_and_describe_only_notebooks_carrying_its_tag(template):
    statements = _function_policy_statements(template)
    # Nothing listed by name: the one minting statement is the tag-scoped one.
    assert [s for s in statements if s.get("Sid", "").startswith("MintForServed")] == []
    mint = next(s for s in statements if s.get("Sid") == "MintForTaggedNotebooks")
    assert mint["Effect"] == "Allow"
    assert sorted(mint["Action"]) == sorted([PRESIGN, "sagemaker:DescribeNotebookInstance"])
    assert mint["Resource"]["Fn::Join"][1][-1].endswith(":notebook-instance/*")
    (notebook,) = resources(template, "AWS::SageMaker::NotebookInstance").values()
    tags = {t["Key"]: t["Value"] for t in notebook["Properties"]["Tags"]}
    assert mint["Condition"] == {
        "StringEquals": {
            "aws:ResourceTag/notebook-access:served-by": tags["notebook-access:served-by"]
        }
    }


def test_function_role_deny_exempts_only_the_construct_endpoint(template):
    statements = _function_policy_statements(template)
    deny = next(s for s in statements if s.get("Sid") == "DenyUrlsThatWouldOpenOutsideAllowedCidrs")
    assert deny["Effect"] == "Deny"
    assert deny["Action"] == PRESIGN
    assert deny["Condition"]["NotIpAddress"] == {"aws:SourceIp": ALLOWED}
    endpoint_refs = deny["Condition"]["StringNotEquals"]["aws:SourceVpce"]
    assert len(endpoint_refs) == 1
    endpoint = template.to_json()["Resources"][endpoint_refs[0]["Ref"]]
    assert endpoint["Type"] == "AWS::EC2::VPCEndpoint"
    assert endpoint["Properties"]["VpcEndpointType"] == "Interface"
    assert endpoint["Properties"]["PrivateDnsEnabled"] is True


def test_endpoint_policy_lets_only_the_minting_role_presign(template):
    endpoint = next(
        e["Properties"]
        for e in resources(template, "AWS::EC2::VPCEndpoint").values()
        if e["Properties"].get("VpcEndpointType") == "Interface"
        and "sagemaker.api" in json.dumps(e["Properties"]["ServiceName"])
    )
    assert "sagemaker.api" in json.dumps(endpoint["ServiceName"])
    statements = endpoint["PolicyDocument"]["Statement"]
    presigners = [s for s in statements if s.get("Action") == PRESIGN and s["Effect"] == "Allow"]
    assert len(presigners) == 1
    function = next(
        f["Properties"]
        for f in resources(template, "AWS::Lambda::Function").values()
        if f["Properties"].get("Handler") == "handler.handler"
    )
    function_role_id = function["Role"]["Fn::GetAtt"][0]
    assert presigners[0]["Principal"] == {"AWS": {"Fn::GetAtt": [function_role_id, "Arn"]}}
    others = [s for s in statements if s.get("NotAction")]
    assert others and all(s["NotAction"] == PRESIGN for s in others)


def test_default_vpc_has_no_nat_and_has_both_endpoints(template):
    template.resource_count_is("AWS::EC2::NatGateway", 0)
    template.resource_count_is("AWS::EC2::InternetGateway", 0)
    services = Capture()
    template.has_resource_properties(
        "AWS::EC2::VPCEndpoint", {"VpcEndpointType": "Gateway", "ServiceName": services}
    )
    assert "s3" in json.dumps(services.as_object())
    subnets = resources(template, "AWS::EC2::Subnet")
    assert len(subnets) == 2


def test_grant_open_allows_invoke_on_this_notebooks_route_only(template):
    grants = [
        s
        for policy in list(resources(template, "AWS::IAM::Policy").values())
        + list(resources(template, "AWS::IAM::ManagedPolicy").values())
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Action") == "execute-api:Invoke" and s["Effect"] == "Allow"
    ]
    assert len(grants) == 1
    arn = json.dumps(grants[0]["Resource"])
    assert "/POST/notebooks/team-notebook/url" in arn
    assert "*/url" not in arn


def test_grant_open_returns_a_successful_grant_with_its_statement(built):
    _, _, grant = built
    grant.assert_success()
    (statement,) = grant.principal_statements
    assert statement.actions == ["execute-api:Invoke"]


def test_grant_open_writes_no_inline_policy(template):
    template.resource_count_is("AWS::IAM::Policy", 0)


def test_api_url_is_exposed(built):
    access, _, _ = built
    assert cdk.Token.is_unresolved(access.api.url)
    assert access.vpc is not None and access.notebook.notebook_instance_name == "team-notebook"


def test_notebooks_with_the_same_idle_time_share_one_lifecycle_config(variants):
    template = variants["Shared"]
    configs = template.find_resources("AWS::SageMaker::NotebookInstanceLifecycleConfig")
    assert len(configs) == 2, "one per idle time, not one per notebook"
    attached = [
        nb["Properties"]["LifecycleConfigName"]["Fn::GetAtt"][0]
        for nb in template.find_resources("AWS::SageMaker::NotebookInstance").values()
    ]
    assert sorted(attached.count(c) for c in configs) == [1, 2]


def test_an_immutable_imported_role_is_left_untouched(variants):
    template = variants["Imported"]
    notebook = the_one(template, "AWS::SageMaker::NotebookInstance")[1]
    assert "notebook-execution" in json.dumps(notebook["Properties"]["RoleArn"])
    attached = [
        p["Properties"].get("Roles", [])
        for p in template.find_resources("AWS::IAM::ManagedPolicy").values()
    ]
    assert not any("notebook-execution" in json.dumps(roles) for roles in attached)


def test_a_mutable_imported_role_gets_the_least_privilege_policies(variants):
    template = variants["Mutable"]
    attached = [
        p["Properties"].get("Roles", [])
        for p in template.find_resources("AWS::IAM::ManagedPolicy").values()
    ]
    # Volume key and logs (before the notebook), self-management (describe, stop; after).
    assert sum(roles == ["nb-exec"] for roles in attached) == 2


def test_public_attributes_expose_what_was_created(built):
    access, _, _ = built
    from aws_cdk import aws_sagemaker as sagemaker

    assert isinstance(access.notebook.node.default_child, sagemaker.CfnNotebookInstance)
    assert access.notebook.connections.security_groups == [access.notebook.security_group]
    assert access.api.rest_api.rest_api_id and access.api.function.function_arn
    assert access.api.endpoint.vpc_endpoint_id
    assert access.ip_policy.allowed_cidrs == ALLOWED


def test_two_apis_in_one_stack_set_the_account_logging_role_once(variants):
    template = variants["Shared"]
    template.resource_count_is("AWS::ApiGateway::RestApi", 2)
    (account_id,) = template.find_resources("AWS::ApiGateway::Account")
    for stage in template.find_resources("AWS::ApiGateway::Stage").values():
        assert account_id in stage["DependsOn"]


# ----------------------------------------------------------------- grants that change nothing

GRANT_NOT_APPLIED = "sagemaker-notebook-access:grant-not-applied"


@pytest.fixture(scope="module")
def grant_warnings() -> dict[str, list[str]]:
    """grant_open to each kind of grantee, on one API in one App: path -> warning messages."""
    from vpcs import make_vpc

    from sagemaker_notebook_access import PresignedUrlApi

    app = cdk.App()
    stack = cdk.Stack(app, "Grants", env=cdk.Environment(**TEST_ENV))
    api = PresignedUrlApi(
        stack, "Api", vpc=make_vpc(stack), allowed_cidrs=["8.8.8.0/24"], notebooks=["nb-a"]
    )
    arn = "arn:aws:iam::123456789012:role/"
    grants = {
        "immutable": api.grant_open(
            iam.Role.from_role_arn(stack, "Immutable", arn + "fixed", mutable=False), "nb-a"
        ),
        "mutable": api.grant_open(iam.Role.from_role_arn(stack, "Mutable", arn + "open")),
        "role": api.grant_open(iam.Role(stack, "Own", assumed_by=iam.AccountRootPrincipal())),
        "account": api.grant_open(iam.AccountRootPrincipal()),
    }
    assembly = app.synth()
    found: dict[str, list[str]] = {}
    for entry in assembly.get_stack_by_name("Grants").messages:
        if entry.level == cx_api.SynthesisMessageLevel.WARNING and GRANT_NOT_APPLIED in str(
            entry.entry.data
        ):
            found.setdefault(entry.id, []).append(str(entry.entry.data))
    return {"grants": grants, **found}


def test_grant_open_to_an_immutable_imported_role_warns_that_nothing_was_granted(
    grant_warnings,
):
    # CDK's ImmutableRole reports success: without the warning this grant passes silently.
    grant_warnings["grants"]["immutable"].assert_success()
    messages = grant_warnings["/Grants/Api"]
    immutable = [m for m in messages if m.startswith("grant_open(Grants/Immutable)")]
    assert len(immutable) == 1, messages
    assert "changed no policy, so it may not call POST /notebooks/nb-a/url" in immutable[0]
    assert "imported role with mutable=False" in immutable[0]
    assert "Attach the returned grant's principal_statements" in immutable[0]


def test_grant_open_warns_for_a_principal_without_an_identity_policy_only(grant_warnings):
    messages = grant_warnings["/Grants/Api"]
    # The immutable role and the account: the mutable imported role and our own role
    # get real policies and no warning.
    assert len(messages) == 2, messages
    assert not grant_warnings["grants"]["account"].success
    assert any(
        m.startswith("grant_open(AccountRootPrincipal()) changed no policy") for m in messages
    )
    assert not any("Grants/Mutable" in m or "Grants/Own" in m for m in messages)
