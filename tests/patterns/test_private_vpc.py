"""PrivateVpc and its attributes; the private VPC's endpoints, notebooks' reach to them, the
notebook log policy, and the API Gateway account setting opt-out on IpRestrictedNotebook."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk.assertions import Template
from conftest import TEST_ENV
from vpcs import make_vpc

from sagemaker_notebook_access import (
    IpRestrictedNotebook,
    NotebookInstance,
    PresignedUrlApi,
    PrivateVpc,
    ValidationError,
)

ALLOWED = ["198.51.7.0/24"]
ACCOUNT = TEST_ENV["account"]
REGION = TEST_ENV["region"]
NOTEBOOK_LOG_GROUP_ARN = (
    f"arn:${{AWS::Partition}}:logs:{REGION}:{ACCOUNT}:log-group:/aws/sagemaker/NotebookInstances"
)
STREAM_SUFFIXES = ("jupyter.log", "LifecycleConfigOnCreate", "LifecycleConfigOnStart")
USER_STATEMENT_SID = "TeamDataBucket"


@dataclass
class Synth:
    stack: cdk.Stack
    template: Template

    def logical_id(self, construct) -> str:
        """The logical id of an L2's CloudFormation resource (or of an L1 itself)."""
        resource = construct.node.default_child or construct
        return self.stack.get_logical_id(resource)

    def resources(self, type_: str) -> dict[str, dict]:
        return self.template.find_resources(type_)

    @functools.cached_property
    def json(self) -> dict:
        """The template as JSON, read once (to_json crosses to jsii on every call)."""
        return self.template.to_json()

    def resource(self, logical_id: str) -> dict:
        return self.json["Resources"][logical_id]


def new_stack(app: cdk.App, name: str) -> cdk.Stack:
    return cdk.Stack(app, name, env=cdk.Environment(**TEST_ENV))


def render(value) -> str:
    """A CloudFormation string as text: Fn::Join flattened, ${Ref} and ${Id.Attr} for tokens."""
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(render(part) for part in parts)
    if "Ref" in value:
        return "${" + value["Ref"] + "}"
    if "Fn::GetAtt" in value:
        return "${" + ".".join(value["Fn::GetAtt"]) + "}"
    raise AssertionError(f"cannot render {value!r}")


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def statements(document: dict) -> list[dict]:
    return document["Statement"]


def references(document, logical_id: str) -> bool:
    """Whether ``document`` has a Ref or GetAtt of ``logical_id`` anywhere."""
    if isinstance(document, dict):
        if document.get("Ref") == logical_id:
            return True
        get_att = document.get("Fn::GetAtt")
        if isinstance(get_att, list) and get_att and get_att[0] == logical_id:
            return True
        return any(references(value, logical_id) for value in document.values())
    if isinstance(document, list):
        return any(references(value, logical_id) for value in document)
    return False


def group_id_of(value: dict) -> str:
    """The logical id of the security group in ``{"Fn::GetAtt": [id, "GroupId"]}``."""
    logical_id, attribute = value["Fn::GetAtt"]
    assert attribute == "GroupId"
    return logical_id


def ingress_sources(synth: Synth, group_logical_id: str) -> list[str]:
    """Security groups admitted into ``group_logical_id`` by standalone ingress rules (443 only)."""
    sources = []
    for rule in synth.resources("AWS::EC2::SecurityGroupIngress").values():
        props = rule["Properties"]
        if group_id_of(props["GroupId"]) != group_logical_id:
            continue
        assert (props["IpProtocol"], props["FromPort"], props["ToPort"]) == ("tcp", 443, 443)
        assert "CidrIp" not in props and "CidrIpv6" not in props, props
        sources.append(group_id_of(props["SourceSecurityGroupId"]))
    return sorted(sources)


def endpoint_with_service(synth: Synth, service_name: str) -> tuple[str, dict]:
    found = [
        (logical_id, resource)
        for logical_id, resource in synth.resources("AWS::EC2::VPCEndpoint").items()
        if render(resource["Properties"]["ServiceName"]) == service_name
    ]
    assert len(found) == 1, f"expected one endpoint for {service_name}, found {len(found)}"
    return found[0]


