"""The IAM matrix: every AWS call the system makes at run time, and the denials that matter.

One Row per request. ``resource`` is the ARN the action is really authorized against
(Service Authorization Reference, "Resource types" column, or the service's own guide where
it says otherwise), and ``source`` says where that and the context come from. Facts in
braces come from the synthesized stacks (stacks.World.facts). docs/iam-matrix.md has the
table in prose and how to add a row.
"""

from __future__ import annotations

from .model import (
    ALLOWED,
    ANONYMOUS,
    ENDPOINT,
    EXPLICIT_DENY,
    FOREIGN,
    IDENTITY,
    IMPLICIT_DENY,
    OTHER_ENDPOINT,
    RESOURCE,
    SERVED_BY_CONTEXT,
    SERVED_BY_KEY,
    SERVICE,
    Row,
)

_SAR = "https://docs.aws.amazon.com/service-authorization/latest/reference/"
SAR_SAGEMAKER = _SAR + "list_amazonsagemaker.html"
SAR_LOGS = _SAR + "list_amazoncloudwatchlogs.html"
SAR_KMS = _SAR + "list_awskeymanagementservice.html"
SAR_EC2 = _SAR + "list_amazonec2.html"
SAR_EXECUTE_API = _SAR + "list_amazonapigateway.html"
SAR_S3 = _SAR + "list_amazons3.html"
SAR_STS = _SAR + "list_awssecuritytokenservice.html"
SAR_XRAY = _SAR + "list_awsx-ray.html"
# "Actions, resources, and condition keys for Amazon Resource Group Tagging API" (prefix tag):
# GetResources has no resource types (Resource "*") and no condition keys of its own.
SAR_TAGGING = _SAR + "list_resourcegroupstaggingapi.html"
# "Overview of managing access permissions to your CloudWatch Logs resources": every action
# but TagResource, UntagResource and ListTagsForResource is authorized against the log
# group's ARN ending in ":*".
LOGS_GUIDE = (
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/iam-access-control-overview-cwl.html"
)
PRESIGN_API = (
    "https://docs.aws.amazon.com/sagemaker/latest/APIReference/"
    "API_CreatePresignedNotebookInstanceUrl.html"
)
IP_FILTER_GUIDE = "https://docs.aws.amazon.com/sagemaker/latest/dg/nbi-ip-filter.html"
EXECUTION_ROLE_GUIDE = (
    "https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html "
    "(CreateNotebookInstance API: Execution Role Permissions)"
)
LAMBDA_VPC_GUIDE = "https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html"
LAMBDA_ENV_KEY_GUIDE = (
    "https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-encryption.html"
)
LAMBDA_LOGS_GUIDE = "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html"
LAMBDA_XRAY_GUIDE = "https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html"
APIGW_LOGGING_GUIDE = (
    "https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html"
)
APIGW_INVOKE_ARN = (
    "https://docs.aws.amazon.com/apigateway/latest/developerguide/"
    "api-gateway-control-access-using-iam-policies-to-invoke-api.html"
)
APIGW_POLICY_FLOW = "https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html"
FLOW_LOGS_ROLE_GUIDE = "https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html"
ENDPOINT_POLICY_GUIDE = (
    "https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html"
)
GLOBAL_KEYS = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html"
)
TAGGING_ENDPOINT_GUIDE = (
    "https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/"
    "vpc-interface-endpoints.html"
)
KMS_DEFAULT_KEY_POLICY = (
    "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html"
)
KMS_GRANT_KEYS = (
    "https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html"
    "#conditions-kms-grant-is-for-aws-resource"
)
AL2023_BUCKETS = (
    "aws-samples/data-perimeter-policy-examples vpc_endpoint_policies/s3_endpoint_policy.json "
    "(AllowRequestsToAWSOwnedResources)"
)

# SageMaker writes every notebook's logs to this group (limits.NOTEBOOK_LOG_GROUP).
NOTEBOOK_LOGS = "arn:aws:logs:{region}:{account}:log-group:/aws/sagemaker/NotebookInstances"
FLOW_LOG_ID = "fl-0123456789abcdef0"
ENI = "arn:aws:ec2:{region}:{account}:network-interface/eni-0123456789abcdef0"
FUNCTION_STREAM = "{function_logs_arn}:log-stream:2025/01/01/[$LATEST]0123456789abcdef"
INSIDE = "203.0.113.10"  # in the demo's and the portal's allow-list (203.0.113.0/24)
OUTSIDE = "198.18.0.10"  # in no allow-list of the stacks
FLEET_INSIDE = "192.0.2.10"  # the fleet's allow-list is 192.0.2.0/24
KMS_CALLER = {"kms:CallerAccount": "{account}"}
# What a person with SageMaker console access holds (e.g. AmazonSageMakerFullAccess);
# NotebookIpPolicy exists to bind such people to the allow-list.
CONSOLE_ACCESS = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "sagemaker:CreatePresignedNotebookInstanceUrl",
            "Resource": "*",
        }
    ],
}

# A role widened with sagemaker:* (what a team might attach to a notebook role or give the
# people who hold it): the tag guard must hold against it.
SAGEMAKER_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"}],
}
TAGGING_GUIDE = (
    "https://docs.aws.amazon.com/sagemaker/latest/dg/security_iam_id-based-policy-examples.html "
    "(Control access to SageMaker resources by using tags)"
)


# Issue 21: the API's role presigns, describes and starts a notebook only if it carries
# notebook-access:served-by = the API's serving id (statement MintForTaggedNotebooks;
# notebook-instance supports aws:ResourceTag/${TagKey}: SAR_SAGEMAKER, "Resource types").
# A request on a tagged notebook carries the tag ("AWS global condition context keys":
# aws:ResourceTag). simulator.prepare adds a template notebook's tags to every request on
# it; rows where the tag decides spell it out, and must say what the template says.
SERVED = {SERVED_BY_CONTEXT: "{serving_tag}"}  # tagged with this subject's API's serving id
OTHER_SERVED = {SERVED_BY_CONTEXT: "{other_notebook_served_by}"}  # other_notebook's own tag
SERVED_BY_SOURCE = (
    f"{SAR_SAGEMAKER} (notebook-instance: aws:ResourceTag/${{TagKey}}); {GLOBAL_KEYS} "
    "(aws:ResourceTag); api/served_notebooks.py tagged_mint_statement"
)
# Notebooks no template holds: one an administrator served after the deploy by tagging it
# (rows give it SERVED), one nobody tagged (rows give it no tag).
TAGGED_LATER = "arn:aws:sagemaker:{region}:{account}:notebook-instance/tagged-later"
UNTAGGED = "arn:aws:sagemaker:{region}:{account}:notebook-instance/untagged-notebook"

# Issue 22: a hub ("Hub": an IpRestrictedNotebook with a portal, and a NotebookAccessHub) and
# its spoke in a member account ("Spoke", stacks.SPOKE_ACCOUNT), the spoke built with the
# hub's values as strings. The hub's function assumes the spoke role (cross-account: its own
# policy and the role's trust must both allow, CROSS_ACCOUNT_EVALUATION) through the STS
# endpoint, and mints with it through the hub's SageMaker endpoint; a URL minted so is
# evaluated against the spoke role's policy on every request it makes (PRESIGN_API).
ASSUME_ROLE_API = "https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html"
EXTERNAL_ID_GUIDE = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user_externalid.html"
)
CROSS_ACCOUNT_EVALUATION = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
    "reference_policies_evaluation-logic-cross-account.html"
)
STS_ENDPOINT_POLICIES = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sts_vpc_endpoint_policies.html"
)
SPOKE_TRUST_SOURCE = (
    f"{ASSUME_ROLE_API} (ExternalId); {SAR_STS} (role; sts:ExternalId); {EXTERNAL_ID_GUIDE}; "
    f"{CROSS_ACCOUNT_EVALUATION}; spoke/spoke.py _create_role"
)
# The hub's external id, as its function sends it (SPOKE_EXTERNAL_ID) and the trust requires.
EXTERNAL_ID = {"sts:ExternalId": "{external_id}"}
# What a role of the hub account or of another account might hold: any role assumed.
ASSUME_ANY_ROLE = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
}
SPOKE_POLICY_SOURCE = "spoke/spoke.py spoke_statements; hub/hub.py admit_spoke_roles"
# The hub's routes for a member account's notebooks (hub/hub.py, contract.SPOKE_URL_RESOURCE)
# and grant_open's three forms on them (api/open_grants.py; the users: stacks.HUB_GRANTEES).
HUB_INVOKE_SOURCE = (
    f"{SAR_EXECUTE_API} (execute-api-general); {APIGW_INVOKE_ARN}; {APIGW_POLICY_FLOW}; "
    "hub/hub.py (SPOKE_URL_RESOURCE); api/open_grants.py grant_open_routes"
)
SPOKE_ROUTE = "POST/accounts/{spoke_account}/notebooks/{spoke_notebook_name}/url"


def _invoke(method_and_path: str) -> str:
    return "{rest_api}/{stage}/" + method_and_path


