"""API Gateway side of the URL API: validation, error shapes, throttling, logs, tracing."""

from __future__ import annotations

import json
import re

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk.assertions import Template
from conftest import TEST_ENV

from sagemaker_notebook_access import PresignedUrlApi

ALLOWED = ["198.51.100.0/24"]
START = "sagemaker:StartNotebookInstance"
ERROR_SHAPES = {
    # The fallbacks keep API Gateway's status (None): setting one would rewrite them all.
    "DEFAULT_4XX": (None, "BadRequest"),
    "DEFAULT_5XX": (None, "InternalError"),
    "ACCESS_DENIED": ("403", "Forbidden"),
    "INVALID_SIGNATURE": ("403", "Forbidden"),
    "WAF_FILTERED": ("403", "Forbidden"),
    "INTEGRATION_FAILURE": ("502", "UpstreamError"),
    "MISSING_AUTHENTICATION_TOKEN": ("403", "Forbidden"),
    "THROTTLED": ("429", "Throttled"),
    "REQUEST_TOO_LARGE": ("413", "PayloadTooLarge"),
    "BAD_REQUEST_BODY": ("400", "ValidationError"),
}


def build(**props) -> Template:
    app = cdk.App()
    stack = cdk.Stack(app, "Api", env=cdk.Environment(**TEST_ENV))
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        max_azs=2,
        nat_gateways=0,
        subnet_configuration=[
            ec2.SubnetConfiguration(name="Isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
        ],
    )
    PresignedUrlApi(stack, "Urls", vpc=vpc, allowed_cidrs=ALLOWED, notebooks=["team-a"], **props)
    return Template.from_stack(stack)


@pytest.fixture(scope="module")
def template() -> Template:
    return build()


@pytest.fixture(scope="module")
def startable() -> Template:
    """The non-default props, all in one synth."""
    return build(
        allow_start=True,
        throttling_rate_limit=2,
        throttling_burst_limit=4,
        configure_api_gateway_logging_role=False,
    )


def the(template: Template, type_: str) -> tuple[str, dict]:
    found = template.find_resources(type_)
    assert len(found) == 1, f"expected one {type_}, found {len(found)}"
    return next(iter(found.items()))


def test_url_method_validates_body_and_path_parameter(template):
    validator_id, validator = the(template, "AWS::ApiGateway::RequestValidator")
    assert validator["Properties"]["ValidateRequestBody"] is True
    assert validator["Properties"]["ValidateRequestParameters"] is True
    model_id, _ = the(template, "AWS::ApiGateway::Model")
    template.has_resource_properties(
        "AWS::ApiGateway::Method",
        {
            "HttpMethod": "POST",
            "RequestValidatorId": {"Ref": validator_id},
            "RequestParameters": {"method.request.path.NotebookInstanceName": True},
            "RequestModels": {"application/json": {"Ref": model_id}},
        },
    )


def test_body_model_allows_only_an_integer_duration_in_range(template):
    _, model = the(template, "AWS::ApiGateway::Model")
    schema = model["Properties"]["Schema"]
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert schema["properties"] == {
        "SessionExpirationDurationInSeconds": {"type": "integer", "minimum": 1800, "maximum": 43200}
    }
    assert "required" not in schema, "the body is optional (an empty body validates as {})"


def render(body_template: str) -> dict:
    """Substitute the one variable the templates use, then parse: the body must be JSON."""
    assert body_template.count("$") == 1, "only $context.requestId is substituted"
    return json.loads(body_template.replace("$context.requestId", "req-1"))


@pytest.mark.parametrize("response_type", sorted(ERROR_SHAPES))
def test_gateway_responses_use_the_json_error_shape(template, response_type):
    status, code = ERROR_SHAPES[response_type]
    responses = [
        r["Properties"]
        for r in template.find_resources("AWS::ApiGateway::GatewayResponse").values()
        if r["Properties"]["ResponseType"] == response_type
    ]
    assert len(responses) == 1
    response = responses[0]
    assert response.get("StatusCode") == status
    assert response["ResponseParameters"]["gatewayresponse.header.Cache-Control"] == "'no-store'"
    body = render(response["ResponseTemplates"]["application/json"])
    assert set(body) == {"error", "message", "requestId"}
    assert body["error"] == code and body["requestId"] == "req-1"
    assert len(body["message"]) > 20