def endpoint_group(endpoint: dict) -> str:
    (group,) = endpoint["Properties"]["SecurityGroupIds"]
    return group_id_of(group)


# ---------------------------------------------------------------- fixtures


def build_private(app: cdk.App) -> tuple[cdk.Stack, IpRestrictedNotebook]:
    """IpRestrictedNotebook with the VPC it creates, untouched, all defaults but the name."""
    stack = new_stack(app, "Private")
    construct = IpRestrictedNotebook(
        stack, "Nb", allowed_cidrs=ALLOWED, notebook_instance_name="team-notebook"
    )
    return stack, construct


def build_extended(app: cdk.App) -> tuple[cdk.Stack, IpRestrictedNotebook]:
    """The same, with a user statement added through ``s3_endpoint``."""
    stack = new_stack(app, "Extended")
    construct = IpRestrictedNotebook(stack, "Nb", allowed_cidrs=ALLOWED)
    construct.s3_endpoint.add_to_policy(
        iam.PolicyStatement(
            sid=USER_STATEMENT_SID,
            principals=[iam.AnyPrincipal()],
            actions=["s3:GetObject"],
            resources=["arn:aws:s3:::team-data/*"],
        )
    )
    return stack, construct


@dataclass
class Reach:
    synth: Synth
    api: PresignedUrlApi
    notebooks: dict[str, NotebookInstance]


def build_reach(app: cdk.App) -> tuple[cdk.Stack, PresignedUrlApi, dict[str, NotebookInstance]]:
    """One stack: a VPC with an API and notebooks A (before the API, served by name),
    B (after, served by the prefix), C (after, not served); a second VPC with D."""
    stack = new_stack(app, "Reach")
    vpc = make_vpc(stack, "Vpc")
    a = NotebookInstance(stack, "A", vpc=vpc, notebook_instance_name="analysis-a")
    api = PresignedUrlApi(
        stack,
        "Urls",
        vpc=vpc,
        allowed_cidrs=ALLOWED,
        notebooks=["analysis-a"],
        notebook_name_prefix="team-",
    )
    b = NotebookInstance(stack, "B", vpc=vpc, notebook_instance_name="team-b")
    c = NotebookInstance(stack, "C", vpc=vpc)
    other_vpc = make_vpc(stack, "OtherVpc")
    d = NotebookInstance(stack, "D", vpc=other_vpc, notebook_instance_name="team-d")
    return stack, api, {"A": a, "B": b, "C": c, "D": d}


def build_notebook_logs(app: cdk.App) -> tuple[cdk.Stack, dict[str, NotebookInstance]]:
    """Two plain NotebookInstances: one named, one with a generated name."""
    stack = new_stack(app, "NotebookLogs")
    vpc = make_vpc(stack, "Vpc")
    notebooks = {
        "named": NotebookInstance(stack, "Named", vpc=vpc, notebook_instance_name="team-notebook"),
        "generated": NotebookInstance(stack, "Generated", vpc=vpc),
    }
    return stack, notebooks


def build_without_logging_role(app: cdk.App) -> cdk.Stack:
    stack = new_stack(app, "NoLoggingRole")
    IpRestrictedNotebook(
        stack, "Nb", allowed_cidrs=ALLOWED, configure_api_gateway_logging_role=False
    )
    return stack


@dataclass
class Stacks:
    private: tuple[Synth, IpRestrictedNotebook]
    extended: tuple[Synth, IpRestrictedNotebook]
    reach: Reach
    notebook_logs: tuple[Synth, dict[str, NotebookInstance]]
    without_logging_role: Synth


@pytest.fixture(scope="module")
def stacks() -> Stacks:
    """The five stacks below in one App: all built first, then one synthesis of the app (the
    first Template.from_stack synthesizes it; the others read the same assembly). Each
    stack's singletons are its own, so none depends on being alone in its app."""
    app = cdk.App()
    private_stack, private_construct = build_private(app)
    extended_stack, extended_construct = build_extended(app)
    reach_stack, api, reach_notebooks = build_reach(app)
    logs_stack, logs_notebooks = build_notebook_logs(app)
    no_role_stack = build_without_logging_role(app)

    def synth(stack: cdk.Stack) -> Synth:
        return Synth(stack, Template.from_stack(stack))

    return Stacks(
        private=(synth(private_stack), private_construct),
        extended=(synth(extended_stack), extended_construct),
        reach=Reach(synth(reach_stack), api, reach_notebooks),
        notebook_logs=(synth(logs_stack), logs_notebooks),
        without_logging_role=synth(no_role_stack),
    )


