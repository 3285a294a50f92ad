"""The tag guard: its document, the command that prints it for an SCP, the policies built
from it, and the roles the library creates carrying it. What IAM decides with it (a tagging
role refused, an administrator let through) is in the IAM matrix (tests/iam_matrix)."""

from __future__ import annotations

import json
import subprocess
import sys

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Match, Template
from conftest import REPO_ROOT

from sagemaker_notebook_access import IpRestrictedNotebook, ValidationError
from sagemaker_notebook_access.notebook.entitlement import GROUPS_TAG, OWNERS_TAG
from sagemaker_notebook_access.notebook.tag_guard import (
    GUARDED_TAG_KEYS,
    SCP_MAX_CHARS,
    TAG_KEY_PREFIX,
    TagGuardPolicy,
    tag_guard_document,
)

ADMIN = "arn:aws:iam::111122223333:role/NotebookAdmins"
DEPLOYER = "arn:aws:iam::111122223333:role/cdk-hnb659fds-cfn-exec-role-*"


def test_the_entitlement_tags_are_under_the_guarded_prefix():
    assert OWNERS_TAG.startswith(TAG_KEY_PREFIX) and GROUPS_TAG.startswith(TAG_KEY_PREFIX)
    assert GUARDED_TAG_KEYS == TAG_KEY_PREFIX + "*"


def test_the_document_denies_every_way_to_write_a_guarded_tag_but_to_administrators():
    (statement,) = tag_guard_document([ADMIN, DEPLOYER])["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Resource"] == "*"
    assert set(statement["Action"]) == {
        "sagemaker:AddTags",
        "sagemaker:DeleteTags",
        "sagemaker:CreateNotebookInstance",
    }
    assert statement["Condition"] == {
        "ForAnyValue:StringLike": {"aws:TagKeys": ["notebook-access:*"]},
        "ArnNotLike": {"aws:PrincipalArn": [ADMIN, DEPLOYER]},
    }
    # SCPs have no Principal element and a 5,120-character limit.
    assert "Principal" not in statement and "NotPrincipal" not in statement


def test_without_administrators_nobody_is_exempt():
    (statement,) = tag_guard_document()["Statement"]
    assert "ArnNotLike" not in statement["Condition"]


@pytest.mark.parametrize(
    "administrators, message",
    [
        ("arn:aws:iam::111122223333:role/A", "a list of ARNs, not one string"),
        (["NotebookAdmins"], "'NotebookAdmins' is not an ARN"),
        (["arn:aws:iam"], "'arn:aws:iam' is not an ARN"),
    ],
)
def test_an_administrator_that_is_not_an_arn_is_refused(administrators, message):
    with pytest.raises(ValidationError, match=message):
        tag_guard_document(administrators)


def run_command(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sagemaker_notebook_access.notebook.tag_guard", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO_ROOT,
    )


def test_the_command_prints_the_document_for_a_service_control_policy():
    result = run_command("--administrator", ADMIN, "--administrator", DEPLOYER)
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed == tag_guard_document([ADMIN, DEPLOYER])
    assert len(json.dumps(printed, separators=(",", ":"))) <= SCP_MAX_CHARS


def test_the_command_names_a_bad_administrator_and_prints_nothing():
    result = run_command("--administrator", "NotebookAdmins")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "'NotebookAdmins' is not an ARN" in result.stderr


@pytest.fixture(scope="module")
def policies() -> Template:
    stack = cdk.Stack(cdk.App(), "Guard")
    team = iam.Role(stack, "Team", assumed_by=iam.AccountRootPrincipal())
    TagGuardPolicy(stack, "Guard", administrators=[ADMIN], roles=[team])
    TagGuardPolicy.permissions_boundary(stack, "Boundary", administrators=[ADMIN])
    return Template.from_stack(stack)


def test_the_managed_policy_carries_the_document_and_attaches_to_the_roles_named(policies):
    policies.has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {
            "PolicyDocument": {"Statement": tag_guard_document([ADMIN])["Statement"]},
            "Roles": [{"Ref": Match.string_like_regexp("^Team")}],
        },
    )


def test_the_boundary_allows_what_identity_policies_allow_but_the_guarded_tags(policies):
    policies.has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {
            "PolicyDocument": {
                "Statement": [
                    {"Sid": "AllowWhatIdentityPoliciesAllow", "Effect": "Allow"},
                    *tag_guard_document([ADMIN])["Statement"],
                ]
            },
            "Roles": Match.absent(),
        },
    )


def test_a_bad_administrator_leaves_no_policy_behind():
    stack = cdk.Stack(cdk.App(), "Guard")
    with pytest.raises(ValidationError, match="is not an ARN"):
        TagGuardPolicy(stack, "Guard", administrators=["admins"])
    assert stack.node.try_find_child("Guard") is None


def test_the_roles_the_library_creates_carry_the_guard_with_no_exemption():
    """A notebook's execution role (held by everyone who uses the notebook) and the URL
    function's role may not write the tags that decide who opens a notebook."""
    stack = cdk.Stack(cdk.App(), "Library")
    restricted = IpRestrictedNotebook(
        stack, "Access", allowed_cidrs=["198.51.100.0/24"], notebook_instance_name="nb"
    )
    template = Template.from_stack(stack).to_json()["Resources"]
    guard = tag_guard_document()["Statement"][0]
    for role in (restricted.notebook.role, restricted.api.role):
        role_ref = stack.resolve(role.role_name)
        documents = [
            resource["Properties"]["PolicyDocument"]
            for resource in template.values()
            if resource["Type"] in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy")
            and role_ref in resource["Properties"].get("Roles", [])
        ]
        assert any(guard in document["Statement"] for document in documents), role.node.path
