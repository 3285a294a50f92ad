"""NotebookAccessSpoke: the role in a member account through which a hub API mints URLs.

A presigned URL is checked against the policy of the role that minted it, on every request,
so a URL the hub mints through this role opens only from the allow-list because this role
carries the deny (docs/spokes.md). The trust admits the hub's function role only, with an
external id; the policy admits only notebooks tagged with the hub's serving id.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from ..acknowledgments import ANY_NOTEBOOK_RULE, acknowledge
from ..api.served_notebooks import notebook_arn, tagged_mint_statement
from ..cidr_warnings import warn_if_open
from ..notebook.instance import NotebookInstance
from ..notebook.ip_policy import deny_presign_outside_cidrs
from ..notebook.serving import tag_as_served
from ..notebook.tag_guard import TagGuardPolicy, tag_guard_statements
from ..portal.listing_access import GET_RESOURCES_ACTION, LIST_ACTION, TAGS_ACTION
from ..validation import ValidationError, is_token, validating
from .prop_checks import CheckedSpokeProps, check_spoke_props

# The hub assumes this role from its function's own role session: role chaining, which
# STS limits to one hour whatever the role allows (IAM user guide, "Methods to assume a
# role": role chaining).
MAX_SESSION = Duration.hours(1)
WILDCARD_RULE = "AwsSolutions::AwsSolutions-IAM5[Resource::*]"


class NotebookAccessSpoke(Construct):
    """A role in a member account that a hub ``PresignedUrlApi`` assumes to mint URLs there.

    Notebooks of this account join the hub by carrying its serving tag (``serve``, or
    ``aws sagemaker add-tags``); the hub names them ``"<account id>:<name>"``. The role's
    name is derived from the serving id (``spoke_role_name``), so the hub finds it in any
    account. Deploy it with ``CAPABILITY_NAMED_IAM``. Trust, rollout by stages or a
    StackSet, and sources: docs/spokes.md.

    :param hub_account: the hub's account id, 12 digits (a token, e.g. a StackSet
        parameter, passes unchecked). Required. The trust's principal is that account,
        narrowed by the conditions below.
    :param hub_role_arn: the ARN of the hub API's function role (``api.role.role_arn``).
        Required; it must be in ``hub_account``. The trust requires it as
        ``aws:PrincipalArn`` instead of naming it as the principal, so the spoke deploys
        before the hub role exists and keeps working when that role is re-created.
    :param hub_endpoint_id: the id of the hub's SageMaker API interface endpoint
        (``api.endpoint.vpc_endpoint_id``, ``vpce-`` and hex digits). Required. The only way
        this role may presign from outside ``allowed_cidrs``: the hub's call comes through
        it (``aws:SourceVpce``), a browser opening the URL never does.
    :param serving_tag_value: the hub's serving id (``api.serving_tag_value``), known at
        synth (not a token). Required. The role may presign, describe (and start) only
        notebooks whose ``notebook-access:served-by`` tag has this value, and is named after
        it.
    :param allowed_cidrs: the hub's allow-list (``api.allowed_cidrs``): the networks a URL
        minted here opens from. Required, non-empty; checked and warned about as
        ``PresignedUrlApi``'s (a token passes unchecked).
    :param external_id: the ``sts:ExternalId`` the hub must present (2..1224 of letters,
        digits and ``_ + = , . @ : / -``). Default: ``serving_tag_value``; the hub sends its
        own serving id unless told otherwise.
    :param allow_start: also allow ``StartNotebookInstance`` on the served notebooks, for a
        hub with ``allow_start``. Default: False.
    :param tag_administrators: ARNs that may still write ``notebook-access:`` tags in this
        account (``*`` and ``?`` allowed): given, the spoke creates ``tag_guard``, a
        ``TagGuardPolicy`` exempting them, to attach to the account's roles. Default: none
        and no such policy. The spoke's own role never may write those tags.
    :param allow_all_ips: accept ``0.0.0.0/0`` or ``::/0`` in ``allowed_cidrs`` (with an
        acknowledgeable warning). Default: False.
    """

    role: iam.Role
    """The role the hub's function assumes: trust scoped to it, policy ``policy``."""
    role_name: str
    """The role's name, ``spoke_role_name(serving_tag_value)`` (a literal)."""
    policy: iam.ManagedPolicy
    """The role's customer-managed policy: tagged minting, listing, the IP deny, the tag guard."""
    serving_tag_value: str
    """The hub's serving id: the ``notebook-access:served-by`` value of served notebooks."""
    allowed_cidrs: list[str]
    """The allow-list, normalized: what the role's deny admits."""
    tag_guard: TagGuardPolicy | None
    """The account's tag guard exempting ``tag_administrators``; None without them."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        hub_account: str,
        hub_role_arn: str,
        hub_endpoint_id: str,
        serving_tag_value: str,
        allowed_cidrs: Sequence[str],
        external_id: str | None = None,
        allow_start: bool = False,
        tag_administrators: Sequence[str] = (),
        allow_all_ips: bool = False,
    ) -> None:
        # Checked before the construct exists, so a bad prop leaves nothing in the tree.
        with validating(scope, id):
            settle_cross_account_name(scope, hub_role_arn)
            checked = check_spoke_props(
                spoke_account=Stack.of(scope).account,
                hub_account=hub_account,
                hub_role_arn=hub_role_arn,
                hub_endpoint_id=hub_endpoint_id,
                serving_tag_value=serving_tag_value,
                allowed_cidrs=allowed_cidrs,
                external_id=external_id,
                tag_administrators=tag_administrators,
                allow_all_ips=allow_all_ips,
            )
        super().__init__(scope, id)
        warn_if_open(self, checked.cidrs, what="URLs minted through this spoke open anywhere")
        self.serving_tag_value = serving_tag_value
        self.allowed_cidrs = checked.cidrs
        self.role_name = checked.role_name
        self.role = self._create_role(checked, hub_account=hub_account, hub_role_arn=hub_role_arn)
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description="Hub notebook access: mint URLs for notebooks carrying its serving tag, "
            "opening only from its allow-list",
            roles=[self.role],
            statements=spoke_statements(
                self,
                serving_id=serving_tag_value,
                allow_start=allow_start,
                allowed_cidrs=checked.cidrs,
                hub_endpoint_id=hub_endpoint_id,
            ),
        )
        acknowledge(self.policy, ANY_NOTEBOOK_RULE, WILDCARD_RULE)
        self.tag_guard = (
            TagGuardPolicy(self, "TagGuard", administrators=tag_administrators)
            if tag_administrators
            else None
        )

    def serve(self, notebook: NotebookInstance) -> None:
        """Tag ``notebook`` (a ``NotebookInstance`` of this account and region) with the
        hub's serving id, so the hub may open it as ``"<account id>:<name>"``."""
        with validating(self):
            if not isinstance(notebook, NotebookInstance):
                raise ValidationError(
                    f"notebook must be a NotebookInstance, got {type(notebook).__name__}; tag "
                    "an existing notebook with aws sagemaker add-tags (docs/fleet.md)"
                )
            _check_same_environment(self, notebook)
            tag_as_served(notebook, self.serving_tag_value)

    def _create_role(
        self, checked: CheckedSpokeProps, *, hub_account: str, hub_role_arn: str
    ) -> iam.Role:
        # The hub account as principal, narrowed to its function role by aws:PrincipalArn:
        # a role ARN as principal would fail the deploy while that role does not exist and
        # break when it is re-created (IAM user guide, "AWS JSON policy elements:
        # Principal"). The external id is the confused-deputy guard (IAM user guide, "The
        # confused deputy problem").
        hub = iam.AccountPrincipal(hub_account).with_conditions(
            {
                "ArnEquals": {"aws:PrincipalArn": hub_role_arn},
                "StringEquals": {"sts:ExternalId": checked.external_id},
            }
        )
        return iam.Role(
            self,
            "Role",
            role_name=checked.role_name,
            assumed_by=hub,
            max_session_duration=MAX_SESSION,
            description="Assumed by the notebook access hub's function to mint notebook URLs",
        )