@pytest.fixture(scope="module")
def private(stacks) -> tuple[Synth, IpRestrictedNotebook]:
    return stacks.private


@pytest.fixture(scope="module")
def extended(stacks) -> tuple[Synth, IpRestrictedNotebook]:
    return stacks.extended


@pytest.fixture(scope="module")
def reach(stacks) -> Reach:
    return stacks.reach


@pytest.fixture(scope="module")
def notebook_logs(stacks) -> tuple[Synth, dict[str, NotebookInstance]]:
    return stacks.notebook_logs


@pytest.fixture(scope="module")
def without_logging_role(stacks) -> Synth:
    return stacks.without_logging_role


# ---------------------------------------------------------------- S3 gateway endpoint

S3_SERVICE = "com.amazonaws.${AWS::Region}.s3"
REPOSITORY_OBJECTS = f"arn:${{AWS::Partition}}:s3:::al2023-repos-{REGION}-de612dc2/*"


def test_s3_endpoint_policy_is_this_accounts_buckets_and_amazon_linux_repositories(private):
    synth, _ = private
    _, endpoint = endpoint_with_service(synth, S3_SERVICE)
    assert endpoint["Properties"]["VpcEndpointType"] == "Gateway"
    document = endpoint["Properties"].get("PolicyDocument")
    assert document is not None, "no policy: the endpoint would allow any bucket of any account"
    by_sid = {statement.get("Sid"): statement for statement in statements(document)}
    assert list(by_sid) == ["BucketsOfThisAccount", "ReadAmazonLinuxRepositories"]

    own = by_sid["BucketsOfThisAccount"]
    assert own["Effect"] == "Allow"
    assert own["Principal"] == {"AWS": "*"}
    assert own["Action"] == "s3:*"
    assert own["Resource"] == "*"
    assert own["Condition"] == {"StringEquals": {"aws:ResourceAccount": ACCOUNT}}

    repositories = by_sid["ReadAmazonLinuxRepositories"]
    assert repositories["Effect"] == "Allow"
    assert repositories["Action"] == "s3:GetObject"
    assert [render(r) for r in as_list(repositories["Resource"])] == [REPOSITORY_OBJECTS]
    assert "Condition" not in repositories


def test_s3_endpoint_policy_has_no_unconditioned_full_access(private):
    synth, _ = private
    _, endpoint = endpoint_with_service(synth, S3_SERVICE)
    for statement in statements(endpoint["Properties"]["PolicyDocument"]):
        if statement["Effect"] != "Allow" or "Condition" in statement:
            continue
        assert set(as_list(statement["Action"])) == {"s3:GetObject"}, statement
        assert "*" not in as_list(statement["Resource"]), statement


def test_s3_endpoint_attribute_is_the_vpcs_gateway_endpoint(private):
    synth, construct = private
    logical_id, _ = endpoint_with_service(synth, S3_SERVICE)
    assert isinstance(construct.s3_endpoint, ec2.GatewayVpcEndpoint)
    assert synth.logical_id(construct.s3_endpoint) == logical_id


def test_s3_endpoint_keeps_its_logical_id(private):
    """Made with add_gateway_endpoint now, the Vpc prop before: the same id, so an upgrade
    updates the endpoint's policy instead of replacing the endpoint."""
    synth, _ = private
    logical_id, _ = endpoint_with_service(synth, S3_SERVICE)
    assert logical_id == "NbVpcS340D12787"


