"""The five cdk-nag packs, least privilege and the security defaults, on synthesized stacks.

One App holds the construct with defaults, the construct with non-default props and
the demo stack; it is synthesized once with AwsSolutions, NIST 800-53 R5, HIPAA
Security, PCI DSS 3.2.1 and Serverless checks, and every test reads that result.
"""

from __future__ import annotations

import json
import re

import aws_cdk as cdk
import pytest
from aws_cdk import aws_logs as logs
from compliance_stacks import (
    CONSTRUCT_ID,
    CUSTOM_STACK,
    DEFAULT_STACK,
    DEMO_STACK,
    PORTAL_STACK,
    build_all,
    new_app,
)

from compliance import (
    DEMO_ACKNOWLEDGED_RULES,
    NO_FAIL_CONTEXT,
    PACK_NAMES,
    acknowledged,
    findings,
    register_nag_packs,
    synth_with_packs,
)
from sagemaker_notebook_access.acknowledgments import ACKNOWLEDGED_RULES, acknowledge
from sagemaker_notebook_access.api.account_logging import LOGS_ACTIONS
from sagemaker_notebook_access.notebook.tag_guard import tag_guard_document

NOTEBOOK_LOG_GROUP_ARN = (
    "arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:"
    "/aws/sagemaker/NotebookInstances"
)
# The construct's acknowledgments, spelled out: adding one must change this test.
CONSTRUCT_ACKNOWLEDGED = frozenset(
    {
        "AwsSolutions::AwsSolutions-COG4",
        "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
        f"AwsSolutions::AwsSolutions-IAM5[Resource::{NOTEBOOK_LOG_GROUP_ARN}:*]",
        # The minting statement: every notebook of the account, if it carries the API's tag.
        "AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sagemaker:"
        "<AWS::Region>:<AWS::AccountId>:notebook-instance/*]",
        "NIST.800.53.R5::NIST.800.53.R5-APIGWCacheEnabledAndEncrypted",
        "NIST.800.53.R5::NIST.800.53.R5-APIGWSSLEnabled",
        "NIST.800.53.R5::NIST.800.53.R5-LambdaConcurrency",
        "NIST.800.53.R5::NIST.800.53.R5-LambdaDLQ",
        "HIPAA.Security::HIPAA.Security-APIGWCacheEnabledAndEncrypted",
        "HIPAA.Security::HIPAA.Security-APIGWSSLEnabled",
        "HIPAA.Security::HIPAA.Security-LambdaConcurrency",
        "HIPAA.Security::HIPAA.Security-LambdaDLQ",
        "PCI.DSS.321::PCI.DSS.321-APIGWCacheEnabledAndEncrypted",
        "PCI.DSS.321::PCI.DSS.321-APIGWSSLEnabled",
        "Serverless::Serverless-LambdaDLQ",
    }
)
# What a NotebookPortal adds: the sign-in page's method has no authorizer, and the user
# pool it creates has no threat protection (Plus plan). Its ListTags on notebook-instance/*
# shares the API's finding id (CONSTRUCT_ACKNOWLEDGED).
PORTAL_ACKNOWLEDGED = frozenset(
    {
        "AwsSolutions::AwsSolutions-APIG4",
        "AwsSolutions::AwsSolutions-COG8",
    }
)
# Only when CloudFormation generates the notebook's name: its log streams are unknown.
GENERATED_NAME_ACKNOWLEDGED = frozenset(
    f"AwsSolutions::AwsSolutions-IAM5[Resource::{NOTEBOOK_LOG_GROUP_ARN}:log-stream:*/{suffix}]"
    for suffix in ("jupyter.log", "LifecycleConfigOnCreate", "LifecycleConfigOnStart")
)
# Only when the construct creates the VPC.
OWN_VPC_ACKNOWLEDGED = frozenset(
    {
        "NIST.800.53.R5::NIST.800.53.R5-VPCDefaultSecurityGroupClosed",
        "HIPAA.Security::HIPAA.Security-VPCDefaultSecurityGroupClosed",
        "PCI.DSS.321::PCI.DSS.321-VPCDefaultSecurityGroupClosed",
    }
)
# The stack's notebook watch (a scheduled VPC function): no DLQ (a run has no payload; the
# next run is the retry), no reserved concurrency, X-Ray and ENI actions on "*".
WATCH_ACKNOWLEDGED = frozenset(
    {
        "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
        "NIST.800.53.R5::NIST.800.53.R5-LambdaConcurrency",
        "NIST.800.53.R5::NIST.800.53.R5-LambdaDLQ",
        "HIPAA.Security::HIPAA.Security-LambdaConcurrency",
        "HIPAA.Security::HIPAA.Security-LambdaDLQ",
        "Serverless::Serverless-LambdaDLQ",
        "Serverless::Serverless-EventBusDLQ",
        "Serverless::Serverless-LambdaAsyncFailureDestination",
    }
)
DEMO_ACKNOWLEDGED = frozenset(
    {
        "HIPAA.Security::HIPAA.Security-IAMGroupHasUsers",
        "PCI.DSS.321::PCI.DSS.321-IAMGroupHasUsers",
    }
)

