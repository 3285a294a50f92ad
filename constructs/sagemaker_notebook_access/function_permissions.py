"""The statements every Lambda function of the library needs: its own log streams, its
network interfaces in the VPC, its traces.

ENI and X-Ray actions have no resource-level permissions, so they take ``Resource: "*"``
(Service Authorization Reference: Amazon EC2, AWS X-Ray); the interfaces a VPC function
gets have no id before Lambda creates them. The actions are those of AWS's
AWSLambdaVPCAccessExecutionRole, as a customer-managed statement.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs

NETWORK_INTERFACE_ACTIONS = (
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
)
TRACE_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")


def own_logs_statement(log_group: logs.ILogGroup) -> iam.PolicyStatement:
    # The log group's Arn attribute ends in ":*": its own streams, no other group's.
    return iam.PolicyStatement(
        sid="WriteOwnLogs",
        actions=["logs:CreateLogStream", "logs:PutLogEvents"],
        resources=[log_group.log_group_arn],
    )


def network_interfaces_statement() -> iam.PolicyStatement:
    return iam.PolicyStatement(
        sid="ManageOwnNetworkInterfaces", actions=list(NETWORK_INTERFACE_ACTIONS), resources=["*"]
    )


def traces_statement() -> iam.PolicyStatement:
    return iam.PolicyStatement(sid="WriteTraces", actions=list(TRACE_ACTIONS), resources=["*"])