def test_gateway_messages_are_fixed_text_never_api_gateways_own(template):
    """API Gateway's messageString for IAM failures names the caller's ARN and account."""
    for response in template.find_resources("AWS::ApiGateway::GatewayResponse").values():
        body_template = response["Properties"]["ResponseTemplates"]["application/json"]
        assert "messageString" not in body_template
        assert "validationErrorString" not in body_template


def test_throttled_gateway_response_says_when_to_retry(template):
    throttled = next(
        r["Properties"]
        for r in template.find_resources("AWS::ApiGateway::GatewayResponse").values()
        if r["Properties"]["ResponseType"] == "THROTTLED"
    )
    assert throttled["ResponseParameters"]["gatewayresponse.header.Retry-After"] == "'5'"


def test_stage_throttles_traces_and_never_logs_data(template):
    _, stage = the(template, "AWS::ApiGateway::Stage")
    props = stage["Properties"]
    assert props["TracingEnabled"] is True
    (settings,) = props["MethodSettings"]
    assert settings["HttpMethod"] == "*" and settings["ResourcePath"] == "/*"
    assert settings["ThrottlingRateLimit"] == 10
    assert settings["ThrottlingBurstLimit"] == 20
    assert settings["DataTraceEnabled"] is False


def test_throttling_props_reach_the_stage(startable):
    _, stage = the(startable, "AWS::ApiGateway::Stage")
    (settings,) = stage["Properties"]["MethodSettings"]
    assert (settings["ThrottlingRateLimit"], settings["ThrottlingBurstLimit"]) == (2, 4)


def test_access_log_is_json_with_caller_ip_and_request_id_to_an_encrypted_group(template):
    _, stage = the(template, "AWS::ApiGateway::Stage")
    access = stage["Properties"]["AccessLogSetting"]
    fields = json.loads(access["Format"])
    assert fields["sourceIp"] == "$context.identity.sourceIp"
    assert fields["requestId"] == "$context.requestId"
    assert fields["userArn"] == "$context.identity.userArn"
    assert not any("body" in key.lower() or key == "response" for key in fields)
    group_id = access["DestinationArn"]["Fn::GetAtt"][0]
    group = template.to_json()["Resources"][group_id]
    assert group["Type"] == "AWS::Logs::LogGroup"
    assert "KmsKeyId" in group["Properties"]
    assert group["Properties"]["RetentionInDays"] == 365


def test_function_log_group_is_encrypted_with_retention(template):
    functions = [
        f["Properties"]
        for f in template.find_resources("AWS::Lambda::Function").values()
        if f["Properties"].get("Handler") == "handler.handler"
    ]
    group_id = functions[0]["LoggingConfig"]["LogGroup"]["Ref"]
    group = template.to_json()["Resources"][group_id]["Properties"]
    assert "KmsKeyId" in group and group["RetentionInDays"] == 365


def test_logs_key_lets_cloudwatch_logs_use_it_for_this_accounts_groups_only(template):
    keys = template.find_resources("AWS::KMS::Key")
    statements = [
        s
        for key in keys.values()
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if s.get("Sid") == "AllowCloudWatchLogsOfThisAccount"
    ]
    assert len(statements) == 1
    condition = json.dumps(statements[0]["Condition"])
    assert "kms:EncryptionContext:aws:logs:arn" in condition
    assert "123456789012" in condition


def test_without_allow_start_there_is_no_start_route_or_permission(template):
    paths = {
        r["Properties"]["PathPart"]
        for r in template.find_resources("AWS::ApiGateway::Resource").values()
    }
    assert "start" not in paths
    assert START not in json.dumps(template.find_resources("AWS::IAM::ManagedPolicy"))
    env = next(
        f["Properties"]["Environment"]["Variables"]
        for f in template.find_resources("AWS::Lambda::Function").values()
        if f["Properties"].get("Handler") == "handler.handler"
    )
    assert env["ALLOW_START"] == "false"


