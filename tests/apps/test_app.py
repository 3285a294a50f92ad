"""The demo app's context handling (app.py), without the CLI."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Annotations, Match, Template

from app import context_flag, parse_cidr_context


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("203.0.113.0/24", ["203.0.113.0/24"]),
        ("203.0.113.0/24, 2001:db8::/32", ["203.0.113.0/24", "2001:db8::/32"]),
        ('["203.0.113.0/24","2001:db8::/32"]', ["203.0.113.0/24", "2001:db8::/32"]),
        (["198.51.100.0/24"], ["198.51.100.0/24"]),
        ("", []),
    ],
)
def test_context_cidrs_accept_comma_json_and_lists(value, expected):
    assert parse_cidr_context(value) == expected


def test_fails_on_broken_json():
    with pytest.raises(ValueError, match="not valid JSON"):
        parse_cidr_context('["198.51.100.0/24"')


def test_fails_on_entries_that_are_not_strings():
    with pytest.raises(ValueError, match="entries must be CIDR strings"):
        parse_cidr_context('["198.51.100.0/24", 7]')


def test_fails_on_context_of_the_wrong_type():
    with pytest.raises(ValueError, match="comma-separated"):
        parse_cidr_context(42)


def test_context_flag_reads_strings_from_the_command_line():
    app = cdk.App(context={"nag": "false", "other": "true"})
    assert context_flag(app, "nag", default=True) is False
    assert context_flag(app, "other", default=False) is True
    assert context_flag(app, "missing", default=True) is True


@pytest.fixture(scope="module")
def demo_stack(demo_stacks):
    return demo_stacks["placeholder"]


def test_demo_warns_about_the_placeholder_allow_list(demo_stack):
    Annotations.from_stack(demo_stack).has_warning(
        "/Demo", Match.string_like_regexp("documentation range \\(placeholder\\)")
    )


def test_demo_group_gets_the_route_and_the_ip_policy(demo_stack):
    template = Template.from_stack(demo_stack)
    (group_id,) = template.find_resources("AWS::IAM::Group")
    ip_policy = [
        p
        for p in template.find_resources("AWS::IAM::ManagedPolicy").values()
        if {"Ref": group_id} in p["Properties"].get("Groups", [])
    ]
    assert any(
        s["Effect"] == "Deny" and s["Action"] == "sagemaker:CreatePresignedNotebookInstanceUrl"
        for p in ip_policy
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    )
    outputs = template.to_json()["Outputs"]
    assert {"ApiUrl", "NotebookName", "NotebookUsersGroup", "OpenNotebookCommand"} <= set(outputs)
    assert outputs["NotebookName"]["Value"] == "demo-notebook"


def test_demo_without_placeholder_has_no_warning(demo_stacks):
    Annotations.from_stack(demo_stacks["real"]).has_no_warning(
        "*", Match.string_like_regexp("placeholder")
    )
