"""API Gateway side of the URL API: validation, error shapes, throttling, logs, tracing."""

from __future__ import annotations

import json
import re

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk.assertions import Template
from conftest import TEST_ENV
from template_lookup import the_one
from vpcs import make_vpc

from sagemaker_notebook_access import NotebookInstance, PresignedUrlApi, ValidationError
from sagemaker_notebook_access.stack_output import api_path_from_description

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
    vpc = make_vpc(stack)
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
        reserved_concurrent_executions=5,
    )


def test_url_method_validates_body_and_path_parameter(template):
    validator_id, validator = the_one(template, "AWS::ApiGateway::RequestValidator")
    assert validator["Properties"]["ValidateRequestBody"] is True
    assert validator["Properties"]["ValidateRequestParameters"] is True
    model_id, _ = the_one(template, "AWS::ApiGateway::Model")
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
    _, model = the_one(template, "AWS::ApiGateway::Model")
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
    _, stage = the_one(template, "AWS::ApiGateway::Stage")
    props = stage["Properties"]
    assert props["TracingEnabled"] is True
    (settings,) = props["MethodSettings"]
    assert settings["HttpMethod"] == "*" and settings["ResourcePath"] == "/*"
    assert settings["ThrottlingRateLimit"] == 10
    assert settings["ThrottlingBurstLimit"] == 20
    assert settings["DataTraceEnabled"] is False


def test_throttling_props_reach_the_stage(startable):
    _, stage = the_one(startable, "AWS::ApiGateway::Stage")
    (settings,) = stage["Properties"]["MethodSettings"]
    assert (settings["ThrottlingRateLimit"], settings["ThrottlingBurstLimit"]) == (2, 4)