def test_s3_endpoint_add_to_policy_adds_the_users_statement(extended):
    synth, construct = extended
    synth.template.resource_count_is("AWS::EC2::VPCEndpoint", 3)  # S3, Logs, SageMaker API
    logical_id, endpoint = endpoint_with_service(synth, S3_SERVICE)
    assert synth.logical_id(construct.s3_endpoint) == logical_id
    by_sid = {s.get("Sid"): s for s in statements(endpoint["Properties"]["PolicyDocument"])}
    assert list(by_sid) == [
        "BucketsOfThisAccount",
        "ReadAmazonLinuxRepositories",
        USER_STATEMENT_SID,
    ]
    user = by_sid[USER_STATEMENT_SID]
    assert (user["Effect"], user["Action"], user["Resource"]) == (
        "Allow",
        "s3:GetObject",
        "arn:aws:s3:::team-data/*",
    )


# ---------------------------------------------------------------- CloudWatch Logs endpoint

LOGS_SERVICE = f"com.amazonaws.{REGION}.logs"


def test_logs_interface_endpoint_with_private_dns(private):
    synth, construct = private
    logical_id, endpoint = endpoint_with_service(synth, LOGS_SERVICE)
    props = endpoint["Properties"]
    assert props["VpcEndpointType"] == "Interface"
    assert props["PrivateDnsEnabled"] is True
    assert props["VpcId"] == {"Ref": synth.logical_id(construct.vpc)}
    assert synth.logical_id(construct.logs_endpoint) == logical_id


def test_logs_endpoint_policy_admits_only_this_accounts_principals_and_resources(private):
    synth, _ = private
    _, endpoint = endpoint_with_service(synth, LOGS_SERVICE)
    document = endpoint["Properties"].get("PolicyDocument")
    assert document is not None, "no policy: any account's credentials could use the endpoint"
    allows = [s for s in statements(document) if s["Effect"] == "Allow"]
    assert allows
    for statement in allows:
        condition = statement.get("Condition", {}).get("StringEquals", {})
        assert condition.get("aws:PrincipalAccount") == ACCOUNT, statement
        assert condition.get("aws:ResourceAccount") == ACCOUNT, statement


def test_logs_endpoint_admits_the_notebook_security_group_and_no_cidr(private):
    synth, construct = private
    _, endpoint = endpoint_with_service(synth, LOGS_SERVICE)
    group = endpoint_group(endpoint)
    notebook_group = synth.logical_id(construct.notebook.security_group)
    assert ingress_sources(synth, group) == [notebook_group]
    inline = synth.resource(group)["Properties"].get("SecurityGroupIngress", [])
    assert inline == [], "the endpoint's group admits a CIDR (the whole VPC?)"


def test_sagemaker_endpoint_admits_the_served_notebook_object_and_the_lambda(private):
    """Behaviour before the endpoint registry too: a notebook served as an object."""
    synth, construct = private
    _, endpoint = endpoint_with_service(synth, f"com.amazonaws.{REGION}.sagemaker.api")
    assert ingress_sources(synth, endpoint_group(endpoint)) == sorted(
        [
            synth.logical_id(construct.notebook.security_group),
            synth.logical_id(construct.api.function_security_group),
        ]
    )


# ---------------------------------------------------------------- endpoint reach


def test_every_notebook_in_the_apis_vpc_reaches_its_sagemaker_endpoint(reach):
    synth = reach.synth
    group = synth.logical_id(reach.api.endpoint.connections.security_groups[0])
    expected = [
        synth.logical_id(reach.notebooks[name].security_group) for name in ("A", "B", "C")
    ] + [synth.logical_id(reach.api.function_security_group)]
    # One rule each: served by name before the API, by prefix after it, not served at all.
    assert ingress_sources(synth, group) == sorted(expected)


def test_a_notebook_in_another_vpc_gets_no_rule(reach):
    synth = reach.synth
    other_group = synth.logical_id(reach.notebooks["D"].security_group)
    for rule in synth.resources("AWS::EC2::SecurityGroupIngress").values():
        assert group_id_of(rule["Properties"]["SourceSecurityGroupId"]) != other_group


# ---------------------------------------------------------------- notebook log policy