ROWS: list[Row] = [
    # ------------------------------------------------ the minting function (demo)
    Row(
        id="Demo/minting/presign-through-own-endpoint",
        where="Demo",
        who="minting_role",
        action="sagemaker:CreatePresignedNotebookInstanceUrl",
        resource="{notebook_arn}",
        via="sagemaker_endpoint",
        context=SERVED,
        expect=ALLOWED,
        by=(IDENTITY, ENDPOINT),
        source=f"{SAR_SAGEMAKER} (notebook-instance; aws:ResourceTag); sagemaker_calls.py "
        f"presign(); {GLOBAL_KEYS}",
        why="the Lambda's own call passes the SageMaker API endpoint: aws:SourceVpce, no "
        "aws:SourceIp; the notebook carries the API's serving tag (add_notebook)",
    ),
    Row(
        id="Demo/minting/describe-through-own-endpoint",
        where="Demo",
        who="minting_role",
        action="sagemaker:DescribeNotebookInstance",
        resource="{notebook_arn}",
        via="sagemaker_endpoint",
        context=SERVED,
        expect=ALLOWED,
        by=(IDENTITY, ENDPOINT),
        source=f"{SAR_SAGEMAKER} (notebook-instance); sagemaker_calls.py describe_status()",
    ),
    Row(
        id="Demo/minting/url-opened-inside-allow-list",
        where="Demo",
        who="minting_role",
        action="sagemaker:CreatePresignedNotebookInstanceUrl",
        resource="{notebook_arn}",
        ip=INSIDE,
        context=SERVED,
        expect=ALLOWED,
        by=(IDENTITY,),
        source=f"{PRESIGN_API}; {IP_FILTER_GUIDE}",
        why="every request the URL makes is evaluated against the minting role's policy, "
        "from the browser's address",
    ),
    Row(
        id="Demo/minting/url-opened-outside-allow-list",
        where="Demo",
        who="minting_role",
        action="sagemaker:CreatePresignedNotebookInstanceUrl",
        resource="{notebook_arn}",
        ip=OUTSIDE,
        context=SERVED,
        expect=EXPLICIT_DENY,
        by=(IDENTITY,),
        source=f"{PRESIGN_API}; {IP_FILTER_GUIDE}",
        why="a URL opened outside the allow-list: aws:SourceIp outside, no aws:SourceVpce",
    ),
    Row(
        id="Demo/minting/presign-through-another-endpoint",
        where="Demo",
        who="minting_role",
        action="sagemaker:CreatePresignedNotebookInstanceUrl",
        resource="{notebook_arn}",
        via=OTHER_ENDPOINT,
        context=SERVED,
        expect=EXPLICIT_DENY,
        by=(IDENTITY,),
        source=f"{IP_FILTER_GUIDE}; {GLOBAL_KEYS} (aws:SourceVpce)",
        why="minting through a VPC endpoint that is not the construct's (AWS's default "
        "endpoint policy) would let its URLs open anywhere",
    ),
    Row(
        id="Demo/minting/start-without-allow-start",
        where="Demo",
        who="minting_role",
        action="sagemaker:StartNotebookInstance",
        resource="{notebook_arn}",
        via="sagemaker_endpoint",
        context=SERVED,
        expect=IMPLICIT_DENY,
        by=(IDENTITY,),
        source=f"{SAR_SAGEMAKER} (notebook-instance); api/presigned_url_api.py allow_start=False",
        opens_with=(
            (
                IDENTITY,
                {
                    "Effect": "Allow",
                    "Action": "sagemaker:StartNotebookInstance",
                    "Resource": "{notebook_arn}",
                },
            ),
        ),
        why="no start route, no start permission",
    ),
    Row(
        id="Demo/minting/create-log-stream",
        where="Demo",
        who="minting_role",
        action="logs:CreateLogStream",
        resource=FUNCTION_STREAM,
        expect=ALLOWED,
        by=(IDENTITY,),
        source=f"{SAR_LOGS} (log-stream); {LAMBDA_LOGS_GUIDE}",
        why="Lambda writes the function's logs with its execution role, outside the VPC",
    ),
    Row(
        id="Demo/minting/put-log-events",
        where="Demo",
        who="minting_role",
        action="logs:PutLogEvents",
        resource=FUNCTION_STREAM,
        expect=ALLOWED,
        by=(IDENTITY,),
        source=f"{SAR_LOGS} (log-stream); {LAMBDA_LOGS_GUIDE}",
    ),
    Row(
        id="Demo/minting/put-log-events-elsewhere",
        where="Demo",
        who="minting_role",
        action="logs:PutLogEvents",
        resource="arn:aws:logs:{region}:{account}:log-group:/aws/lambda/another:log-stream:s",
        expect=IMPLICIT_DENY,
        by=(IDENTITY,),
        source=f"{SAR_LOGS} (log-stream)",
        why="its own log group only",
    ),
    Row(
        id="Demo/minting/decrypt-environment",
        where="Demo",
        who="minting_role",
        action="kms:Decrypt",
        resource="{logs_key_arn}",
        resource_policy="logs_key",
        context=KMS_CALLER,
        expect=ALLOWED,
        by=(IDENTITY, RESOURCE),
        source=f"{SAR_KMS} (key); {LAMBDA_ENV_KEY_GUIDE}; {KMS_DEFAULT_KEY_POLICY}",
        why="the environment is encrypted with the construct's key; the key policy delegates "
        "to IAM (account root)",
    ),
    Row(
        id="Demo/minting/decrypt-with-volume-key",
        where="Demo",
        who="minting_role",
        action="kms:Decrypt",
        resource="{volume_key_arn}",
        resource_policy="volume_key",
        context=KMS_CALLER,
        expect=IMPLICIT_DENY,
        by=(IDENTITY,),
        source=f"{SAR_KMS} (key)",
        why="the notebook's volume key is not the function's",
    ),
    *[
        Row(
            id=f"Demo/minting/{action.split(':')[1]}-{kind}",
            where="Demo",
            who="minting_role",
            action=action,
            resource=resource,
            expect=ALLOWED,
            by=(IDENTITY,),
            source=f"{SAR_EC2} ({kind}); {LAMBDA_VPC_GUIDE} (execution role permissions)",
            why="Lambda creates and deletes the VPC function's network interfaces with its "
            "execution role",
        )
        for action, kind, resource in (
            ("ec2:CreateNetworkInterface", "network-interface", ENI),
            (
                "ec2:CreateNetworkInterface",
                "subnet",
                "arn:aws:ec2:{region}:{account}:subnet/{subnet}",
            ),
            (
                "ec2:CreateNetworkInterface",
                "security-group",
                "arn:aws:ec2:{region}:{account}:security-group/{function_security_group}",
            ),
            ("ec2:DeleteNetworkInterface", "network-interface", ENI),
            ("ec2:AssignPrivateIpAddresses", "network-interface", ENI),
            ("ec2:UnassignPrivateIpAddresses", "network-interface", ENI),
            ("ec2:DescribeNetworkInterfaces", "no-resource-types", "*"),
            ("ec2:DescribeSubnets", "no-resource-types", "*"),
        )
    ],
    Row(
        id="Demo/minting/put-trace-segments",
        where="Demo",
        who="minting_role",
        action="xray:PutTraceSegments",
        resource="*",
        expect=ALLOWED,
        by=(IDENTITY,),
        source=f"{SAR_XRAY} (no resource types); {LAMBDA_XRAY_GUIDE}",
        why="active tracing",
    ),
    Row(
        id="Demo/minting/assumed-by-lambda",
        where="Demo",
        who=SERVICE + "lambda.amazonaws.com",
        action="sts:AssumeRole",
        resource="{minting_role_arn}",
        resource_policy="minting_role",
        expect=ALLOWED,
        by=(RESOURCE,),
        source=f"{SAR_STS} (role); {LAMBDA_VPC_GUIDE}",
    ),
    # ------------------------------------------------ the minting function (fleet, portal)
    Row(
        id="Fleet/minting/presign-by-prefix",
        where="Fleet/nb-alice",
        who="minting_role",
        action="sagemaker:CreatePresignedNotebookInstanceUrl",
        resource="arn:aws:sagemaker:{region}:{account}:notebook-instance/{prefix}analysis",
        via="sagemaker_endpoint",
        expect=ALLOWED,
        by=(IDENTITY, ENDPOINT),
        source=f"{SAR_SAGEMAKER} (notebook-instance);"
        f" api/presigned_url_api.py notebook_name_prefix",
    ),
    Row(
        id="Fleet/minting/start-by-prefix",
        where="Fleet/nb-alice",
        who="minting_role",
        action="sagemaker:StartNotebookInstance",
        resource="arn:aws:sagemaker:{region}:{account}:notebook-instance/{prefix}analysis",
        via="sagemaker_endpoint",
        expect=ALLOWED,
        by=(IDENTITY, ENDPOINT),
        source=f"{SAR_SAGEMAKER} (notebook-instance); sagemaker_calls.py start_notebook()",
    ),
    Row(
        id="Fleet/minting/presign-existing-by-name",
        where="Fleet/nb-alice",
        who="minting_role",
        action="sagemaker:CreatePresignedNotebookInstanceUrl",
        # SageMaker writes the name in lower case in the ARN ("Legacy-Notebook").
        resource="arn:aws:sagemaker:{region}:{account}:notebook-instance/legacy-notebook",
        via="sagemaker_endpoint",
        expect=ALLOWED,
        by=(IDENTITY, ENDPOINT),
        source=f"{SAR_SAGEMAKER} (notebook-instance); api/presigned_url_api.py add_notebook(name)",
    ),
    Row(
        id="Fleet/minting/describe-object-served",
        where="Fleet/nb-alice",
        who="minting_role",
        action="sagemaker:DescribeNotebookInstance",
        resource="{other_notebook_arn}",
        via="sagemaker_endpoint",
        context=SERVED,
        expect=ALLOWED,
        by=(IDENTITY, ENDPOINT),
        source=f"{SAR_SAGEMAKER} (notebook-instance; aws:ResourceTag); sagemaker_calls.py "
        "describe_status()",
        why="a NotebookInstance added with add_notebook is served by its tag, not by name",
    ),
    Row(
        id="Fleet/minting/presign-unserved-notebook",
        where="Fleet/nb-alice",
        who="minting_role",
        action="sagemaker:CreatePresignedNotebookInstanceUrl",
        resource="{unserved_notebook_arn}",
        via="sagemaker_endpoint",
        expect=IMPLICIT_DENY,
        by=(IDENTITY,),
        source=f"{SAR_SAGEMAKER} (notebook-instance)",
        why="presigning a notebook the API does not serve (untagged, not listed by name or prefix)",
    ),
    Row(
        id="Portal/minting/list-notebooks",
        where="Portal/Access",
        who="minting_role",
        action="sagemaker:ListNotebookInstances",
        resource="*",
        via="sagemaker_endpoint",
        expect=ALLOWED,
        by=(IDENTITY, ENDPOINT),
        source=f"{SAR_SAGEMAKER} (no resource types); portal_listing.py listing_for()",
    ),
    Row(
        id="Portal/minting/list-tags",
        where="Portal/Access",
        who="minting_role",
        action="sagemaker:ListTags",
        resource="{notebook_arn}",
        via="sagemaker_endpoint",
        expect=ALLOWED,
        by=(IDENTITY, ENDPOINT),
        source=f"{SAR_SAGEMAKER} (notebook-instance); sagemaker_calls.py notebook_tags()",
    ),
    Row(
        id="Portal/minting/start",
        where="Portal/Access",
        who="minting_role",
        action="sagemaker:StartNotebookInstance",
        resource="{notebook_arn}",
        via="sagemaker_endpoint",
        context=SERVED,
        expect=ALLOWED,
        by=(IDENTITY, ENDPOINT),
        source=f"{SAR_SAGEMAKER} (notebook-instance; aws:ResourceTag); sagemaker_calls.py "
        "start_notebook()",
    ),
    Row(
        id="Portal/minting/start-other-api-notebook",
        where="Portal/Access",
        who="minting_role",
        action="sagemaker:StartNotebookInstance",
        resource="{other_notebook_arn}",
        via="sagemaker_endpoint",
        context=OTHER_SERVED,
        expect=IMPLICIT_DENY,
        by=(IDENTITY,),
        source=SERVED_BY_SOURCE,
        why="the other API's notebook in the same stack (tagged with that API's serving id)",
    ),
    Row(
        id="Portal/first-minting/presign-other-api-notebook",
        where="Portal/First",
        who="minting_role",
        action="sagemaker:CreatePresignedNotebookInstanceUrl",
        resource="{other_notebook_arn}",
        via="sagemaker_endpoint",
        context=OTHER_SERVED,
        expect=IMPLICIT_DENY,
        by=(IDENTITY,),
        source=SERVED_BY_SOURCE,
        why="one API's role cannot presign the other API's notebook",
    ),
    Row(
        id="NonDefaults/minting/url-opened-inside-ipv6",
        where="NonDefaults",
        who="minting_role",
        action="sagemaker:CreatePresignedNotebookInstanceUrl",
        resource="{notebook_arn}",
        ip="2001:db8::10",
        context=SERVED,
        expect=ALLOWED,
        by=(IDENTITY,),
        source=f"{PRESIGN_API}; {IP_FILTER_GUIDE}",
    ),
    Row(
        id="NonDefaults/minting/url-opened-outside-ipv6",
        where="NonDefaults",
        who="minting_role",
        action="sagemaker:CreatePresignedNotebookInstanceUrl",
        resource="{notebook_arn}",
        ip="2a05:d018::10",
        context=SERVED,
        expect=EXPLICIT_DENY,
        by=(IDENTITY,),
        source=f"{PRESIGN_API}; {IP_FILTER_GUIDE}",
    ),
    Row(
        id="Defaults/minting/presign-generated-name",
        where="Defaults",
        who="minting_role",
        action="sagemaker:CreatePresignedNotebookInstanceUrl",
        resource="{notebook_arn}",
        via="sagemaker_endpoint",
        context=SERVED,
        expect=ALLOWED,
        by=(IDENTITY, ENDPOINT),
        source=f"{SAR_SAGEMAKER} (notebook-instance)",
        why="a name CloudFormation generates (its ARN in lower case)",
    ),
    # ------------------------------------------------ served by tag (issue 21)
    Row(
        id="Demo/minting/presign-notebook-tagged-after-deploy",
        where="Demo",
        who="minting_role",
        action="sagemaker:CreatePresignedNotebookInstanceUrl",
        resource=TAGGED_LATER,
        via="sagemaker_endpoint",
        context=SERVED,
        expect=ALLOWED,
        by=(IDENTITY, ENDPOINT),
        source=SERVED_BY_SOURCE,
        why="a notebook in no template, tagged with the API's serving id by an administrator, "
        "is served without a redeploy",
    ),
    Row(
        id="Demo/minting/presign-untagged-notebook",
        where="Demo",
        who="minting_role",
        action="sagemaker:CreatePresignedNotebookInstanceUrl",
        resource=UNTAGGED,
        via="sagemaker_endpoint",
        expect=IMPLICIT_DENY,
        by=(IDENTITY,),
        source=f"{SERVED_BY_SOURCE}; {GLOBAL_KEYS} (a missing key fails StringEquals)",
        why="no serving tag, no URL: MintForTaggedNotebooks names every notebook of the "
        "account, its condition is all that scopes it",
    ),
    Row(
        id="Portal/minting/presign-notebook-served-by-another-api",
        where="Portal/Access",
        who="minting_role",
        action="sagemaker:CreatePresignedNotebookInstanceUrl",
        resource="{other_notebook_arn}",
        via="sagemaker_endpoint",
        context=OTHER_SERVED,
        expect=IMPLICIT_DENY,
        by=(IDENTITY,),
        source=SERVED_BY_SOURCE,
        why="a notebook tagged with another API's serving id (the stack's other "
        "IpRestrictedNotebook) is that API's alone",
    ),
    Row(
        id="Demo/minting/url-of-notebook-tagged-after-deploy-opened-outside",
        where="Demo",
        who="minting_role",
        action="sagemaker:CreatePresignedNotebookInstanceUrl",
        resource=TAGGED_LATER,
        ip=OUTSIDE,
        context=SERVED,
        expect=EXPLICIT_DENY,
        by=(IDENTITY,),
        source=f"{PRESIGN_API}; {IP_FILTER_GUIDE}; {SERVED_BY_SOURCE}",
        why="the tag serves a notebook, the IP deny still binds its URLs to the allow-list",
    ),
    Row(
        id="Demo/minting/describe-untagged-notebook",
        where="Demo",
        who="minting_role",
        action="sagemaker:DescribeNotebookInstance",
        resource=UNTAGGED,
        via="sagemaker_endpoint",
        expect=IMPLICIT_DENY,
        by=(IDENTITY,),
        source=f"{SERVED_BY_SOURCE}; sagemaker_calls.py _describe_failure() "
        "(AccessDeniedException: NotebookNotFound.not_served, 404)",
        why="the handler answers a refused describe with 404: not served, whether or not "
        "the notebook exists",
    ),
    Row(
        id="Portal/minting/describe-notebook-served-by-another-api",
        where="Portal/Access",
        who="minting_role",
        action="sagemaker:DescribeNotebookInstance",
        resource="{other_notebook_arn}",
        via="sagemaker_endpoint",
        context=OTHER_SERVED,
        expect=IMPLICIT_DENY,
        by=(IDENTITY,),
        source=f"{SERVED_BY_SOURCE}; sagemaker_calls.py _describe_failure() (404)",
    ),
    *[
        Row(
            id=f"{subject.split('/')[0]}/{caller}/get-resources-through-tagging-endpoint",
            where=subject,
            who="minting_role",
            action="tag:GetResources",
            resource="*",
            via="tagging_endpoint",
            expect=ALLOWED,
            by=(IDENTITY, ENDPOINT),
            source=f"{SAR_TAGGING} (no resource types); {TAGGING_ENDPOINT_GUIDE}; "
            "tag_reads.py served_pages(); portal/listing_access.py",
            why=f"the portal lists the served notebooks with their tags ({why})",
        )
        for subject, caller, why in (
            ("Portal/Access", "minting", "IpRestrictedNotebook's sign_in"),
            ("Portal/First", "first-minting", "a NotebookPortal on a shared API"),
        )
    ],
    Row(
        id="Portal/notebook/get-resources-through-tagging-endpoint",
        where="Portal/Access",
        who="notebook_role",
        action="tag:GetResources",
        resource="*",
        via="tagging_endpoint",
        assumed={
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "tag:GetResources", "Resource": "*"}],
        },
        expect=IMPLICIT_DENY,
        by=(ENDPOINT,),
        source=f"{SAR_TAGGING} (no resource types); {TAGGING_ENDPOINT_GUIDE}; "
        f"{ENDPOINT_POLICY_GUIDE}; portal/listing_access.py",
        why="another principal of the account in the VPC (the notebook's role, tag:GetResources "
        "assumed) cannot list through the endpoint: its policy names the function's role only",
    ),
    # ------------------------------------------------ SageMaker with the notebook role
    Row(
        id="Demo/notebook/create-log-group",
        where="Demo",
        who="notebook_role",
        action="logs:CreateLogGroup",
        resource=NOTEBOOK_LOGS + ":*",
        via="logs_endpoint",
        expect=ALLOWED,
        by=(IDENTITY, ENDPOINT),
        source=f"{LOGS_GUIDE}; {EXECUTION_ROLE_GUIDE}",
        why="SageMaker creates the notebook log group in a fresh region (issue 18, 1)",
    ),
    Row(
        id="Demo/notebook/create-log-stream",
        where="Demo",
        who="notebook_role",
        action="logs:CreateLogStream",
        resource=NOTEBOOK_LOGS + ":log-stream:{notebook_name}/jupyter.log",
        via="logs_endpoint",
        expect=ALLOWED,
        by=(IDENTITY, ENDPOINT),
        source=f"{SAR_LOGS} (log-stream); {EXECUTION_ROLE_GUIDE}",
    ),
    Row(
        id="Demo/notebook/describe-log-streams",
        where="Demo",
        who="notebook_role",
        action="logs:DescribeLogStreams",
        resource=NOTEBOOK_LOGS + ":*",
        via="logs_endpoint",
        expect=ALLOWED,
        by=(IDENTITY, ENDPOINT),
        source=f"{LOGS_GUIDE}; {SAR_LOGS} (log-group); {EXECUTION_ROLE_GUIDE}",
    ),
    *[
        Row(
            id=f"Demo/notebook/put-log-events-{stream}",
            where="Demo",
            who="notebook_role",
            action="logs:PutLogEvents",
            resource=NOTEBOOK_LOGS + ":log-stream:{notebook_name}/" + stream,
            via="logs_endpoint",
            expect=ALLOWED,
            by=(IDENTITY, ENDPOINT),
            source=f"{SAR_LOGS} (log-stream); {EXECUTION_ROLE_GUIDE}",
        )
        for stream in ("jupyter.log", "LifecycleConfigOnStart")
    ],
    Row(
        id="Demo/notebook/put-log-events-other-notebook",
        where="Demo",
        who="notebook_role",
        action="logs:PutLogEvents",
        resource=NOTEBOOK_LOGS + ":log-stream:someone-else/jupyter.log",
        via="logs_endpoint",
        expect=IMPLICIT_DENY,
        by=(IDENTITY,),
        source=f"{SAR_LOGS} (log-stream)",
        why="a named notebook writes its own streams only",
    ),
    Row(
        id="Defaults/notebook/put-log-events-generated-name",
        where="Defaults",
        who="notebook_role",
        action="logs:PutLogEvents",
        resource=NOTEBOOK_LOGS + ":log-stream:{notebook_name}/jupyter.log",
        via="logs_endpoint",
        expect=ALLOWED,
        by=(IDENTITY, ENDPOINT),
        source=f"{SAR_LOGS} (log-stream); notebook/instance.py _log_statements (*/jupyter.log)",
    ),
    Row(
        id="NonDefaults/notebook/create-log-group-through-nat",
        where="NonDefaults",
        who="notebook_role",
        action="logs:CreateLogGroup",
        resource=NOTEBOOK_LOGS + ":*",
        ip="198.51.100.200",
        expect=ALLOWED,
        by=(IDENTITY,),
        source=f"{LOGS_GUIDE}; {EXECUTION_ROLE_GUIDE}",
        why="the user's own role, in the user's VPC with NAT (no Logs endpoint)",
    ),
    *[
        Row(
            id=f"Demo/notebook/volume-key-{action.split(':')[1]}",
            where="Demo",
            who="notebook_role",
            action=action,
            resource="{volume_key_arn}",
            resource_policy="volume_key",
            context={
                **KMS_CALLER,
                **({"kms:GrantIsForAWSResource": "true"} if action == "kms:CreateGrant" else {}),
            },
            expect=ALLOWED,
            by=(IDENTITY, RESOURCE),
            source=f"{SAR_KMS} (key); {EXECUTION_ROLE_GUIDE}; {KMS_GRANT_KEYS}",
            why="SageMaker creates and attaches the encrypted volume with the notebook role",
        )
        for action in ("kms:CreateGrant", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey")
    ],
    Row(
        id="Demo/notebook/volume-key-CreateGrant-not-for-an-aws-resource",
        where="Demo",
        who="notebook_role",
        action="kms:CreateGrant",
        resource="{volume_key_arn}",
        resource_policy="volume_key",
        context={**KMS_CALLER, "kms:GrantIsForAWSResource": "false"},
        # Widened on purpose (kms:* on *): the key policy's deny holds whatever IAM allows.
        assumed={
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}],
        },
        expect=EXPLICIT_DENY,
        by=(RESOURCE,),
        source=f"{SAR_KMS} (key); {KMS_GRANT_KEYS}; Control Tower CT.KMS.PR.3",
        why="a notebook user with the role's credentials cannot grant the volume key away, "
        "even where the role's own policies allow it (the key policy denies grants not "
        "made by or for an AWS service; kms:* on the role is assumed)",
    ),
    *[
        Row(
            id=f"Demo/{who.split('_')[0]}/{action.split(':')[1]}-{key.replace(':', '-')}",
            where="Demo",
            who=who,
            action=action,
            resource="{notebook_arn}",
            via="sagemaker_endpoint",
            context={
                "aws:TagKeys": [key],
                **({f"aws:RequestTag/{key}": value} if action == "sagemaker:AddTags" else {}),
            },
            assumed=SAGEMAKER_ALL,
            expect=expect,
            by=by,
            source=f"{SAR_SAGEMAKER} (notebook-instance; aws:TagKeys, aws:RequestTag); "
            f"{TAGGING_GUIDE}; notebook/tag_guard.py",
            why="writing a notebook-access: tag is granting access (tag guard); sagemaker:* "
            "on the role is assumed",
        )
        for who in ("notebook_role", "minting_role")
        for action, key, value, expect, by in (
            ("sagemaker:AddTags", "notebook-access:owners", "mallory", EXPLICIT_DENY, (IDENTITY,)),
            ("sagemaker:DeleteTags", "notebook-access:groups", None, EXPLICIT_DENY, (IDENTITY,)),
            # Re-pointing a notebook at another API (or at this one) is serving it.
            ("sagemaker:AddTags", SERVED_BY_KEY, "{serving_tag}", EXPLICIT_DENY, (IDENTITY,)),
            ("sagemaker:AddTags", "project", "mallory", ALLOWED, (IDENTITY, ENDPOINT)),
        )
    ],
    Row(
        id="Demo/notebook/CreateNotebookInstance-notebook-access-served-by",
        where="Demo",
        who="notebook_role",
        action="sagemaker:CreateNotebookInstance",
        resource=TAGGED_LATER,
        via="sagemaker_endpoint",
        context={
            "aws:TagKeys": [SERVED_BY_KEY],
            f"aws:RequestTag/{SERVED_BY_KEY}": "{serving_tag}",
        },
        assumed=SAGEMAKER_ALL,
        expect=EXPLICIT_DENY,
        by=(IDENTITY,),
        source=f"{SAR_SAGEMAKER} (CreateNotebookInstance: aws:TagKeys, aws:RequestTag); "
        "notebook/tag_guard.py (CREATE_ACTIONS)",
        why="nor may it create a notebook the API would serve (tag-on-create is authorized on "
        "the create call); sagemaker:* on the role is assumed",
    ),
    # The tag guard as an app attaches it (TagGuardPolicy, the Fleet stack): the named
    # administrator may serve a notebook by tagging it, a team role with sagemaker:* may not.
    *[
        Row(
            id=f"Fleet/{who.replace('_', '-')}/AddTags-notebook-access-served-by",
            where="Fleet/nb-alice",
            who=who,
            action="sagemaker:AddTags",
            resource="{unserved_notebook_arn}",
            ip=OUTSIDE,
            context={
                "aws:TagKeys": [SERVED_BY_KEY],
                f"aws:RequestTag/{SERVED_BY_KEY}": "{serving_tag}",
            },
            assumed=SAGEMAKER_ALL,
            expect=expect,
            by=(IDENTITY,),
            source=f"{SAR_SAGEMAKER} (notebook-instance; aws:TagKeys, aws:RequestTag); "
            f"{GLOBAL_KEYS} (aws:PrincipalArn); notebook/tag_guard.py TagGuardPolicy",
            why=why,
        )
        for who, expect, why in (
            (
                "administrator",
                ALLOWED,
                "the administrator named in TagGuardPolicy serves the unserved notebook by "
                "tagging it (sagemaker:* assumed; from a desk, no VPC endpoint)",
            ),
            (
                "team_role",
                EXPLICIT_DENY,
                "a role under the same TagGuardPolicy, not named, cannot (sagemaker:* assumed)",
            ),
        )
    ],
    Row(
        id="Demo/notebook/decrypt-with-logs-key",
        where="Demo",
        who="notebook_role",
        action="kms:Decrypt",
        resource="{logs_key_arn}",
        resource_policy="logs_key",
        context=KMS_CALLER,
        expect=IMPLICIT_DENY,
        by=(IDENTITY,),
        source=f"{SAR_KMS} (key)",
    ),
    Row(
        id="NonDefaults/notebook/volume-key-CreateGrant",
        where="NonDefaults",
        who="notebook_role",
        action="kms:CreateGrant",
        resource="{volume_key_arn}",
        resource_policy="volume_key",
        context={**KMS_CALLER, "kms:GrantIsForAWSResource": "true"},
        expect=ALLOWED,
        by=(IDENTITY, RESOURCE),
        source=f"{SAR_KMS} (key); {EXECUTION_ROLE_GUIDE}",
        why="the user's own role and key",
    ),
    Row(
        id="Demo/notebook/idle-stop-stops-itself",
        where="Demo",
        who="notebook_role",
        action="sagemaker:StopNotebookInstance",
        resource="{notebook_arn}",
        via="sagemaker_endpoint",
        expect=ALLOWED,
        by=(IDENTITY, ENDPOINT),
        source=f"{SAR_SAGEMAKER} (notebook-instance); runtime/idle_stop.py sagemaker_stopper()",
    ),
    Row(
        id="Demo/notebook/describes-itself",
        where="Demo",
        who="notebook_role",
        action="sagemaker:DescribeNotebookInstance",
        resource="{notebook_arn}",
        via="sagemaker_endpoint",
        expect=ALLOWED,
        by=(IDENTITY, ENDPOINT),
        source=f"{SAR_SAGEMAKER} (notebook-instance);"
        f" notebook/instance.py _self_management_statement",
    ),
    Row(
        id="Defaults/notebook/describes-itself-generated-name",
        where="Defaults",
        who="notebook_role",
        action="sagemaker:DescribeNotebookInstance",
        resource="{notebook_arn}",
        via="sagemaker_endpoint",
        expect=ALLOWED,
        by=(IDENTITY, ENDPOINT),
        source=f"{SAR_SAGEMAKER} (notebook-instance)",
    ),
    # The notebook watch (monitoring/notebook_watch.py): running time from SageMaker's own status.
    Row(
        id="NonDefaults/watch/describes-the-watched-notebook",
        where="NonDefaults",
        who="watch_role",
        action="sagemaker:DescribeNotebookInstance",
        resource="{notebook_arn}",
        via="sagemaker_endpoint",
        expect=ALLOWED,
        by=(IDENTITY, ENDPOINT),
        source=f"{SAR_SAGEMAKER} (notebook-instance); lambda/notebook_watch/handler.py",
        why="RunningMinutes is published only while SageMaker reports the notebook InService",
    ),
    *[
        Row(
            id=f"NonDefaults/watch/{what}",
            where="NonDefaults",
            who="watch_role",
            action=action,
            resource=resource,
            via="sagemaker_endpoint",
            expect=IMPLICIT_DENY,
            by=by,
            source=f"{SAR_SAGEMAKER} (notebook-instance)",
            why="the watch reads the watched notebooks' status and nothing else",
            # What would open it (for the teeth test): the role allowed the action itself.
            opens_with=((IDENTITY, {"Effect": "Allow", "Action": action, "Resource": resource}),),
        )
        for what, action, resource, by in (
            (
                "describes-a-notebook-not-watched",
                "sagemaker:DescribeNotebookInstance",
                "arn:{partition}:sagemaker:{region}:{account}:notebook-instance/not-watched",
                (IDENTITY,),
            ),
            (
                "stops-the-watched-notebook",
                "sagemaker:StopNotebookInstance",
                "{notebook_arn}",
                (IDENTITY,),
            ),
            # The endpoint lets only the minting role presign through it, too.
            (
                "presigns-the-watched-notebook",
                "sagemaker:CreatePresignedNotebookInstanceUrl",
                "{notebook_arn}",
                (IDENTITY, ENDPOINT),
            ),
        )
    ],
    Row(
        id="Fleet/notebook/stops-another-notebook",
        where="Fleet/nb-alice",
        who="notebook_role",
        action="sagemaker:StopNotebookInstance",
        resource="{other_notebook_arn}",
        via="sagemaker_endpoint",
        expect=IMPLICIT_DENY,
        by=(IDENTITY,),
        source=f"{SAR_SAGEMAKER} (notebook-instance)",
        why="idle stop stops its own notebook only",
    ),
    Row(
        id="Fleet/notebook/describes-another-notebook",
        where="Fleet/nb-alice",
        who="notebook_role",
        action="sagemaker:DescribeNotebookInstance",
        resource="{other_notebook_arn}",
        via="sagemaker_endpoint",
        expect=IMPLICIT_DENY,
        by=(IDENTITY,),
        source=f"{SAR_SAGEMAKER} (notebook-instance)",
    ),
    Row(
        id="Demo/notebook/presigns-itself",
        where="Demo",
        who="notebook_role",
        action="sagemaker:CreatePresignedNotebookInstanceUrl",
        resource="{notebook_arn}",
        via="sagemaker_endpoint",
        expect=IMPLICIT_DENY,
        by=(IDENTITY, ENDPOINT),
        source=f"{SAR_SAGEMAKER} (notebook-instance); {ENDPOINT_POLICY_GUIDE}",
        opens_with=(
            (
                IDENTITY,
                {
                    "Effect": "Allow",
                    "Action": "sagemaker:CreatePresignedNotebookInstanceUrl",
                    "Resource": "{notebook_arn}",
                },
            ),
        ),
        why="code in the notebook cannot mint URLs: not its role's, and the endpoint "
        "admits presigning by the minting role only",
    ),
    Row(
        id="Demo/notebook/assumed-by-sagemaker",
        where="Demo",
        who=SERVICE + "sagemaker.amazonaws.com",
        action="sts:AssumeRole",
        resource="{notebook_role_arn}",
        resource_policy="notebook_role",
        expect=ALLOWED,
        by=(RESOURCE,),
        source=f"{SAR_STS} (role); {EXECUTION_ROLE_GUIDE}",
    ),
    # ------------------------------------------------ what leaves the VPC through endpoints
    Row(
        id="Demo/outsider/logs-to-own-account-through-logs-endpoint",
        where="Demo",
        who=FOREIGN,
        action="logs:PutLogEvents",
        resource="arn:aws:logs:{region}:{foreign_account}:log-group:drop:log-stream:s",
        via="logs_endpoint",
        assumed={
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}],
        },
        expect=IMPLICIT_DENY,
        by=(ENDPOINT,),
        source=f"{SAR_LOGS} (log-stream); {ENDPOINT_POLICY_GUIDE}; {GLOBAL_KEYS}",
        why="foreign credentials used inside the VPC cannot ship data out through the Logs "
        "endpoint",
    ),
    Row(
        id="Demo/outsider/sagemaker-through-sagemaker-endpoint",
        where="Demo",
        who=FOREIGN,
        action="sagemaker:DescribeNotebookInstance",
        resource="arn:aws:sagemaker:{region}:{foreign_account}:notebook-instance/theirs",
        via="sagemaker_endpoint",
        assumed={
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"}],
        },
        expect=IMPLICIT_DENY,
        by=(ENDPOINT,),
        source=f"{SAR_SAGEMAKER} (notebook-instance); {ENDPOINT_POLICY_GUIDE}; {GLOBAL_KEYS}",
        why="foreign credentials cannot use the VPC's SageMaker API endpoint",
    ),
    Row(
        id="Demo/outsider/write-own-bucket-through-s3-endpoint",
        where="Demo",
        who=FOREIGN,
        action="s3:PutObject",
        resource="arn:aws:s3:::outsider-drop/data.csv",
        resource_account="{foreign_account}",
        via="s3_endpoint",
        assumed={
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "s3:PutObject",
                    "Resource": "arn:aws:s3:::outsider-drop/*",
                }
            ],
        },
        expect=IMPLICIT_DENY,
        by=(ENDPOINT,),
        source=f"{SAR_S3} (object); {ENDPOINT_POLICY_GUIDE}; {GLOBAL_KEYS} (aws:ResourceAccount)",
        why="another account's bucket through the S3 gateway endpoint",
    ),
    Row(
        id="Demo/notebook/read-own-account-bucket-through-s3-endpoint",
        where="Demo",
        who="notebook_role",
        action="s3:GetObject",
        resource="arn:aws:s3:::team-data-{account}/input.csv",
        via="s3_endpoint",
        assumed={
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::team-data-{account}/*",
                }
            ],
        },
        expect=ALLOWED,
        by=(IDENTITY, ENDPOINT),
        source=f"{SAR_S3} (object); {ENDPOINT_POLICY_GUIDE}; {GLOBAL_KEYS} (aws:ResourceAccount)",
        why="a bucket of this account, once the user grants the role a read (the grant is "
        "assumed: the library gives the notebook role no S3 access)",
    ),
    Row(
        id="Demo/notebook/read-other-account-bucket-through-s3-endpoint",
        where="Demo",
        who="notebook_role",
        action="s3:GetObject",
        resource="arn:aws:s3:::public-tools/tool.sh",
        resource_account="{foreign_account}",
        via="s3_endpoint",
        assumed={
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
        },
        resource_policy={
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::public-tools/*",
                }
            ],
        },
        expect=IMPLICIT_DENY,
        by=(ENDPOINT,),
        source=f"{SAR_S3} (object); {ENDPOINT_POLICY_GUIDE}",
        why="a public bucket of another account (its public-read policy assumed), even with "
        "an assumed s3:GetObject on *",
    ),
    Row(
        id="Demo/instance/read-amazon-linux-repository-through-s3-endpoint",
        where="Demo",
        who=ANONYMOUS,
        action="s3:GetObject",
        resource="arn:aws:s3:::al2023-repos-{region}-de612dc2/core/mirrors/latest/x86_64/mirror.list",
        resource_account="999999999999",
        via="s3_endpoint",
        resource_policy={
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::al2023-repos-{region}-de612dc2/*",
                }
            ],
        },
        expect=ALLOWED,
        by=(RESOURCE, ENDPOINT),
        source=f"{SAR_S3} (object); {AL2023_BUCKETS}",
        why="dnf reads the AWS-owned repository buckets unauthenticated (their public-read "
        "policy and owner account are assumed)",
    ),
    # ------------------------------------------------ API Gateway: execute-api:Invoke
    Row(
        id="Demo/users/invoke-url-inside",
        where="Demo",
        who="users",
        action="execute-api:Invoke",
        resource=_invoke("POST/notebooks/{notebook_name}/url"),
        resource_policy="rest_api",
        ip=INSIDE,
        expect=ALLOWED,
        by=(IDENTITY,),
        source=f"{SAR_EXECUTE_API} (execute-api-general); {APIGW_INVOKE_ARN}; {APIGW_POLICY_FLOW}",
        why="grant_open's identity policy allows; the resource policy only denies",
    ),
    Row(
        id="Demo/users/invoke-url-outside",
        where="Demo",
        who="users",
        action="execute-api:Invoke",
        resource=_invoke("POST/notebooks/{notebook_name}/url"),
        resource_policy="rest_api",
        ip=OUTSIDE,
        expect=EXPLICIT_DENY,
        by=(RESOURCE,),
        source=f"{SAR_EXECUTE_API} (execute-api-general); {APIGW_POLICY_FLOW}",
    ),
    Row(
        id="Demo/users/invoke-another-stage",
        where="Demo",
        who="users",
        action="execute-api:Invoke",
        resource="{rest_api}/v2/POST/notebooks/{notebook_name}/url",
        resource_policy="rest_api",
        ip=INSIDE,
        expect=IMPLICIT_DENY,
        by=(IDENTITY, RESOURCE),
        source=f"{SAR_EXECUTE_API} (execute-api-general); {APIGW_INVOKE_ARN}",
    ),
    Row(
        id="Demo/users/presign-from-console-inside",
        where="Demo",
        who="users",
        action="sagemaker:CreatePresignedNotebookInstanceUrl",
        resource="{notebook_arn}",
        ip=INSIDE,
        assumed=CONSOLE_ACCESS,
        expect=ALLOWED,
        by=(IDENTITY,),
        source=f"{IP_FILTER_GUIDE}; {SAR_SAGEMAKER} (notebook-instance)",
        why="a member with SageMaker console access (assumed) opens it from the allow-list",
    ),
    Row(
        id="Demo/users/presign-from-console-outside",
        where="Demo",
        who="users",
        action="sagemaker:CreatePresignedNotebookInstanceUrl",
        resource="{notebook_arn}",
        ip=OUTSIDE,
        assumed=CONSOLE_ACCESS,
        expect=EXPLICIT_DENY,
        by=(IDENTITY,),
        source=f"{IP_FILTER_GUIDE}; {SAR_SAGEMAKER} (notebook-instance)",
        why="NotebookIpPolicy binds console access to the allow-list",
    ),
    Row(
        id="Demo/outsider/invoke-signed-from-another-account",
        where="Demo",
        who=FOREIGN,
        action="execute-api:Invoke",
        resource=_invoke("POST/notebooks/{notebook_name}/url"),
        resource_policy="rest_api",
        ip=INSIDE,
        assumed={
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}],
        },
        expect=IMPLICIT_DENY,
        by=(RESOURCE,),
        source=f"{APIGW_POLICY_FLOW}; {SAR_EXECUTE_API} (execute-api-general)",
        opens_with=(
            (
                RESOURCE,
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "execute-api:Invoke",
                    "Resource": "{rest_api}/*",
                },
            ),
        ),
        why="a cross-account caller needs the resource policy to allow: it never does on "
        "SigV4 routes (an Allow to * would admit any account)",
    ),
    Row(
        id="Fleet/user/invoke-own-url",
        where="Fleet/nb-alice",
        who="user",
        action="execute-api:Invoke",
        resource=_invoke("POST/notebooks/{notebook_name}/url"),
        resource_policy="rest_api",
        ip=FLEET_INSIDE,
        expect=ALLOWED,
        by=(IDENTITY,),
        source=f"{SAR_EXECUTE_API} (execute-api-general);"
        f" api/presigned_url_api.py grant_open(notebook)",
    ),
    Row(
        id="Fleet/user/invoke-own-start",
        where="Fleet/nb-alice",
        who="user",
        action="execute-api:Invoke",
        resource=_invoke("POST/notebooks/{notebook_name}/start"),
        resource_policy="rest_api",
        ip=FLEET_INSIDE,
        expect=ALLOWED,
        by=(IDENTITY,),
        source=f"{SAR_EXECUTE_API} (execute-api-general);"
        f" api/presigned_url_api.py grant_open(notebook)",
    ),
    Row(
        id="Fleet/user/invoke-another-notebook",
        where="Fleet/nb-alice",
        who="user",
        action="execute-api:Invoke",
        resource=_invoke("POST/notebooks/{other_notebook_name}/url"),
        resource_policy="rest_api",
        ip=FLEET_INSIDE,
        expect=IMPLICIT_DENY,
        by=(IDENTITY, RESOURCE),
        source=f"{SAR_EXECUTE_API} (execute-api-general);"
        f" api/presigned_url_api.py grant_open(notebook)",
        why="a grant for one notebook names that notebook's routes only",
    ),
    Row(
        id="Fleet/user/invoke-outside",
        where="Fleet/nb-alice",
        who="user",
        action="execute-api:Invoke",
        resource=_invoke("POST/notebooks/{notebook_name}/url"),
        resource_policy="rest_api",
        ip=OUTSIDE,
        expect=EXPLICIT_DENY,
        by=(RESOURCE,),
        source=f"{SAR_EXECUTE_API} (execute-api-general); {APIGW_POLICY_FLOW}",
    ),
    Row(
        id="NonDefaults/analyst/invoke-start-inside",
        where="NonDefaults",
        who="analyst",
        action="execute-api:Invoke",
        resource=_invoke("POST/notebooks/{notebook_name}/start"),
        resource_policy="rest_api",
        ip="198.51.100.7",
        expect=ALLOWED,
        by=(IDENTITY,),
        source=f"{SAR_EXECUTE_API} (execute-api-general)",
    ),
    Row(
        id="NonDefaults/analyst/presign-from-console-outside",
        where="NonDefaults",
        who="analyst",
        action="sagemaker:CreatePresignedNotebookInstanceUrl",
        resource="{notebook_arn}",
        ip=OUTSIDE,
        assumed=CONSOLE_ACCESS,
        expect=EXPLICIT_DENY,
        by=(IDENTITY,),
        source=f"{IP_FILTER_GUIDE}; {SAR_SAGEMAKER} (notebook-instance)",
        why="the IP policy attached to a grantee role (attach_to_role)",
    ),
    # The portal's browser routes: Cognito, not IAM, so API Gateway sees unsigned callers.
    *[
        Row(
            id=f"Portal/browser/{route.split('/')[-1]}-{place}",
            where="Portal/Access",
            who=ANONYMOUS,
            action="execute-api:Invoke",
            resource=_invoke(route),
            resource_policy="rest_api",
            ip=ip,
            expect=expect,
            by=(RESOURCE,),
            source=f"{APIGW_POLICY_FLOW} (non-IAM methods need an explicit Allow);"
            f" portal/notebook_portal.py",
        )
        for route in (
            "GET/portal/notebooks",
            "POST/portal/notebooks/{notebook_name}/open",
            "POST/portal/notebooks/{notebook_name}/start",
        )
        for place, ip, expect in (("inside", INSIDE, ALLOWED), ("outside", OUTSIDE, EXPLICIT_DENY))
    ],
    Row(
        id="Portal/browser/start-without-allow-start",
        where="Portal/First",
        who=ANONYMOUS,
        action="execute-api:Invoke",
        resource=_invoke("POST/portal/notebooks/{notebook_name}/start"),
        resource_policy="rest_api",
        ip="198.51.100.10",
        expect=IMPLICIT_DENY,
        by=(IDENTITY, RESOURCE),
        source=f"{APIGW_POLICY_FLOW}; portal/notebook_portal.py (start only with allow_start)",
    ),
    Row(
        id="Portal/outsider/invoke-sigv4-route-from-another-account",
        where="Portal/Access",
        who=FOREIGN,
        action="execute-api:Invoke",
        resource=_invoke("POST/notebooks/{notebook_name}/url"),
        resource_policy="rest_api",
        ip=INSIDE,
        assumed={
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}],
        },
        expect=IMPLICIT_DENY,
        by=(RESOURCE,),
        source=f"{APIGW_POLICY_FLOW};"
        f" portal/notebook_portal.py (the Allow names the browser routes only)",
        why="the portal's Allow to * covers its Cognito routes, not the SigV4 ones",
    ),
    # ------------------------------------------------ API Gateway's CloudWatch logging role
    Row(
        id="Demo/apigw-logging/create-execution-log-group",
        where="Demo",
        who="apigw_logging_role",
        action="logs:CreateLogGroup",
        resource="{execution_logs_arn}:*",
        expect=ALLOWED,
        by=(IDENTITY,),
        source=f"{LOGS_GUIDE}; {APIGW_LOGGING_GUIDE}",
    ),
    Row(
        id="Demo/apigw-logging/describe-log-groups",
        where="Demo",
        who="apigw_logging_role",
        action="logs:DescribeLogGroups",
        resource="*",
        expect=ALLOWED,
        by=(IDENTITY,),
        source=f"{SAR_LOGS} (no resource types); {APIGW_LOGGING_GUIDE}",
    ),
    Row(
        id="Demo/apigw-logging/describe-log-streams",
        where="Demo",
        who="apigw_logging_role",
        action="logs:DescribeLogStreams",
        resource="{access_logs_arn}:*",
        expect=ALLOWED,
        by=(IDENTITY,),
        source=f"{LOGS_GUIDE}; {APIGW_LOGGING_GUIDE}",
    ),
    *[
        Row(
            id=f"Demo/apigw-logging/{action.split(':')[1]}-access-log",
            where="Demo",
            who="apigw_logging_role",
            action=action,
            resource="{access_logs_arn}:log-stream:0123456789abcdef",
            expect=ALLOWED,
            by=(IDENTITY,),
            source=f"{SAR_LOGS} (log-stream); {APIGW_LOGGING_GUIDE}",
        )
        for action in ("logs:CreateLogStream", "logs:PutLogEvents")
    ],
    Row(
        id="Demo/apigw-logging/assumed-by-api-gateway",
        where="Demo",
        who=SERVICE + "apigateway.amazonaws.com",
        action="sts:AssumeRole",
        resource="{apigw_logging_role_arn}",
        resource_policy="apigw_logging_role",
        expect=ALLOWED,
        by=(RESOURCE,),
        source=f"{SAR_STS} (role); {APIGW_LOGGING_GUIDE}",
    ),
    # ------------------------------------------------ the VPC flow log's role
    *[
        Row(
            id=f"Demo/flow-logs/{action.split(':')[1]}",
            where="Demo",
            who="flow_logs_role",
            action=action,
            resource="{flow_logs_arn}:log-stream:eni-0123456789abcdef0-all",
            expect=ALLOWED,
            by=(IDENTITY,),
            source=f"{SAR_LOGS} (log-stream); {FLOW_LOGS_ROLE_GUIDE}",
        )
        for action in ("logs:CreateLogStream", "logs:PutLogEvents")
    ],
    Row(
        id="Demo/flow-logs/DescribeLogStreams",
        where="Demo",
        who="flow_logs_role",
        action="logs:DescribeLogStreams",
        resource="{flow_logs_arn}:*",
        expect=ALLOWED,
        by=(IDENTITY,),
        source=f"{LOGS_GUIDE}; {FLOW_LOGS_ROLE_GUIDE}",
    ),
    Row(
        id="Demo/flow-logs/put-log-events-elsewhere",
        where="Demo",
        who="flow_logs_role",
        action="logs:PutLogEvents",
        resource="{function_logs_arn}:log-stream:eni-0123456789abcdef0-all",
        expect=IMPLICIT_DENY,
        by=(IDENTITY,),
        source=f"{SAR_LOGS} (log-stream)",
        why="its own log group only",
    ),
    Row(
        id="Demo/flow-logs/assumed-for-own-flow-log",
        where="Demo",
        who=SERVICE + "vpc-flow-logs.amazonaws.com",
        action="sts:AssumeRole",
        resource="{flow_logs_role_arn}",
        resource_policy="flow_logs_role",
        context={
            "aws:SourceAccount": "{account}",
            "aws:SourceArn": "arn:aws:ec2:{region}:{account}:vpc-flow-log/" + FLOW_LOG_ID,
        },
        expect=ALLOWED,
        by=(RESOURCE,),
        source=f"{SAR_STS} (role); {FLOW_LOGS_ROLE_GUIDE} (confused deputy prevention)",
    ),
    Row(
        id="Demo/flow-logs/assumed-for-another-accounts-flow-log",
        where="Demo",
        who=SERVICE + "vpc-flow-logs.amazonaws.com",
        action="sts:AssumeRole",
        resource="{flow_logs_role_arn}",
        resource_policy="flow_logs_role",
        context={
            "aws:SourceAccount": "{foreign_account}",
            "aws:SourceArn": "arn:aws:ec2:{region}:{foreign_account}:vpc-flow-log/" + FLOW_LOG_ID,
        },
        expect=IMPLICIT_DENY,
        by=(IDENTITY, RESOURCE),
        source=f"{FLOW_LOGS_ROLE_GUIDE} (confused deputy prevention)",
        why="another account's flow log cannot deliver with this role",
    ),
    # ------------------------------------------------ hub and spoke (issue 22)
    Row(
        id="Hub/minting/assume-spoke-role-through-sts-endpoint",
        where="Hub",
        who="minting_role",
        action="sts:AssumeRole",
        resource="{spoke_role_arn}",
        resource_policy="spoke_role",
        via="sts_endpoint",
        context=EXTERNAL_ID,
        expect=ALLOWED,
        by=(IDENTITY, RESOURCE, ENDPOINT),
        source=f"{SPOKE_TRUST_SOURCE}; {STS_ENDPOINT_POLICIES}; hub/hub.py (AssumeSpokeRoles, "
        "StsEndpoint); accounts.py clients_for()",
        why="across accounts the function's policy (AssumeSpokeRoles) and the spoke role's "
        "trust (the hub account, aws:PrincipalArn = the function's role, the external id) must "
        "both allow, and the STS endpoint's policy (AssumeSpokeRolesOnly) admits the call",
    ),
    *[
        Row(
            id=f"Hub/minting/assume-spoke-role-{what}",
            where="Hub",
            who="minting_role",
            action="sts:AssumeRole",
            resource="{spoke_role_arn}",
            resource_policy="spoke_role",
            via="sts_endpoint",
            context=context,
            expect=IMPLICIT_DENY,
            by=(RESOURCE,),
            source=SPOKE_TRUST_SOURCE,
            why=why,
        )
        for what, context, why in (
            (
                "without-external-id",
                {},
                "a request without sts:ExternalId fails the trust's StringEquals (a missing "
                "key never equals)",
            ),
            (
                "with-a-wrong-external-id",
                {"sts:ExternalId": "guessed-external-id"},
                "another hub's (or a guessed) external id is refused: the confused deputy guard",
            ),
        )
    ],
    Row(
        id="Hub/notebook/assume-spoke-role",
        where="Hub",
        who="notebook_role",
        action="sts:AssumeRole",
        resource="{spoke_role_arn}",
        resource_policy="spoke_role",
        ip=OUTSIDE,
        context=EXTERNAL_ID,
        assumed=ASSUME_ANY_ROLE,
        expect=IMPLICIT_DENY,
        by=(RESOURCE,),
        source=f"{SPOKE_TRUST_SOURCE}; {GLOBAL_KEYS} (aws:PrincipalArn)",
        why="another principal of the hub account, sts:AssumeRole on * assumed and the external "
        "id known (it is not a secret), its credentials used outside the VPC: the trust's "
        "aws:PrincipalArn admits the function's role only",
    ),
    Row(
        id="Hub/notebook/assume-spoke-role-through-sts-endpoint",
        where="Hub",
        who="notebook_role",
        action="sts:AssumeRole",
        resource="{spoke_role_arn}",
        resource_policy="spoke_role",
        via="sts_endpoint",
        context=EXTERNAL_ID,
        assumed=ASSUME_ANY_ROLE,
        expect=IMPLICIT_DENY,
        by=(ENDPOINT, RESOURCE),
        source=f"{SPOKE_TRUST_SOURCE}; {STS_ENDPOINT_POLICIES}; hub/hub.py (StsEndpoint)",
        why="from inside the hub's VPC the STS endpoint refuses it too (its policy names the "
        "function's role only)",
    ),
    Row(
        id="Hub/outsider/assume-spoke-role",
        where="Hub",
        who=FOREIGN,
        action="sts:AssumeRole",
        resource="{spoke_role_arn}",
        resource_policy="spoke_role",
        ip=OUTSIDE,
        context=EXTERNAL_ID,
        assumed=ASSUME_ANY_ROLE,
        expect=IMPLICIT_DENY,
        by=(RESOURCE,),
        source=SPOKE_TRUST_SOURCE,
        opens_with=(
            (
                RESOURCE,
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::{foreign_account}:root"},
                    "Action": "sts:AssumeRole",
                },
            ),
        ),
        why="a role of a third account, with the external id: the trust names the hub account only",
    ),
    # The hub's SigV4 routes for a member account's notebooks, and grant_open's three forms:
    # a grant on every notebook of the hub never reaches a member account (red team, issue
    # 22), one on a member account's notebook or account reaches that one only. All from
    # inside the allow-list, so the REST API's deny-only resource policy stays out of it.
    *[
        Row(
            id=f"Hub/{caller}/{what}",
            where="Hub",
            who=who,
            action="execute-api:Invoke",
            resource=_invoke(route),
            resource_policy="rest_api",
            ip=INSIDE,
            expect=expect,
            by=(IDENTITY,) if expect == ALLOWED else (IDENTITY, RESOURCE),
            source=f"{HUB_INVOKE_SOURCE} ({form})",
            why=why,
        )
        for caller, who, form, what, route, expect, why in (
            (
                "every-notebook",
                "every_notebook_user",
                "grant_open(user)",
                "invoke-any-hub-notebook-url",
                "POST/notebooks/nb-x/url",
                ALLOWED,
                "granted every notebook of the hub's account: any name on /notebooks/*/url",
            ),
            (
                "every-notebook",
                "every_notebook_user",
                "grant_open(user)",
                "invoke-member-account-notebook-url",
                SPOKE_ROUTE,
                IMPLICIT_DENY,
                "the attack: a grant on every notebook of the hub names /notebooks/*/url, and "
                "a member account's notebook is on /accounts/<account>/notebooks/<name>/url",
            ),
            (
                "one-spoke-notebook",
                "spoke_notebook_user",
                "grant_open(user, '<account>:<name>')",
                "invoke-own-route",
                SPOKE_ROUTE,
                ALLOWED,
                "granted one notebook of the member account: its account route",
            ),
            (
                "one-spoke-notebook",
                "spoke_notebook_user",
                "grant_open(user, '<account>:<name>')",
                "invoke-another-notebook-of-the-account",
                "POST/accounts/{spoke_account}/notebooks/{spoke_unserved_name}/url",
                IMPLICIT_DENY,
                "another notebook of the same member account: the grant names one",
            ),
            (
                "one-spoke-notebook",
                "spoke_notebook_user",
                "grant_open(user, '<account>:<name>')",
                "invoke-hub-notebook-of-the-same-name",
                "POST/notebooks/{spoke_notebook_name}/url",
                IMPLICIT_DENY,
                "the hub's own notebook of the same name (/notebooks/<name>/url): the grant "
                "names the member account's route only",
            ),
            (
                "spoke-account",
                "spoke_account_user",
                "grant_open(user, '<account>:*')",
                "invoke-a-notebook-of-the-account",
                SPOKE_ROUTE,
                ALLOWED,
                "granted all of the member account: its served notebook",
            ),
            (
                "spoke-account",
                "spoke_account_user",
                "grant_open(user, '<account>:*')",
                "invoke-another-notebook-of-the-account",
                "POST/accounts/{spoke_account}/notebooks/{spoke_unserved_name}/url",
                ALLOWED,
                "granted all of the member account: any name there (the function still "
                "refuses one the hub does not serve)",
            ),
            (
                "spoke-account",
                "spoke_account_user",
                "grant_open(user, '<account>:*')",
                "invoke-another-member-account",
                "POST/accounts/{second_spoke_account}/notebooks/{spoke_notebook_name}/url",
                IMPLICIT_DENY,
                "the hub's other member account, a notebook of the same name: the grant "
                "names one account",
            ),
            (
                "spoke-account",
                "spoke_account_user",
                "grant_open(user, '<account>:*')",
                "invoke-hub-notebook-url",
                "POST/notebooks/{notebook_name}/url",
                IMPLICIT_DENY,
                "the hub's own notebook: a member account's grant does not reach the hub's",
            ),
        )
    ],
    Row(
        id="Hub/one-spoke-notebook/invoke-own-route-outside",
        where="Hub",
        who="spoke_notebook_user",
        action="execute-api:Invoke",
        resource=_invoke(SPOKE_ROUTE),
        resource_policy="rest_api",
        ip=OUTSIDE,
        expect=EXPLICIT_DENY,
        by=(RESOURCE,),
        source=f"{HUB_INVOKE_SOURCE}; api/url_rest_api.py _deny_outside",
        why="the member account's route is behind the same allow-list as the hub's own",
    ),
    *[
        Row(
            id=f"Spoke/spoke-role/{what}-through-hub-endpoint",
            where="Spoke",
            who="spoke_role",
            action=action,
            resource=resource,
            via="sagemaker_endpoint",
            context=context,
            expect=ALLOWED,
            by=(IDENTITY, ENDPOINT),
            source=f"{source}; {ENDPOINT_POLICY_GUIDE}; {SPOKE_POLICY_SOURCE}",
            why=f"{why}; the hub's SageMaker endpoint admits the spoke role (SpokeRoles: "
            "aws:PrincipalArn)",
        )
        for what, action, resource, context, source, why in (
            (
                "presign",
                "sagemaker:CreatePresignedNotebookInstanceUrl",
                "{notebook_arn}",
                SERVED,
                f"{SERVED_BY_SOURCE}; sagemaker_calls.py presign()",
                "the hub mints in the spoke account with the spoke role's session: a notebook "
                "there carrying the hub's serving tag, through the hub's endpoint "
                "(aws:SourceVpce exempt from the IP deny)",
            ),
            (
                "describe",
                "sagemaker:DescribeNotebookInstance",
                "{notebook_arn}",
                SERVED,
                f"{SERVED_BY_SOURCE}; sagemaker_calls.py describe_status()",
                "the hub reads the spoke notebook's status",
            ),
            (
                "list-notebooks",
                "sagemaker:ListNotebookInstances",
                "*",
                {},
                f"{SAR_SAGEMAKER} (no resource types)",
                "the portal lists the spoke account's notebooks",
            ),
            (
                "list-tags",
                "sagemaker:ListTags",
                "{notebook_arn}",
                SERVED,
                f"{SAR_SAGEMAKER} (notebook-instance)",
                "the portal reads a spoke notebook's entitlement tags",
            ),
        )
    ],
    *[
        Row(
            id=f"Spoke/spoke-role/url-opened-{where_from}",
            where="Spoke",
            who="spoke_role",
            action="sagemaker:CreatePresignedNotebookInstanceUrl",
            resource="{notebook_arn}",
            ip=ip,
            context=SERVED,
            expect=expect,
            by=(IDENTITY,),
            source=f"{PRESIGN_API}; {IP_FILTER_GUIDE}; {SPOKE_POLICY_SOURCE}",
            why=why,
        )
        for where_from, ip, expect, why in (
            (
                "inside-allow-list",
                INSIDE,
                ALLOWED,
                "a URL minted through the spoke role is evaluated against the spoke role's "
                "policy on every request it makes: from the hub's allow-list it opens",
            ),
            (
                "outside-allow-list",
                OUTSIDE,
                EXPLICIT_DENY,
                "from outside the hub's allow-list the spoke role's own deny refuses it: the "
                "IP binding carries over to the member account",
            ),
        )
    ],
    Row(
        id="Spoke/spoke-role/presign-through-another-endpoint",
        where="Spoke",
        who="spoke_role",
        action="sagemaker:CreatePresignedNotebookInstanceUrl",
        resource="{notebook_arn}",
        via=OTHER_ENDPOINT,
        context=SERVED,
        expect=EXPLICIT_DENY,
        by=(IDENTITY,),
        source=f"{IP_FILTER_GUIDE}; {GLOBAL_KEYS} (aws:SourceVpce); {SPOKE_POLICY_SOURCE}",
        why="the deny exempts the hub's endpoint only: a spoke session used through any other "
        "endpoint (the member account's own, say) cannot mint a URL that opens anywhere",
    ),
    *[
        Row(
            id=f"Spoke/spoke-role/presign-{what}-through-hub-endpoint",
            where="Spoke",
            who="spoke_role",
            action="sagemaker:CreatePresignedNotebookInstanceUrl",
            resource=resource,
            via="sagemaker_endpoint",
            context=context,
            expect=IMPLICIT_DENY,
            by=(IDENTITY,),
            source=f"{SERVED_BY_SOURCE}; {SPOKE_POLICY_SOURCE}",
            why=why,
        )
        for what, resource, context, why in (
            (
                "untagged-notebook",
                "{unserved_notebook_arn}",
                {},
                "a notebook of the spoke account without the hub's serving tag",
            ),
            (
                "notebook-of-another-hub",
                "{other_notebook_arn}",
                OTHER_SERVED,
                "a notebook the account serves to another hub (through that hub's spoke role)",
            ),
        )
    ],
    Row(
        id="Spoke/spoke-role/start-without-allow-start",
        where="Spoke",
        who="spoke_role",
        action="sagemaker:StartNotebookInstance",
        resource="{notebook_arn}",
        via="sagemaker_endpoint",
        context=SERVED,
        expect=IMPLICIT_DENY,
        by=(IDENTITY,),
        source=f"{SAR_SAGEMAKER} (notebook-instance); spoke/spoke.py allow_start=False "
        "(hub.spoke_settings: the hub's allow_start)",
        opens_with=(
            (
                IDENTITY,
                {
                    "Effect": "Allow",
                    "Action": "sagemaker:StartNotebookInstance",
                    "Resource": "{notebook_arn}",
                },
            ),
        ),
        why="the hub has no start route, so its spoke role may not start (though the hub's "
        "endpoint would let it)",
    ),
    Row(
        id="Spoke/spoke-role/get-resources-through-hub-tagging-endpoint",
        where="Spoke",
        who="spoke_role",
        action="tag:GetResources",
        resource="*",
        via="tagging_endpoint",
        expect=ALLOWED,
        by=(IDENTITY, ENDPOINT),
        source=f"{SAR_TAGGING} (no resource types); {TAGGING_ENDPOINT_GUIDE}; "
        f"{SPOKE_POLICY_SOURCE}; tag_reads.py served_pages()",
        why="the portal lists the spoke account's served notebooks through the hub portal's "
        "tagging endpoint, which admits the spoke role (SpokeRoles)",
    ),
    Row(
        id="Spoke/spoke-role/AddTags-notebook-access-served-by",
        where="Spoke",
        who="spoke_role",
        action="sagemaker:AddTags",
        resource="{unserved_notebook_arn}",
        ip=INSIDE,
        context={
            "aws:TagKeys": [SERVED_BY_KEY],
            f"aws:RequestTag/{SERVED_BY_KEY}": "{serving_tag}",
        },
        assumed=SAGEMAKER_ALL,
        expect=EXPLICIT_DENY,
        by=(IDENTITY,),
        source=f"{SAR_SAGEMAKER} (AddTags: aws:TagKeys, aws:RequestTag); {TAGGING_GUIDE}; "
        "notebook/tag_guard.py; spoke/spoke.py spoke_statements",
        why="the spoke role cannot serve a notebook of its account to the hub by tagging it "
        "(the tag guard, no exemption), even with sagemaker:* added to it",
    ),
]