# Allow statements may use Resource "*" only for actions without resource-level permissions.
WILDCARD_RESOURCE_ACTIONS = frozenset(
    {
        # A VPC Lambda's network interfaces: Describe* support no resource ARNs, and the
        # interfaces Lambda creates have no id before they exist.
        "ec2:CreateNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSubnets",
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
        # X-Ray trace upload has no resource-level permissions.
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        # The API Gateway account logging role: API Gateway assumes it to write the logs
        # of every REST API in the region, whose log groups this stack cannot name.
        *LOGS_ACTIONS,
    }
)


@pytest.fixture(scope="module")
def synthesized():
    app = new_app(**NO_FAIL_CONTEXT)
    build_all(app)
    return synth_with_packs(app)


@pytest.fixture(scope="module")
def report(synthesized) -> dict:
    return synthesized[1]


@pytest.fixture(scope="module")
def templates(synthesized) -> dict[str, dict]:
    assembly = synthesized[0]
    return {
        name: assembly.get_stack_by_name(name).template
        for name in (DEFAULT_STACK, CUSTOM_STACK, DEMO_STACK)
    }


def of_type(template: dict, type_: str) -> dict[str, dict]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


# ----------------------------------------------------------------- the five packs


def test_all_five_packs_ran(report):
    ran = {plugin["pluginName"] for plugin in report["pluginReports"]}
    assert set(PACK_NAMES) <= ran, "a pack reported nothing: did it run?"


@pytest.mark.parametrize("stack", [DEFAULT_STACK, CUSTOM_STACK, DEMO_STACK, PORTAL_STACK])
def test_no_unacknowledged_findings(report, stack):
    assert findings(report, path_prefix=f"{stack}/") == []


def test_construct_with_defaults_acknowledges_exactly_this_set(report):
    used = set(acknowledged(report, path_prefix=f"{DEFAULT_STACK}/{CONSTRUCT_ID}/"))
    assert used == CONSTRUCT_ACKNOWLEDGED | OWN_VPC_ACKNOWLEDGED | GENERATED_NAME_ACKNOWLEDGED


def test_construct_with_own_vpc_role_and_key_acknowledges_exactly_this_set(report):
    used = set(acknowledged(report, path_prefix=f"{CUSTOM_STACK}/{CONSTRUCT_ID}/"))
    assert used == CONSTRUCT_ACKNOWLEDGED


def test_the_notebook_watch_acknowledges_exactly_this_set(report):
    used = set(acknowledged(report, path_prefix=f"{CUSTOM_STACK}/SageMakerNotebookWatch/"))
    assert used == WATCH_ACKNOWLEDGED


def test_demo_acknowledges_the_construct_set_and_its_empty_group(report):
    used = set(acknowledged(report, path_prefix=f"{DEMO_STACK}/"))
    assert used == CONSTRUCT_ACKNOWLEDGED | OWN_VPC_ACKNOWLEDGED | DEMO_ACKNOWLEDGED
    assert {
        f["constructPath"]
        for rule in DEMO_ACKNOWLEDGED
        for f in acknowledged(report, f"{DEMO_STACK}/")[rule]
    } == {f"{DEMO_STACK}/NotebookUsers/Resource"}