def log_policy(synth: Synth, notebook: NotebookInstance) -> tuple[str, dict]:
    """The one managed policy on the notebook's role that grants logs:PutLogEvents."""
    role = {"Ref": synth.logical_id(notebook.role)}
    found = [
        (logical_id, policy)
        for logical_id, policy in synth.resources("AWS::IAM::ManagedPolicy").items()
        if role in policy["Properties"].get("Roles", [])
        and any(
            "logs:PutLogEvents" in as_list(s["Action"])
            for s in statements(policy["Properties"]["PolicyDocument"])
        )
    ]
    assert len(found) == 1, f"expected one log policy, found {len(found)}"
    return found[0]


def stream_arns(policy: dict) -> list[str]:
    return sorted(
        render(resource)
        for statement in statements(policy["Properties"]["PolicyDocument"])
        for resource in as_list(statement["Resource"])
        if ":log-stream:" in render(resource)
    )


@pytest.mark.parametrize("which", ["named", "generated"])
def test_log_policy_exists_before_the_notebook(notebook_logs, which):
    synth, notebooks = notebook_logs
    notebook = notebooks[which]
    policy_id, _ = log_policy(synth, notebook)
    resource = synth.resource(synth.logical_id(notebook.cfn_notebook_instance))
    assert policy_id in resource.get("DependsOn", [])


@pytest.mark.parametrize("which", ["named", "generated"])
def test_log_policy_does_not_reference_the_notebook(notebook_logs, which):
    """A reference would make the policy wait for the notebook: a dependency cycle."""
    synth, notebooks = notebook_logs
    notebook = notebooks[which]
    _, policy = log_policy(synth, notebook)
    notebook_id = synth.logical_id(notebook.cfn_notebook_instance)
    document = policy["Properties"]["PolicyDocument"]
    assert not references(document, notebook_id), json.dumps(document)


def test_named_notebook_log_streams_are_its_own(notebook_logs):
    synth, notebooks = notebook_logs
    _, policy = log_policy(synth, notebooks["named"])
    arns = stream_arns(policy)
    assert arns == sorted(
        f"{NOTEBOOK_LOG_GROUP_ARN}:log-stream:team-notebook/{suffix}" for suffix in STREAM_SUFFIXES
    )
    assert not any("*/" in arn for arn in arns)


def test_generated_name_log_streams_are_per_suffix(notebook_logs):
    synth, notebooks = notebook_logs
    _, policy = log_policy(synth, notebooks["generated"])
    assert stream_arns(policy) == sorted(
        f"{NOTEBOOK_LOG_GROUP_ARN}:log-stream:*/{suffix}" for suffix in STREAM_SUFFIXES
    )


@pytest.mark.parametrize("which", ["named", "generated"])
def test_describe_and_stop_live_in_the_self_management_policy(notebook_logs, which):
    synth, notebooks = notebook_logs
    notebook = notebooks[which]
    notebook_id = synth.logical_id(notebook.cfn_notebook_instance)
    role = {"Ref": synth.logical_id(notebook.role)}
    _, logs = log_policy(synth, notebook)
    log_actions = [
        action
        for statement in statements(logs["Properties"]["PolicyDocument"])
        if statement["Effect"] == "Allow"  # the tag guard's deny lives there too
        for action in as_list(statement["Action"])
    ]
    # The boot policy holds the volume key and the logs, nothing about the notebook itself.
    assert all(action.startswith(("logs:", "kms:")) for action in log_actions), log_actions
    assert not any(action.startswith("sagemaker:") for action in log_actions), log_actions

    describing = [
        (logical_id, statement)
        for logical_id, policy in synth.resources("AWS::IAM::ManagedPolicy").items()
        if role in policy["Properties"].get("Roles", [])
        for statement in statements(policy["Properties"]["PolicyDocument"])
        if "sagemaker:DescribeNotebookInstance" in as_list(statement["Action"])
    ]
    assert len(describing) == 1
    policy_id, statement = describing[0]
    assert policy_id == synth.logical_id(notebook.self_management_policy)
    assert "SelfManagementPolicy" in policy_id
    assert sorted(as_list(statement["Action"])) == [
        "sagemaker:DescribeNotebookInstance",
        "sagemaker:StopNotebookInstance",
    ]
    assert statement["Resource"] == {"Fn::GetAtt": [notebook_id, "NotebookInstanceArn"]}
    # It names the notebook, so the notebook cannot wait for it.
    assert policy_id not in synth.resource(notebook_id).get("DependsOn", [])