def test_access_log_is_json_with_caller_ip_and_request_id_to_an_encrypted_group(template):
    _, stage = the_one(template, "AWS::ApiGateway::Stage")
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
    assert sorted(m["HttpMethod"] for m in methods) == ["POST", "POST"]
    statements = [
        s
        for p in startable.find_resources("AWS::IAM::ManagedPolicy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    (mint,) = [s for s in statements if s.get("Sid") == "MintForServedNotebooks"]
    assert START in mint["Action"]
    arn = "".join(p if isinstance(p, str) else "<ref>" for p in mint["Resource"]["Fn::Join"][1])
    assert re.fullmatch(r"arn:<ref>:sagemaker:eu-west-1:123456789012:notebook-instance/team-a", arn)


def test_only_post_is_defined_so_other_methods_get_the_403_gateway_response(template):
    # A catch-all method without IAM authorization could never answer: behind a resource
    # policy with no explicit Allow, API Gateway denies it. Other methods are undefined and
    # get MISSING_AUTHENTICATION_TOKEN, which the contract maps to 403 Forbidden.
    methods = [m["Properties"] for m in template.find_resources("AWS::ApiGateway::Method").values()]
    assert [m["HttpMethod"] for m in methods] == ["POST"]
    assert all(m["AuthorizationType"] == "AWS_IAM" for m in methods)
    (response,) = [
        r["Properties"]
        for r in template.find_resources("AWS::ApiGateway::GatewayResponse").values()
        if r["Properties"]["ResponseType"] == "MISSING_AUTHENTICATION_TOKEN"
    ]
    assert response["StatusCode"] == "403"
    body = render(response["ResponseTemplates"]["application/json"])
    assert body["error"] == "Forbidden" and "method" in body["message"]


def test_no_console_test_invoke_permission(template):
    permissions = template.find_resources("AWS::Lambda::Permission").values()
    assert permissions, "API Gateway needs a permission for the deployed stage"
    for permission in permissions:
        assert "test-invoke-stage" not in json.dumps(permission["Properties"]["SourceArn"])


def test_account_logging_role_is_set_before_the_stage_and_retained(template):
    (account_id, account) = the_one(template, "AWS::ApiGateway::Account")
    assert account["DeletionPolicy"] == "Retain"
    role_id = account["Properties"]["CloudWatchRoleArn"]["Fn::GetAtt"][0]
    role = template.to_json()["Resources"][role_id]
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "apigateway.amazonaws.com"
    }
    assert role["DeletionPolicy"] == "Retain"
    _, stage = the_one(template, "AWS::ApiGateway::Stage")
    assert account_id in stage["DependsOn"]


def test_logging_role_can_be_left_to_the_account_owner(startable):
    startable.resource_count_is("AWS::ApiGateway::Account", 0)
    _, stage = the_one(startable, "AWS::ApiGateway::Stage")
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
    _, acl = the_one(template, "AWS::WAFv2::WebACL")
    (common,) = [
        r["Statement"]["ManagedRuleGroupStatement"]
        for r in acl["Properties"]["Rules"]
        if r["Name"].endswith("CommonRuleSet")
    ]
    assert common["RuleActionOverrides"] == [
        {"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}
    ]


def url_function(template: Template) -> tuple[str, dict]:
    (found,) = [
        (logical_id, f)
        for logical_id, f in template.find_resources("AWS::Lambda::Function").items()
        if f["Properties"].get("Handler") == "handler.handler"
    ]
    return found


def test_stage_writes_execution_logs_at_error_without_data(template):
    _, stage = the_one(template, "AWS::ApiGateway::Stage")
    (settings,) = stage["Properties"]["MethodSettings"]
    assert settings["LoggingLevel"] == "ERROR"
    assert settings["DataTraceEnabled"] is False


def test_execution_log_group_is_created_first_under_the_name_api_gateway_writes_to(template):
    # "API-Gateway-Execution-Logs_{rest-api-id}/{stage_name}", API Gateway developer guide,
    # "Set up CloudWatch logging for REST APIs": created by the stack, it has a key and
    # retention; the stage waits for it, so API Gateway never creates it first.
    rest_api_id, _ = the_one(template, "AWS::ApiGateway::RestApi")
    groups = {
        logical_id: g
        for logical_id, g in template.find_resources("AWS::Logs::LogGroup").items()
        if "API-Gateway-Execution-Logs_" in json.dumps(g["Properties"].get("LogGroupName"))
    }
    ((group_id, group),) = groups.items()
    assert group["Properties"]["LogGroupName"] == {
        "Fn::Join": ["", ["API-Gateway-Execution-Logs_", {"Ref": rest_api_id}, "/v1"]]
    }
    assert "KmsKeyId" in group["Properties"]
    assert group["Properties"]["RetentionInDays"] == 365
    _, stage = the_one(template, "AWS::ApiGateway::Stage")
    assert group_id in stage["DependsOn"]


def test_every_log_group_and_key_is_retained_except_on_a_failed_first_create(template):
    kept = {
        **template.find_resources("AWS::Logs::LogGroup"),
        **template.find_resources("AWS::KMS::Key"),
    }
    assert len(kept) >= 5  # the key, Lambda, access, execution and WAF logs
    for logical_id, resource in kept.items():
        assert resource["DeletionPolicy"] == "RetainExceptOnCreate", logical_id
        assert resource["UpdateReplacePolicy"] == "Retain", logical_id


def test_function_environment_is_encrypted_with_the_constructs_key(template):
    _, function = url_function(template)
    (key_id,) = template.find_resources("AWS::KMS::Key")
    assert function["Properties"]["KmsKeyArn"] == {"Fn::GetAtt": [key_id, "Arn"]}
    statements = [
        s
        for p in template.find_resources("AWS::IAM::ManagedPolicy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    (decrypt,) = [s for s in statements if s.get("Sid") == "DecryptOwnEnvironment"]
    assert decrypt["Action"] == "kms:Decrypt"
    assert decrypt["Resource"] == {"Fn::GetAtt": [key_id, "Arn"]}


def test_function_knows_the_api_id_to_flag_direct_invocations(template):
    rest_api_id, _ = the_one(template, "AWS::ApiGateway::RestApi")
    _, function = url_function(template)
    assert function["Properties"]["Environment"]["Variables"]["REST_API_ID"] == {"Ref": rest_api_id}


def test_no_reserved_concurrency_by_default_and_the_prop_sets_it(template, startable):
    _, default = url_function(template)
    assert "ReservedConcurrentExecutions" not in default["Properties"]
    _, reserved = url_function(startable)
    assert reserved["Properties"]["ReservedConcurrentExecutions"] == 5


def test_eni_permissions_outlive_the_functions_network_interfaces(template):
    # CloudFormation deletes a resource before what it depends on. The function's security
    # group cannot be deleted while a Lambda ENI uses it, and Lambda needs the role's
    # ec2:DeleteNetworkInterface to release them (aws-cdk#6701), so the group depends on
    # the policy and the policy goes last.
    _, function = url_function(template)
    (policy_id,) = [
        logical_id
        for logical_id, p in template.find_resources("AWS::IAM::ManagedPolicy").items()
        if "ec2:DeleteNetworkInterface" in json.dumps(p["Properties"]["PolicyDocument"])
    ]
    assert policy_id in function["DependsOn"]
    group_id = function["Properties"]["VpcConfig"]["SecurityGroupIds"][0]["Fn::GetAtt"][0]
    group = template.to_json()["Resources"][group_id]
    assert policy_id in group["DependsOn"]


@pytest.mark.parametrize("construct", ["api", "notebook"])
def test_a_vpc_with_only_public_subnets_is_refused_naming_vpc(construct):
    stack = cdk.Stack(cdk.App(), "PublicOnly", env=cdk.Environment(**TEST_ENV))
    vpc = make_vpc(stack, "PublicVpc", subnet_type=ec2.SubnetType.PUBLIC, max_azs=1)
    with pytest.raises(ValidationError, match=r"^vpc has no private or isolated subnet"):
        if construct == "api":
            PresignedUrlApi(stack, "Urls", vpc=vpc, allowed_cidrs=ALLOWED)
        else:
            NotebookInstance(stack, "Notebook", vpc=vpc)


def test_the_api_adds_the_stack_output_notebook_url_finds(template):
    """Any stack holding the API answers `notebook-url --stack-name`: no app output needed."""
    (rest_api, _) = the_one(template, "AWS::ApiGateway::RestApi")
    outputs = template.to_json()["Outputs"]
    marked = {
        key: output
        for key, output in outputs.items()
        if api_path_from_description(output.get("Description")) is not None
    }
    assert len(marked) == 1
    (key, output) = next(iter(marked.items()))
    assert key.startswith("UrlsUrl")
    assert api_path_from_description(output["Description"]) == "Api/Urls"
    assert {"Ref": rest_api} in output["Value"]["Fn::Join"][1]
    assert "Export" not in output


def test_two_apis_add_two_outputs_naming_their_paths():
    app = cdk.App()
    stack = cdk.Stack(app, "Two", env=cdk.Environment(**TEST_ENV))
    vpc = make_vpc(stack)
    for name in ("Blue", "Green"):
        PresignedUrlApi(stack, name, vpc=vpc, allowed_cidrs=ALLOWED, notebooks=["team-a"])
    outputs = Template.from_stack(stack).to_json()["Outputs"]
    paths = {api_path_from_description(o.get("Description")) for o in outputs.values()}
    assert paths - {None} == {"Two/Blue", "Two/Green"}
