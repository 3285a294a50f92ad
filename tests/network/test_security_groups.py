"""Every security group in every template is closed in EC2 the way its template says.

EC2 adds allow-all egress (IPv4 and IPv6) to a new group unless the group's own
``SecurityGroupEgress`` declares rules; separate ``AWS::EC2::SecurityGroupEgress`` resources
do not count (AWS::EC2::SecurityGroup, CloudFormation template reference). So a group
without inline egress is open, whatever its separate rules say. Groups meant to be open
say so inline (CDK writes 0.0.0.0/0 for ``allow_all_outbound=True``).
"""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from compliance_stacks import build_all, new_app
from conftest import REPO_ROOT

from sagemaker_notebook_access.network.security_groups import closed_security_group

COMMITTED_TEMPLATES = sorted(
    [
        *REPO_ROOT.joinpath("tests", "snapshots").glob("*.template.json"),
        *REPO_ROOT.joinpath("integ").glob("*.snapshot/*.template.json"),
    ]
)


def open_in_ec2(template: dict) -> list[str]:
    """Logical ids of the groups EC2 would give an allow-all egress their template does not
    mean: no inline egress, and no separate rule that allows all traffic anyway."""
    resources = template.get("Resources", {})
    allowing_all = {
        json.dumps(r["Properties"]["GroupId"])
        for r in resources.values()
        if r["Type"] == "AWS::EC2::SecurityGroupEgress"
        and r["Properties"].get("CidrIp") == "0.0.0.0/0"
        and r["Properties"].get("IpProtocol") == "-1"
    }
    return [
        logical_id
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::EC2::SecurityGroup"
        and not resource.get("Properties", {}).get("SecurityGroupEgress")
        and json.dumps({"Fn::GetAtt": [logical_id, "GroupId"]}) not in allowing_all
    ]


def groups_of(template: dict) -> list[str]:
    return [
        logical_id
        for logical_id, resource in template.get("Resources", {}).items()
        if resource["Type"] == "AWS::EC2::SecurityGroup"
    ]


# An app may turn this feature flag on; CDK then writes every rule as a separate resource
# unless a group says otherwise ("disableInlineRules", SecurityGroupProps).
NO_INLINE_RULES = {"@aws-cdk/aws-ec2.securityGroupDisableInlineRules": True}


def synthesize(**context) -> dict[str, dict]:
    app = new_app(**context)
    stacks = build_all(app)
    assembly = app.synth()
    return {name: assembly.get_stack_by_name(name).template for name in stacks}


@pytest.fixture(scope="module")
def synthesized() -> dict[str, dict]:
    return synthesize()


@pytest.fixture(scope="module")
def without_inline_rules() -> dict[str, dict]:
    return synthesize(**NO_INLINE_RULES)


@pytest.mark.parametrize("which", ["synthesized", "without_inline_rules"])
def test_every_group_of_the_synthesized_stacks_declares_its_egress(which, request):
    templates = request.getfixturevalue(which)
    assert sum(len(groups_of(t)) for t in templates.values()) >= 8
    assert {name: open_in_ec2(t) for name, t in templates.items()} == {
        name: [] for name in templates
    }


@pytest.mark.parametrize("path", COMMITTED_TEMPLATES, ids=lambda p: p.name)
def test_every_group_of_the_committed_templates_declares_its_egress(path):
    """The demo, shared-API and integ templates (their snapshot tests keep them current)."""
    template = json.loads(path.read_text())
    assert open_in_ec2(template) == []


def test_the_functions_group_sends_nothing_but_to_the_endpoint(synthesized):
    """Closed inline, and its only traffic rule is HTTPS to the SageMaker API endpoint."""
    template = synthesized["Defaults"]
    resources = template["Resources"]
    (function_group,) = [
        logical_id
        for logical_id in groups_of(template)
        if "Presigned URL Lambda" in resources[logical_id]["Properties"]["GroupDescription"]
    ]
    (inline,) = resources[function_group]["Properties"]["SecurityGroupEgress"]
    assert inline["CidrIp"] == "255.255.255.255/32"
    assert inline["IpProtocol"] == "icmp"
    separate = [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::EC2::SecurityGroupEgress"
        and r["Properties"]["GroupId"] == {"Fn::GetAtt": [function_group, "GroupId"]}
    ]
    assert [(p["IpProtocol"], p["FromPort"], p["ToPort"]) for p in separate] == [("tcp", 443, 443)]
    assert "DestinationSecurityGroupId" in separate[0]


def cdk_group_template(make_group) -> dict:
    stack = cdk.Stack(cdk.App(), "Groups")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=1, nat_gateways=0, subnet_configuration=[])
    peer = ec2.SecurityGroup(stack, "Peer", vpc=vpc)
    group = make_group(stack, vpc)
    group.connections.allow_to(peer, ec2.Port.tcp(443))
    return cdk.assertions.Template.from_stack(stack).to_json()


def test_the_check_sees_a_group_the_feature_flag_opened():
    """Without the library's explicit prop, the flag moves even CIDR rules out of the group."""
    app = cdk.App(context=NO_INLINE_RULES)
    stack = cdk.Stack(app, "Flagged")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=1, nat_gateways=0, subnet_configuration=[])
    group = ec2.SecurityGroup(stack, "Group", vpc=vpc, allow_all_outbound=False)
    group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443))
    assert open_in_ec2(cdk.assertions.Template.from_stack(stack).to_json()) == [
        stack.get_logical_id(group.node.default_child)
    ]


def test_the_check_sees_cdks_closed_group_open_once_it_has_a_rule_to_another_group():
    """The defect the check exists for: CDK's placeholder goes when a rule is added."""
    template = cdk_group_template(
        lambda stack, vpc: ec2.SecurityGroup(stack, "Group", vpc=vpc, allow_all_outbound=False)
    )
    assert len(open_in_ec2(template)) == 1


def test_closed_security_group_stays_closed_after_a_rule_to_another_group():
    template = cdk_group_template(
        lambda stack, vpc: closed_security_group(stack, "Group", vpc=vpc, description="closed")
    )
    assert open_in_ec2(template) == []
