"""NotebookAccessHub: a PresignedUrlApi that also mints in member accounts, through a spoke
role there (``NotebookAccessSpoke``), every URL still bound to the allow-list.

The API's function assumes ``notebook-access-spoke-<hash of the serving id>`` in each spoke
account with the hub's external id, through an STS interface endpoint, and calls SageMaker
with it through the API's own SageMaker endpoint: the spoke role denies presigning unless
the call comes through that endpoint (``aws:SourceVpce``) or from the allow-list, so a URL
it mints opens only from the allow-list (SageMaker evaluates the minting role's policy on
every request the URL makes: SageMaker API reference, CreatePresignedNotebookInstanceUrl).
A notebook in a spoke is named ``<account id>:<name>`` in routes, grants and the portal.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from constructs import Construct

from ..api.presigned_url_api import PresignedUrlApi
from ..api.served_notebooks import DESCRIBE_ACTION, START_ACTION
from ..lambda_src.presigned_url.contract import (
    ACCOUNT_ID_PATTERN,
    SPOKE_START_RESOURCE,
    SPOKE_URL_RESOURCE,
    Env,
    spoke_role_name,
)
from ..notebook.ip_policy import PRESIGN_ACTION
from ..spoke.prop_checks import EXTERNAL_ID_PATTERN  # the spoke requires what the hub sends
from ..validation import ValidationError, is_token, validating

ASSUME_ROLE_ACTION = "sts:AssumeRole"
# What a spoke role calls through the hub's endpoints (its own policy scopes each).
SPOKE_SAGEMAKER_ACTIONS = [PRESIGN_ACTION, DESCRIBE_ACTION, START_ACTION, "sagemaker:ListTags"]
LIST_NOTEBOOKS_ACTION = "sagemaker:ListNotebookInstances"
GET_RESOURCES_ACTION = "tag:GetResources"
MAX_SPOKES = 40  # 12 digits and a comma each in the function's 4 KiB environment
_SPOKE_VALUE = "for each NotebookAccessSpoke of this hub (docs/spokes.md)"


class NotebookAccessHub(Construct):
    """Serve notebooks of member accounts through ``api``: each account runs a
    ``NotebookAccessSpoke`` with this hub's values (``spoke_settings``).

    :param api: the ``PresignedUrlApi`` whose function mints in the spokes. Required; one
        hub per API.
    :param spoke_accounts: the member account ids (12 digits) the hub may assume a spoke
        role in. Required, 1..40, no duplicates, not the hub's own account.
    :param external_id: the ``sts:ExternalId`` the hub passes and each spoke role requires
        (STS API reference: 2..1224 of letters, digits and ``_+=,.@:/-``). Not a secret;
        it keeps another hub that a spoke might trust by mistake from using its role.
        Default: the API's ``serving_tag_value``.
    :param sts_endpoint: an existing STS interface endpoint (``com.amazonaws.<region>.sts``,
        private DNS on) in the API's VPC, whose policy lets the API's function role assume
        the spoke roles. Default: a new one in the API's subnets that only the function may
        use, for those roles only. Pass one where the VPC has one already (two with private
        DNS cannot coexist), or where other workloads in the VPC call STS: a new endpoint's
        private DNS sends the VPC's regional STS calls to it, and it admits only the function.

    With ``api``'s own SageMaker endpoint and a portal's own tagging endpoint, their
    policies admit the spoke roles; with a given ``endpoint=``, admit them yourself
    (``aws:PrincipalArn`` in ``spoke_role_arns``). docs/spokes.md: trust, rollout, costs.
    """

    api: PresignedUrlApi
    """The API (``api``)."""
    spoke_accounts: list[str]
    """The member accounts (``spoke_accounts``)."""
    external_id: str
    """The external id the spoke roles require (``external_id``)."""
    spoke_role_name: str
    """The spoke role's name in every member account, derived from the serving id."""
    spoke_role_arns: list[str]
    """The spoke roles, one per account."""
    sts_endpoint: ec2.IInterfaceVpcEndpoint
    """The STS interface endpoint the function assumes the spoke roles through."""
    outputs: list[CfnOutput]
    """Stack outputs of what a spoke in another account needs and only a deploy tells:
    the function role's ARN and the SageMaker endpoint's id (a StackSet's parameters)."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        api: PresignedUrlApi,
        spoke_accounts: Sequence[str],
        external_id: str | None = None,
        sts_endpoint: ec2.IInterfaceVpcEndpoint | None = None,
    ) -> None:
        with validating(scope, id):
            accounts = _checked_accounts(api, spoke_accounts)
            external_id = external_id if external_id is not None else api.serving_tag_value
            _check_external_id(external_id)
            if api._hub is not None:
                raise ValidationError(f"{api.node.path} has a hub already: one per API")
            api._check_environment(_variables(api, accounts, external_id))
        super().__init__(scope, id)
        api._hub = self
        self.api = api
        self.spoke_accounts = accounts
        self.external_id = external_id
        self.spoke_role_name = spoke_role_name(api.serving_tag_value)
        stack = Stack.of(self)
        self.spoke_role_arns = [
            f"arn:{stack.partition}:iam::{account}:role/{self.spoke_role_name}"
            for account in accounts
        ]
        for name, (value, max_chars) in _variables(api, accounts, external_id).items():
            api._add_environment(name, value, max_chars=max_chars)
        # A member account's notebooks on routes of their own, so a grant on the hub's
        # /notebooks/* never reaches them (grant_open with account= or "<account>:<name>").
        api._sigv4_routes.add(SPOKE_URL_RESOURCE, with_session_body=True)
        if api.allow_start:
            api._sigv4_routes.add(SPOKE_START_RESOURCE, with_session_body=False)
        api.function_policy.add_statements(
            iam.PolicyStatement(
                sid="AssumeSpokeRoles", actions=[ASSUME_ROLE_ACTION], resources=self.spoke_role_arns
            )
        )
        self.sts_endpoint = sts_endpoint or self._sts_endpoint()
        if sts_endpoint is not None:
            sts_endpoint.connections.allow_default_port_from(
                api.function_security_group, "Presigned URL Lambda to STS"
            )
        self.outputs = [
            CfnOutput(self, "HubRoleArn", value=api.role.role_arn, description=_SPOKE_VALUE),
            CfnOutput(
                self,
                "HubEndpointId",
                value=api.endpoint.vpc_endpoint_id,
                description=_SPOKE_VALUE,
            ),
        ]
        self._admit_spoke_roles()

    def _admit_spoke_roles(self) -> None:
        """The spoke roles through the API's own endpoints (a given one is its owner's)."""
        api = self.api
        if _created_by(api.endpoint, api):
            # Their calls on their accounts' notebooks only; the listing's
            # ListNotebookInstances has no resource-level permissions (SAR, SageMaker).
            notebooks = [
                Stack.of(self).format_arn(
                    service="sagemaker",
                    account=account,
                    resource="notebook-instance",
                    resource_name="*",
                )
                for account in self.spoke_accounts
            ]
            admit_spoke_roles(
                api.endpoint, self.spoke_role_arns, SPOKE_SAGEMAKER_ACTIONS, resources=notebooks
            )
            admit_spoke_roles(
                api.endpoint, self.spoke_role_arns, [LIST_NOTEBOOKS_ACTION], sid="SpokeRolesList"
            )
        portal = api._portal
        if portal is not None and _created_by(portal.tagging_endpoint, portal):
            admit_spoke_roles(portal.tagging_endpoint, self.spoke_role_arns, [GET_RESOURCES_ACTION])

    @property
    def spoke_settings(self) -> dict[str, object]:
        """The keyword arguments of a ``NotebookAccessSpoke`` for this hub (tokens where the
        values are only known at deploy: in another account, pass them as strings)."""
        return {
            "hub_account": Stack.of(self).account,
            "hub_role_arn": self.api.role.role_arn,
            "hub_endpoint_id": self.api.endpoint.vpc_endpoint_id,
            "serving_tag_value": self.api.serving_tag_value,
            "allowed_cidrs": list(self.api.allowed_cidrs),
            "external_id": self.external_id,
            "allow_start": self.api.allow_start,
        }

    def _sts_endpoint(self) -> ec2.InterfaceVpcEndpoint:
        """STS through the VPC (private DNS: the regional endpoint the SDK calls), usable by
        the function for the spoke roles only."""
        endpoint = ec2.InterfaceVpcEndpoint(
            self,
            "StsEndpoint",
            vpc=self.api.vpc,
            service=ec2.InterfaceVpcEndpointAwsService.STS,
            private_dns_enabled=True,
            subnets=self.api._subnets,
            open=False,
        )
        endpoint.add_to_policy(
            iam.PolicyStatement(
                sid="AssumeSpokeRolesOnly",
                principals=[iam.ArnPrincipal(self.api.role.role_arn)],
                actions=[ASSUME_ROLE_ACTION],
                resources=self.spoke_role_arns,
            )
        )
        endpoint.connections.allow_default_port_from(
            self.api.function_security_group, "Presigned URL Lambda to STS"
        )
        return endpoint


def admit_spoke_roles(
    endpoint: ec2.IInterfaceVpcEndpoint,
    role_arns: Sequence[str],
    actions: Sequence[str],
    *,
    resources: Sequence[str] = ("*",),
    sid: str = "SpokeRoles",
) -> None:
    """Let the spoke roles (sessions of them: ``aws:PrincipalArn`` is the role's ARN, IAM
    user guide, "AWS global condition context keys") call ``actions`` through ``endpoint``.

    A condition, not a role ARN principal: the roles are in other accounts and may not
    exist yet when the hub deploys.
    """
    assert isinstance(endpoint, ec2.InterfaceVpcEndpoint)
    endpoint.add_to_policy(
        iam.PolicyStatement(
            sid=sid,
            principals=[iam.AnyPrincipal()],
            actions=list(actions),
            resources=list(resources),
            conditions={"ArnEquals": {"aws:PrincipalArn": list(role_arns)}},
        )
    )


def _created_by(endpoint: object, owner: Construct) -> bool:
    """Whether ``owner`` made ``endpoint`` (a given one is its owner's to govern)."""
    return isinstance(endpoint, ec2.InterfaceVpcEndpoint) and endpoint.node.scope is owner


def _checked_accounts(api: PresignedUrlApi, accounts: Sequence[str]) -> list[str]:
    if isinstance(accounts, str) or not 1 <= len(accounts) <= MAX_SPOKES:
        raise ValidationError(
            f"spoke_accounts must be a list of 1..{MAX_SPOKES} account ids, got {accounts!r}"
        )
    own = Stack.of(api).account
    for account in accounts:
        if not isinstance(account, str) or not ACCOUNT_ID_PATTERN.fullmatch(account):
            raise ValidationError(
                f"spoke_accounts entry {account!r} is not an account id: 12 digits, as a "
                "string known at synth (the function's environment lists them)"
            )
        if not is_token(own) and account == own:
            raise ValidationError(
                f"spoke_accounts entry {account!r} is the hub's own account: its notebooks "
                "are served by the API itself"
            )
    if len(set(accounts)) != len(accounts):
        raise ValidationError(f"spoke_accounts has duplicates: {list(accounts)!r}")
    return list(accounts)


def _check_external_id(value: str) -> None:
    if is_token(value) or not EXTERNAL_ID_PATTERN.fullmatch(value):
        raise ValidationError(
            f"external_id {value!r} must be 2..1224 letters, digits and _+=,.@:/- known at synth"
        )


def _variables(
    api: PresignedUrlApi, accounts: list[str], external_id: str
) -> dict[str, tuple[str | None, int]]:
    """The function variables a hub sets: value, and the longest it resolves to."""
    prefix = f"arn:{Stack.of(api).partition}:iam::"
    return {
        Env.SPOKE_ACCOUNTS: (",".join(accounts), len(",".join(accounts))),
        Env.SPOKE_ROLE_ARN_PREFIX: (prefix, len("arn:aws-us-gov:iam::")),
        Env.SPOKE_EXTERNAL_ID: (external_id, len(external_id)),
    }
