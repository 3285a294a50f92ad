"""Where the library's network interfaces go: private subnets, else isolated ones, never public.

The notebook and the URL function choose their subnets here, so both refuse a VPC with
public subnets only, with the same message.
"""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2

from ..validation import ValidationError


def notebook_subnet(vpc: ec2.IVpc, vpc_subnets: ec2.SubnetSelection | None) -> ec2.ISubnet:
    """The subnet a notebook goes into: the first ``vpc_subnets`` selects, never a public one."""
    if vpc_subnets is None:
        vpc_subnets = private_subnet_selection(vpc)
    subnets = vpc.select_subnets(**_selection_kwargs(vpc_subnets)).subnets
    if not subnets:
        raise ValidationError(
            "vpc_subnets selects no subnet in the vpc: the notebook needs a private "
            "or isolated subnet"
        )
    public_ids = {s.subnet_id for s in vpc.public_subnets}
    if subnets[0].subnet_id in public_ids:
        raise ValidationError(
            "vpc_subnets selects a public subnet; place the notebook in a private or "
            "isolated subnet"
        )
    return subnets[0]


def _selection_kwargs(selection: ec2.SubnetSelection) -> dict:
    names = (
        "availability_zones",
        "one_per_az",
        "subnet_filters",
        "subnet_group_name",
        "subnets",
        "subnet_type",
    )
    return {
        name: getattr(selection, name) for name in names if getattr(selection, name) is not None
    }


def private_subnet_selection(vpc: ec2.IVpc) -> ec2.SubnetSelection:
    """The VPC's private subnets, else its isolated ones; a VPC with neither is refused.

    Checked here because CDK's own error for a missing subnet type is a jsii RuntimeError
    that names neither the prop nor what would do.
    """
    if vpc.private_subnets:
        return ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
    if vpc.isolated_subnets:
        return ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
    raise ValidationError(
        "vpc has no private or isolated subnet, only public ones: the notebook and the URL "
        "Lambda must not sit in a public subnet; give a vpc with private or isolated subnets"
    )
