"""Grants that land in customer-managed policies instead of CDK's inline default policy.

cdk-nag's NIST/HIPAA/PCI packs reject inline policies on users, groups and roles;
these helpers let ``grant_open`` keep returning a real ``iam.Grant`` all the same, and
say so when a grant could change no policy at all.
"""

from __future__ import annotations

from collections.abc import Callable

import jsii
from aws_cdk import Annotations, Names
from aws_cdk import aws_iam as iam
from constructs import Dependable, IConstruct

GRANT_NOT_APPLIED_WARNING = "sagemaker-notebook-access:grant-not-applied"
INVOKE_ACTION = "execute-api:Invoke"


@jsii.implements(iam.IPrincipal)
class ManagedPolicyPrincipal:
    """``principal``, except that its grants land in ``policy`` (customer-managed).

    Lets ``grant_open`` return a real ``iam.Grant`` (``success``, ``principal_statements``)
    while keeping CDK's inline default policy out of the template.
    """

    def __init__(self, principal: iam.IPrincipal, policy: iam.ManagedPolicy) -> None:
        self._principal = principal
        self._policy = policy

    @property
    def grant_principal(self) -> iam.IPrincipal:
        return self

    @property
    def assume_role_action(self) -> str:
        return self._principal.assume_role_action

    @property
    def policy_fragment(self) -> iam.PrincipalPolicyFragment:
        return self._principal.policy_fragment

    @property
    def principal_account(self) -> str | None:
        return self._principal.principal_account

    def add_to_principal_policy(
        self, statement: iam.PolicyStatement
    ) -> iam.AddToPrincipalPolicyResult:
        self._policy.add_statements(statement)
        return iam.AddToPrincipalPolicyResult(statement_added=True, policy_dependable=self._policy)

    def add_to_policy(self, statement: iam.PolicyStatement) -> bool:
        return self.add_to_principal_policy(statement).statement_added


def managed_policy_target(
    principal: iam.IPrincipal,
) -> Callable[[iam.ManagedPolicy], None] | None:
    """How to attach a managed policy to ``principal``, or None if it is not ours to change."""
    if isinstance(principal, iam.Group):
        return lambda policy: policy.attach_to_group(principal)
    if isinstance(principal, iam.User):
        return lambda policy: policy.attach_to_user(principal)
    if isinstance(principal, iam.Role):
        return lambda policy: policy.attach_to_role(principal)
    return None


class InvokePolicies:
    """Where ``grant_open`` lands ``execute-api:Invoke`` for one API: a customer-managed
    policy per user, group or role of this app (statements accumulate in it) instead of
    CDK's inline default policy; any other principal (an imported role, a service) gets
    the usual ``Grant.add_to_principal``."""

    def __init__(self, api: IConstruct) -> None:
        self._api = api
        self._policies: dict[str, iam.ManagedPolicy] = {}  # by the principal's path

    def grant(self, grantee: iam.IGrantable, resource_arns: list[str]) -> iam.Grant:
        """Allow ``grantee`` ``execute-api:Invoke`` on ``resource_arns``."""
        principal = grantee.grant_principal
        attach = managed_policy_target(principal)
        if attach is None:
            return iam.Grant.add_to_principal(
                grantee=grantee, actions=[INVOKE_ACTION], resource_arns=resource_arns
            )
        key = principal.node.path
        policy = self._policies.get(key)
        if policy is None:
            policy = iam.ManagedPolicy(
                principal,
                f"OpenNotebooks{Names.unique_id(self._api)[-40:]}",
                description=f"Lets the holder request notebook URLs from {self._api.node.path}",
            )
            attach(policy)
            self._policies[key] = policy
        return iam.Grant.add_to_principal(
            grantee=ManagedPolicyPrincipal(principal, policy),
            actions=[INVOKE_ACTION],
            resource_arns=resource_arns,
        )


def warn_if_not_applied(
    scope: IConstruct, grant: iam.Grant, grantee: iam.IGrantable, *, granted: str
) -> iam.Grant:
    """Warn (acknowledgeable, on ``scope``) when ``grant`` changed no policy, and return it.

    An imported role with ``mutable=False`` (CDK's ImmutableRole) takes the statement,
    changes nothing and reports success: the grant is successful but depends on no
    policy. A principal without an identity policy (an account, a service) reports
    failure. Either way the grantee is not allowed ``granted``.
    """
    if grant.success and Dependable.of(grant).dependency_roots:
        return grant
    who = _name(grantee.grant_principal)
    Annotations.of(scope).add_warning_v2(
        GRANT_NOT_APPLIED_WARNING,
        f"grant_open({who}) changed no policy, so it may not call {granted}: the grantee "
        "accepts no policy changes from this app (an imported role with "
        "mutable=False, or a principal without an identity policy), and CDK reports an "
        "immutable role's grant as done. Attach the returned grant's principal_statements "
        "(execute-api:Invoke) to it yourself, e.g. in a managed policy where the role is "
        "defined, or import the role with mutable=True.",
    )
    return grant


def _name(principal: iam.IPrincipal) -> str:
    """The principal's construct path, else what it prints as (an account, a service)."""
    node = getattr(principal, "node", None)
    if node is not None:
        return node.path
    to_string = getattr(principal, "to_string", None)
    return to_string() if to_string is not None else type(principal).__name__
