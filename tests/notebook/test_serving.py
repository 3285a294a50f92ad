"""The default serving id (notebook/serving.py): which hub a notebook's served-by tag names.

The attack: one app deployed as two hubs (dev and prod accounts, or two regions) with the
same stack name. Were the default the stack name and construct path alone, both hubs would
get the same serving id, hence the same spoke role name (IAM role names are global to an
account: a member account shared by both could not deploy the second spoke) and the same
external id default, and a notebook's tag could not say which hub serves it.
"""

from __future__ import annotations

import hashlib

import aws_cdk as cdk
import pytest
from presigned_url.contract import SERVED_BY_PATTERN, spoke_role_name
from vpcs import make_vpc

from sagemaker_notebook_access import PresignedUrlApi
from sagemaker_notebook_access.notebook.serving import SERVING_ID_MAX_LENGTH

ALLOWED = ["198.51.7.0/24"]
DEV, PROD = "111122223333", "444455556666"
# The default in an environment-agnostic stack "Team" with the API at "Api", as it was
# before the environment joined it: pinned, so env-agnostic hubs keep their serving id.
AGNOSTIC_TEAM_API = "Team-Api-B0B1ACBD"


def api_in(
    account: str | None, region: str | None, *, stack_id: str = "Team", api_id: str = "Api"
) -> PresignedUrlApi:
    """An API in a stack of its own App, as `cdk deploy` of one app with another env builds."""
    stack = cdk.Stack(cdk.App(), stack_id, env=cdk.Environment(account=account, region=region))
    return PresignedUrlApi(stack, api_id, vpc=make_vpc(stack), allowed_cidrs=ALLOWED)


def env_hash(account: str, region: str) -> str:
    return hashlib.sha256(f"{account}/{region}".encode()).hexdigest()[:8]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ((DEV, "eu-west-1"), (DEV, "us-east-1")),  # one account, two regions
        ((DEV, "eu-west-1"), (PROD, "eu-west-1")),  # two accounts, one region
    ],
    ids=["two-regions", "two-accounts"],
)
def test_the_same_stack_name_in_two_environments_gets_two_serving_ids(first, second):
    one, other = api_in(*first), api_in(*second)
    assert cdk.Stack.of(one).stack_name == cdk.Stack.of(other).stack_name == "Team"
    assert one.serving_tag_value != other.serving_tag_value
    # So a member account shared by both hubs holds two spoke roles, one per hub.
    assert spoke_role_name(one.serving_tag_value) != spoke_role_name(other.serving_tag_value)


def test_the_default_names_the_stack_the_path_and_a_hash_of_the_environment():
    value = api_in(DEV, "eu-west-1").serving_tag_value
    assert value == f"{AGNOSTIC_TEAM_API}-{env_hash(DEV, 'eu-west-1')}"
    assert SERVED_BY_PATTERN.fullmatch(value)


def test_an_environment_agnostic_stack_keeps_todays_default():
    assert api_in(None, None).serving_tag_value == AGNOSTIC_TEAM_API
    # Half an environment cannot be hashed at synth: the same as agnostic.
    assert api_in(DEV, None).serving_tag_value == AGNOSTIC_TEAM_API
    assert api_in(None, "eu-west-1").serving_tag_value == AGNOSTIC_TEAM_API


def test_the_longest_names_stay_within_the_room_kept_for_the_serving_id():
    long_stack, long_path = "S" * 128, "A" * 200  # a stack name's limit is 128
    for account, region in [(DEV, "ap-southeast-5"), (None, None)]:
        value = api_in(account, region, stack_id=long_stack, api_id=long_path).serving_tag_value
        assert len(value) <= SERVING_ID_MAX_LENGTH, value
        assert SERVED_BY_PATTERN.fullmatch(value), value
    with_env = api_in(DEV, "eu-west-1", stack_id=long_stack, api_id=long_path).serving_tag_value
    # The name is shortened, not the hash: the environment still tells two hubs apart.
    assert with_env.endswith("-" + env_hash(DEV, "eu-west-1"))
    assert with_env.startswith("S" * 20)
