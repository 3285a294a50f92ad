"""The test VPCs: no NAT, one subnet group (isolated unless asked), one per module's stack."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2

SUBNET_GROUP_NAMES = {ec2.SubnetType.PRIVATE_ISOLATED: "Isolated", ec2.SubnetType.PUBLIC: "Public"}


def make_vpc(
    stack: cdk.Stack,
    id: str = "Vpc",
    *,
    subnet_type: ec2.SubnetType = ec2.SubnetType.PRIVATE_ISOLATED,
    max_azs: int = 2,
) -> ec2.Vpc:
    return ec2.Vpc(
        stack,
        id,
        max_azs=max_azs,
        nat_gateways=0,
        subnet_configuration=[
            ec2.SubnetConfiguration(name=SUBNET_GROUP_NAMES[subnet_type], subnet_type=subnet_type)
        ],
    )
