"""NotebookPortal on synthesized templates: authorizers, resource policy, client, tags, errors."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import cfnlint
import pytest
from aws_cdk import aws_cognito as cognito
from aws_cdk.assertions import Match, Template
from presigned_url import portal as handler_portal
from presigned_url.contract import SERVED_BY_TAG
from vpcs import make_vpc

from sagemaker_notebook_access import (
    IpRestrictedNotebook,
    NotebookInstance,
    NotebookPortal,
    PresignedUrlApi,
    SignIn,
    ValidationError,
)
from sagemaker_notebook_access.notebook.entitlement import GROUPS_TAG, OWNERS_TAG
from sagemaker_notebook_access.portal.notebook_portal import (
    DEFAULT_NOTEBOOK_SESSION_MINUTES,
    POOL_REMOVAL_POLICIES,
)

CIDRS = ["203.0.113.0/24"]


@pytest.fixture(scope="module")
def stacks() -> dict[str, Template]:
    """Four stacks in one App, synthesized once: a portal through IpRestrictedNotebook,
    a notebook without sign-in, a portal on a shared API with a given pool and domain, and
    a portal whose pool the stack may delete (with the longest ID token and a 30-minute
    notebook session)."""
    app = cdk.App()
    stack = cdk.Stack(app, "PortalStack")
    IpRestrictedNotebook(
        stack,
        "Access",
        allowed_cidrs=CIDRS,
        notebook_instance_name="alice-notebook",
        allow_start=True,
        sign_in=SignIn(domain_prefix="team-notebooks"),
        owners=["alice@example.com", "0f1e2d3c-sub"],
        groups=["ml-team"],
    )
    IpRestrictedNotebook(cdk.Stack(app, "Plain"), "Access", allowed_cidrs=CIDRS)
    shared = cdk.Stack(app, "Shared")
    api = PresignedUrlApi(
        shared, "Api", vpc=make_vpc(shared), allowed_cidrs=CIDRS, notebooks=["existing"]
    )
    NotebookPortal(
        shared,
        "Portal",
        api=api,
        user_pool=cognito.UserPool(shared, "CorporatePool"),
        sign_in_url="https://login.example.com",
        identity_providers=[cognito.UserPoolClientIdentityProvider.custom("IdentityCenter")],
    )
    IpRestrictedNotebook(
        cdk.Stack(app, "Disposable"),
        "Access",
        allowed_cidrs=CIDRS,
        sign_in=SignIn(
            domain_prefix="t",
            removal_policy=cdk.RemovalPolicy.DESTROY,
            session_minutes=24 * 60,
            notebook_session_minutes=30,
        ),
    )
    assembly = app.synth()
    return {
        name: Template.from_json(assembly.get_stack_by_name(name).template)
        for name in ("PortalStack", "Plain", "Shared", "Disposable")
    }


@pytest.fixture(scope="module")
def template(stacks) -> dict:
    return stacks["PortalStack"].to_json()


def of_type(template: dict, type_: str) -> dict[str, dict]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def method_paths(template: dict) -> dict[tuple[str, str], dict]:
    """(HTTP method, path) -> the method's properties, the path rebuilt from the resources."""
    resources = of_type(template, "AWS::ApiGateway::Resource")

    def path_of(ref: dict) -> str:
        if "Fn::GetAtt" in ref:  # the root resource
            return ""
        resource = resources[ref["Ref"]]["Properties"]
        return f"{path_of(resource['ParentId'])}/{resource['PathPart']}"

    return {
        (m["Properties"]["HttpMethod"], path_of(m["Properties"]["ResourceId"]) or "/"): m[
            "Properties"
        ]
        for m in of_type(template, "AWS::ApiGateway::Method").values()
    }


BROWSER_ROUTES = {
    ("GET", "/portal/notebooks"),
    ("POST", "/portal/notebooks/{NotebookInstanceName}/open"),
    ("POST", "/portal/notebooks/{NotebookInstanceName}/start"),
}


def test_every_browser_route_that_touches_a_notebook_has_the_cognito_authorizer(template):
    methods = method_paths(template)
    (authorizer_id,) = of_type(template, "AWS::ApiGateway::Authorizer")
    for route in BROWSER_ROUTES:
        assert methods[route]["AuthorizationType"] == "COGNITO_USER_POOLS", route
        assert methods[route]["AuthorizerId"] == {"Ref": authorizer_id}, route


