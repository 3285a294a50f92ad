"""Security groups closed in EC2 itself, not only in CDK's model of them.

EC2 gives a new security group rules that allow all outbound traffic unless the group
declares egress rules of its own ("When you create a security group, if you do not add
egress rules, we add egress rules that allow all outbound IPv4 and IPv6 traffic",
AWS::EC2::SecurityGroup, CloudFormation template reference). Only the group's own
``SecurityGroupEgress`` property counts: a separate ``AWS::EC2::SecurityGroupEgress``
resource is added after the group exists and leaves EC2's rules in place. CDK's
``allow_all_outbound=False`` declares a "match no traffic" rule, but drops it as soon as any
egress rule is added, and a rule to another security group is always a separate resource
(aws-cdk-lib ``SecurityGroup.addEgressRule`` / ``removeNoTrafficRule``). A group whose only
egress goes to other groups therefore ends up open to everything.
"""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from constructs import Construct

# 255.255.255.255 is the limited-broadcast address, which a VPC never delivers ("Amazon VPC
# does not support broadcast"): a rule to it admits nothing. The ICMP type/code pair differs
# from CDK's own placeholder (252/86), which CDK removes by value when a rule is added.
CLOSING_RULE_CIDR = "255.255.255.255/32"
CLOSING_RULE_ICMP_TYPE = 252
CLOSING_RULE_ICMP_CODE = 87
CLOSING_RULE_DESCRIPTION = "Declares egress so EC2 adds no allow-all rule; matches no traffic"


def _group(scope: Construct, id: str, *, vpc: ec2.IVpc, description: str) -> ec2.SecurityGroup:
    # Inline rules whatever the app's context says: with the feature flag
    # @aws-cdk/aws-ec2.securityGroupDisableInlineRules on, CDK would write every rule as a
    # separate resource, and EC2 would keep its allow-all egress ("disableInlineRules",
    # SecurityGroupProps, CDK API reference; an explicit prop wins over the flag).
    return ec2.SecurityGroup(
        scope,
        id,
        vpc=vpc,
        description=description,
        allow_all_outbound=False,
        disable_inline_rules=False,
    )


def https_out_security_group(
    scope: Construct, id: str, *, vpc: ec2.IVpc, description: str
) -> ec2.SecurityGroup:
    """No inbound; outbound HTTPS only, declared inline (VPC endpoints, or a NAT's way out)."""
    group = _group(scope, id, vpc=vpc, description=description)
    group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS out")
    return group


def closed_security_group(
    scope: Construct, id: str, *, vpc: ec2.IVpc, description: str
) -> ec2.SecurityGroup:
    """A security group with no outbound traffic but what is added to it, in EC2 too."""
    group = _group(scope, id, vpc=vpc, description=description)
    group.add_egress_rule(
        ec2.Peer.ipv4(CLOSING_RULE_CIDR),
        ec2.Port.icmp_type_and_code(CLOSING_RULE_ICMP_TYPE, CLOSING_RULE_ICMP_CODE),
        CLOSING_RULE_DESCRIPTION,
    )
    return group
