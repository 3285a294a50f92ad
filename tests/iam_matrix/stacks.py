"""The stacks the IAM matrix evaluates, synthesized once, and what rows call their parts.

The demo, portal, non-default and default stacks come from tests/compliance_stacks.py (the
same App, context and feature flags as the compliance tests); a fleet stack adds one API
serving several notebooks by object, by name and by prefix, with per-user grants. Rows name
a *subject* ("Demo", "Portal/Access", "Fleet/nb-alice") and, within it, *handles*
("minting_role", "notebook", "sagemaker_endpoint"...), found through the constructs' public
attributes, never through hashed logical ids.

Notebooks carry tags (``notebook-access:served-by`` since issue 21): a request on a notebook
of the template carries them as ``aws:ResourceTag/<key>``, read from its ``Tags``
(``World.resource_tags``), as AWS puts a resource's tags in the context of every request on
it ("AWS global condition context keys", IAM user guide: aws:ResourceTag).

Issue 22 adds a hub and a spoke in two accounts: the hub (an ``IpRestrictedNotebook`` with a
portal and a ``NotebookAccessHub``) in the placeholder account like every other stack, the
spoke (``NotebookAccessSpoke``, notebooks it serves and does not) in ``SPOKE_ACCOUNT``, an
explicit environment. The spoke is synthesized after the hub, in an App of its own, with the
hub's values as the strings the matrix resolves them to (``hub_settings``), as a member
account receives them (docs/spokes.md). A subject may *borrow* handles of another stack (the
hub's endpoints for the spoke, the spoke's role for the hub): each resolves in its own
template and account. The hub has a second member account (routes only, no stack) and a
user per form of ``grant_open``: every notebook of the hub's account, one notebook of the
spoke account, all of the spoke account (``HUB_GRANTEES``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from compliance_stacks import (
    CONSTRUCT_ID,
    CUSTOM_STACK,
    DEFAULT_STACK,
    DEMO_STACK,
    PORTAL_STACK,
    build_all,
    new_app,
)

from sagemaker_notebook_access import (
    IpRestrictedNotebook,
    NotebookAccessHub,
    NotebookAccessSpoke,
    NotebookInstance,
    PresignedUrlApi,
    PrivateVpc,
    SignIn,
    TagGuardPolicy,
)
from sagemaker_notebook_access.lambda_src.presigned_url.contract import Env

from .cfn import (
    ACCOUNT,
    DEFAULT_ENDPOINT_POLICY,
    FOREIGN_ACCOUNT,
    PARTITION,
    REGION,
    SPOKE_ACCOUNT,
    ResolvedTemplate,
)
from .model import ANONYMOUS, FOREIGN, OTHER_ENDPOINT, SERVED_BY_KEY, SERVICE

FLEET_STACK = "Fleet"
FLEET_CIDRS = ["192.0.2.0/24"]
FLEET_PREFIX = "team-"
FLEET_NOTEBOOKS = ("nb-alice", "nb-bob")
# Served by name only (an existing notebook): mixed case, as SageMaker accepts it.
FLEET_EXISTING = "Legacy-Notebook"
FLEET_UNSERVED = "unserved-notebook"


def add_fleet_stack(app: cdk.App) -> cdk.Stack:
    """One API for a fleet: notebooks served as objects, by name and by prefix; one unserved."""
    stack = cdk.Stack(app, FLEET_STACK)
    vpc = PrivateVpc(stack, "Vpc")
    api = PresignedUrlApi(
        stack,
        "Api",
        vpc=vpc,
        allowed_cidrs=FLEET_CIDRS,
        allow_start=True,
        notebook_name_prefix=FLEET_PREFIX,
    )
    for name in FLEET_NOTEBOOKS:
        notebook = NotebookInstance(stack, name, vpc=vpc, notebook_instance_name=name)
        api.add_notebook(notebook)
        api.grant_open(iam.User(stack, f"{name}-user"), notebook)
    api.add_notebook(FLEET_EXISTING)
    NotebookInstance(stack, "Unserved", vpc=vpc, notebook_instance_name=FLEET_UNSERVED)
    # The tag guard as an app uses it (notebook/tag_guard.py): on the roles it names, with
    # one administrator left out of the deny, the one who serves notebooks by tagging them.
    administrator = iam.Role(stack, "NotebookAdmin", assumed_by=iam.AccountRootPrincipal())
    team = iam.Role(stack, "DataTeam", assumed_by=iam.AccountRootPrincipal())
    TagGuardPolicy(
        stack,
        "TagGuard",
        administrators=[administrator.role_arn],
        roles=[administrator, team],
    )
    return stack


HUB_STACK = "Hub"
SPOKE_STACK = "Spoke"
HUB_CIDRS = ["203.0.113.0/24"]  # rows.INSIDE is in it, rows.OUTSIDE is not
SPOKE_NOTEBOOK = "analysis"  # served by the hub (NotebookAccessSpoke.serve)
SPOKE_UNSERVED = "unserved-notebook"  # no serving tag
SPOKE_OTHER_HUBS = "other-hub-notebook"  # served by another hub through its own spoke
# The hub's second member account (no stack of its own: only its routes are asked about).
SECOND_SPOKE_ACCOUNT = "444444444444"
# grant_open's three forms on the hub's API (open_grants.py), one user each: every notebook
# of the hub's own account (no notebook), one notebook of a member account, all of it.
HUB_GRANTEES = {
    "every_notebook_user": ("EveryHubNotebookUser", None),
    "spoke_notebook_user": ("SpokeNotebookUser", f"{SPOKE_ACCOUNT}:{SPOKE_NOTEBOOK}"),
    "spoke_account_user": ("SpokeAccountUser", f"{SPOKE_ACCOUNT}:*"),
}
# Another hub this account is also a spoke of: another API of the hub account, another
# serving id (so another spoke role name), another endpoint and allow-list.
OTHER_HUB = {
    "hub_account": ACCOUNT,
    "hub_role_arn": f"arn:{PARTITION}:iam::{ACCOUNT}:role/another-hub-function",
    "hub_endpoint_id": "vpce-0fedcba9876543210",
    "serving_tag_value": "another-hub",
    "allowed_cidrs": ["198.51.100.0/24"],
}


def add_hub_stack(app: cdk.App) -> tuple[cdk.Stack, NotebookAccessHub]:
    """A hub as tests/hub builds one: an IpRestrictedNotebook with a portal, then the hub
    (its SageMaker and tagging endpoints then admit the spoke role) with two member accounts,
    and a user for each form of grant_open (HUB_GRANTEES)."""
    stack = cdk.Stack(app, HUB_STACK)
    access = IpRestrictedNotebook(
        stack,
        "Access",
        allowed_cidrs=HUB_CIDRS,
        notebook_instance_name="hub-notebook",
        sign_in=SignIn(domain_prefix="hub-notebooks"),
    )
    hub = NotebookAccessHub(
        stack, "Hub", api=access.api, spoke_accounts=[SPOKE_ACCOUNT, SECOND_SPOKE_ACCOUNT]
    )
    for construct_id, notebook in HUB_GRANTEES.values():
        access.api.grant_open(iam.User(stack, construct_id), notebook)
    return stack, hub


def hub_settings(hub: NotebookAccessHub, template: ResolvedTemplate) -> dict:
    """``hub.spoke_settings`` as strings: its tokens (the account, the function role's ARN,
    the SageMaker endpoint's id) resolved in the hub's template, as the matrix resolves
    them everywhere, and as an operator copies them from the deployed hub."""
    stack = cdk.Stack.of(hub)
    return {
        name: template.value(stack.resolve(value)) for name, value in hub.spoke_settings.items()
    }


def add_spoke_stack(app: cdk.App, settings: Mapping[str, object]) -> cdk.Stack:
    """A member account: the hub's spoke, a notebook it serves, one untagged, and one served
    by another hub this account is also a spoke of."""
    stack = cdk.Stack(app, SPOKE_STACK, env=cdk.Environment(account=SPOKE_ACCOUNT))
    vpc = PrivateVpc(stack, "Vpc")
    spoke = NotebookAccessSpoke(stack, "Spoke", **settings)
    other = NotebookAccessSpoke(stack, "OtherHubSpoke", **OTHER_HUB)
    for construct_id, name, serving in (
        ("Served", SPOKE_NOTEBOOK, spoke),
        ("Unserved", SPOKE_UNSERVED, None),
        ("OtherHubs", SPOKE_OTHER_HUBS, other),
    ):
        notebook = NotebookInstance(stack, construct_id, vpc=vpc, notebook_instance_name=name)
        if serving is not None:
            serving.serve(notebook)
    return stack


@dataclass(frozen=True)
class Subject:
    """Part of one stack, by the names rows use: handle -> logical id, plus literal facts;
    ``borrowed``: handle -> (stack, logical id) of another stack's part."""

    stack: str
    handles: Mapping[str, str]
    values: Mapping[str, str]
    borrowed: Mapping[str, tuple[str, str]] = field(default_factory=dict)


def _logical_id(stack: cdk.Stack, part) -> str:
    element = part if isinstance(part, cdk.CfnElement) else part.node.default_child
    return stack.get_logical_id(element)


def _subject(stack: cdk.Stack, parts: dict, values: dict | None = None) -> Subject:
    handles = {name: _logical_id(stack, part) for name, part in parts.items() if part is not None}
    return Subject(stack.stack_name, handles, dict(values or {}))


def _borrowed(stack: cdk.Stack, parts: dict) -> dict[str, tuple[str, str]]:
    return {name: (stack.stack_name, _logical_id(stack, part)) for name, part in parts.items()}


def _api_parts(api: PresignedUrlApi) -> dict:
    return {
        "minting_role": api.role,
        "function_logs": api.function_log_group,
        "function_security_group": api.function_security_group,
        "logs_key": api.encryption_key,
        "sagemaker_endpoint": api.endpoint,
        "rest_api": api.rest_api,
        "access_logs": api.access_log_group,
        "execution_logs": api.execution_log_group,
        "apigw_logging_role": api.logging_role.role if api.logging_role else None,
        # Its SERVED_BY environment variable is the API's serving id ({serving_tag}).
        "function": api.function,
    }


def _notebook_parts(notebook: NotebookInstance) -> dict:
    return {
        "notebook": notebook.cfn_notebook_instance,
        "notebook_role": notebook.role,
        "volume_key": notebook.encryption_key,
    }


def _private_vpc_parts(vpc: PrivateVpc) -> dict:
    """What a PrivateVpc adds: endpoints, flow log group and role."""
    return {
        "vpc": vpc,
        "subnet": vpc.isolated_subnets[0],
        "s3_endpoint": vpc.s3_endpoint,
        "logs_endpoint": vpc.logs_endpoint,
        "flow_logs": vpc.flow_log_group,
        "flow_logs_role": vpc.flow_logs_role,
    }


def _restricted(stack: cdk.Stack, access: IpRestrictedNotebook, **extra) -> Subject:
    parts = {**_notebook_parts(access.notebook), **_api_parts(access.api)}
    if isinstance(access.vpc, PrivateVpc):
        parts.update(_private_vpc_parts(access.vpc))
    else:
        parts.update(vpc=access.vpc, subnet=access.vpc.private_subnets[0])
    parts.update(extra)
    return _subject(stack, parts, {"stage": access.api.stage_name})


def subjects(stacks: dict[str, cdk.Stack]) -> dict[str, Subject]:
    demo = stacks[DEMO_STACK]
    demo_access = demo.node.find_child("Notebook")
    portal = stacks[PORTAL_STACK]
    portal_access = portal.node.find_child(CONSTRUCT_ID)
    portal_first = portal.node.find_child("First")
    custom = stacks[CUSTOM_STACK]
    custom_access = custom.node.find_child(CONSTRUCT_ID)
    found = {
        "Demo": _restricted(demo, demo_access, users=demo.node.find_child("NotebookUsers")),
        "Defaults": _restricted(
            stacks[DEFAULT_STACK], stacks[DEFAULT_STACK].node.find_child(CONSTRUCT_ID)
        ),
        "NonDefaults": _restricted(
            custom,
            custom_access,
            analyst=custom.node.find_child("Analyst"),
            flow_logs=custom.node.find_child("FlowLogs"),
            flow_logs_role=custom.node.find_child("FlowLogsRole"),
            # compliance_stacks asks for the notebook's running time: the stack's watch.
            watch_role=custom.node.find_child("SageMakerNotebookWatch").role,
        ),
        # Two IpRestrictedNotebooks in one stack: each one's notebook is the other's stranger
        # (and is tagged with the other API's serving id).
        "Portal/Access": _restricted(
            portal,
            portal_access,
            other_notebook=portal_first.notebook.cfn_notebook_instance,
            tagging_endpoint=portal_access.portal.tagging_endpoint,
        ),
        "Portal/First": _restricted(
            portal,
            portal_first,
            other_notebook=portal_access.notebook.cfn_notebook_instance,
            tagging_endpoint=portal.node.find_child("SharedPortal").tagging_endpoint,
        ),
    }
    fleet = stacks[FLEET_STACK]
    api = fleet.node.find_child("Api")
    vpc = fleet.node.find_child("Vpc")
    for name in FLEET_NOTEBOOKS:
        (other,) = (n for n in FLEET_NOTEBOOKS if n != name)
        notebook = fleet.node.find_child(name)
        found[f"Fleet/{name}"] = _subject(
            fleet,
            {
                **_notebook_parts(notebook),
                **_api_parts(api),
                **_private_vpc_parts(vpc),
                "user": fleet.node.find_child(f"{name}-user"),
                "other_notebook": fleet.node.find_child(other).cfn_notebook_instance,
                "unserved_notebook": fleet.node.find_child("Unserved").cfn_notebook_instance,
                "administrator": fleet.node.find_child("NotebookAdmin"),
                "team_role": fleet.node.find_child("DataTeam"),
            },
            {
                "stage": api.stage_name,
                "existing_name": FLEET_EXISTING,
                "prefix": FLEET_PREFIX,
            },
        )
    found.update(_hub_and_spoke(stacks))
    return found


def _hub_and_spoke(stacks: dict[str, cdk.Stack]) -> dict[str, Subject]:
    hub_stack, spoke_stack = stacks[HUB_STACK], stacks[SPOKE_STACK]
    access = hub_stack.node.find_child("Access")
    hub = hub_stack.node.find_child("Hub")
    spoke = spoke_stack.node.find_child("Spoke")
    hub_subject = _restricted(
        hub_stack,
        access,
        tagging_endpoint=access.portal.tagging_endpoint,
        sts_endpoint=hub.sts_endpoint,
        **{
            handle: hub_stack.node.find_child(construct_id)
            for handle, (construct_id, _) in HUB_GRANTEES.items()
        },
    )
    values = {"external_id": hub.external_id, "spoke_account": SPOKE_ACCOUNT}
    return {
        "Hub": replace(
            hub_subject,
            values={
                **hub_subject.values,
                **values,
                "second_spoke_account": SECOND_SPOKE_ACCOUNT,
                # The member account's notebooks, by name (the hub's routes carry names).
                "spoke_notebook_name": SPOKE_NOTEBOOK,
                "spoke_unserved_name": SPOKE_UNSERVED,
            },
            borrowed=_borrowed(spoke_stack, {"spoke_role": spoke.role}),
        ),
        "Spoke": Subject(
            spoke_stack.stack_name,
            _subject(
                spoke_stack,
                {
                    "spoke_role": spoke.role,
                    "notebook": spoke_stack.node.find_child("Served").cfn_notebook_instance,
                    "unserved_notebook": (
                        spoke_stack.node.find_child("Unserved").cfn_notebook_instance
                    ),
                    "other_notebook": (
                        spoke_stack.node.find_child("OtherHubs").cfn_notebook_instance
                    ),
                },
            ).handles,
            {
                **values,
                "hub_account": ACCOUNT,
                # The hub's serving id, the tag the spoke role requires ({serving_tag} as
                # for the hub's own function).
                "serving_tag": spoke.serving_tag_value,
            },
            _borrowed(
                hub_stack,
                {
                    "hub_role": access.api.role,
                    "sagemaker_endpoint": access.api.endpoint,
                    "tagging_endpoint": access.portal.tagging_endpoint,
                },
            ),
        ),
    }


def build_world() -> World:
    """Synthesize every stack the rows name, once: every stack but the spoke in one App, the
    spoke after it in another (its account's), with the hub's values as strings."""
    app = new_app()
    stacks = build_all(app)
    stacks[FLEET_STACK] = add_fleet_stack(app)
    stacks[HUB_STACK], hub = add_hub_stack(app)
    assembly = app.synth()
    templates = {
        name: ResolvedTemplate(name, assembly.get_stack_by_name(name).template) for name in stacks
    }
    spoke_app = new_app()
    stacks[SPOKE_STACK] = add_spoke_stack(spoke_app, hub_settings(hub, templates[HUB_STACK]))
    templates[SPOKE_STACK] = ResolvedTemplate(
        SPOKE_STACK,
        spoke_app.synth().get_stack_by_name(SPOKE_STACK).template,
        account=SPOKE_ACCOUNT,
    )
    return World(templates, subjects(stacks))


@dataclass(frozen=True)
class Principal:
    """Who makes a request, as iam-simulate sees it and as the request context names it."""

    arn: str  # the request's principal ("anonymous" for an unsigned request)
    principal_arn: str | None  # aws:PrincipalArn (a role's ARN for its sessions)
    account: str | None  # aws:PrincipalAccount
    identity_policies: list[dict]
    boundaries: list[dict] | None
    shown: str  # how a failing row names it


class World:
    """The resolved templates and the subjects rows refer to."""

    def __init__(self, templates: dict[str, ResolvedTemplate], found: dict[str, Subject]) -> None:
        self.templates = templates
        self.subjects = found

    def template(self, where: str) -> ResolvedTemplate:
        return self.templates[self.subjects[where].stack]

    def locate(self, where: str, handle: str) -> tuple[ResolvedTemplate, str]:
        """The template a handle of the subject is in (its own, or a borrowed one's) and
        its logical id there."""
        subject = self.subjects[where]
        if handle in subject.handles:
            return self.templates[subject.stack], subject.handles[handle]
        if handle in subject.borrowed:
            stack, logical_id = subject.borrowed[handle]
            return self.templates[stack], logical_id
        raise KeyError(
            f"{where} has no handle {handle!r}; it has "
            f"{sorted([*subject.handles, *subject.borrowed])}"
        )

    def facts(self, where: str) -> dict[str, str]:
        """The values row templates may use: per handle, by the kind of resource it is."""
        subject = self.subjects[where]
        facts = {
            "account": self.templates[subject.stack].account,
            "foreign_account": FOREIGN_ACCOUNT,
            "region": REGION,
            "partition": PARTITION,
            **subject.values,
        }
        for handle in [*subject.handles, *subject.borrowed]:
            template, logical_id = self.locate(where, handle)
            type_ = template.type_of(logical_id)
            if type_ == "AWS::SageMaker::NotebookInstance":
                facts[f"{handle}_name"] = template.notebook_name(logical_id)
                facts[f"{handle}_arn"] = template.get_att(logical_id, "NotebookInstanceArn")
                # The API serving it by tag; none for an untagged notebook (a row naming
                # the fact then cannot be built).
                served_by = self._tags(template, logical_id).get(SERVED_BY_KEY)
                if served_by is not None:
                    facts[f"{handle}_served_by"] = served_by
            elif type_ == "AWS::Lambda::Function":
                facts[handle] = template.ref(logical_id)
                # The API's serving id: the handler's SERVED_BY, the value its tag-scoped
                # statement requires of aws:ResourceTag/notebook-access:served-by.
                variable = self._environment(template, logical_id).get(Env.SERVED_BY)
                if variable is not None:
                    serving_id = template.value(variable)
                    if facts.setdefault("serving_tag", serving_id) != serving_id:
                        raise ValueError(f"{where}: two functions with a SERVED_BY")
            elif type_ == "AWS::Logs::LogGroup":
                facts[handle] = template.log_group_name(logical_id)
                facts[f"{handle}_arn"] = template.arn("logs", f"log-group:{facts[handle]}")
            elif type_ == "AWS::ApiGateway::RestApi":
                facts[f"{handle}_id"] = template.ref(logical_id)
                facts[handle] = template.arn("execute-api", facts[f"{handle}_id"])
            elif type_ in ("AWS::IAM::Role", "AWS::IAM::User", "AWS::KMS::Key"):
                facts[f"{handle}_arn"] = template.get_att(logical_id, "Arn")
            else:
                facts[handle] = template.ref(logical_id)
        return facts

    @staticmethod
    def _tags(template: ResolvedTemplate, logical_id: str) -> dict[str, str]:
        tags = template.resource(logical_id).get("Properties", {}).get("Tags", [])
        return {tag["Key"]: template.value(tag["Value"]) for tag in tags}

    @staticmethod
    def _environment(template: ResolvedTemplate, logical_id: str) -> dict:
        """The function's environment variables, unresolved (resolve the one you read)."""
        properties = template.resource(logical_id).get("Properties", {})
        return properties.get("Environment", {}).get("Variables", {})

    def resource_tags(self, where: str, resource: str) -> dict[str, str]:
        """The tags of the notebook of the subject's template whose ARN is ``resource``
        (empty for any other resource): what AWS puts in a request on it as
        ``aws:ResourceTag/<key>``."""
        template = self.template(where)
        for logical_id in template.of_type("AWS::SageMaker::NotebookInstance"):
            if template.get_att(logical_id, "NotebookInstanceArn") == resource:
                return self._tags(template, logical_id)
        return {}

    def principal(self, where: str, who: str, assumed: dict | None) -> Principal:
        extra = [{"name": "assumed", "policy": assumed}] if assumed else []
        if who == ANONYMOUS:
            return Principal("anonymous", None, None, [], None, "an unsigned request")
        if who.startswith(SERVICE):
            service = who.removeprefix(SERVICE)
            return Principal(service, None, None, [], None, f"the service {service}")
        if who == FOREIGN:
            role = f"arn:{PARTITION}:iam::{FOREIGN_ACCOUNT}:role/Outsider"
            return Principal(
                f"arn:{PARTITION}:sts::{FOREIGN_ACCOUNT}:assumed-role/Outsider/session",
                role,
                FOREIGN_ACCOUNT,
                extra,
                None,
                f"{role} (another account's role, its own policy assumed)",
            )
        template, logical_id = self.locate(where, who)
        type_ = template.type_of(logical_id)
        if type_ == "AWS::IAM::Role":
            role_arn = template.get_att(logical_id, "Arn")
            session = role_arn.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/")
            return Principal(
                f"{session}/session",
                role_arn,
                template.account,
                template.identity_policies("Roles", logical_id) + extra,
                template.permission_boundaries(logical_id),
                f"{who} = {role_arn} ({logical_id}), a session of it",
            )
        if type_ == "AWS::IAM::User":
            user_arn = template.get_att(logical_id, "Arn")
            return Principal(
                user_arn,
                user_arn,
                template.account,
                template.identity_policies("Users", logical_id) + extra,
                template.permission_boundaries(logical_id),
                f"{who} = {user_arn} ({logical_id})",
            )
        if type_ == "AWS::IAM::Group":
            member = (
                f"arn:{PARTITION}:iam::{template.account}:user/{template.ref(logical_id)}-member"
            )
            return Principal(
                member,
                member,
                template.account,
                template.identity_policies("Groups", logical_id) + extra,
                None,
                f"a member of {who} ({logical_id}): {member}",
            )
        raise TypeError(f"{where}/{who} is a {type_}, not a principal")

    def resource_policy(self, where: str, spec: str | Mapping | None) -> tuple[dict | None, str]:
        """The resource's policy and how a failing row names it."""
        if spec is None:
            return None, "none"
        if not isinstance(spec, str):
            return dict(spec), "assumed (see the row's why)"
        template, logical_id = self.locate(where, spec)
        type_ = template.type_of(logical_id)
        if type_ == "AWS::KMS::Key":
            return template.key_policy(logical_id), f"key policy of {spec} ({logical_id})"
        if type_ == "AWS::ApiGateway::RestApi":
            return template.rest_api_policy(logical_id), f"resource policy of {spec} ({logical_id})"
        if type_ == "AWS::IAM::Role":
            return template.trust_policy(logical_id), f"trust policy of {spec} ({logical_id})"
        raise TypeError(f"{where}/{spec} is a {type_}: no resource policy modelled")

    def endpoint(self, where: str, via: str) -> tuple[str, str, dict, str]:
        """(endpoint id, VPC id, endpoint policy, name) of the endpoint a request passes."""
        facts = self.facts(where)
        if via == OTHER_ENDPOINT:
            return (
                "vpce-0a1b2c3d4e5f60718",
                facts.get("vpc", "vpc-0a1b2c3d4e5f60718"),
                dict(DEFAULT_ENDPOINT_POLICY),
                "another VPC endpoint (AWS's default policy)",
            )
        template, logical_id = self.locate(where, via)
        properties = template.resource(logical_id)["Properties"]
        return (
            template.ref(logical_id),
            template.value(properties["VpcId"]),
            template.endpoint_policy(logical_id),
            f"{via} ({logical_id})",
        )