def test_only_the_page_has_no_authorization_and_the_sigv4_routes_keep_iam(template):
    methods = method_paths(template)
    unauthenticated = {r for r, m in methods.items() if m["AuthorizationType"] == "NONE"}
    assert unauthenticated == {("GET", "/")}
    for route in [
        ("POST", "/notebooks/{NotebookInstanceName}/url"),
        ("POST", "/notebooks/{NotebookInstanceName}/start"),
    ]:
        assert methods[route]["AuthorizationType"] == "AWS_IAM"


def test_no_get_route_mints_or_starts(template):
    gets = {path for method, path in method_paths(template) if method == "GET"}
    assert gets == {"/", "/portal/notebooks"}


def test_the_resource_policy_allows_only_the_browser_routes_and_still_denies_by_ip(template):
    (api,) = of_type(template, "AWS::ApiGateway::RestApi").values()
    statements = api["Properties"]["Policy"]["Statement"]
    deny = [s for s in statements if s["Effect"] == "Deny"]
    allow = [s for s in statements if s["Effect"] == "Allow"]
    assert [d["Resource"] for d in deny] == ["execute-api:/*"]
    assert deny[0]["Condition"] == {"NotIpAddress": {"aws:SourceIp": CIDRS}}
    (allowed,) = allow
    assert sorted(allowed["Resource"]) == sorted(
        [
            "execute-api:/v1/GET/",
            "execute-api:/v1/GET/portal/notebooks",
            "execute-api:/v1/POST/portal/notebooks/*/open",
            "execute-api:/v1/POST/portal/notebooks/*/start",
        ]
    )
    # An Allow to "*" on a SigV4 route would admit signed requests from other accounts.
    assert not any("/notebooks/" in r and "portal" not in r for r in allowed["Resource"])


def test_the_app_client_is_a_public_code_flow_client_with_short_tokens(template):
    (client,) = of_type(template, "AWS::Cognito::UserPoolClient").values()
    props = client["Properties"]
    assert props["GenerateSecret"] is False
    assert props["AllowedOAuthFlows"] == ["code"]
    assert props["AllowedOAuthFlowsUserPoolClient"] is True
    assert sorted(props["AllowedOAuthScopes"]) == ["email", "openid", "profile"]
    # No password/SRP flows: no token with aws.cognito.signin.user.admin.
    assert props["ExplicitAuthFlows"] == ["ALLOW_REFRESH_TOKEN_AUTH"]
    assert (props["IdTokenValidity"], props["AccessTokenValidity"]) == (15, 15)
    assert props["TokenValidityUnits"]["IdToken"] == "minutes"
    callback = json.dumps(props["CallbackURLs"])
    assert "execute-api" in callback and "/v1/" in callback
    # Sign-out lands on the page's signed-out state, which does not sign straight back in.
    (logout,) = props["LogoutURLs"]
    (callback,) = props["CallbackURLs"]
    assert logout["Fn::Join"][1][:-1] == callback["Fn::Join"][1][:-1]
    assert logout["Fn::Join"][1][-1] == callback["Fn::Join"][1][-1] + "?signed_out=1"