def test_allow_start_adds_the_route_and_only_then_the_permission(startable):
    paths = {
        r["Properties"]["PathPart"]
        for r in startable.find_resources("AWS::ApiGateway::Resource").values()
    }
    assert "start" in paths
    methods = [
        m["Properties"] for m in startable.find_resources("AWS::ApiGateway::Method").values()
    ]
    posts = [m for m in methods if m["HttpMethod"] == "POST"]
    assert len(posts) == 2 and all(m["AuthorizationType"] == "AWS_IAM" for m in posts)
    assert sorted(m["HttpMethod"] for m in methods) == ["ANY", "ANY", "POST", "POST"]
    statements = [
        s
        for p in startable.find_resources("AWS::IAM::ManagedPolicy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    (mint,) = [s for s in statements if s.get("Sid") == "MintForServedNotebooks"]
    assert START in mint["Action"]
    arn = "".join(p if isinstance(p, str) else "<ref>" for p in mint["Resource"]["Fn::Join"][1])
    assert re.fullmatch(r"arn:<ref>:sagemaker:eu-west-1:123456789012:notebook-instance/team-a", arn)


def test_other_methods_get_405_from_a_mock_without_a_lambda_call(template):
    methods = template.find_resources("AWS::ApiGateway::Method")
    (any_method,) = [
        m["Properties"] for m in methods.values() if m["Properties"]["HttpMethod"] == "ANY"
    ]
    # Unsigned on purpose: a fixed answer, nothing runs; the resource policy still applies.
    assert any_method["AuthorizationType"] == "NONE"
    integration = any_method["Integration"]
    assert integration["Type"] == "MOCK"
    (answer,) = integration["IntegrationResponses"]
    assert answer["StatusCode"] == "405"
    assert answer["ResponseParameters"]["method.response.header.Allow"] == "'POST'"
    body = render(answer["ResponseTemplates"]["application/json"])
    assert body["error"] == "MethodNotAllowed" and body["requestId"] == "req-1"
    assert any_method["MethodResponses"][0]["StatusCode"] == "405"


def test_no_console_test_invoke_permission(template):
    permissions = template.find_resources("AWS::Lambda::Permission").values()
    assert permissions, "API Gateway needs a permission for the deployed stage"
    for permission in permissions:
        assert "test-invoke-stage" not in json.dumps(permission["Properties"]["SourceArn"])


def test_account_logging_role_is_set_before_the_stage_and_retained(template):
    (account_id, account) = the(template, "AWS::ApiGateway::Account")
    assert account["DeletionPolicy"] == "Retain"
    role_id = account["Properties"]["CloudWatchRoleArn"]["Fn::GetAtt"][0]
    role = template.to_json()["Resources"][role_id]
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "apigateway.amazonaws.com"
    }
    assert role["DeletionPolicy"] == "Retain"
    _, stage = the(template, "AWS::ApiGateway::Stage")
    assert account_id in stage["DependsOn"]


def test_logging_role_can_be_left_to_the_account_owner(startable):
    startable.resource_count_is("AWS::ApiGateway::Account", 0)
    _, stage = the(startable, "AWS::ApiGateway::Stage")
    assert "AccessLogSetting" in stage["Properties"]


def test_endpoint_lets_only_this_accounts_principals_through(template):
    (endpoint,) = [
        e["Properties"]
        for e in template.find_resources("AWS::EC2::VPCEndpoint").values()
        if e["Properties"].get("VpcEndpointType") == "Interface"
    ]
    (general,) = [s for s in endpoint["PolicyDocument"]["Statement"] if "NotAction" in s]
    assert general["Condition"] == {"StringEquals": {"aws:PrincipalAccount": "123456789012"}}


def test_waf_leaves_body_size_to_the_handlers_413(template):
    _, acl = the(template, "AWS::WAFv2::WebACL")
    (common,) = [
        r["Statement"]["ManagedRuleGroupStatement"]
        for r in acl["Properties"]["Rules"]
        if r["Name"].endswith("CommonRuleSet")
    ]
    assert common["RuleActionOverrides"] == [
        {"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}
    ]
