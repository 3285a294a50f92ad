"""Props are checked at construction: a bad value fails with the prop, the value and what is
allowed; an unresolved token (known only at deploy time) is never judged.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Callable
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from conftest import TEST_ENV
from vpcs import make_vpc

import sagemaker_notebook_access
from sagemaker_notebook_access import (
    IpRestrictedNotebook,
    NotebookInstance,
    NotebookIpPolicy,
    NotebookPortal,
    PresignedUrlApi,
    ValidationError,
)
from sagemaker_notebook_access.api.waf import ApiWebAcl
from sagemaker_notebook_access.cidrs import normalize_cidrs
from sagemaker_notebook_access.validation import CheckedRange, recording_ranges

# ----------------------------------------------------------------- allow-lists


def test_accepts_ipv4_and_ipv6_and_returns_canonical_networks():
    assert normalize_cidrs(["203.0.113.0/24", "2001:DB8:0::/32", " 198.51.100.7/32 "]) == [
        "203.0.113.0/24",
        "2001:db8::/32",
        "198.51.100.7/32",
    ]


def test_fails_on_host_bits_set():
    with pytest.raises(ValidationError, match=r"'10\.0\.0\.1/24' has host bits set: write "):
        normalize_cidrs(["10.0.0.1/24"])


def test_fails_on_ipv6_host_bits_set():
    with pytest.raises(ValidationError, match=r"'2001:db8::1/32' has host bits set"):
        normalize_cidrs(["2001:db8::1/32"])


@pytest.mark.parametrize("cidr", ["0.0.0.0/0", "::/0"])
def test_fails_on_an_open_network(cidr):
    with pytest.raises(ValidationError, match=r"allows every address; pass allow_all_ips=True"):
        normalize_cidrs(["203.0.113.0/24", cidr])


@pytest.mark.parametrize("value", [[], (), None])
def test_fails_on_an_empty_allow_list(value):
    with pytest.raises(ValidationError, match=r"allowed_cidrs must list at least one CIDR"):
        normalize_cidrs(value)


def test_fails_on_a_duplicate():
    with pytest.raises(ValidationError, match=r"lists '203\.0\.113\.0/24' twice"):
        normalize_cidrs(["203.0.113.0/24", "198.51.100.0/24", "203.0.113.0/24"])


@pytest.mark.parametrize(
    "pair",
    [
        ["2001:db8::/32", "2001:0db8:0000::/32"],
        ["2001:db8::/32", "2001:DB8::/32"],
        ["203.0.113.0/24", " 203.0.113.0/24"],
    ],
)
def test_fails_on_the_same_network_written_twice_differently(pair):
    with pytest.raises(ValidationError, match=r"twice .*remove the duplicate"):
        normalize_cidrs(pair)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not-a-cidr", r"'not-a-cidr' is not a CIDR: add the prefix length"),
        ("203.0.113.7", r"'203\.0\.113\.7' is not a CIDR: add the prefix length"),
        ("203.0.113.0/33", r"'203\.0\.113\.0/33' is not an IPv4 or IPv6 CIDR"),
        ("300.0.113.0/24", r"'300\.0\.113\.0/24' is not an IPv4 or IPv6 CIDR"),
        ("2001:db8::/129", r"is not an IPv4 or IPv6 CIDR"),
        ("host.example/24", r"is not an IPv4 or IPv6 CIDR"),
    ],
)
def test_fails_on_a_string_that_is_not_a_cidr(value, message):
    with pytest.raises(ValidationError, match=message):
        normalize_cidrs([value])


def test_fails_on_an_entry_that_is_not_a_string():
    with pytest.raises(ValidationError, match=r"entries must be CIDR strings, got 7 \(int\)"):
        normalize_cidrs(["203.0.113.0/24", 7])


def test_fails_on_a_bare_string_instead_of_a_list():
    with pytest.raises(ValidationError, match=r"got the string '203\.0\.113\.0/24'; write \["):
        normalize_cidrs("203.0.113.0/24")


def test_fails_on_an_open_network_in_every_construct():
    stack = cdk.Stack(cdk.App(), "Closed")
    with pytest.raises(ValidationError, match=r"'0\.0\.0\.0/0' allows every address"):
        IpRestrictedNotebook(stack, "Access", allowed_cidrs=["0.0.0.0/0"])
    with pytest.raises(ValidationError, match=r"'::/0' allows every address"):
        NotebookIpPolicy(stack, "Policy", allowed_cidrs=["::/0"])


# ----------------------------------------------------------------- suspicious allow-lists
# Valid entries that are almost surely wrong are warned about (acknowledgeable), once per
# construct: the placeholder on the stack, the others on the construct.

PRIVATE = "sagemaker-notebook-access:private-cidrs"
WIDE = "sagemaker-notebook-access:wide-cidrs"
PLACEHOLDER = "sagemaker-notebook-access:placeholder-cidrs"
ACK = re.compile(r"\[ack: ([^\]]+)\]$")

NON_PUBLIC = [
    ("10.0.0.0/8", "private, RFC 1918"),
    ("192.168.1.0/24", "private, RFC 1918"),
    ("100.64.0.0/10", "shared address space for carrier-grade NAT, RFC 6598"),
    ("fd00::/8", "unique local, RFC 4193"),
    ("127.0.0.1/32", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("224.0.0.0/24", "multicast"),
    ("240.0.0.0/4", "reserved or special-purpose"),
    ("::ffff:10.0.0.0/104", "= 10.0.0.0/8) (private, RFC 1918"),
]
WIDE_RANGES = [
    ("2.0.0.0/7", "2^25"),
    ("8.0.0.0/7", "2^25"),
    ("2000::/3", "2^125"),
    ("2c00::/31", "2^97"),
]
PUBLIC = [
    "8.8.8.0/24",
    "2a00:1450::/32",
    "8.0.0.0/8",  # the widest IPv4 prefix without a warning
    "2c00::/32",  # the widest IPv6 prefix without a warning
    "198.51.7.0/24",
    "::ffff:8.8.8.0/120",  # Python calls every v4-mapped network private
]
NON_PUBLIC_AND_WIDE = ["fc00::/7", "fe80::/10", "240.0.0.0/4", "ff00::/8"]
DOCUMENTATION = [
    ("198.51.100.0/24", "'198.51.100.0/24'"),
    ("192.0.2.0/24", "'192.0.2.0/24'"),
    ("203.0.113.0/24", "'203.0.113.0/24'"),
    ("2001:db8::/32", "'2001:db8::/32'"),
    ("3fff::/20", "'3fff::/20'"),
    ("198.51.100.7/32", "'198.51.100.7/32' (in 198.51.100.0/24)"),
    ("2001:db8:7::/48", "'2001:db8:7::/48' (in 2001:db8::/32)"),
    ("::ffff:203.0.113.0/120", "'::ffff:cb00:7100/120' (= 203.0.113.0/24)"),
]
# One NotebookIpPolicy per CIDR above, each alone in a stack: its warnings are its own.
POLICY_CIDRS = list(
    dict.fromkeys(
        [c for c, _ in NON_PUBLIC]
        + [c for c, _ in WIDE_RANGES]
        + PUBLIC
        + NON_PUBLIC_AND_WIDE
        + [c for c, _ in DOCUMENTATION]
    )
)
MIXED = ["10.0.0.0/8", "192.168.1.0/24", "2.0.0.0/7", "198.51.100.0/24", "8.8.8.0/24"]


@pytest.fixture(scope="module")
def messages() -> dict[str, list[tuple[str, str, str]]]:
    """Every warning case of this section as stacks of one App, synthesized once.

    Stack name -> its (level, path, message) entries; a policy case's stack is named
    after its CIDR's index (``Cidrs3``), and its paths read as in a stack ``Cidrs``.
    """
    app = cdk.App()
    for index, cidr in enumerate(POLICY_CIDRS):
        NotebookIpPolicy(cdk.Stack(app, f"Cidrs{index}"), "Policy", allowed_cidrs=[cidr])

    IpRestrictedNotebook(
        cdk.Stack(app, "Open"),
        "Access",
        allowed_cidrs=["0.0.0.0/0", "::/0"],
        allow_all_ips=True,
    )
    not_open = cdk.Stack(app, "NotOpen")
    NotebookIpPolicy(not_open, "Policy", allowed_cidrs=["203.0.113.0/24"], allow_all_ips=True)

    mixed = cdk.Stack(app, "Mixed")
    first = IpRestrictedNotebook(mixed, "First", allowed_cidrs=MIXED)
    IpRestrictedNotebook(mixed, "Second", allowed_cidrs=MIXED, api=first.api)
    shared = PresignedUrlApi(mixed, "Shared", vpc=first.vpc, allowed_cidrs=MIXED)
    IpRestrictedNotebook(mixed, "Third", allowed_cidrs=MIXED, api=shared)

    tokens = cdk.Stack(app, "Tokens")
    cidr = cdk.CfnParameter(tokens, "Cidr").value_as_string
    IpRestrictedNotebook(tokens, "Access", allowed_cidrs=[cidr])
    NotebookIpPolicy(tokens, "Policy", allowed_cidrs=[cidr, "10.0.0.0/8"])

    assembly = app.synth()
    found: dict[str, list[tuple[str, str, str]]] = {}
    for artifact in assembly.stacks:
        name = artifact.stack_name
        shown = "Cidrs" if name.startswith("Cidrs") else name
        found[name] = [
            (
                message.level.value.lower(),
                message.id.replace(f"/{name}", f"/{shown}", 1),
                str(message.entry.data),
            )
            for message in artifact.messages
        ]
    return found


def warnings(messages, stack: str) -> list[tuple[str, str]]:
    """(path, message) of every warning in ``stack``."""
    return [(path, data) for level, path, data in messages[stack] if level == "warning"]


def cidr_warnings(messages, stack: str) -> list[tuple[str, str, str]]:
    """(path, ack id, message) of every allow-list warning in ``stack``, sorted."""
    found = []
    for path, data in warnings(messages, stack):
        ack = ACK.search(data)
        if ack and ack.group(1) in (PRIVATE, WIDE, PLACEHOLDER):
            found.append((path, ack.group(1), data))
    return sorted(found)


def policy_warnings(messages, cidr: str) -> list[tuple[str, str, str]]:
    return cidr_warnings(messages, f"Cidrs{POLICY_CIDRS.index(cidr)}")


def test_the_warning_cases_are_read_from_the_synthesized_stacks(messages):
    # The level and path fields of the entries: a wrong reading would pass every
    # "no warning" case below.
    assert "warning" in {level for level, _, _ in messages["Mixed"]}
    assert ("/Cidrs/Policy", PRIVATE) in [
        (path, ack) for path, ack, _ in policy_warnings(messages, "10.0.0.0/8")
    ]


def test_allow_all_ips_accepts_an_open_list_and_warns_once(messages):
    open_warnings = [
        (path, data) for path, data in warnings(messages, "Open") if "admits every IP" in data
    ]
    # Once, on the construct the list was given to: not again on its API and its policy.
    assert [path for path, _ in open_warnings] == ["/Open/Access"]
    assert (
        "any network can call its API, open the URLs it mints and open the notebook from "
        "the console" in open_warnings[0][1]
    )


def test_a_closed_list_gives_no_open_warning(messages):
    assert not [data for _, data in warnings(messages, "NotOpen") if "every IP" in data]


@pytest.mark.parametrize(("cidr", "kind"), NON_PUBLIC)
def test_warns_on_a_range_no_caller_of_the_public_endpoint_comes_from(messages, cidr, kind):
    ((path, ack, message),) = policy_warnings(messages, cidr)
    assert (path, ack) == ("/Cidrs/Policy", PRIVATE)
    canonical = str(normalize_cidrs([cidr])[0])
    assert f"allowed_cidrs entry {canonical!r} (" in message
    assert kind in message
    assert "never matches a caller" in message
    assert "aws:SourceIp, which is the caller's public address" in message
    assert "List the public egress addresses" in message


@pytest.mark.parametrize(("cidr", "size"), WIDE_RANGES)
def test_warns_on_a_range_wider_than_ipv4_slash_8_or_ipv6_slash_32(messages, cidr, size):
    ((path, ack, message),) = policy_warnings(messages, cidr)
    assert (path, ack) == ("/Cidrs/Policy", WIDE)
    assert re.search(
        rf"^allowed_cidrs entry '{re.escape(cidr)}' \({re.escape(size)} addresses\) is wider "
        r"than an IPv4 /8 or an IPv6 /32.* List the narrower ranges .*"
        rf"\[ack: {WIDE}\]$",
        message,
    )


@pytest.mark.parametrize("cidr", PUBLIC)
def test_no_allow_list_warning_for_a_public_network(messages, cidr):
    assert policy_warnings(messages, cidr) == []


@pytest.mark.parametrize("cidr", NON_PUBLIC_AND_WIDE)
def test_a_range_no_caller_comes_from_is_not_also_called_wide(messages, cidr):
    assert [ack for _, ack, _ in policy_warnings(messages, cidr)] == [PRIVATE]


def test_an_open_allow_list_is_not_also_called_wide(messages):
    assert cidr_warnings(messages, "Open") == []


@pytest.mark.parametrize(("cidr", "shown"), DOCUMENTATION)
def test_the_library_warns_on_a_documentation_range_as_a_placeholder(messages, cidr, shown):
    # Python calls most documentation ranges private: they get this warning, not that one.
    ((path, ack, message),) = policy_warnings(messages, cidr)
    assert (path, ack) == ("/Cidrs", PLACEHOLDER)
    assert f"allowed_cidrs entry {shown} is in a documentation range (placeholder)" in message
    assert "Replace it with the public networks your callers connect from" in message


def test_each_construct_given_a_list_warns_once_and_the_placeholder_once_per_stack(messages):
    found = cidr_warnings(messages, "Mixed")
    # An IpRestrictedNotebook warns for the API and the policy it creates (not on them);
    # a PresignedUrlApi created on its own warns itself.
    assert [(path, ack) for path, ack, _ in found] == [
        ("/Mixed", PLACEHOLDER),
        ("/Mixed/First", PRIVATE),
        ("/Mixed/First", WIDE),
        ("/Mixed/Second", PRIVATE),
        ("/Mixed/Second", WIDE),
        ("/Mixed/Shared", PRIVATE),
        ("/Mixed/Shared", WIDE),
        ("/Mixed/Third", PRIVATE),
        ("/Mixed/Third", WIDE),
    ]
    private = next(message for _, ack, message in found if ack == PRIVATE)
    assert private.startswith(
        "allowed_cidrs entries '10.0.0.0/8' (private, RFC 1918), '192.168.1.0/24' (private, "
        "RFC 1918) never match a caller"
    )
    assert all("8.8.8.0/24" not in message for _, _, message in found)


def test_a_token_cidr_is_not_judged_and_breaks_no_warning(messages):
    assert [level for level, _, _ in messages["Tokens"] if level == "error"] == []
    ((path, ack, message),) = cidr_warnings(messages, "Tokens")
    assert (path, ack) == ("/Tokens/Policy", PRIVATE)
    assert message.startswith("allowed_cidrs entry '10.0.0.0/8' (private, RFC 1918) never")
    assert "Token" not in message


# ----------------------------------------------------------------- ranges and patterns


@pytest.fixture(scope="module")
def scope() -> cdk.Stack:
    return cdk.Stack(cdk.App(), "Props")


@pytest.fixture(scope="module")
def vpc(scope) -> ec2.IVpc:
    return ec2.Vpc.from_vpc_attributes(
        scope,
        "Vpc",
        vpc_id="vpc-12345678",
        availability_zones=["eu-west-1a"],
        isolated_subnet_ids=["subnet-12345678"],
    )


_ids = iter(range(10_000))


def notebook(scope, vpc, **props) -> NotebookInstance:
    return NotebookInstance(scope, f"Notebook{next(_ids)}", vpc=vpc, **props)


def api(scope, vpc, **props) -> PresignedUrlApi:
    return PresignedUrlApi(
        scope, f"Api{next(_ids)}", vpc=vpc, allowed_cidrs=["203.0.113.0/24"], **props
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("a" * 64, r"notebook_instance_name 'a{64}' is 64 characters; at most 63"),
        ("-leading", r"notebook_instance_name '-leading' is not allowed: use letters"),
        ("trailing-", r"'trailing-' is not allowed"),
        ("under_score", r"'under_score' is not allowed"),
        ("newline\n", r"'newline\\n' is not allowed"),
        ("", r"'' is not allowed"),
    ],
)
def test_fails_on_a_bad_notebook_name(scope, vpc, name, message):
    with pytest.raises(ValidationError, match=message):
        notebook(scope, vpc, notebook_instance_name=name)


@pytest.mark.parametrize("size", [4, 16385, 0, -5])
def test_fails_on_volume_size_out_of_range(scope, vpc, size):
    with pytest.raises(
        ValidationError,
        match=rf"volume_size_in_gb {size} GB is out of range: allowed 5\.\.16384 GB",
    ):
        notebook(scope, vpc, volume_size_in_gb=size)


@pytest.mark.parametrize("size", [5.5, True, "20"])
def test_fails_on_volume_size_that_is_not_a_whole_number(scope, vpc, size):
    with pytest.raises(ValidationError, match=r"volume_size_in_gb must be a whole number"):
        notebook(scope, vpc, volume_size_in_gb=size)


@pytest.mark.parametrize("instance_type", ["t3.medium", "ml.t3", "ML.T3.MEDIUM", "ml.t3.medium "])
def test_fails_on_an_instance_type_not_of_the_form_ml_family_size(scope, vpc, instance_type):
    with pytest.raises(
        ValidationError,
        match=r"instance_type .* is not a SageMaker notebook instance type: use the form "
        r"'ml\.<family>\.<size>'",
    ):
        notebook(scope, vpc, instance_type=instance_type)


@pytest.mark.parametrize(
    ("props", "message"),
    [
        (
            {"max_session_duration_seconds": 1799},
            r"max_session_duration_seconds 1799 seconds is out of range: allowed 1800\.\.43200",
        ),
        (
            {"max_session_duration_seconds": 43201},
            r"max_session_duration_seconds 43201 seconds is out of range",
        ),
        (
            {"default_session_duration_seconds": 1000},
            r"default_session_duration_seconds 1000 seconds is out of range: allowed 1800\.\.43200",
        ),
        (
            {"max_session_duration_seconds": 3600, "default_session_duration_seconds": 7200},
            r"default_session_duration_seconds 7200 seconds is out of range: allowed 1800\.\.3600",
        ),
    ],
)
def test_fails_on_session_duration_out_of_bounds(scope, vpc, props, message):
    with pytest.raises(ValidationError, match=message):
        api(scope, vpc, **props)


@pytest.mark.parametrize(
    ("rate", "message"),
    [
        (0, r"throttling_rate_limit must be a number above 0, got 0"),
        (-1, r"throttling_rate_limit must be a number above 0, got -1"),
        (float("nan"), r"throttling_rate_limit must be a number above 0, got nan"),
        (True, r"throttling_rate_limit must be a number above 0, got True"),
        (10001, r"throttling_rate_limit 10001 requests per second is out of range"),
    ],
)
def test_fails_on_throttling_rate_out_of_range(scope, vpc, rate, message):
    with pytest.raises(ValidationError, match=message):
        api(scope, vpc, throttling_rate_limit=rate)


@pytest.mark.parametrize("burst", [0, 5001])
def test_fails_on_throttling_burst_out_of_range(scope, vpc, burst):
    with pytest.raises(
        ValidationError,
        match=rf"throttling_burst_limit {burst} requests is out of range: allowed 1\.\.5000",
    ):
        api(scope, vpc, throttling_burst_limit=burst)


@pytest.mark.parametrize("limit", [9, 2_000_000_001])
def test_fails_on_waf_rate_limit_out_of_range(scope, vpc, limit):
    with pytest.raises(
        ValidationError,
        match=rf"rate_limit_per_5_minutes {limit} requests is out of range: allowed 10\.\.",
    ):
        api(scope, vpc, waf_rate_limit_per_5_minutes=limit)


@pytest.mark.parametrize("stage", ["", "v 1", "v1/", "x" * 129])
def test_fails_on_a_bad_stage_name(scope, vpc, stage):
    with pytest.raises(ValidationError, match=r"stage_name .* is not an API Gateway stage name"):
        api(scope, vpc, stage_name=stage)


def test_fails_on_zero_reserved_concurrency(scope, vpc):
    with pytest.raises(
        ValidationError, match=r"reserved_concurrent_executions 0 is out of range: allowed 1\.\."
    ):
        api(scope, vpc, reserved_concurrent_executions=0)


@pytest.mark.parametrize("prefix", ["", "team*", "-team"])
def test_fails_on_a_bad_notebook_name_prefix(scope, vpc, prefix):
    with pytest.raises(ValidationError, match=r"notebook_name_prefix"):
        api(scope, vpc, notebook_name_prefix=prefix)


def test_fails_on_a_bad_notebook_name_passed_to_the_api(scope, vpc):
    with pytest.raises(ValidationError, match=r"notebook 'bad_name' is not allowed"):
        api(scope, vpc, notebooks=["bad_name"])


# ----------------------------------------------------------------- tokens are not judged


def test_unresolved_tokens_pass_construction():
    stack = cdk.Stack(cdk.App(), "Tokens")
    vpc = ec2.Vpc.from_vpc_attributes(
        stack,
        "Vpc",
        vpc_id="vpc-12345678",
        availability_zones=["eu-west-1a"],
        isolated_subnet_ids=["subnet-12345678"],
    )

    def parameter(name: str, type_: str = "String") -> cdk.CfnParameter:
        return cdk.CfnParameter(stack, name, type=type_)

    built = NotebookInstance(
        stack,
        "Notebook",
        vpc=vpc,
        notebook_instance_name=parameter("Name").value_as_string,
        instance_type=parameter("InstanceType").value_as_string,
        volume_size_in_gb=parameter("VolumeSize", "Number").value_as_number,
    )
    PresignedUrlApi(
        stack,
        "Api",
        vpc=vpc,
        allowed_cidrs=[parameter("Cidr").value_as_string],
        notebooks=[built],
        max_session_duration_seconds=parameter("MaxSession", "Number").value_as_number,
        throttling_rate_limit=parameter("Rate", "Number").value_as_number,
        throttling_burst_limit=parameter("Burst", "Number").value_as_number,
        waf_rate_limit_per_5_minutes=parameter("WafRate", "Number").value_as_number,
        stage_name=parameter("Stage").value_as_string,
    )
    assert cdk.Token.is_unresolved(built.notebook_instance_name)


def test_validation_errors_name_the_construct_like_aws_cdks():
    # aws-cdk's ValidationError(msg, scope) appends where it happened; so do these, whether
    # the check ran before the construct existed (NotebookInstance) or after (the API).
    stack = cdk.Stack(cdk.App(), "Where", env=cdk.Environment(**TEST_ENV))
    vpc = make_vpc(stack, max_azs=1)
    with pytest.raises(ValidationError) as before:
        NotebookInstance(stack, "Nb", vpc=vpc, volume_size_in_gb=1)
    assert before.value.construct_path == "Where/Nb"
    assert str(before.value).endswith(" (at Where/Nb)")
    assert stack.node.try_find_child("Nb") is None
    api = PresignedUrlApi(stack, "Urls", vpc=vpc, allowed_cidrs=["8.8.8.0/24"])
    with pytest.raises(ValidationError) as after:
        api.grant_open(iam.AccountRootPrincipal(), "bad_name")
    assert str(after.value).startswith("notebook 'bad_name' is not allowed")
    assert str(after.value).endswith(" (at Where/Urls)")


# 56 names of 63 characters fill the function's environment (docs/fleet.md).
FULL_LIST = [f"n{i:02d}" + "x" * 60 for i in range(58)]


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"allowed_cidrs": []}, r"^allowed_cidrs"),
        ({"notebook_name_prefix": "team*"}, r"^notebook_name_prefix 'team\*'"),
        ({"max_session_duration_seconds": 60}, r"^max_session_duration_seconds 60 seconds"),
        ({"throttling_burst_limit": 0}, r"^throttling_burst_limit 0 requests"),
        ({"stage_name": "v 1"}, r"^stage_name"),
        ({"reserved_concurrent_executions": 0}, r"^reserved_concurrent_executions 0 "),
        ({"waf_rate_limit_per_5_minutes": 9}, r"^waf_rate_limit_per_5_minutes 9 requests"),
        ({"notebooks": ["ok", "bad_name"]}, r"^notebook 'bad_name' is not allowed"),
        ({"notebooks": ["ok", 7]}, r"^notebook must be a NotebookInstance .*got int"),
        ({"notebooks": ["alpha", "ALPHA"]}, r"^notebook 'ALPHA' is already served"),
        ({"notebooks": FULL_LIST}, r"^cannot serve notebook 'n56x+': the Lambda environment"),
        ({"vpc": "public"}, r"^vpc has no private or isolated subnet"),
    ],
)
def test_a_bad_api_prop_leaves_nothing_in_the_tree(props, message):
    # Like NotebookInstance: every prop (the notebooks too) is checked before the API
    # exists, so a refused one adds neither the API nor a stack-wide part of it.
    stack = cdk.Stack(cdk.App(), "Where", env=cdk.Environment(**TEST_ENV))
    vpc = make_vpc(stack, max_azs=1)
    if props.get("vpc") == "public":
        props = {"vpc": make_vpc(stack, "Public", subnet_type=ec2.SubnetType.PUBLIC, max_azs=1)}
    before = [child.node.id for child in stack.node.children]
    with pytest.raises(ValidationError, match=message) as error:
        PresignedUrlApi(stack, "Api", **{"vpc": vpc, "allowed_cidrs": ["8.8.8.0/24"], **props})
    assert error.value.construct_path == "Where/Api"
    assert [child.node.id for child in stack.node.children] == before


def test_notebooks_that_fit_are_all_served_and_one_more_is_refused_as_before():
    # The check before the API exists tries exactly what add_notebook then does.
    stack = cdk.Stack(cdk.App(), "Fits", env=cdk.Environment(**TEST_ENV))
    api = PresignedUrlApi(
        stack,
        "Api",
        vpc=make_vpc(stack, max_azs=1),
        allowed_cidrs=["8.8.8.0/24"],
        notebooks=FULL_LIST[:56],
    )
    assert api.notebook_names == FULL_LIST[:56]
    with pytest.raises(ValidationError, match=r"^cannot serve notebook 'n56x+'"):
        api.add_notebook(FULL_LIST[56])
    assert api.notebook_names == FULL_LIST[:56]


# ----------------------------------------------------------------- every range, both ends
# issue 18: session_minutes was documented 5..1440 and failed at synth above 60. The ranges
# below are not a list written here: recording_ranges collects what the validators check
# while each construct is built, and every construct that takes the prop is synthesized at
# both ends of each. BUILDERS only says how to build a construct with some props.

CIDRS = ["8.8.8.0/24"]
PACKAGE = Path(sagemaker_notebook_access.__file__).resolve().parent
NUMERIC_VALIDATORS = {"validate_int_range", "validate_positive_number"}
# The smallest value tried for a range open at 0 ("above 0").
ABOVE_ZERO = 0.01


def _api(stack: cdk.Stack, **props) -> PresignedUrlApi:
    return PresignedUrlApi(
        stack, "Api", vpc=make_vpc(stack), allowed_cidrs=CIDRS, notebooks=["nb"], **props
    )


def _web_acl(stack: cdk.Stack, **props) -> ApiWebAcl:
    rest = apigw.RestApi(stack, "Rest")
    rest.root.add_method("GET", apigw.MockIntegration())
    return ApiWebAcl(
        stack, "Acl", stage=rest.deployment_stage, encryption_key=kms.Key(stack, "Key"), **props
    )


def _notebook(stack: cdk.Stack, **props) -> NotebookInstance:
    return NotebookInstance(stack, "Nb", vpc=make_vpc(stack), **props)


# What takes the props (its keyword parameters) and how to build it with some of them.
BUILDERS: dict[str, tuple[Callable, Callable[..., object]]] = {
    "NotebookInstance": (NotebookInstance, _notebook),
    "IpRestrictedNotebook": (
        IpRestrictedNotebook,
        lambda stack, **props: IpRestrictedNotebook(stack, "Nb", allowed_cidrs=CIDRS, **props),
    ),
    "PresignedUrlApi": (PresignedUrlApi, _api),
    "NotebookPortal": (
        NotebookPortal,
        lambda stack, **props: NotebookPortal(
            stack, "Portal", api=_api(stack), domain_prefix="team", **props
        ),
    ),
    "ApiWebAcl": (ApiWebAcl, _web_acl),
    "PresignedUrlApi.add_alarms": (
        PresignedUrlApi.add_alarms,
        lambda stack, **props: _api(stack).add_alarms(sns.Topic(stack, "Topic"), **props),
    ),
    "NotebookInstance.add_alarms": (
        NotebookInstance.add_alarms,
        lambda stack, **props: _notebook(stack).add_alarms(sns.Topic(stack, "Topic"), **props),
    ),
}


def stack_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9-]", "-", text)


def keyword_props(target: Callable) -> set[str]:
    function = target.__init__ if isinstance(target, type) else target
    return {
        name
        for name, parameter in inspect.signature(function).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    }


@pytest.fixture(scope="module")
def checked_ranges() -> list[CheckedRange]:
    """Every range the validators check while each builder runs with its defaults."""
    with recording_ranges() as found:
        for name, (_, build) in BUILDERS.items():
            build(cdk.Stack(cdk.App(), stack_name(name)))
    return sorted(found.values(), key=lambda r: (r.file, r.line, r.prop))


def validator_calls() -> set[tuple[str, int]]:
    """Where the library calls a numeric validator: (file, line), read from its source."""
    calls = set()
    for path in PACKAGE.rglob("*.py"):  # every room of the package
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            function = node.func
            name = function.id if isinstance(function, ast.Name) else getattr(function, "attr", "")
            if name in NUMERIC_VALIDATORS:
                calls.add((str(path), node.lineno))
    return calls


def test_every_numeric_validator_in_the_library_is_exercised_by_a_builder(checked_ranges):
    # A new ranged prop on a construct no builder makes would otherwise go untested.
    recorded = {(str(Path(r.file).resolve()), r.line) for r in checked_ranges}
    calls = validator_calls()
    # Not vacuous: the scan finds the validators of the rooms (notebook, api, portal, ...).
    assert len({Path(file).parent.name for file, _ in calls}) >= 3, calls
    assert calls - recorded == set()


def test_every_checked_prop_is_taken_by_some_builder(checked_ranges):
    taken = set().union(*(keyword_props(target) for target, _ in BUILDERS.values()))
    assert {r.prop for r in checked_ranges} - taken == set()


def ends(checked: CheckedRange) -> dict[str, float]:
    low = ABOVE_ZERO if checked.minimum_exclusive else checked.minimum
    return (
        {"minimum": low}
        if checked.maximum is None
        else {"minimum": low, "maximum": checked.maximum}
    )


@pytest.mark.parametrize("end", ["minimum", "maximum"])
def test_every_checked_range_synthesizes_at_each_end_in_every_construct_that_takes_it(
    checked_ranges, end
):
    app = cdk.App()
    built = []
    for checked in checked_ranges:
        value = ends(checked).get(end)
        if value is None:
            continue
        for name, (target, build) in BUILDERS.items():
            if checked.prop not in keyword_props(target):
                continue
            stack = cdk.Stack(app, stack_name(f"{name}-{checked.prop}"))
            build(stack, **{checked.prop: value})
            built.append((name, checked.prop, value))
    assert built  # the test synthesized something
    app.synth()


@pytest.mark.parametrize("end", ["minimum", "maximum"])
def test_every_checked_range_refuses_the_value_just_outside_it(checked_ranges, end):
    for checked in checked_ranges:
        if end == "minimum":
            outside = 0 if checked.minimum_exclusive else checked.minimum - 1
        elif checked.maximum is None:
            continue
        else:
            outside = checked.maximum + 1
        build = next(
            build for target, build in BUILDERS.values() if checked.prop in keyword_props(target)
        )
        with pytest.raises(
            ValidationError, match=rf"^{checked.prop} (must be|{re.escape(str(outside))} )"
        ):
            build(cdk.Stack(cdk.App(), "Outside"), **{checked.prop: outside})


def documented_ranges(target: type) -> dict[str, tuple[int, int]]:
    """The ``a..b`` ranges a construct's docstring states for its numeric props."""
    found = {}
    annotations = inspect.signature(target.__init__).parameters
    for block in re.split(r"\n(?=:param )", inspect.getdoc(target) or ""):
        match = re.match(r":param (\w+):(.*)", block, flags=re.S)
        if not match or not re.search(r"\b(int|float)\b", str(annotations[match[1]].annotation)):
            continue
        stated = re.search(r"(\d[\d,]*)\.\.(\d[\d,]*)", match[2])
        if stated:
            found[match[1]] = tuple(int(end.replace(",", "")) for end in stated.groups())
    return found


