"""One PresignedUrlApi for a fleet of notebooks: sharing, per-notebook grants, and scale.

NotebookInstances are served by the serving tag (issue 21): nothing about them is added to
the API's function or role. Names (existing notebooks) and prefixes are still listed.

Each stack is synthesized once per module; the limits checked are CloudFormation's
500 resources per stack, IAM's 6144 characters per managed policy (10240 for a
role's inline policies together) and Lambda's 4 KiB of environment variables.
"""

from __future__ import annotations

import json
import re

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Template
from conftest import TEST_ENV
from presigned_url.handler import load_settings

from sagemaker_notebook_access import (
    IpRestrictedNotebook,
    NotebookInstance,
    NotebookIpPolicy,
    NotebookPortal,
    PresignedUrlApi,
    ValidationError,
)
from sagemaker_notebook_access.patterns.restricted_notebook import create_private_vpc

ALLOWED = ["203.0.113.0/24", "2001:db8::/32"]
PRESIGN = "sagemaker:CreatePresignedNotebookInstanceUrl"
SCALES = (1, 10, 50)
CFN_RESOURCE_LIMIT = 500
CFN_TEMPLATE_LIMIT_BYTES = 1_000_000
MANAGED_POLICY_LIMIT_CHARS = 6144
INLINE_POLICIES_PER_ROLE_LIMIT_CHARS = 10240
MANAGED_POLICIES_PER_ROLE_LIMIT = 10
LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096
NAME_MAX = 63

# Worst cases for what CloudFormation fills in at deploy time: the longest
# partition and region names, a generated name at its longest.
WORST_PSEUDO = {
    "AWS::Partition": "aws-us-gov",
    "AWS::Region": "ap-southeast-5",
    "AWS::AccountId": "123456789012",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "s" * 128,
}
WORST_ARN_PREFIX = "arn:aws-us-gov:{service}:ap-southeast-5:123456789012:"


def worst_name(i: int) -> str:
    """A valid notebook name of the maximum length, unique per i."""
    head = f"user-{i:03d}-"
    return head + "n" * (NAME_MAX - len(head))


# ---------------------------------------------------------------- rendering