def test_the_user_pool_admits_no_self_sign_up_and_requires_mfa(template):
    (pool,) = of_type(template, "AWS::Cognito::UserPool").values()
    props = pool["Properties"]
    assert props["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert props["MfaConfiguration"] == "ON"
    assert props["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert props["UserPoolTier"] == "ESSENTIALS"


# issue 18: RetainExceptOnCreate deletes the pool when the first create rolls back, and
# Cognito refuses to delete a pool with deletion protection ACTIVE: ROLLBACK_FAILED.
KEPT_ON_EVERY_PATH = {"Retain"}


@pytest.fixture(scope="module")
def pools_by_removal_policy() -> dict[cdk.RemovalPolicy, dict]:
    """The user pool as NotebookPortal creates it under every removal policy it accepts."""
    app = cdk.App()
    names = {policy: f"Pool{policy.name.replace('_', '')}" for policy in POOL_REMOVAL_POLICIES}
    for policy, name in names.items():
        stack = cdk.Stack(app, name)
        api = PresignedUrlApi(
            stack, "Api", vpc=make_vpc(stack), allowed_cidrs=CIDRS, notebooks=["existing"]
        )
        NotebookPortal(stack, "Portal", api=api, domain_prefix="team", removal_policy=policy)
    assembly = app.synth()
    pools = {}
    for policy, name in names.items():
        template = assembly.get_stack_by_name(name).template
        (pools[policy],) = of_type(template, "AWS::Cognito::UserPool").values()
    return pools


@pytest.mark.parametrize("policy", list(cdk.RemovalPolicy), ids=lambda p: p.name)
def test_deletion_protection_only_where_the_pool_is_kept_on_every_path(
    pools_by_removal_policy, policy
):
    if policy not in POOL_REMOVAL_POLICIES:  # SNAPSHOT: a user pool has none
        stack = cdk.Stack(cdk.App(), "Snapshot")
        api = PresignedUrlApi(
            stack, "Api", vpc=make_vpc(stack), allowed_cidrs=CIDRS, notebooks=["existing"]
        )
        with pytest.raises(ValidationError, match=rf"removal_policy {policy} is not allowed"):
            NotebookPortal(stack, "Portal", api=api, domain_prefix="t", removal_policy=policy)
        return
    pool = pools_by_removal_policy[policy]
    protected = pool["Properties"]["DeletionProtection"] == "ACTIVE"
    assert protected == (pool["DeletionPolicy"] in KEPT_ON_EVERY_PATH), pool
    assert protected == (policy == cdk.RemovalPolicy.RETAIN)


def test_the_default_pool_survives_a_stack_delete_and_a_failed_first_create_can_delete_it(
    template,
):
    (pool,) = of_type(template, "AWS::Cognito::UserPool").values()
    assert (pool["DeletionPolicy"], pool["UpdateReplacePolicy"]) == (
        "RetainExceptOnCreate",
        "Retain",
    )
    assert pool["Properties"]["DeletionProtection"] == "INACTIVE"


def test_a_pool_the_stack_may_delete_has_no_deletion_protection(stacks):
    (pool,) = of_type(stacks["Disposable"].to_json(), "AWS::Cognito::UserPool").values()
    assert pool["Properties"]["DeletionProtection"] == "INACTIVE"
    assert pool["DeletionPolicy"] == "Delete"


def test_managed_login_domain_and_branding_for_the_client(template):
    (domain,) = of_type(template, "AWS::Cognito::UserPoolDomain").values()
    assert domain["Properties"]["Domain"] == "team-notebooks"
    assert domain["Properties"]["ManagedLoginVersion"] == 2
    (branding,) = of_type(template, "AWS::Cognito::ManagedLoginBranding").values()
    (client_id,) = of_type(template, "AWS::Cognito::UserPoolClient")
    assert branding["Properties"]["ClientId"] == {"Ref": client_id}
    assert branding["Properties"]["UseCognitoProvidedValues"] is True


def test_the_function_gets_the_portal_settings_and_tag_reads(template):
    (function,) = of_type(template, "AWS::Lambda::Function").values()
    variables = function["Properties"]["Environment"]["Variables"]
    assert {"PORTAL_URL", "PORTAL_CLIENT_ID", "PORTAL_SIGN_IN_URL", "NOTEBOOK_ARN_PREFIX"} <= set(
        variables
    )
    statements = [
        s
        for p in of_type(template, "AWS::IAM::ManagedPolicy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    by_sid = {s.get("Sid"): s for s in statements}
    assert by_sid["ListNotebooks"]["Action"] == "sagemaker:ListNotebookInstances"
    assert by_sid["ReadEntitlementTags"]["Action"] == "sagemaker:ListTags"


def function_variables(template: dict) -> dict:
    (function,) = of_type(template, "AWS::Lambda::Function").values()
    return function["Properties"]["Environment"]["Variables"]


def test_a_portal_open_mints_the_portals_own_session_not_the_apis(template, stacks):
    # issue 19: the revocation window. The API's default (for SigV4 callers) is 12 hours.
    assert function_variables(template)["PORTAL_NOTEBOOK_SESSION_MINUTES"] == "60"
    assert handler_portal.DEFAULT_NOTEBOOK_SESSION_MINUTES == DEFAULT_NOTEBOOK_SESSION_MINUTES
    disposable = function_variables(stacks["Disposable"].to_json())
    assert disposable["PORTAL_NOTEBOOK_SESSION_MINUTES"] == "30"  # through SignIn


def test_no_token_outlives_the_refresh_token(stacks):
    # issue 18: CDK (and Cognito) refuse an ID token that outlives the refresh token; the
    # page uses none, but its validity follows session_minutes up to a day.
    lifetimes = {}
    for name in ("PortalStack", "Disposable"):
        (client,) = of_type(stacks[name].to_json(), "AWS::Cognito::UserPoolClient").values()
        props = client["Properties"]
        assert props["TokenValidityUnits"] == {
            "AccessToken": "minutes",
            "IdToken": "minutes",
            "RefreshToken": "minutes",
        }
        lifetimes[name] = (props["IdTokenValidity"], props["RefreshTokenValidity"])
    assert lifetimes == {"PortalStack": (15, 60), "Disposable": (1440, 1440)}


def test_owners_and_groups_become_the_notebooks_tags(template):
    (notebook,) = of_type(template, "AWS::SageMaker::NotebookInstance").values()
    tags = {t["Key"]: t["Value"] for t in notebook["Properties"]["Tags"]}
    (function,) = [
        f
        for f in of_type(template, "AWS::Lambda::Function").values()
        if f["Properties"].get("Handler") == "handler.handler"
    ]
    serving_id = function["Properties"]["Environment"]["Variables"]["SERVED_BY"]
    assert tags == {
        OWNERS_TAG: "alice@example.com 0f1e2d3c-sub",
        GROUPS_TAG: "ml-team",
        SERVED_BY_TAG: serving_id,  # served by the portal's API, by tag (issue 21)
    }


def test_changing_the_tags_does_not_replace_the_notebook():
    # CloudFormation's resource schema (as cfn-lint ships it) lists what forces replacement.
    schemas = Path(cfnlint.__file__).parent / "data" / "schemas"
    providers = json.loads((schemas / "providers" / "us-east-1.json").read_text())
    digest = providers["AWS::SageMaker::NotebookInstance"]
    schema = json.loads((schemas / "resources" / f"{digest}.json").read_text())
    assert "/properties/Tags" not in schema["createOnlyProperties"]
    assert "/properties/NotebookInstanceName" in schema["createOnlyProperties"]  # it can tell


def test_without_sign_in_there_is_no_cognito_and_no_open_method(stacks):
    template = stacks["Plain"]
    template.resource_count_is("AWS::Cognito::UserPool", 0)
    template.resource_count_is("AWS::ApiGateway::Authorizer", 0)
    assert all(
        m["AuthorizationType"] == "AWS_IAM" for m in method_paths(template.to_json()).values()
    )


def test_a_portal_on_a_shared_api_with_an_existing_pool_and_domain(stacks):
    template = stacks["Shared"]
    template.resource_count_is("AWS::Cognito::UserPool", 1)
    template.resource_count_is("AWS::Cognito::UserPoolDomain", 0)
    # A given domain may be the classic hosted UI: no branding style for it.
    template.resource_count_is("AWS::Cognito::ManagedLoginBranding", 0)
    template.has_resource_properties(
        "AWS::Cognito::UserPoolClient", {"SupportedIdentityProviders": ["IdentityCenter"]}
    )
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Environment": {
                "Variables": Match.object_like({"PORTAL_SIGN_IN_URL": "https://login.example.com"})
            }
        },
    )
    # start is not served, so neither is its browser route.
    assert ("POST", "/portal/notebooks/{NotebookInstanceName}/start") not in method_paths(
        template.to_json()
    )


# ---------------------------------------------------------------- bad props


@pytest.fixture
def api() -> PresignedUrlApi:
    stack = cdk.Stack(cdk.App(), "Bad")
    return PresignedUrlApi(
        stack, "Api", vpc=make_vpc(stack), allowed_cidrs=CIDRS, notebooks=["existing"]
    )


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({}, "exactly one of domain_prefix"),
        ({"domain_prefix": "a", "sign_in_url": "https://x.example"}, "exactly one of"),
        ({"domain_prefix": "Team"}, "domain_prefix 'Team' is not a valid"),
        ({"domain_prefix": "my-aws-team"}, "without 'aws'"),
        ({"domain_prefix": "-team"}, "not a valid"),
        ({"sign_in_url": "http://login.example.com"}, "must be a domain's base URL"),
        ({"sign_in_url": "https://login.example.com/path"}, "no path"),
        ({"domain_prefix": "team", "session_minutes": 4}, "session_minutes 4 minutes is out of"),
        ({"domain_prefix": "team", "session_minutes": 1441}, "allowed 5..1440 minutes"),
        ({"domain_prefix": "team", "session_minutes": True}, "must be a whole number"),
    ],
)
def test_bad_portal_props_name_the_prop_and_what_is_allowed(api, props, message):
    with pytest.raises(ValidationError, match=message) as error:
        NotebookPortal(api.node.scope, "Portal", api=api, **props)
    assert error.value.construct_path == "Bad/Portal"
    assert api.node.scope.node.try_find_child("Portal") is None