def test_a_portal_acknowledges_only_its_page_method_and_user_pool(report):
    construct = f"{PORTAL_STACK}/{CONSTRUCT_ID}/"
    used = acknowledged(report, path_prefix=construct)
    assert set(used) == CONSTRUCT_ACKNOWLEDGED | OWN_VPC_ACKNOWLEDGED | PORTAL_ACKNOWLEDGED
    paths = {f["constructPath"] for rule in PORTAL_ACKNOWLEDGED for f in used[rule]}
    assert paths == {
        f"{construct}Portal/UserPool/Resource",
        f"{construct}Api/RestApi/Default/GET/Resource",
    }


def nag_rules(registry: dict[str, str]) -> set[str]:
    """The registry's pack rules (its Control Tower ones: tests/assurance/test_control_tower.py)."""
    return {rule for rule in registry if rule.split("::", 1)[0] in PACK_NAMES}


def test_registry_holds_exactly_the_acknowledgments_in_use():
    assert nag_rules(ACKNOWLEDGED_RULES) == (
        CONSTRUCT_ACKNOWLEDGED
        | OWN_VPC_ACKNOWLEDGED
        | GENERATED_NAME_ACKNOWLEDGED
        | PORTAL_ACKNOWLEDGED
        | WATCH_ACKNOWLEDGED
    )
    assert nag_rules(DEMO_ACKNOWLEDGED_RULES) == DEMO_ACKNOWLEDGED


def test_acknowledgments_sit_inside_the_construct_with_the_recorded_reason(report):
    for stack in (DEFAULT_STACK, CUSTOM_STACK):
        for rule, suppressed in acknowledged(report, f"{stack}/{CONSTRUCT_ID}/").items():
            for finding in suppressed:
                assert finding["reason"] == ACKNOWLEDGED_RULES[rule]
                # Never on the stack or the app: on the resource that trips the rule.
                assert finding["acknowledgedAt"].startswith(f"{stack}/{CONSTRUCT_ID}/"), finding


def test_acknowledge_refuses_a_rule_without_a_recorded_reason():
    stack = cdk.Stack(cdk.App(), "Unlisted")
    with pytest.raises(KeyError, match="AwsSolutions-S1"):
        acknowledge(stack, "AwsSolutions::AwsSolutions-S1")


@pytest.fixture(scope="module")
def non_compliant():
    """Two unencrypted log groups; one acknowledged for a single NIST rule."""
    app = new_app(**NO_FAIL_CONTEXT)
    stack = cdk.Stack(app, "NonCompliant")
    logs.LogGroup(stack, "Plain", retention=logs.RetentionDays.ONE_YEAR)
    acknowledged_group = logs.LogGroup(stack, "Excused", retention=logs.RetentionDays.ONE_YEAR)
    cdk.Validations.of(acknowledged_group).acknowledge(
        cdk.Acknowledgment(
            id="NIST.800.53.R5::NIST.800.53.R5-CloudWatchLogGroupEncrypted", reason="negative test"
        )
    )
    return synth_with_packs(app)[1]


def test_fails_on_an_unencrypted_log_group(non_compliant):
    found = findings(non_compliant)
    assert any(
        "NIST.800.53.R5-CloudWatchLogGroupEncrypted at NonCompliant/Plain/Resource" in line
        for line in found
    ), found


def test_an_acknowledgment_covers_only_its_construct_and_rule(non_compliant):
    found = findings(non_compliant, path_prefix="NonCompliant/Excused/")
    assert not any("NIST.800.53.R5-CloudWatchLogGroupEncrypted" in line for line in found)
    # The other packs' rule of the same kind still reports it.
    assert any("HIPAA.Security-CloudWatchLogGroupEncrypted" in line for line in found), found


