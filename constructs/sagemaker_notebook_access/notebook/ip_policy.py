"""NotebookIpPolicy: deny presigned notebook URLs to callers outside an IP allow-list.

The pattern from the SageMaker guide ("Limit access to a notebook instance by IP
address"): the deny covers the call and every request the returned URL makes.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_iam as iam
from constructs import Construct

from ..cidr_warnings import warn_if_open
from ..cidrs import normalize_cidrs
from ..validation import validating

PRESIGN_ACTION = "sagemaker:CreatePresignedNotebookInstanceUrl"


def deny_presign_outside_cidrs(
    allowed_cidrs: Sequence[str],
    *,
    resources: Sequence[str] = ("*",),
    exempt_vpc_endpoint_ids: Sequence[str] = (),
    sid: str = "DenyPresignedUrlOutsideAllowedCidrs",
) -> iam.PolicyStatement:
    """The one statement every IP restriction in this library is built from.

    Deny ``CreatePresignedNotebookInstanceUrl`` when ``aws:SourceIp`` is not in
    ``allowed_cidrs``. With ``exempt_vpc_endpoint_ids``, a second condition
    (ANDed) lets calls made through those interface endpoints pass: through an
    endpoint ``aws:SourceIp`` is absent and ``NotIpAddress`` on a missing key is
    true, so without the exemption the minting Lambda's own call would be denied.
    ``StringNotEquals`` on the missing ``aws:SourceVpce`` of a browser request is
    true, so the URL still only opens from the allow-list.
    """
    conditions: dict[str, dict[str, list[str]]] = {
        "NotIpAddress": {"aws:SourceIp": list(allowed_cidrs)},
    }
    if exempt_vpc_endpoint_ids:
        conditions["StringNotEquals"] = {"aws:SourceVpce": list(exempt_vpc_endpoint_ids)}
    return iam.PolicyStatement(
        sid=sid,
        effect=iam.Effect.DENY,
        actions=[PRESIGN_ACTION],
        resources=list(resources),
        conditions=conditions,
    )


class NotebookIpPolicy(iam.ManagedPolicy):
    """A customer-managed policy that denies presigned notebook URLs outside ``allowed_cidrs``.

    Attach it to the users, groups and roles that open notebooks from the
    console or the CLI, so they follow the same allow-list as the API. It only
    denies; what a principal may open is still granted elsewhere (for example
    ``IpRestrictedNotebook.grant_open``).

    :param allowed_cidrs: IPv4/IPv6 CIDRs callers may come from. Required, non-empty;
        host bits, duplicates and open networks are rejected. Private, reserved,
        documentation and very wide ranges get a synth warning; a CIDR given as a token
        is neither checked nor warned about.
    :param notebooks: notebooks the deny covers. Default: every notebook in the
        account (``Resource: "*"``), the stricter choice.
    :param users: IAM users to attach the policy to. Default: none.
    :param groups: IAM groups to attach the policy to. Default: none.
    :param roles: IAM roles to attach the policy to. Default: none.
    :param description: the managed policy's description. Default: says what it denies.
    :param allow_all_ips: accept ``0.0.0.0/0`` or ``::/0`` in ``allowed_cidrs`` (the
        policy then adds an acknowledgeable warning). Default: False.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        allowed_cidrs: Sequence[str],
        notebooks: Sequence[object] | None = None,
        users: Sequence[iam.IUser] = (),
        groups: Sequence[iam.IGroup] = (),
        roles: Sequence[iam.IRole] = (),
        allow_all_ips: bool = False,
        description: str | None = None,
    ) -> None:
        with validating(scope, id):
            cidrs = normalize_cidrs(allowed_cidrs, allow_all_ips=allow_all_ips)
        resources = ["*"] if notebooks is None else [nb.notebook_instance_arn for nb in notebooks]
        super().__init__(
            scope,
            id,
            description=description
            or "Denies sagemaker:CreatePresignedNotebookInstanceUrl outside the IP allow-list",
            statements=[deny_presign_outside_cidrs(cidrs, resources=resources)],
            users=list(users),
            groups=list(groups),
            roles=list(roles),
        )
        self.allowed_cidrs: list[str] = cidrs
        warn_if_open(
            self, cidrs, what="this policy lets its holders open notebooks from any network"
        )