def test_one_portal_per_api(api):
    NotebookPortal(api.node.scope, "Portal", api=api, domain_prefix="team")
    with pytest.raises(ValidationError, match="api already has a portal \\(Bad/Portal\\)"):
        NotebookPortal(api.node.scope, "Portal2", api=api, domain_prefix="team2")
    # Refused before it exists: the second portal leaves nothing, and the first stays.
    assert api.node.scope.node.try_find_child("Portal2") is None
    with pytest.raises(ValidationError, match="api already has a portal \\(Bad/Portal\\)"):
        NotebookPortal(api.node.scope, "Portal3", api=api, sign_in_url="https://x.example")


def test_sign_in_with_a_shared_api_points_to_notebook_portal(api):
    with pytest.raises(ValidationError, match="create one NotebookPortal\\(api=Bad/Api\\)"):
        IpRestrictedNotebook(
            api.node.scope, "Nb", allowed_cidrs=CIDRS, api=api, sign_in=SignIn(domain_prefix="t")
        )


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"owners": "alice@example.com"}, "owners must be a list of strings"),
        ({"owners": ["alice smith"]}, "owners entry 'alice smith' is not allowed"),
        # The Kelvin sign lower-cases to "k": ASCII only, so no entry can collide.
        ({"owners": ["\u212aate@corp.com"]}, "owners entry '\u212aate@corp.com' .* in ASCII"),
        ({"owners": ["j\u00f8rn@corp.com"]}, "compared in ASCII only"),
        ({"groups": ["ml,team"]}, "groups entry 'ml,team' is not allowed"),
        ({"groups": ["eu-west-1_AbC123xyz_IdentityCenter"]}, "would entitle everyone"),
        ({"owners": [f"user{i}@example.com" for i in range(20)]}, "SageMaker allows 256"),
    ],
)
def test_bad_owners_and_groups_are_refused(props, message):
    stack = cdk.Stack(cdk.App(), "Tags")
    with pytest.raises(ValidationError, match=message):
        NotebookInstance(stack, "Nb", vpc=make_vpc(stack), **props)