def test_fails_synthesis_on_error_findings_by_default():
    app = new_app()
    logs.LogGroup(cdk.Stack(app, "Failing"), "Plain")
    register_nag_packs(app)
    with pytest.raises(Exception, match="CloudWatchLogGroupEncrypted"):
        app.synth()


# ----------------------------------------------------------------- least privilege


def identity_policy_documents(template: dict) -> list[tuple[str, dict]]:
    documents = []
    for logical_id, resource in template["Resources"].items():
        props = resource.get("Properties", {})
        if resource["Type"] in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
            documents.append((logical_id, props["PolicyDocument"]))
        if resource["Type"] in ("AWS::IAM::Role", "AWS::IAM::Group", "AWS::IAM::User"):
            for inline in props.get("Policies", []):
                documents.append((f"{logical_id}/{inline['PolicyName']}", inline["PolicyDocument"]))
    return documents


@pytest.mark.parametrize("stack", [DEFAULT_STACK, CUSTOM_STACK, DEMO_STACK])
def test_no_allow_on_every_resource_except_actions_without_resource_permissions(templates, stack):
    offending = []
    for where, document in identity_policy_documents(templates[stack]):
        for statement in document["Statement"]:
            if statement["Effect"] != "Allow":
                continue
            assert "NotAction" not in statement, f"{where}: Allow with NotAction"
            if "*" in as_list(statement["Resource"]):
                extra = set(as_list(statement["Action"])) - WILDCARD_RESOURCE_ACTIONS
                if extra:
                    offending.append((where, sorted(extra)))
    assert offending == []


@pytest.mark.parametrize("stack", [DEFAULT_STACK, CUSTOM_STACK, DEMO_STACK])
def test_no_inline_and_no_aws_managed_policies(templates, stack):
    template = templates[stack]
    assert of_type(template, "AWS::IAM::Policy") == {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] in ("AWS::IAM::Role", "AWS::IAM::Group", "AWS::IAM::User"):
            props = resource.get("Properties", {})
            assert "Policies" not in props, f"{logical_id} has inline policies"
            assert ":aws:policy/" not in json.dumps(props.get("ManagedPolicyArns", [])), logical_id


def test_api_resource_policy_allows_nothing(templates):
    for template in templates.values():
        for api in of_type(template, "AWS::ApiGateway::RestApi").values():
            assert {s["Effect"] for s in api["Properties"]["Policy"]["Statement"]} == {"Deny"}


def test_endpoint_lets_the_minting_role_presign_only_this_accounts_notebooks(templates):
    endpoint = next(
        e["Properties"]
        for e in of_type(templates[DEFAULT_STACK], "AWS::EC2::VPCEndpoint").values()
        if e["Properties"]["VpcEndpointType"] == "Interface"
        and "sagemaker.api" in json.dumps(e["Properties"]["ServiceName"])
    )
    presign = next(
        s
        for s in endpoint["PolicyDocument"]["Statement"]
        if s.get("Sid") == "PresignOnlyByTheMintingRole"
    )
    assert json.loads(json.dumps(presign["Resource"]))["Fn::Join"][1][-1] == (
        ":notebook-instance/*"
    )
    assert {"Ref": "AWS::AccountId"} in presign["Resource"]["Fn::Join"][1]