PUBLIC_CONSTRUCTS = [
    "NotebookInstance",
    "IpRestrictedNotebook",
    "PresignedUrlApi",
    "NotebookPortal",
]


def test_documented_ranges_are_read_from_the_docstrings():
    assert documented_ranges(NotebookPortal)["session_minutes"] == (5, 1440)
    assert documented_ranges(PresignedUrlApi)["waf_rate_limit_per_5_minutes"] == (10, 2_000_000_000)


@pytest.mark.parametrize("name", PUBLIC_CONSTRUCTS)
def test_every_documented_range_synthesizes_at_both_ends_and_not_beyond(name):
    """The README's props tables are these docstrings: what they state must deploy."""
    target, build = BUILDERS[name]
    app = cdk.App()
    for prop, (low, high) in documented_ranges(target).items():
        for end, value in (("low", low), ("high", high)):
            build(cdk.Stack(app, stack_name(f"{prop}-{end}")), **{prop: value})
        for outside in (low - 1, high + 1):
            with pytest.raises(ValidationError, match=rf"(\w+) {outside} .*out of range") as error:
                build(cdk.Stack(cdk.App(), "Outside"), **{prop: outside})
            named = re.match(r"(\w+) ", str(error.value))[1]
            assert prop.endswith(named), (prop, str(error.value))
    app.synth()