def render(value, template: dict) -> str:
    """A CloudFormation value as the longest string it can become at deploy time."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict) and len(value) == 1:
        (function, argument), = value.items()  # fmt: skip
        if function == "Ref":
            if argument in WORST_PSEUDO:
                return WORST_PSEUDO[argument]
            resource_type = template["Resources"].get(argument, {}).get("Type", "")
            if resource_type == "AWS::EC2::VPCEndpoint":
                return "vpce-0123456789abcdef0"
            if resource_type == "AWS::ApiGateway::RestApi":
                return "a1b2c3d4e5"  # REST API ids are 10 characters
            if resource_type == "AWS::Cognito::UserPoolDomain":
                return "d" * 63  # a domain prefix
            return "r" * 128
        if function == "Fn::GetAtt":
            logical_id, attribute = argument
            properties = template["Resources"][logical_id].get("Properties", {})
            if attribute == "NotebookInstanceName":
                return properties.get("NotebookInstanceName", "n" * NAME_MAX)
            if attribute == "NotebookInstanceArn":
                name = properties.get("NotebookInstanceName", "n" * NAME_MAX).lower()
                return WORST_ARN_PREFIX.format(service="sagemaker") + f"notebook-instance/{name}"
            return WORST_ARN_PREFIX.format(service="svc") + "g" * 128
        if function == "Fn::Join":
            separator, parts = argument
            return separator.join(render(part, template) for part in parts)
    raise AssertionError(f"cannot render {value!r}")


def document_chars(document: dict, template: dict) -> int:
    """What IAM counts: the policy JSON without whitespace."""

    def walk(node):
        if isinstance(node, list):
            return [walk(item) for item in node]
        if isinstance(node, dict):
            if len(node) == 1 and next(iter(node)) in ("Ref", "Fn::GetAtt", "Fn::Join"):
                return render(node, template)
            return {key: walk(item) for key, item in node.items()}
        return node

    return len(re.sub(r"\s", "", json.dumps(walk(document), separators=(",", ":"))))


def environment_bytes(variables: dict, template: dict) -> int:
    return sum(len(key) + len(render(value, template)) for key, value in variables.items())


# ---------------------------------------------------------------- template lookups


def of_type(template: dict, type_: str) -> dict[str, dict]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def url_function(template: dict) -> dict:
    (function,) = [
        f
        for f in of_type(template, "AWS::Lambda::Function").values()
        if f["Properties"].get("Handler") == "handler.handler"
    ]
    return function


def role_policies(template: dict, role_id: str) -> tuple[list[dict], list[dict]]:
    """(managed, inline) policy documents attached to the role."""
    ref = {"Ref": role_id}
    managed = [
        p["Properties"]["PolicyDocument"]
        for p in of_type(template, "AWS::IAM::ManagedPolicy").values()
        if ref in p["Properties"].get("Roles", [])
    ]
    inline = [
        p["Properties"]["PolicyDocument"]
        for p in of_type(template, "AWS::IAM::Policy").values()
        if ref in p["Properties"].get("Roles", [])
    ]
    return managed, inline


def principal_policy_text(template: dict, kind: str, ref: object) -> str:
    """All identity policies (inline and managed) of one user/role/group, as one string."""
    return json.dumps(
        [
            p["Properties"]["PolicyDocument"]
            for type_ in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
            for p in of_type(template, type_).values()
            if ref in p["Properties"].get(kind, [])
        ]
    )


def served_arns(template: dict, role_id: str) -> list:
    """The ARNs listed by name or prefix (MintForTaggedNotebooks' tag-scoped * aside)."""
    managed, inline = role_policies(template, role_id)
    return [
        resource
        for document in managed + inline
        for statement in document["Statement"]
        if statement["Effect"] == "Allow"
        and PRESIGN in statement["Action"]
        and statement.get("Sid") != "MintForTaggedNotebooks"
        for resource in (
            statement["Resource"]
            if isinstance(statement["Resource"], list)
            else [statement["Resource"]]
        )
    ]


# ---------------------------------------------------------------- builders


def new_stack(id: str) -> cdk.Stack:
    return cdk.Stack(cdk.App(), id, env=cdk.Environment(**TEST_ENV))


def lean_fleet(stack: cdk.Stack, vpc: ec2.IVpc, api: PresignedUrlApi, names: list[str]) -> None:
    """The per-user fleet pattern: one key, one security group, one IP policy for all."""
    key = kms.Key(stack, "NotebookKey", enable_key_rotation=True)
    group = ec2.SecurityGroup(stack, "NotebookSecurityGroup", vpc=vpc, allow_all_outbound=False)
    group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS to the endpoints")
    ip_policy = NotebookIpPolicy(stack, "IpPolicy", allowed_cidrs=ALLOWED)
    for i, name in enumerate(names):
        user = iam.User.from_user_name(stack, f"User{i}", f"user-{i:03d}")
        notebook = NotebookInstance(
            stack,
            f"Notebook{i}",
            vpc=vpc,
            notebook_instance_name=name,
            encryption_key=key,
            security_group=group,
        )
        api.add_notebook(notebook)
        api.grant_open(user, notebook)
        ip_policy.attach_to_user(user)


@pytest.fixture(scope="module")
def scaled() -> dict[int, dict]:
    """Stacks of 1, 10 and 50 notebooks (names at the 63-character maximum) on one API."""
    built = {}
    for n in SCALES:
        stack = new_stack(f"Fleet{n}")
        vpc = create_private_vpc(stack, "Vpc")
        api = PresignedUrlApi(stack, "Api", vpc=vpc, allowed_cidrs=ALLOWED)
        lean_fleet(stack, vpc, api, [worst_name(i) for i in range(n)])
        built[n] = {
            "template": Template.from_stack(stack).to_json(),
            "role_id": stack.get_logical_id(api.role.node.default_child),
            "names": [worst_name(i) for i in range(n)],
            "serving_id": api.serving_tag_value,
        }
    return built


@pytest.fixture(scope="module")
def shared() -> dict:
    """Three IpRestrictedNotebooks sharing one API, each opened by its own principal."""
    stack = new_stack("Shared")
    vpc = create_private_vpc(stack, "Vpc")
    api = PresignedUrlApi(stack, "Api", vpc=vpc, allowed_cidrs=ALLOWED)
    alice = iam.User.from_user_name(stack, "Alice", "alice")
    bob = iam.User(stack, "Bob")
    carol = iam.Role(stack, "Carol", assumed_by=iam.AccountRootPrincipal())
    admins = iam.Group(stack, "Admins")
    principals = {"nb-alice": alice, "nb-bob": bob, "nb-carol": carol}
    notebooks = {}
    for name, principal in principals.items():
        notebooks[name] = IpRestrictedNotebook(
            stack, name, allowed_cidrs=ALLOWED, api=api, notebook_instance_name=name
        )
        notebooks[name].grant_open(principal)
    api.add_notebook("existing-Notebook")
    api.grant_open(admins)
    return {
        "template": Template.from_stack(stack).to_json(),
        "stack": stack,
        "api": api,
        "notebooks": notebooks,
        "refs": {
            "nb-alice": ("Users", "alice"),
            "nb-bob": ("Users", {"Ref": stack.get_logical_id(bob.node.default_child)}),
            "nb-carol": ("Roles", {"Ref": stack.get_logical_id(carol.node.default_child)}),
            "*": ("Groups", {"Ref": stack.get_logical_id(admins.node.default_child)}),
        },
    }


# ---------------------------------------------------------------- sharing one API


def test_shared_api_means_one_api_one_function_one_endpoint(shared):
    template = shared["template"]
    assert len(of_type(template, "AWS::ApiGateway::RestApi")) == 1
    url_function(template)
    endpoints = [
        e
        for e in of_type(template, "AWS::EC2::VPCEndpoint").values()
        if "sagemaker.api" in json.dumps(e["Properties"]["ServiceName"])
    ]
    assert len(endpoints) == 1
    assert len(of_type(template, "AWS::SageMaker::NotebookInstance")) == 3
    # The notebooks join the API's VPC instead of creating one each.
    assert len(of_type(template, "AWS::EC2::VPC")) == 1
    for access in shared["notebooks"].values():
        assert access.api is shared["api"]
        assert access.vpc is shared["api"].vpc


def test_shared_api_serves_every_notebook(shared):
    template = shared["template"]
    variables = url_function(template)["Properties"]["Environment"]["Variables"]
    # The three NotebookInstances by tag; the existing notebook by name.
    assert render(variables["NOTEBOOK_NAMES"], template) == "existing-Notebook"
    assert variables["SERVED_BY"] == shared["api"].serving_tag_value
    assert serving_tags(template) == {
        "nb-alice": shared["api"].serving_tag_value,
        "nb-bob": shared["api"].serving_tag_value,
        "nb-carol": shared["api"].serving_tag_value,
    }
    assert shared["api"].notebook_names == ["nb-alice", "nb-bob", "nb-carol", "existing-Notebook"]


def serving_tags(template: dict) -> dict[str, str | None]:
    """Each notebook's notebook-access:served-by tag, by notebook name."""
    return {
        nb["Properties"]["NotebookInstanceName"]: {
            tag["Key"]: tag["Value"] for tag in nb["Properties"].get("Tags", [])
        }.get("notebook-access:served-by")
        for nb in of_type(template, "AWS::SageMaker::NotebookInstance").values()
    }


def tagged_mint_statement(template: dict, role_id: str) -> dict:
    managed, inline = role_policies(template, role_id)
    (statement,) = [
        s
        for document in managed + inline
        for s in document["Statement"]
        if s.get("Sid") == "MintForTaggedNotebooks"
    ]
    return statement


def test_each_notebook_is_reachable_from_the_shared_endpoint(shared):
    template = shared["template"]
    ingress = [
        r["Properties"]
        for r in of_type(template, "AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"].get("FromPort") == 443
    ]
    notebook_groups = [
        nb["Properties"]["SecurityGroupIds"][0]
        for nb in of_type(template, "AWS::SageMaker::NotebookInstance").values()
    ]
    sources = [rule["SourceSecurityGroupId"] for rule in ingress]
    for group in notebook_groups:
        assert group in sources


def test_existing_notebook_by_name_is_served_by_lowercase_arn(shared):
    arns = json.dumps(served_arns(shared["template"], role_id_of(shared)))
    assert "notebook-instance/existing-notebook" in arns
    assert "existing-Notebook" not in arns


def role_id_of(built: dict) -> str:
    return built["stack"].get_logical_id(built["api"].role.node.default_child)


@pytest.mark.parametrize("name", ["nb-alice", "nb-bob", "nb-carol"])
def test_each_principal_may_open_only_its_own_notebook(shared, name):
    kind, ref = shared["refs"][name]
    text = principal_policy_text(shared["template"], kind, ref)
    routes = re.findall(r"/POST/notebooks/([^/\"]+)/url", text)
    assert routes == [name]
    assert "execute-api:Invoke" in text


def test_grant_open_without_notebook_covers_every_route(shared):
    kind, ref = shared["refs"]["*"]
    text = principal_policy_text(shared["template"], kind, ref)
    assert re.findall(r"/POST/notebooks/([^/\"]+)/url", text) == ["*"]


def test_grant_open_returns_a_grant_scoped_to_the_stage():
    stack = new_stack("Grant")
    api = PresignedUrlApi(
        stack, "Api", vpc=create_private_vpc(stack, "Vpc"), allowed_cidrs=ALLOWED, allow_start=True
    )
    api.add_notebook("alpha")
    user = iam.User(stack, "User")
    api.grant_open(user, "alpha")
    text = principal_policy_text(
        Template.from_stack(stack).to_json(),
        "Users",
        {"Ref": stack.get_logical_id(user.node.default_child)},
    )
    assert sorted(re.findall(r"/v1/POST/notebooks/([^\"]+)", text)) == ["alpha/start", "alpha/url"]


def test_grant_open_names_a_notebook_that_may_join_by_tag_later():
    # A notebook joins by its tag after the deploy (aws sagemaker add-tags), so a grant may
    # name one the app does not know; a name SageMaker would refuse is still refused.
    stack = new_stack("Unserved")
    api = PresignedUrlApi(stack, "Api", vpc=create_private_vpc(stack, "Vpc"), allowed_cidrs=ALLOWED)
    user = iam.User(stack, "User")
    api.grant_open(user, "beta")
    text = principal_policy_text(
        Template.from_stack(stack).to_json(),
        "Users",
        {"Ref": stack.get_logical_id(user.node.default_child)},
    )
    assert re.findall(r"/POST/notebooks/([^/\"]+)/url", text) == ["beta"]
    with pytest.raises(ValidationError, match=r"notebook 'bad_name' is not allowed"):
        api.grant_open(user, "bad_name")


def test_add_notebook_rejects_duplicates_bad_names_and_other_types():
    stack = new_stack("Rejects")
    vpc = create_private_vpc(stack, "Vpc")
    api = PresignedUrlApi(stack, "Api", vpc=vpc, allowed_cidrs=ALLOWED)
    notebook = NotebookInstance(stack, "Generated", vpc=vpc)
    api.add_notebook("alpha")
    api.add_notebook(notebook)
    with pytest.raises(ValidationError, match=r"'alpha' is already served"):
        api.add_notebook("alpha")
    with pytest.raises(ValidationError, match=r"is already served"):
        api.add_notebook("ALPHA")
    with pytest.raises(ValidationError, match=r"already served by this API"):
        api.add_notebook(notebook)
    other = PresignedUrlApi(stack, "Other", vpc=vpc, allowed_cidrs=ALLOWED)
    with pytest.raises(ValidationError, match=r"already served by the API whose serving id"):
        other.add_notebook(notebook)
    with pytest.raises(ValidationError, match=r"already served by an API"):
        PresignedUrlApi(stack, "Third", vpc=vpc, allowed_cidrs=ALLOWED, notebooks=[notebook])
    with pytest.raises(ValidationError, match=r"notebook 'bad_name' is not allowed"):
        api.add_notebook("bad_name")
    with pytest.raises(ValidationError, match=r"got int"):
        api.add_notebook(42)
    assert len(api.notebook_names) == 2


# ---------------------------------------------------------------- scale


@pytest.mark.parametrize("n", SCALES)
def test_fleet_synthesizes_well_under_the_resource_limit(scaled, n):
    template = scaled[n]["template"]
    count = len(template["Resources"])
    print(f"{n} notebooks on one API: {count} resources")
    assert count < 400 if n == 50 else count < CFN_RESOURCE_LIMIT
    assert len(of_type(template, "AWS::SageMaker::NotebookInstance")) == n
    assert len(of_type(template, "AWS::ApiGateway::RestApi")) == 1
    url_function(template)


@pytest.mark.parametrize("n", SCALES)
def test_fleet_template_fits_cloudformation_size_limit(scaled, n):
    # As the CDK writes it (indented); CloudFormation takes at most 1 MB from S3.
    size = len(json.dumps(scaled[n]["template"], indent=1))
    print(f"{n} notebooks on one API: template {size} bytes")
    assert size < CFN_TEMPLATE_LIMIT_BYTES


def test_resources_grow_linearly_and_slowly(scaled):
    sizes = {n: len(scaled[n]["template"]["Resources"]) for n in SCALES}
    # Per notebook: the notebook, its lifecycle configuration, its role and policies, and
    # the user's grant; nothing on the API's side (served by tag).
    assert (sizes[10] - sizes[1]) / 9 <= 6
    assert (sizes[50] - sizes[10]) / 40 <= 6


@pytest.mark.parametrize("n", SCALES)
def test_function_role_policies_stay_under_iam_size_limits(scaled, n):
    template, role_id = scaled[n]["template"], scaled[n]["role_id"]
    managed, inline = role_policies(template, role_id)
    assert 1 <= len(managed) < MANAGED_POLICIES_PER_ROLE_LIMIT
    for document in managed:
        assert document_chars(document, template) <= MANAGED_POLICY_LIMIT_CHARS
    assert sum(document_chars(d, template) for d in inline) <= INLINE_POLICIES_PER_ROLE_LIMIT_CHARS


@pytest.mark.parametrize("n", SCALES)
def test_function_role_mints_for_the_tag_and_every_fleet_notebook_carries_it(scaled, n):
    template, role_id = scaled[n]["template"], scaled[n]["role_id"]
    # One statement however many notebooks: every notebook of the account, if tagged.
    assert served_arns(template, role_id) == []
    statement = tagged_mint_statement(template, role_id)
    assert render(statement["Resource"], template).endswith(":notebook-instance/*")
    assert statement["Condition"] == {
        "StringEquals": {"aws:ResourceTag/notebook-access:served-by": scaled[n]["serving_id"]}
    }
    tags = serving_tags(template)
    assert sorted(tags) == sorted(scaled[n]["names"])
    assert set(tags.values()) == {scaled[n]["serving_id"]}


@pytest.mark.parametrize("n", SCALES)
def test_function_environment_stays_under_4_kib(scaled, n):
    template = scaled[n]["template"]
    variables = url_function(template)["Properties"]["Environment"]["Variables"]
    assert environment_bytes(variables, template) <= LAMBDA_ENVIRONMENT_LIMIT_BYTES


def test_handler_leaves_the_fleet_to_the_tag(scaled):
    template = scaled[50]["template"]
    variables = url_function(template)["Properties"]["Environment"]["Variables"]
    settings = load_settings({k: render(v, template) for k, v in variables.items()})
    assert settings.served_by == scaled[50]["serving_id"]
    # No name is listed: whether one is served is SageMaker's answer to the tagged role.
    assert not any(settings.lists(name) for name in scaled[50]["names"])
    assert all(settings.may_serve(name) for name in [*scaled[50]["names"], "user-000"])


@pytest.mark.parametrize("n", SCALES)
def test_each_user_is_granted_only_their_notebook(scaled, n):
    template = scaled[n]["template"]
    for i, name in enumerate(scaled[n]["names"]):
        text = principal_policy_text(template, "Users", f"user-{i:03d}")
        assert re.findall(r"/POST/notebooks/([^/\"]+)/url", text) == [name]


# ---------------------------------------------------------------- capacity


@pytest.fixture(scope="module")
def full() -> dict:
    """An API given 63-character names until add_notebook refuses one."""
    stack = new_stack("Full")
    api = PresignedUrlApi(stack, "Api", vpc=create_private_vpc(stack, "Vpc"), allowed_cidrs=ALLOWED)
    error = None
    for i in range(1000):
        try:
            api.add_notebook(worst_name(i))
        except ValidationError as refused:
            error = refused
            break
    return {
        "error": error,
        "served": len(api.notebook_names),
        "template": Template.from_stack(stack).to_json(),
        "role_id": stack.get_logical_id(api.role.node.default_child),
    }


def test_explicit_list_has_a_capacity_and_says_what_to_do_beyond_it(full):
    print(f"explicit-list capacity at 63-character names: {full['served']}")
    # The figure PresignedUrlApi.add_notebook and docs/fleet.md give.
    assert full["served"] == 56
    assert full["error"] is not None
    message = str(full["error"])
    assert worst_name(full["served"]) in message
    assert "notebook-access:served-by" in message and "docs/fleet.md" in message


@pytest.fixture(scope="module")
def full_with_portal() -> dict:
    """An API with a NotebookPortal, then given 63-character names until one is refused."""
    stack = new_stack("FullWithPortal")
    api = PresignedUrlApi(stack, "Api", vpc=create_private_vpc(stack, "Vpc"), allowed_cidrs=ALLOWED)
    NotebookPortal(stack, "Portal", api=api, domain_prefix="team-notebooks")
    with pytest.raises(ValidationError, match="served-by"):
        for i in range(1000):
            api.add_notebook(worst_name(i))
    return {"served": len(api.notebook_names), "template": Template.from_stack(stack).to_json()}


def test_a_portal_takes_its_room_in_the_lambda_environment(full, full_with_portal):
    # Its four variables, counted at their longest, leave room for fewer names...
    assert full_with_portal["served"] < full["served"]
    # ...and what is accepted still fits, rendered at its longest by this test's own means.
    template = full_with_portal["template"]
    variables = url_function(template)["Properties"]["Environment"]["Variables"]
    assert {"PORTAL_URL", "PORTAL_CLIENT_ID", "NOTEBOOK_ARN_PREFIX"} <= set(variables)
    assert environment_bytes(variables, template) <= LAMBDA_ENVIRONMENT_LIMIT_BYTES


def test_a_portal_on_a_full_api_is_refused_with_what_to_do():
    stack = new_stack("FullThenPortal")
    api = PresignedUrlApi(stack, "Api", vpc=create_private_vpc(stack, "Vpc"), allowed_cidrs=ALLOWED)
    for i in range(56):
        api.add_notebook(worst_name(i))
    with pytest.raises(ValidationError, match=r"cannot set the Lambda's PORTAL_\w+: .* bytes") as e:
        NotebookPortal(stack, "Portal", api=api, domain_prefix="team-notebooks")
    assert "by tag" in str(e.value)
    # Refused before it exists: no portal, and none of its routes or statements on the API.
    assert stack.node.try_find_child("Portal") is None
    resources = Template.from_stack(stack).to_json()["Resources"].values()
    assert [r for r in resources if r["Type"].startswith("AWS::Cognito::")] == []
    paths = [
        r["Properties"]["PathPart"] for r in resources if r["Type"] == "AWS::ApiGateway::Resource"
    ]
    assert "portal" not in paths


def test_api_at_capacity_stays_within_lambda_and_iam_limits(full):
    template = full["template"]
    variables = url_function(template)["Properties"]["Environment"]["Variables"]
    assert environment_bytes(variables, template) <= LAMBDA_ENVIRONMENT_LIMIT_BYTES
    managed, _ = role_policies(template, full["role_id"])
    assert len(managed) < MANAGED_POLICIES_PER_ROLE_LIMIT
    for document in managed:
        assert document_chars(document, template) <= MANAGED_POLICY_LIMIT_CHARS
    assert len(served_arns(template, full["role_id"])) == full["served"]


@pytest.fixture(scope="module")
def prefixed() -> dict:
    """500 notebooks served by name prefix: the representation that scales."""
    stack = new_stack("Prefixed")
    api = PresignedUrlApi(
        stack,
        "Api",
        vpc=create_private_vpc(stack, "Vpc"),
        allowed_cidrs=ALLOWED,
        notebook_name_prefix="team-a-",
    )
    for i in range(500):
        api.add_notebook(f"team-a-{i:03d}")
    api.add_notebook("outsider")
    user = iam.User(stack, "User")
    api.grant_open(user, "team-a-499")
    return {
        "api": api,
        "template": Template.from_stack(stack).to_json(),
        "role_id": stack.get_logical_id(api.role.node.default_child),
        "user_ref": {"Ref": stack.get_logical_id(user.node.default_child)},
    }


def test_prefix_serves_any_number_in_constant_space(prefixed):
    template = prefixed["template"]
    variables = url_function(template)["Properties"]["Environment"]["Variables"]
    assert variables["NOTEBOOK_NAME_PREFIX"] == "team-a-"
    # Names under the prefix are not listed one by one; the outsider is.
    assert render(variables["NOTEBOOK_NAMES"], template) == "outsider"
    assert environment_bytes(variables, template) < 1024
    arns = [render(a, template) for a in served_arns(template, prefixed["role_id"])]
    assert sorted(a.rsplit("/", 1)[1] for a in arns) == ["outsider", "team-a-*"]
    settings = load_settings({k: render(v, template) for k, v in variables.items()})
    assert settings.lists("team-a-123")
    assert settings.lists("outsider")
    assert not settings.lists("team-b-001")


def test_prefix_grant_names_one_route(prefixed):
    text = principal_policy_text(prefixed["template"], "Users", prefixed["user_ref"])
    assert re.findall(r"/POST/notebooks/([^/\"]+)/url", text) == ["team-a-499"]


# ---------------------------------------------------------------- served by tag


def api_stack_serving(n: int) -> tuple[dict, dict]:
    """An API stack whose n NotebookInstances live in a stack of their own: the two templates."""
    app = cdk.App()
    env = cdk.Environment(**TEST_ENV)
    api_stack = cdk.Stack(app, "ApiStack", env=env)
    vpc = create_private_vpc(api_stack, "Vpc")
    api = PresignedUrlApi(api_stack, "Api", vpc=vpc, allowed_cidrs=ALLOWED)
    fleet = cdk.Stack(app, "FleetStack", env=env)
    key = kms.Key(fleet, "Key", enable_key_rotation=True)
    for i in range(n):
        api.add_notebook(
            NotebookInstance(
                fleet, f"Nb{i}", vpc=vpc, notebook_instance_name=f"nb-{i}", encryption_key=key
            )
        )
    return (
        Template.from_stack(api_stack).to_json(),
        Template.from_stack(fleet).to_json(),
    )


def test_the_api_template_does_not_grow_with_the_tagged_fleet():
    one_api, _ = api_stack_serving(1)
    many_api, many_fleet = api_stack_serving(12)
    # The API's stack is the same byte for byte; the notebooks carry the API's tag.
    assert json.dumps(many_api, sort_keys=True) == json.dumps(one_api, sort_keys=True)
    assert len(set(serving_tags(many_fleet).values())) == 1
    assert len(serving_tags(many_fleet)) == 12