def notebook_role_statements(template: dict) -> tuple[str, list[dict]]:
    notebook = next(iter(of_type(template, "AWS::SageMaker::NotebookInstance").values()))
    role_id = notebook["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    statements = [
        statement
        for policy in of_type(template, "AWS::IAM::ManagedPolicy").values()
        if {"Ref": role_id} in policy["Properties"].get("Roles", [])
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    return role_id, statements


def test_notebook_role_may_only_log_use_its_key_and_describe_and_stop_itself(templates):
    template = templates[DEFAULT_STACK]
    role_id, statements = notebook_role_statements(template)
    role = template["Resources"][role_id]["Properties"]
    assert "ManagedPolicyArns" not in role and "Policies" not in role
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
        }
    ]
    (notebook_id,) = of_type(template, "AWS::SageMaker::NotebookInstance")
    key_id = template["Resources"][notebook_id]["Properties"]["KmsKeyId"]["Ref"]
    denies = [s for s in statements if s["Effect"] == "Deny"]
    assert denies == tag_guard_document()["Statement"]  # no exemption on the notebook role
    (grant,) = [s for s in statements if "kms:CreateGrant" in as_list(s["Action"])]
    assert grant["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    by_service: dict[str, set[str]] = {}
    for statement in statements:
        if statement["Effect"] == "Deny":
            continue
        actions = as_list(statement["Action"])
        services = {action.split(":")[0] for action in actions}
        assert len(services) == 1, statement
        (service,) = services
        by_service.setdefault(service, set()).update(actions)
        resources = json.dumps(statement["Resource"])
        if service == "sagemaker":
            assert statement["Resource"] == {"Fn::GetAtt": [notebook_id, "NotebookInstanceArn"]}
        elif service == "kms":
            assert statement["Resource"] == {"Fn::GetAtt": [key_id, "Arn"]}
        else:
            assert service == "logs"
            assert resources.count("log-group:/aws/sagemaker/NotebookInstances") == len(
                as_list(statement["Resource"])
            )
            # The name is generated, so the streams are "*/<suffix>"; DescribeLogStreams is
            # authorized on the group's ":*" ARN. Nothing else is a wildcard.
            wildcards = re.findall(r"NotebookInstances([^\"]*)", resources)
            assert set(wildcards) <= {
                "",
                ":*",
                ":log-stream:*/jupyter.log",
                ":log-stream:*/LifecycleConfigOnCreate",
                ":log-stream:*/LifecycleConfigOnStart",
            }, wildcards
    assert by_service == {
        "logs": {
            "logs:CreateLogGroup",
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "logs:DescribeLogStreams",
        },
        "kms": {"kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"},
        "sagemaker": {"sagemaker:DescribeNotebookInstance", "sagemaker:StopNotebookInstance"},
    }


def test_given_notebook_role_gets_the_same_managed_policies_and_nothing_inline(templates):
    template = templates[CUSTOM_STACK]
    role_id, statements = notebook_role_statements(template)
    assert (
        template["Resources"][role_id]["Properties"]["Description"]
        == "The team's own notebook role"
    )
    assert {a for s in statements for a in as_list(s["Action"])} >= {
        "kms:Decrypt",
        "sagemaker:DescribeNotebookInstance",
    }


def test_notebook_waits_for_its_key_and_log_permissions(templates):
    # SageMaker creates the volume with the key and writes the first boot's
    # LifecycleConfigOnStart and jupyter.log streams before CloudFormation sees InService.
    template = templates[DEFAULT_STACK]
    notebook = next(iter(of_type(template, "AWS::SageMaker::NotebookInstance").values()))
    documents = []
    for depends_on in notebook["DependsOn"]:
        policy = template["Resources"][depends_on]
        assert policy["Type"] == "AWS::IAM::ManagedPolicy"
        documents.append(json.dumps(policy["Properties"]["PolicyDocument"]))
    assert any("kms:CreateGrant" in document for document in documents)
    assert any("logs:PutLogEvents" in document for document in documents)


def test_grant_open_uses_a_customer_managed_policy(templates):
    for stack, grantee_type in ((CUSTOM_STACK, "Roles"), (DEMO_STACK, "Groups")):
        invoke = [
            policy["Properties"]
            for policy in of_type(templates[stack], "AWS::IAM::ManagedPolicy").values()
            if "execute-api:Invoke" in json.dumps(policy["Properties"]["PolicyDocument"])
        ]
        assert len(invoke) == 1, stack
        assert grantee_type in invoke[0]


# ----------------------------------------------------------------- logging and the WAF


def test_every_log_group_is_encrypted_and_expires(templates):
    for template in templates.values():
        groups = of_type(template, "AWS::Logs::LogGroup").values()
        assert len(groups) >= 3, "Lambda, access and WAF logs at least"
        for group in groups:
            assert "KmsKeyId" in group["Properties"]
            assert group["Properties"]["RetentionInDays"] == 365


def test_default_vpc_logs_all_traffic_to_an_encrypted_group(templates):
    template = templates[DEFAULT_STACK]
    (vpc_id,) = of_type(template, "AWS::EC2::VPC")
    (flow_log,) = of_type(template, "AWS::EC2::FlowLog").values()
    props = flow_log["Properties"]
    assert props["ResourceId"] == {"Ref": vpc_id}
    assert props["ResourceType"] == "VPC"
    assert props["TrafficType"] == "ALL"
    assert props["LogDestinationType"] == "cloud-watch-logs"
    group = template["Resources"][props["LogGroupName"]["Ref"]]["Properties"]
    assert "KmsKeyId" in group


def test_default_vpc_keeps_no_custom_resource_lambda(templates):
    template = templates[DEFAULT_STACK]
    functions = of_type(template, "AWS::Lambda::Function")
    assert len(functions) == 1, "only the presigned URL function"
    assert not any(r["Type"].startswith("Custom::") for r in template["Resources"].values())


def test_stage_sits_behind_a_web_acl_with_managed_rules_and_a_rate_rule(templates):
    template = templates[DEFAULT_STACK]
    (acl_id, acl) = next(iter(of_type(template, "AWS::WAFv2::WebACL").items()))
    props = acl["Properties"]
    assert props["Scope"] == "REGIONAL"
    groups = {
        rule["Statement"]["ManagedRuleGroupStatement"]["Name"]
        for rule in props["Rules"]
        if "ManagedRuleGroupStatement" in rule["Statement"]
    }
    assert groups == {
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
    }
    rate = next(r for r in props["Rules"] if "RateBasedStatement" in r["Statement"])
    assert rate["Statement"]["RateBasedStatement"] == {
        "AggregateKeyType": "IP",
        "EvaluationWindowSec": 300,
        "Limit": 300,
    }
    assert rate["Action"] == {"Block": {}}
    (association,) = of_type(template, "AWS::WAFv2::WebACLAssociation").values()
    assert association["Properties"]["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    (stage_id,) = of_type(template, "AWS::ApiGateway::Stage")
    assert {"Ref": stage_id} in association["Properties"]["ResourceArn"]["Fn::Join"][1]


def test_web_acl_logs_to_an_encrypted_aws_waf_logs_group_without_credentials(templates):
    template = templates[DEFAULT_STACK]
    (acl_id,) = of_type(template, "AWS::WAFv2::WebACL")
    (logging,) = of_type(template, "AWS::WAFv2::LoggingConfiguration").values()
    props = logging["Properties"]
    assert props["ResourceArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    assert {f["SingleHeader"]["Name"] for f in props["RedactedFields"]} == {
        "authorization",
        "x-amz-security-token",
    }
    (destination,) = props["LogDestinationConfigs"]
    group_ref = destination["Fn::Join"][1][-1]
    group = template["Resources"][group_ref["Ref"]]["Properties"]
    assert group["LogGroupName"]["Fn::Join"][1][0].startswith("aws-waf-logs")
    assert "KmsKeyId" in group


def test_stage_throttles_traces_and_writes_json_access_logs(templates):
    (stage,) = of_type(templates[DEFAULT_STACK], "AWS::ApiGateway::Stage").values()
    props = stage["Properties"]
    assert props["TracingEnabled"] is True
    assert json.loads(props["AccessLogSetting"]["Format"])["sourceIp"] == (
        "$context.identity.sourceIp"
    )
    (setting,) = props["MethodSettings"]
    assert setting["ThrottlingRateLimit"] == 10
    assert setting["ThrottlingBurstLimit"] == 20
    assert setting["DataTraceEnabled"] is False


def test_function_traces_and_reserves_no_concurrency_by_default(templates):
    # A reservation fails the first deploy where the account's quota is still 10.
    (function,) = of_type(templates[DEFAULT_STACK], "AWS::Lambda::Function").values()
    assert function["Properties"]["TracingConfig"] == {"Mode": "Active"}
    assert "ReservedConcurrentExecutions" not in function["Properties"]
