"""Every cdk-nag rule this library acknowledges, with the reason, in one place.

Each construct acknowledges only the rules its own resources trip, on the resource
that trips them (never stack- or app-wide). A rule id missing here cannot be
acknowledged, so a new acknowledgment is a visible change to this file and its test.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct

_NO_DLQ = (
    "API Gateway invokes the function synchronously (Lambda proxy) and returns its error to "
    "the caller; a dead-letter queue only receives failed asynchronous invocations, so it "
    "would stay empty"
)
_NO_CACHE = (
    "responses are presigned notebook URLs, bearer credentials minted per caller and per "
    "request; a stage cache would hand one caller's URL to another. No cache, so no cache "
    "encryption"
)
_NO_EXECUTION_LOGS = (
    "execution logs go to a log group API Gateway creates itself (API-Gateway-Execution-"
    "Logs_<api>/<stage>), without KMS encryption or retention, and at INFO level they "
    "record request details this API keeps out of logs; the stage writes a JSON access "
    "log line per request (caller, source IP, status, WAF status) to a KMS-encrypted log "
    "group with retention, and the Lambda logs one audit line per request"
)
_NO_CLIENT_CERTIFICATE = (
    "a stage client certificate lets an HTTP backend authenticate API Gateway; this API's "
    "only integration is a Lambda proxy invoked through IAM, which does not use it"
)
_IAM_NOT_COGNITO = (
    "callers authenticate with AWS IAM (SigV4) and are authorized per notebook route by "
    "identity policies (grant_open) plus the IP-denying resource policy; a Cognito user "
    "pool would add a second identity store"
)
_WILDCARD_RESOURCES = (
    "Resource '*' appears only where no narrower resource exists: the VPC network-interface "
    "actions Lambda needs to attach the function to its subnets (ec2:Describe* have no "
    "resource-level permissions; the interface ids do not exist before creation), X-Ray "
    "PutTraceSegments/PutTelemetryRecords (no resource-level permissions), and the API "
    "Gateway account logging role, which API Gateway assumes to write the logs of every "
    "REST API in the region (the grants of AWS's AmazonAPIGatewayPushToCloudWatchLogs, as "
    "a customer-managed policy)"
)
_DEFAULT_SG_UNUSED = (
    "nothing in this VPC uses its default security group: the notebook, the Lambda and the "
    "SageMaker endpoint each get their own group, and the isolated subnets have no route "
    "out. Closing it would take CDK's restrictDefaultSecurityGroup custom resource, a "
    "Node.js Lambda with an AWS-managed policy and an unencrypted log group, more to "
    "operate than the unused group it closes"
)

_FIXED_405 = (
    "the unsigned method is the ANY catch-all beside POST: a MOCK integration that returns "
    "a fixed 405 MethodNotAllowed body with 'Allow: POST' and calls nothing; the resource "
    "policy still denies callers outside the allow-list, and POST, the only method that "
    "does anything, keeps IAM authorization"
)

ACKNOWLEDGED_RULES: dict[str, str] = {
    # PresignedUrlApi: the Lambda function
    "NIST.800.53.R5::NIST.800.53.R5-LambdaDLQ": _NO_DLQ,
    "HIPAA.Security::HIPAA.Security-LambdaDLQ": _NO_DLQ,
    "Serverless::Serverless-LambdaDLQ": _NO_DLQ,
    # PresignedUrlApi: the Lambda function's managed policy
    "AwsSolutions::AwsSolutions-IAM5[Resource::*]": _WILDCARD_RESOURCES,
    # PresignedUrlApi: the REST API stage
    "NIST.800.53.R5::NIST.800.53.R5-APIGWCacheEnabledAndEncrypted": _NO_CACHE,
    "HIPAA.Security::HIPAA.Security-APIGWCacheEnabledAndEncrypted": _NO_CACHE,
    "PCI.DSS.321::PCI.DSS.321-APIGWCacheEnabledAndEncrypted": _NO_CACHE,
    "AwsSolutions::AwsSolutions-APIG6": _NO_EXECUTION_LOGS,
    "NIST.800.53.R5::NIST.800.53.R5-APIGWExecutionLoggingEnabled": _NO_EXECUTION_LOGS,
    "HIPAA.Security::HIPAA.Security-APIGWExecutionLoggingEnabled": _NO_EXECUTION_LOGS,
    "PCI.DSS.321::PCI.DSS.321-APIGWExecutionLoggingEnabled": _NO_EXECUTION_LOGS,
    "NIST.800.53.R5::NIST.800.53.R5-APIGWSSLEnabled": _NO_CLIENT_CERTIFICATE,
    "HIPAA.Security::HIPAA.Security-APIGWSSLEnabled": _NO_CLIENT_CERTIFICATE,
    "PCI.DSS.321::PCI.DSS.321-APIGWSSLEnabled": _NO_CLIENT_CERTIFICATE,
    # PresignedUrlApi: the REST API methods
    "AwsSolutions::AwsSolutions-COG4": _IAM_NOT_COGNITO,
    # PresignedUrlApi: the 405 catch-all method
    "AwsSolutions::AwsSolutions-APIG4": _FIXED_405,
    # create_private_vpc: the VPC the construct creates when none is given
    "NIST.800.53.R5::NIST.800.53.R5-VPCDefaultSecurityGroupClosed": _DEFAULT_SG_UNUSED,
    "HIPAA.Security::HIPAA.Security-VPCDefaultSecurityGroupClosed": _DEFAULT_SG_UNUSED,
    "PCI.DSS.321::PCI.DSS.321-VPCDefaultSecurityGroupClosed": _DEFAULT_SG_UNUSED,
}


def acknowledge(scope: IConstruct, *rule_ids: str) -> None:
    """Acknowledge ``rule_ids`` on ``scope`` (and its children) with the reasons above."""
    unknown = [rule for rule in rule_ids if rule not in ACKNOWLEDGED_RULES]
    if unknown:
        raise KeyError(f"no reason recorded for {unknown}; add it to ACKNOWLEDGED_RULES")
    Validations.of(scope).acknowledge(
        *(Acknowledgment(id=rule, reason=ACKNOWLEDGED_RULES[rule]) for rule in rule_ids)
    )