# ---------------------------------------------------------------- API Gateway account setting


def test_default_sets_the_api_gateway_account_logging_role(private):
    """Behaviour before the opt-out existed: the default keeps creating the setting."""
    synth, _ = private
    synth.template.resource_count_is("AWS::ApiGateway::Account", 1)


def test_opting_out_creates_no_api_gateway_account_setting(without_logging_role):
    synth = without_logging_role
    synth.template.resource_count_is("AWS::ApiGateway::Account", 0)
    for role in synth.resources("AWS::IAM::Role").values():
        principal = role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
        assert principal.get("Service") != "apigateway.amazonaws.com"


# ------------------------------------------------------------ availability zones


@pytest.fixture(scope="module")
def placed() -> dict:
    """The created VPC in two named AZs (where an endpoint service skips one of the first)."""
    stack = cdk.Stack(cdk.App(), "Placed")
    IpRestrictedNotebook(
        stack,
        "Access",
        allowed_cidrs=ALLOWED,
        notebook_instance_name="placed",
        availability_zones=["us-east-1b", "us-east-1c"],
    )
    return Template.from_stack(stack).to_json()["Resources"]


def test_named_availability_zones_hold_every_subnet(placed):
    zones = [
        r["Properties"]["AvailabilityZone"]
        for r in placed.values()
        if r["Type"] == "AWS::EC2::Subnet"
    ]
    assert sorted(zones) == ["us-east-1b", "us-east-1c"]


def test_the_interface_endpoints_sit_in_those_subnets_only(placed):
    subnets = {k for k, r in placed.items() if r["Type"] == "AWS::EC2::Subnet"}
    interfaces = [
        r["Properties"]
        for r in placed.values()
        if r["Type"] == "AWS::EC2::VPCEndpoint"
        and r["Properties"]["VpcEndpointType"] == "Interface"
    ]
    assert len(interfaces) == 2  # SageMaker API and CloudWatch Logs
    for endpoint in interfaces:
        assert {ref["Ref"] for ref in endpoint["SubnetIds"]} == subnets


@pytest.mark.parametrize(
    ("zones", "given", "message"),
    [
        (["us-east-1b"], {}, r"must name 2 to 6 different AZs"),
        (["us-east-1b", "us-east-1b"], {}, r"must name 2 to 6 different AZs"),
        ("us-east-1b", {}, r"a list of AZ names, not one string 'us-east-1b'"),
        (["use1-az3", "us-east-1b"], {}, r"entry 'use1-az3' is not an AZ name"),
        (["us-east-1b", "us-east-1c"], {"vpc": True}, r"with vpc or api given"),
    ],
)
def test_bad_availability_zones_are_refused_before_anything_is_built(zones, given, message):
    stack = cdk.Stack(cdk.App(), "Refused")
    props = {"vpc": make_vpc(stack)} if given else {}
    with pytest.raises(ValidationError, match=message):
        IpRestrictedNotebook(
            stack, "Access", allowed_cidrs=ALLOWED, availability_zones=zones, **props
        )
    assert stack.node.try_find_child("Access") is None


# ------------------------------------------------------------ PrivateVpc on its own


