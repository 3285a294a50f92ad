"""IpRestrictedNotebook and NotebookInstance check every prop before they exist: a bad prop
raises a ValidationError naming the construct's path and leaves nothing in the tree."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from conftest import TEST_ENV
from vpcs import make_vpc

from sagemaker_notebook_access import (
    IpRestrictedNotebook,
    NotebookInstance,
    PresignedUrlApi,
    SignIn,
    ValidationError,
)

CIDRS = ["8.8.8.0/24"]


class World:
    """One stack for every case: a construct that fails adds nothing to it."""

    def __init__(self) -> None:
        self.stack = cdk.Stack(cdk.App(), "S", env=cdk.Environment(**TEST_ENV))
        self.public_vpc = make_vpc(self.stack, "PublicVpc", subnet_type=ec2.SubnetType.PUBLIC)
        self.isolated_vpc = make_vpc(self.stack, "IsolatedVpc")
        self.api = PresignedUrlApi(self.stack, "Shared", vpc=self.isolated_vpc, allowed_cidrs=CIDRS)

    def tree(self) -> list[str]:
        return [child.node.path for child in self.stack.node.find_all()]


@pytest.fixture(scope="module")
def world() -> World:
    return World()


# (case, props given to IpRestrictedNotebook besides allowed_cidrs=CIDRS, message).
# The values refer to the world by name: "api" is its shared API, "public_vpc" its VPC
# with public subnets only.
RESTRICTED_CASES = [
    ("allowed_cidrs string", {"allowed_cidrs": "8.8.8.0/24"}, r"must be a list of CIDR"),
    ("allowed_cidrs empty", {"allowed_cidrs": []}, r"must list at least one CIDR"),
    ("allowed_cidrs host bits", {"allowed_cidrs": ["8.8.8.1/24"]}, r"8\.8\.8\.1/24"),
    ("allow_all_ips", {"allowed_cidrs": ["0.0.0.0/0"]}, r"0\.0\.0\.0/0"),
    ("vpc", {"vpc": "public_vpc"}, r"vpc has no private or isolated subnet"),
    ("api sign_in", {"api": "api", "sign_in": SignIn(domain_prefix="t")}, r"NotebookPortal"),
    ("api allow_start", {"api": "api", "allow_start": True}, r"has no start route"),
    # The portal's props, checked before the notebook, API and VPC are built.
    ("sign_in domain_prefix", {"sign_in": SignIn(domain_prefix="Bad_Prefix")}, r"Bad_Prefix"),
    ("sign_in neither", {"sign_in": SignIn()}, r"exactly one of domain_prefix"),
    (
        "sign_in session_minutes",
        {"sign_in": SignIn(domain_prefix="team-nb", session_minutes=2)},
        r"session_minutes",
    ),
    ("availability_zones", {"availability_zones": ["us-east-1b"]}, r"2 to 6 different"),
    (
        "availability_zones with vpc",
        {"availability_zones": ["us-east-1b", "us-east-1c"], "vpc": "public_vpc"},
        r"with vpc or api given",
    ),
    ("notebook_instance_name", {"notebook_instance_name": "bad_name"}, r"bad_name"),
    ("instance_type", {"instance_type": "t3.medium"}, r"instance_type 't3.medium'"),
    ("volume_size_in_gb", {"volume_size_in_gb": 4}, r"volume_size_in_gb 4 GB is out of range"),
    ("idle_timeout_minutes", {"idle_timeout_minutes": 2}, r"idle_timeout_minutes 2 minutes"),
    ("owners", {"owners": "alice@example.com"}, r"owners must be a list of strings"),
    ("groups", {"groups": ["a group"]}, r"groups entry 'a group' is not allowed"),
]


def resolve(world: World, props: dict) -> dict:
    named = {"api": world.api, "public_vpc": world.public_vpc}
    return {
        prop: named[value] if isinstance(value, str) and prop in ("api", "vpc") else value
        for prop, value in props.items()
    }


@pytest.mark.parametrize(
    ("props", "message"),
    [case[1:] for case in RESTRICTED_CASES],
    ids=[case[0] for case in RESTRICTED_CASES],
)
def test_ip_restricted_notebook_refuses_a_bad_prop_before_it_exists(world, props, message):
    before = world.tree()
    with pytest.raises(ValidationError, match=message) as error:
        IpRestrictedNotebook(world.stack, "Nb", **{"allowed_cidrs": CIDRS, **resolve(world, props)})
    assert error.value.construct_path == "S/Nb"
    assert str(error.value).endswith(" (at S/Nb)")
    assert world.tree() == before


def test_every_validated_prop_has_a_case():
    covered = {prop for _, props, _ in RESTRICTED_CASES for prop in props}
    checked = {
        "allowed_cidrs",
        "vpc",
        "api",
        "allow_start",
        "sign_in",
        "availability_zones",
        "notebook_instance_name",
        "instance_type",
        "volume_size_in_gb",
        "idle_timeout_minutes",
        "owners",
        "groups",
    }
    assert checked <= covered


def test_the_same_props_build_once_corrected(world):
    # The cases fail on the prop they name, not on something else in the world.
    IpRestrictedNotebook(world.stack, "Fine", allowed_cidrs=CIDRS, api=world.api)


NOTEBOOK_CASES = [
    ("vpc", {"vpc": "public_vpc"}, r"vpc has no private or isolated subnet"),
    (
        "vpc_subnets public",
        {
            "vpc": "public_vpc",
            "vpc_subnets": ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
        },
        r"vpc_subnets selects a public subnet",
    ),
    ("volume_size_in_gb", {"volume_size_in_gb": 16385}, r"volume_size_in_gb 16385 GB"),
    ("owners", {"owners": ["älice@example.com"]}, r"owners entry"),
]


@pytest.mark.parametrize(
    ("props", "message"),
    [case[1:] for case in NOTEBOOK_CASES],
    ids=[case[0] for case in NOTEBOOK_CASES],
)
def test_notebook_instance_refuses_a_bad_prop_before_it_exists(world, props, message):
    props = {"vpc": world.isolated_vpc, **props}
    if props["vpc"] == "public_vpc":
        props["vpc"] = world.public_vpc
    before = world.tree()
    with pytest.raises(ValidationError, match=message) as error:
        NotebookInstance(world.stack, "Notebook", **props)
    assert error.value.construct_path == "S/Notebook"
    assert world.tree() == before
