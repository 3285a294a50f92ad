"""ApiGatewayLoggingRole: the account-wide role API Gateway needs to write access logs.

API Gateway writes a stage's access (and execution) logs to CloudWatch Logs only
when the account's API Gateway settings in that region name a role
(AWS::ApiGateway::Account); without it, creating a stage with access logging fails
("CloudWatch Logs role ARN must be set in account settings to enable logging").
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from constructs import Construct

from ..acknowledgments import acknowledge
from ..singleton import stack_singleton

SINGLETON_ID = "SageMakerNotebookAccessApiGatewayLoggingRole"
# What AWS's AmazonAPIGatewayPushToCloudWatchLogs grants, as a customer-managed policy.
LOGS_ACTIONS = [
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:DescribeLogGroups",
    "logs:DescribeLogStreams",
    "logs:PutLogEvents",
    "logs:GetLogEvents",
    "logs:FilterLogEvents",
]


class ApiGatewayLoggingRole(Construct):
    """One per stack: a role API Gateway may assume to write logs, set on the account.

    The setting is regional and shared by every REST API in the account; the role
    therefore may write any log group, as AWS's managed policy for it does. Role,
    policy and setting are retained when the stack is deleted, so other APIs in the
    account keep logging.
    """

    @classmethod
    def of(cls, scope: Construct) -> ApiGatewayLoggingRole:
        return stack_singleton(scope, SINGLETON_ID, cls)

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            description="Lets API Gateway write REST API access logs to CloudWatch Logs",
        )
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description="API Gateway account logging, as AmazonAPIGatewayPushToCloudWatchLogs",
            statements=[iam.PolicyStatement(actions=LOGS_ACTIONS, resources=["*"])],
            roles=[self.role],
        )
        self.account = apigw.CfnAccount(self, "Account", cloud_watch_role_arn=self.role.role_arn)
        self.account.node.add_dependency(self.policy)
        for resource in (self.role, self.policy, self.account):
            resource.apply_removal_policy(RemovalPolicy.RETAIN)
        acknowledge(self.policy, "AwsSolutions::AwsSolutions-IAM5[Resource::*]")