def spoke_statements(
    scope: Construct,
    *,
    serving_id: str,
    allow_start: bool,
    allowed_cidrs: Sequence[str],
    hub_endpoint_id: str,
) -> list[iam.PolicyStatement]:
    """The spoke role's policy: what the hub's function role may do in its own account
    (``MintForTaggedNotebooks``, the portal's listing reads), its IP deny exempting the
    hub's endpoint, and the tag guard with no exemption."""
    return [
        tagged_mint_statement(scope, allow_start=allow_start, serving_id=serving_id),
        # The portal's listing, as NotebookPortal grants the hub's role in its account:
        # ListNotebookInstances and GetResources have no resource-level permissions
        # (Service Authorization Reference); the handler asks only for its serving tag.
        iam.PolicyStatement(sid="ListNotebooks", actions=[LIST_ACTION], resources=["*"]),
        iam.PolicyStatement(
            sid="ListServedNotebooks", actions=[GET_RESOURCES_ACTION], resources=["*"]
        ),
        iam.PolicyStatement(
            sid="ReadEntitlementTags",
            actions=[TAGS_ACTION],
            resources=[notebook_arn(scope, "*")],
        ),
        # The hub's call through its endpoint carries aws:SourceVpce (and no aws:SourceIp);
        # a browser opening the URL carries aws:SourceIp and no aws:SourceVpce.
        deny_presign_outside_cidrs(
            allowed_cidrs,
            exempt_vpc_endpoint_ids=[hub_endpoint_id],
            sid="DenyUrlsThatWouldOpenOutsideAllowedCidrs",
        ),
        *tag_guard_statements(),
    ]


def settle_cross_account_name(scope: Construct, hub_role_arn: str) -> None:
    """Resolve ``hub_role_arn`` in the spoke's stack now, so that a role of another
    account's stack gets its generated name before any template is written.

    CDK names a ``PhysicalName.GENERATE_IF_NEEDED`` role only when a stack of another
    environment resolves its ARN; each ``Stage`` synthesizes on its own, one after the
    other, so a hub stage written before the spoke's would lack the ``RoleName`` its ARN
    here names. A role without a physical name cannot be referenced across accounts.
    """
    if not is_token(hub_role_arn):
        return
    try:
        Stack.of(scope).resolve(hub_role_arn)
    except RuntimeError as error:
        if "cross-environment" not in str(error):
            raise
        raise ValidationError(
            "hub_role_arn names a role of another account that has no physical name: give "
            "the hub's function role role_name=PhysicalName.GENERATE_IF_NEEDED, or pass its "
            f"ARN as a string ({str(error).split(': ', 1)[-1]})"
        ) from None


def _check_same_environment(spoke: NotebookAccessSpoke, notebook: NotebookInstance) -> None:
    """The role mints in its own account and region only (``notebook-instance/*`` there)."""
    mine, theirs = Stack.of(spoke), Stack.of(notebook)
    for what, own, other in (
        ("account", mine.account, theirs.account),
        ("region", mine.region, theirs.region),
    ):
        if not is_token(own) and not is_token(other) and own != other:
            raise ValidationError(
                f"notebook {notebook.node.path} is in {what} {other}, this spoke in {own}: a "
                "spoke serves the notebooks of its own account and region only"
            )
