"""Every cdk-nag and Control Tower rule this library acknowledges, with the reason, in one place.

Each construct acknowledges only the rules its own resources trip, on the resource
that trips them (never stack- or app-wide). A rule id missing here cannot be
acknowledged, so a new acknowledgment is a visible change to this file and its test.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Stack, Token, Validations
from constructs import IConstruct

from .limits import NOTEBOOK_LOG_GROUP, NOTEBOOK_LOG_STREAM_SUFFIXES

_NO_DLQ = (
    "API Gateway invokes the URL function synchronously (Lambda proxy) and returns its error "
    "to the caller; a dead-letter queue only receives failed asynchronous invocations, so it "
    "would stay empty. The notebook watch is invoked by an EventBridge schedule every 5 "
    "minutes with no payload: a failed run has nothing to keep, the next run supersedes it, "
    "and Lambda's Errors metric records it"
)
_WATCH_WITHOUT_FAILURE_DESTINATION = (
    "the notebook watch's schedule sends no payload and the function is never retried: a "
    "failed run has nothing for a destination to keep; NotebookInstance.add_alarms alarms "
    "on the watch's Errors and on it not running"
)
_SCHEDULE_WITHOUT_DLQ = (
    "the notebook watch's schedule sends no payload: a delivery that fails has nothing to "
    "keep, and the next run 5 minutes later is the retry"
)
_NO_CACHE = (
    "responses are presigned notebook URLs, bearer credentials minted per caller and per "
    "request; a stage cache would hand one caller's URL to another. No cache, so no cache "
    "encryption"
)
_NO_RESERVED_CONCURRENCY = (
    "no reserved concurrency by default (the notebook watch runs once every 5 minutes and "
    "has none): Lambda keeps 100 concurrent executions of every "
    "account unreserved, so in an account whose concurrency quota is still the new-account "
    "10 any reservation fails the deploy; the stage's throttling (10 rps, burst 20) and the "
    "WAF rate rule bound the load instead, and reserved_concurrent_executions sets one "
    "where the quota allows"
)
_NO_CLIENT_CERTIFICATE = (
    "a stage client certificate lets an HTTP backend authenticate API Gateway; this API's "
    "only integration is a Lambda proxy invoked through IAM, which does not use it"
)
_IAM_NOT_COGNITO = (
    "callers authenticate with AWS IAM (SigV4) and are authorized per notebook route by "
    "identity policies (grant_open) plus the IP-denying resource policy; a Cognito user "
    "pool would add a second identity store. With a NotebookPortal, its listing, open and "
    "start routes have a Cognito authorizer, and its sign-in page (GET /) none: a "
    "browser's first request carries no token, and the page holds no data"
)
_WILDCARD_RESOURCES = (
    "Resource '*' appears only where no narrower resource exists: the VPC network-interface "
    "actions Lambda needs to attach the function to its subnets (ec2:Describe* have no "
    "resource-level permissions; the interface ids do not exist before creation), X-Ray "
    "PutTraceSegments/PutTelemetryRecords (no resource-level permissions), with a portal "
    "sagemaker:ListNotebookInstances and tag:GetResources (neither has resource-level "
    "permissions: Service Authorization Reference; the handler asks GetResources only for "
    "its own serving tag and keeps only the served names), and the API "
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

_PAGE_WITHOUT_AUTHORIZATION = (
    "GET / is the portal's sign-in page: a browser's first request cannot carry a token. "
    "It is served only to the allow-list (resource policy deny), holds no data and makes "
    "no AWS call; every route that lists, starts or opens a notebook has the Cognito "
    "authorizer"
)
_NO_THREAT_PROTECTION = (
    "Cognito threat protection (advanced security) needs the Plus feature plan; the pool "
    "admits no self sign-up and requires TOTP MFA, and a federated IdP applies its own "
    "risk checks. Pass a user_pool configured with threat protection to have it"
)

_ANY_NOTEBOOK_BY_TAG = (
    "Notebook instances of this account only, and only as tags decide: presign, describe "
    "and start are allowed on a notebook carrying this API's notebook-access:served-by tag "
    "(aws:ResourceTag condition), which only named administrators may set (the tag guard), "
    "so the served fleet grows without a redeploy; with a portal, sagemaker:ListTags reads "
    "tags only (their owner and group tags decide who may open which)"
)
# The URL function's policy on notebook-instance/*: its tag-scoped minting, and a portal's
# ListTags (cdk-nag writes one finding for both).
ANY_NOTEBOOK_RULE = (
    "AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sagemaker:"
    "<AWS::Region>:<AWS::AccountId>:notebook-instance/*]"
)

# SageMaker's notebook log group's ARN as cdk-nag writes it in a finding id (the
# placeholders become literals in a stack with an explicit env: as_nag_writes_it).
_NOTEBOOK_LOG_GROUP_ARN = (
    f"arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:{NOTEBOOK_LOG_GROUP}"
)
# What NotebookInstance's log policy trips: DescribeLogStreams on the group, and with a
# generated notebook name the streams of any notebook.
DESCRIBE_LOG_STREAMS_RULE = (
    f"AwsSolutions::AwsSolutions-IAM5[Resource::{_NOTEBOOK_LOG_GROUP_ARN}:*]"
)
GENERATED_NAME_STREAM_RULES = tuple(
    f"AwsSolutions::AwsSolutions-IAM5[Resource::{_NOTEBOOK_LOG_GROUP_ARN}:log-stream:*/{suffix}]"
    for suffix in NOTEBOOK_LOG_STREAM_SUFFIXES
)
_DESCRIBE_LOG_STREAMS = (
    "CloudWatch Logs authorizes CreateLogGroup, CreateLogStream and DescribeLogStreams on a "
    "log group's ARN with ':*' appended (CloudWatch Logs user guide, 'Overview of managing "
    "access permissions'); this is SageMaker's notebook log group only, these actions create "
    "the group and streams and read stream names, and writing events (PutLogEvents) stays "
    "scoped to the notebook's own streams. The SageMaker developer guide lists them among a "
    "notebook execution role's permissions"
)
_GENERATED_NAME_STREAMS = (
    "the notebook's name is generated by CloudFormation and unknown before the notebook "
    "exists, and the log policy must exist before it (SageMaker writes the first boot's "
    "logs while the stack waits): the streams are those of one suffix in SageMaker's "
    "notebook log group, for any notebook. Pass notebook_instance_name for streams of "
    "this notebook only"
)
# AWS Control Tower's proactive controls, as CDK's cfn-guard plugin (cdk-validator-cfnguard)
# names them: "<plugin>::<guard rule>", the control's id (CT.LAMBDA.PR.2) in a comment.
CONTROL_TOWER_PLUGIN = "cdk-validator-cfnguard"
LAMBDA_PERMISSION_RULE = f"{CONTROL_TOWER_PLUGIN}::lambda_function_public_access_prohibited_check"
_PERMISSION_SCOPED_BY_SOURCE_ARN = (
    "every Lambda permission here lets only apigateway.amazonaws.com invoke the function, "
    "with a SourceArn naming this REST API's stage, method and path (CDK writes it as an "
    "Fn::Join of the API id, the stage and the route): what CT.LAMBDA.PR.2 requires of a "
    "service principal. The guard rule accepts SourceArn only as a literal string or a "
    "Ref/GetAtt of one resource, so it cannot read the joined ARN; the permission is not "
    "public"
)
ACKNOWLEDGED_RULES: dict[str, str] = {
    # PresignedUrlApi: the Lambda function
    "NIST.800.53.R5::NIST.800.53.R5-LambdaDLQ": _NO_DLQ,
    "HIPAA.Security::HIPAA.Security-LambdaDLQ": _NO_DLQ,
    "Serverless::Serverless-LambdaDLQ": _NO_DLQ,
    "NIST.800.53.R5::NIST.800.53.R5-LambdaConcurrency": _NO_RESERVED_CONCURRENCY,
    "HIPAA.Security::HIPAA.Security-LambdaConcurrency": _NO_RESERVED_CONCURRENCY,
    # NotebookWatch: the schedule that runs the function publishing notebooks' running time
    "Serverless::Serverless-EventBusDLQ": _SCHEDULE_WITHOUT_DLQ,
    "Serverless::Serverless-LambdaAsyncFailureDestination": _WATCH_WITHOUT_FAILURE_DESTINATION,
    # PresignedUrlApi: the Lambda function's managed policy
    "AwsSolutions::AwsSolutions-IAM5[Resource::*]": _WILDCARD_RESOURCES,
    # PresignedUrlApi: the REST API stage
    "NIST.800.53.R5::NIST.800.53.R5-APIGWCacheEnabledAndEncrypted": _NO_CACHE,
    "HIPAA.Security::HIPAA.Security-APIGWCacheEnabledAndEncrypted": _NO_CACHE,
    "PCI.DSS.321::PCI.DSS.321-APIGWCacheEnabledAndEncrypted": _NO_CACHE,
    "NIST.800.53.R5::NIST.800.53.R5-APIGWSSLEnabled": _NO_CLIENT_CERTIFICATE,
    "HIPAA.Security::HIPAA.Security-APIGWSSLEnabled": _NO_CLIENT_CERTIFICATE,
    "PCI.DSS.321::PCI.DSS.321-APIGWSSLEnabled": _NO_CLIENT_CERTIFICATE,
    # PresignedUrlApi: the REST API methods
    "AwsSolutions::AwsSolutions-COG4": _IAM_NOT_COGNITO,
    # NotebookPortal: the page method and the user pool
    "AwsSolutions::AwsSolutions-APIG4": _PAGE_WITHOUT_AUTHORIZATION,
    "AwsSolutions::AwsSolutions-COG8": _NO_THREAT_PROTECTION,
    ANY_NOTEBOOK_RULE: _ANY_NOTEBOOK_BY_TAG,
    # NotebookInstance: the execution role's log policy
    DESCRIBE_LOG_STREAMS_RULE: _DESCRIBE_LOG_STREAMS,
    **dict.fromkeys(GENERATED_NAME_STREAM_RULES, _GENERATED_NAME_STREAMS),
    # PrivateVpc: the VPC IpRestrictedNotebook creates when none is given
    "NIST.800.53.R5::NIST.800.53.R5-VPCDefaultSecurityGroupClosed": _DEFAULT_SG_UNUSED,
    "HIPAA.Security::HIPAA.Security-VPCDefaultSecurityGroupClosed": _DEFAULT_SG_UNUSED,
    "PCI.DSS.321::PCI.DSS.321-VPCDefaultSecurityGroupClosed": _DEFAULT_SG_UNUSED,
    # PresignedUrlApi: the permissions API Gateway's methods (and a portal's) get on the
    # function (CT.LAMBDA.PR.2)
    LAMBDA_PERMISSION_RULE: _PERMISSION_SCOPED_BY_SOURCE_ARN,
}


def acknowledge(scope: IConstruct, *rule_ids: str) -> None:
    """Acknowledge ``rule_ids`` on ``scope`` (and its children) with the reasons above."""
    unknown = [rule for rule in rule_ids if rule not in ACKNOWLEDGED_RULES]
    if unknown:
        raise KeyError(f"no reason recorded for {unknown}; add it to ACKNOWLEDGED_RULES")
    Validations.of(scope).acknowledge(
        *(
            Acknowledgment(id=as_nag_writes_it(scope, rule), reason=ACKNOWLEDGED_RULES[rule])
            for rule in rule_ids
        )
    )


def as_nag_writes_it(scope: IConstruct, rule_id: str) -> str:
    """The rule id as cdk-nag writes it for ``scope``'s stack.

    A finding id quotes the resource ARN: in a stack with an explicit environment the
    region and account are literals there, in an environment-agnostic one the pseudo
    parameters. The registry spells the pseudo parameters; this fills in the literals.
    """
    if "<AWS::" not in rule_id:
        # Most ids quote no ARN: skip the stack look-up, five jsii round trips per id.
        return rule_id
    stack = Stack.of(scope)
    if not Token.is_unresolved(stack.region):
        rule_id = rule_id.replace("<AWS::Region>", stack.region)
    if not Token.is_unresolved(stack.account):
        rule_id = rule_id.replace("<AWS::AccountId>", stack.account)
    return rule_id