# ---------------------------------------------------------------- the listing's endpoint (issue 21)


def tagging_endpoints(template: dict) -> list[dict]:
    return [
        e["Properties"]
        for e in of_type(template, "AWS::EC2::VPCEndpoint").values()
        if "tagging" in json.dumps(e["Properties"]["ServiceName"])
    ]


def test_the_listing_reads_through_a_tagging_endpoint_only_the_function_may_use(template):
    (endpoint,) = tagging_endpoints(template)
    assert endpoint["VpcEndpointType"] == "Interface"
    assert endpoint["PrivateDnsEnabled"] is True
    (function_role,) = [
        k
        for k, r in of_type(template, "AWS::IAM::Role").items()
        if "lambda.amazonaws.com" in json.dumps(r["Properties"]["AssumeRolePolicyDocument"])
        and "FunctionRole" in k
    ]
    (statement,) = endpoint["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "tag:GetResources"
    assert statement["Principal"] == {"AWS": {"Fn::GetAtt": [function_role, "Arn"]}}
    # The function's closed group may reach it on 443.
    egress = [
        r["Properties"]
        for r in of_type(template, "AWS::EC2::SecurityGroupEgress").values()
        if r["Properties"].get("FromPort") == 443
    ]
    endpoint_groups = [g for g in endpoint["SecurityGroupIds"]]
    assert any(
        {"Fn::GetAtt": [ref["Fn::GetAtt"][0], "GroupId"]} in [rule["DestinationSecurityGroupId"]]
        for rule in egress
        for ref in endpoint_groups
    )


def test_the_function_may_call_get_resources(template):
    statements = [
        s
        for p in of_type(template, "AWS::IAM::ManagedPolicy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    (listing,) = [s for s in statements if s.get("Sid") == "ListServedNotebooks"]
    assert listing == {
        "Sid": "ListServedNotebooks",
        "Effect": "Allow",
        "Action": "tag:GetResources",
        "Resource": "*",
    }


def test_a_given_tagging_endpoint_is_used_instead_of_a_new_one():
    from aws_cdk import aws_ec2 as ec2

    stack = cdk.Stack(cdk.App(), "GivenTagging")
    vpc = make_vpc(stack)
    given = vpc.add_interface_endpoint(
        "Tagging", service=ec2.InterfaceVpcEndpointAwsService.TAGGING
    )
    api = PresignedUrlApi(stack, "Api", vpc=vpc, allowed_cidrs=CIDRS)
    portal = NotebookPortal(stack, "Portal", api=api, domain_prefix="given", tagging_endpoint=given)
    assert portal.tagging_endpoint is given
    assert len(tagging_endpoints(Template.from_stack(stack).to_json())) == 1