@pytest.fixture(scope="module")
def own_vpc() -> tuple[Synth, PrivateVpc, kms.Key]:
    """A PrivateVpc in a stack of its own: one with a given key and two-week retention."""
    stack = new_stack(cdk.App(), "OwnVpc")
    key = kms.Key(stack, "GivenKey")
    vpc = PrivateVpc(
        stack,
        "Vpc",
        flow_logs_key=key,
        log_retention=logs.RetentionDays.TWO_WEEKS,
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    return Synth(stack, Template.from_stack(stack)), vpc, key


def test_private_vpc_is_a_vpc_found_at_its_own_path(own_vpc):
    # Found in the tree, it is the same object, attributes and all (tests/iam_matrix).
    synth, vpc, _ = own_vpc
    assert isinstance(vpc, ec2.Vpc)
    assert synth.stack.node.find_child("Vpc") is vpc
    assert synth.stack.node.find_child("Vpc").s3_endpoint is vpc.s3_endpoint


def test_private_vpc_attributes_are_its_endpoints(own_vpc):
    synth, vpc, _ = own_vpc
    s3_id, s3 = endpoint_with_service(synth, S3_SERVICE)
    logs_id, _ = endpoint_with_service(synth, f"com.amazonaws.{REGION}.logs")
    assert synth.logical_id(vpc.s3_endpoint) == s3_id
    assert synth.logical_id(vpc.logs_endpoint) == logs_id
    assert [s["Sid"] for s in statements(s3["Properties"]["PolicyDocument"])] == [
        "BucketsOfThisAccount",
        "ReadAmazonLinuxRepositories",
    ]


def test_private_vpc_flow_log_writes_to_its_group_with_its_role_and_key(own_vpc):
    synth, vpc, key = own_vpc
    (flow_log_id,) = synth.resources("AWS::EC2::FlowLog")
    assert synth.logical_id(vpc.flow_log) == flow_log_id
    props = synth.resource(flow_log_id)["Properties"]
    assert props["TrafficType"] == "ALL"
    assert props["ResourceId"] == {"Ref": synth.logical_id(vpc)}
    assert props["LogGroupName"] == {"Ref": synth.logical_id(vpc.flow_log_group)}
    assert props["DeliverLogsPermissionArn"] == {
        "Fn::GetAtt": [synth.logical_id(vpc.flow_logs_role), "Arn"]
    }
    group = synth.resource(synth.logical_id(vpc.flow_log_group))
    assert group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [synth.logical_id(key), "Arn"]}
    assert group["Properties"]["RetentionInDays"] == 14
    assert group["DeletionPolicy"] == "Delete"
    assert vpc.flow_logs_key is key


def test_private_vpc_creates_no_key_when_given_one(own_vpc):
    synth, _, _ = own_vpc
    assert len(synth.resources("AWS::KMS::Key")) == 1  # the given one


def test_private_vpc_defaults_create_its_own_retained_key():
    stack = new_stack(cdk.App(), "DefaultVpc")
    vpc = PrivateVpc(stack, "Vpc")
    resources = Template.from_stack(stack).to_json()["Resources"]
    key_id = stack.get_logical_id(vpc.flow_logs_key.node.default_child)
    assert resources[key_id]["Type"] == "AWS::KMS::Key"
    assert resources[key_id]["DeletionPolicy"] == "RetainExceptOnCreate"
    group = resources[stack.get_logical_id(vpc.flow_log_group.node.default_child)]
    assert group["Properties"]["RetentionInDays"] == 365
    subnets = [r for r in resources.values() if r["Type"] == "AWS::EC2::Subnet"]
    assert len(subnets) == 2
    assert all(r["Type"] != "AWS::EC2::NatGateway" for r in resources.values())
    assert all(r["Type"] != "AWS::EC2::InternetGateway" for r in resources.values())


def test_private_vpc_places_named_availability_zones():
    stack = cdk.Stack(cdk.App(), "PlacedVpc")
    PrivateVpc(stack, "Vpc", availability_zones=["us-east-1b", "us-east-1d", "us-east-1f"])
    zones = [
        r["Properties"]["AvailabilityZone"]
        for r in Template.from_stack(stack).find_resources("AWS::EC2::Subnet").values()
    ]
    assert sorted(zones) == ["us-east-1b", "us-east-1d", "us-east-1f"]


@pytest.mark.parametrize(
    ("zones", "message"),
    [
        (["us-east-1b"], r"must name 2 to 6 different AZs"),
        ("us-east-1b", r"a list of AZ names, not one string 'us-east-1b'"),
        (["use1-az3", "us-east-1b"], r"entry 'use1-az3' is not an AZ name"),
    ],
)
def test_private_vpc_refuses_bad_availability_zones_before_anything_is_built(zones, message):
    stack = cdk.Stack(cdk.App(), "Refused")
    with pytest.raises(ValidationError, match=message) as error:
        PrivateVpc(stack, "Vpc", availability_zones=zones)
    assert error.value.construct_path == "Refused/Vpc"
    assert stack.node.children == []
