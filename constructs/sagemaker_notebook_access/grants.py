"""Grants that land in customer-managed policies instead of CDK's inline default policy.

cdk-nag's NIST/HIPAA/PCI packs reject inline policies on users, groups and roles;
these helpers let ``grant_open`` keep returning a real ``iam.Grant`` all the same.
"""

from __future__ import annotations

from collections.abc import Callable

import jsii
from aws_cdk import aws_iam as iam


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
