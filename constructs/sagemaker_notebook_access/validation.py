"""Construction-time checks for props: fail early with the prop, the value and what is allowed.

Every check skips unresolved tokens (CloudFormation parameters, imported values):
their value is only known at deploy time. That includes the allow-list warnings
(``warn_if_open``, ``warn_about_cidrs``): a CIDR that is a token is neither
rejected nor warned about at synth, whatever it resolves to.
"""

from __future__ import annotations

import ipaddress
import math
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from aws_cdk import Annotations, Stack, Token
from constructs import IConstruct

from .limits import NOTEBOOK_NAME_MAX_LENGTH, is_notebook_name

VOLUME_SIZE_MIN_GB = 5
VOLUME_SIZE_MAX_GB = 16384
INSTANCE_TYPE_PATTERN = re.compile(r"ml\.[a-z0-9]+\.[a-z0-9]+")
# API Gateway stage names; 128 characters at most.
STAGE_NAME_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,128}")
# API Gateway's default account quotas: 10,000 requests per second, burst 5,000.
THROTTLING_RATE_MAX = 10000
THROTTLING_BURST_MAX = 5000

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

OPEN_NETWORKS = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))

# Documentation ranges (RFC 5737, RFC 3849, RFC 9637): never assigned to a real network, so an
# allow-list holding one is a placeholder (a copied example). Python calls most of them
# is_private; they are checked first so that they get the placeholder warning, not that one.
DOCUMENTATION_NETWORKS = tuple(
    ipaddress.ip_network(cidr)
    for cidr in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32", "3fff::/20")
)
RFC1918_NETWORKS = tuple(
    ipaddress.ip_network(cidr) for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)
SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")  # RFC 6598; not is_private
UNIQUE_LOCAL_NETWORK = ipaddress.ip_network("fc00::/7")  # RFC 4193
IPV4_MAPPED_NETWORK = ipaddress.ip_network("::ffff:0:0/96")
# The shortest prefix accepted without a "wide" warning: an IPv4 /8 (16.7 million addresses,
# a former class A) is the largest single block one organisation was ever assigned, and an
# IPv6 /32 is the standard minimum allocation to a whole ISP. Wider spans unrelated networks.
WIDE_PREFIX_BELOW = {4: 8, 6: 32}

PRIVATE_CIDRS_WARNING = "sagemaker-notebook-access:private-cidrs"
WIDE_CIDRS_WARNING = "sagemaker-notebook-access:wide-cidrs"
PLACEHOLDER_CIDRS_WARNING = "sagemaker-notebook-access:placeholder-cidrs"


class ValidationError(ValueError):
    """A prop has a value the construct cannot deploy safely.

    Like aws-cdk's own ``ValidationError(message, scope)``: given the construct (or its
    path, for a construct not created yet), the message ends with where it happened.
    """

    def __init__(self, message: str, scope: IConstruct | str | None = None) -> None:
        path = scope if isinstance(scope, str) or scope is None else scope.node.path
        self.construct_path: str | None = path
        super().__init__(message if path is None else f"{message} (at {path})")


@contextmanager
def validating(scope: IConstruct, id: str | None = None) -> Iterator[None]:
    """Give a ValidationError raised inside, by a check that has no scope, this one's path.

    With ``id``: the path of ``scope``'s child ``id``, for checks that run before that
    construct exists (so that a bad prop leaves nothing in the tree).
    """
    try:
        yield
    except ValidationError as error:
        if error.construct_path is not None:
            raise
        where = scope if id is None else f"{scope.node.path}/{id}"
        raise ValidationError(str(error), where) from None


def is_token(value: object) -> bool:
    return isinstance(value, str) and Token.is_unresolved(value)


def is_number_token(value: object) -> bool:
    # NaN and infinities never reach jsii: it cannot serialize them (the kernel dies).
    return isinstance(value, float) and math.isfinite(value) and Token.is_unresolved(value)


def validate_notebook_name(value: str | None, *, prop: str = "notebook_instance_name") -> None:
    if value is None or is_token(value):
        return
    if not isinstance(value, str):
        raise ValidationError(f"{prop} must be a string, got {type(value).__name__}")
    if len(value) > NOTEBOOK_NAME_MAX_LENGTH:
        raise ValidationError(
            f"{prop} {value!r} is {len(value)} characters; at most "
            f"{NOTEBOOK_NAME_MAX_LENGTH} are allowed"
        )
    if not is_notebook_name(value):
        raise ValidationError(
            f"{prop} {value!r} is not allowed: use letters, digits and single or repeated "
            "hyphens, starting and ending with a letter or digit"
        )


def normalize_cidrs(
    cidrs: Sequence[str] | str | None,
    *,
    prop: str = "allowed_cidrs",
    allow_all_ips: bool = False,
) -> list[str]:
    """Return the allow-list as canonical CIDR strings, or raise ValidationError.

    Rejects: an empty list, a bare string (a common slip for a one-item list),
    non-CIDR strings, host bits set (``10.0.0.1/24`` is ambiguous: the user meant
    either the host or the network), duplicates, and an open network
    (``0.0.0.0/0``, ``::/0``) unless ``allow_all_ips`` says it is deliberate.
    """
    if isinstance(cidrs, str):
        raise ValidationError(
            f"{prop} must be a list of CIDR strings, got the string {cidrs!r}; write [{cidrs!r}]"
        )
    if cidrs is None or len(list(cidrs)) == 0:
        raise ValidationError(
            f"{prop} must list at least one CIDR (for example ['203.0.113.0/24']); "
            "an empty allow-list would lock every caller out"
        )
    result: list[str] = []
    seen: dict[str, str] = {}
    for raw in cidrs:
        if is_token(raw):
            result.append(raw)
            continue
        if not isinstance(raw, str):
            raise ValidationError(
                f"{prop} entries must be CIDR strings, got {raw!r} ({type(raw).__name__})"
            )
        text = raw.strip()
        if "/" not in text:
            raise ValidationError(
                f"{prop} entry {raw!r} is not a CIDR: add the prefix length "
                "(for example '198.51.100.7/32' for one IPv4 host, '2001:db8::1/128' for IPv6)"
            )
        try:
            network = ipaddress.ip_network(text, strict=True)
        except ValueError as error:
            if "has host bits set" in str(error):
                loose = ipaddress.ip_network(text, strict=False)
                raise ValidationError(
                    f"{prop} entry {raw!r} has host bits set: write {str(loose)!r} for the "
                    f"network or '{text.split('/')[0]}/{loose.max_prefixlen}' for the host"
                ) from None
            raise ValidationError(
                f"{prop} entry {raw!r} is not an IPv4 or IPv6 CIDR "
                "(for example '203.0.113.0/24' or '2001:db8::/32')"
            ) from None
        if network in OPEN_NETWORKS and not allow_all_ips:
            raise ValidationError(
                f"{prop} entry {raw!r} allows every address; pass allow_all_ips=True "
                "if an open allow-list is deliberate"
            )
        canonical = str(network)
        if canonical in seen:
            raise ValidationError(
                f"{prop} lists {canonical!r} twice ({seen[canonical]!r} and {raw!r}); "
                "remove the duplicate"
            )
        seen[canonical] = raw
        result.append(canonical)
    return result


@dataclass(frozen=True)
class CheckedRange:
    """A numeric range a validator checked, and the call that asked it to (``recording_ranges``)."""

    prop: str
    minimum: float  # for validate_positive_number: 0, itself refused (minimum_exclusive)
    maximum: float | None
    unit: str
    minimum_exclusive: bool
    file: str  # where validate_int_range or validate_positive_number was called
    line: int


_range_recorders: list[dict[tuple[str, int, str], CheckedRange]] = []


@contextmanager
def recording_ranges() -> Iterator[dict[tuple[str, int, str], CheckedRange]]:
    """Collect every range the numeric validators check inside the block, by call site.

    The ranges are discoverable this way, not copied into a list: tests/test_validation.py
    builds each construct once, reads what its validators checked, and synthesizes every
    construct that takes the prop at both ends of the range.
    """
    found: dict[tuple[str, int, str], CheckedRange] = {}
    _range_recorders.append(found)
    try:
        yield found
    finally:
        _range_recorders.remove(found)


def _record_range(
    prop: str, minimum: float, maximum: float | None, unit: str, *, exclusive: bool = False
) -> None:
    if not _range_recorders:
        return
    caller = sys._getframe(2)  # the function that called the validator
    checked = CheckedRange(
        prop, minimum, maximum, unit, exclusive, caller.f_code.co_filename, caller.f_lineno
    )
    for found in _range_recorders:
        found[(checked.file, checked.line, prop)] = checked


def validate_int_range(
    value: int | float | None, *, prop: str, minimum: int, maximum: int, unit: str = ""
) -> None:
    _record_range(prop, minimum, maximum, unit)
    if value is None or is_number_token(value):
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{prop} must be a whole number, got {value!r}")
    if not minimum <= value <= maximum:
        suffix = f" {unit}" if unit else ""
        raise ValidationError(
            f"{prop} {value}{suffix} is out of range: allowed {minimum}..{maximum}{suffix}"
        )


def validate_positive_number(
    value: float | None, *, prop: str, maximum: float | None = None, unit: str = ""
) -> None:
    _record_range(prop, 0, maximum, unit, exclusive=True)
    if value is None or is_number_token(value):
        return
    # "not value > 0" also rejects NaN.
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValidationError(f"{prop} must be a number above 0, got {value!r}")
    if maximum is not None and not value <= maximum:
        suffix = f" {unit}" if unit else ""
        raise ValidationError(
            f"{prop} {value}{suffix} is out of range: allowed above 0 up to {maximum}{suffix}"
        )


def validate_stage_name(value: str, *, prop: str = "stage_name") -> None:
    _validate_pattern(
        value,
        STAGE_NAME_PATTERN,
        prop=prop,
        expected="an API Gateway stage name: use 1..128 letters, digits, hyphens or "
        "underscores, for example 'v1'",
    )


# Where warn_if_open records, on the construct, the allow-list it warned about.
_WARNED_ABOUT = "_sagemaker_notebook_access_warned_about_cidrs"


def warn_if_open(scope: IConstruct, cidrs: Sequence[str], *, what: str) -> None:
    """Warn (acknowledgeable) when ``cidrs`` holds 0.0.0.0/0 or ::/0: allowed, but never quietly.

    Also runs ``warn_about_cidrs``: every construct that takes ``allowed_cidrs`` calls
    this once, after ``normalize_cidrs``. Once per list: a construct inside one that already
    warned about the same list (IpRestrictedNotebook's API and IP policy) adds nothing.
    """
    if any(getattr(outer, _WARNED_ABOUT, None) == tuple(cidrs) for outer in scope.node.scopes):
        return
    setattr(scope, _WARNED_ABOUT, tuple(cidrs))
    open_entries = [
        c for c in cidrs if not is_token(c) and ipaddress.ip_network(c) in OPEN_NETWORKS
    ]
    if open_entries:
        Annotations.of(scope).add_warning_v2(
            "sagemaker-notebook-access:open-allow-list",
            f"allowed_cidrs {open_entries} admits every IP address (allow_all_ips=True): {what}",
        )
    warn_about_cidrs(scope, cidrs)


def warn_about_cidrs(scope: IConstruct, cidrs: Sequence[str]) -> None:
    """Warn (acknowledgeable) about allow-list entries that are valid but almost surely wrong.

    - ``sagemaker-notebook-access:placeholder-cidrs``: an entry inside a documentation range
      (``192.0.2.0/24``, ``198.51.100.0/24``, ``203.0.113.0/24``, ``2001:db8::/32``,
      ``3fff::/20``), a copied example. Added to the construct's stack, once per stack
      for the same entries (CDK drops an identical message), so acknowledge it on the
      stack or the app.
    - ``sagemaker-notebook-access:private-cidrs`` (on ``scope``): an entry no caller of a
      public endpoint can have: private (RFC 1918, RFC 4193), shared (RFC 6598), loopback,
      link-local, multicast, reserved or other special-purpose ranges. The REST API is
      regional (this library creates no private endpoint) and ``aws:SourceIp`` is the
      caller's public address, absent on requests through a VPC endpoint.
    - ``sagemaker-notebook-access:wide-cidrs`` (on ``scope``): an IPv4 prefix shorter than
      /8 or an IPv6 prefix shorter than /32; the open networks are ``warn_if_open``'s.

    A v4-mapped IPv6 network (``::ffff:0:0/96`` and within) is judged as the IPv4 network it
    maps, as the handler matches it. Tokens are skipped; ``cidrs`` is ``normalize_cidrs``'s output.
    """
    placeholder: list[str] = []
    private: list[str] = []
    wide: list[str] = []
    for cidr in cidrs:  # normalize_cidrs's output: canonical CIDR strings or tokens
        if is_token(cidr):
            continue
        given = ipaddress.ip_network(cidr)
        if given in OPEN_NETWORKS:
            continue
        network = _as_judged(given)
        # A v4-mapped network also shows the IPv4 network it is judged as.
        name = repr(str(given)) if network is given else f"{str(given)!r} (= {network})"
        documentation = _documentation_network(network)
        kind = _non_public_kind(network)
        if documentation is not None:
            placeholder.append(name if network == documentation else f"{name} (in {documentation})")
        elif kind is not None:
            private.append(f"{name} ({kind})")
        elif network.prefixlen < WIDE_PREFIX_BELOW[network.version]:
            wide.append(f"{name} (2^{network.max_prefixlen - network.prefixlen} addresses)")
    if placeholder:
        entries, are = _entries(placeholder)
        them = "it" if are == "is" else "them"
        Annotations.of(Stack.of(scope)).add_warning_v2(
            PLACEHOLDER_CIDRS_WARNING,
            f"allowed_cidrs {entries} {are} in a documentation range (placeholder): documentation "
            "ranges (RFC 5737, RFC 3849, RFC 9637) are only for examples and never assigned to "
            f"a real network, so no caller matches {them}. Replace {them} with the public "
            "networks your callers connect from.",
        )
    if private:
        entries, are = _entries(private)
        never_match = "never matches" if are == "is" else "never match"
        Annotations.of(scope).add_warning_v2(
            PRIVATE_CIDRS_WARNING,
            f"allowed_cidrs {entries} {never_match} a caller: API Gateway (this library's "
            "REST API is regional, a public endpoint; it creates no private one) and SageMaker "
            "check aws:SourceIp, which is the caller's public address after any NAT or proxy "
            "and is absent on a request through a VPC endpoint. List the public egress "
            "addresses of your callers' networks instead (NAT gateway, proxy, VPN or office IPs).",
        )
    if wide:
        entries, are = _entries(wide)
        Annotations.of(scope).add_warning_v2(
            WIDE_CIDRS_WARNING,
            f"allowed_cidrs {entries} {are} wider than an IPv4 /8 or an IPv6 /32, so "
            "many unrelated networks pass the IP restriction and only IAM stands in their way. "
            "List the narrower ranges your callers connect from, or acknowledge this warning "
            "if the width is deliberate.",
        )


def _as_judged(network: IPNetwork) -> IPNetwork:
    if (
        network.version == 6
        and network.prefixlen >= IPV4_MAPPED_NETWORK.prefixlen
        and network.subnet_of(IPV4_MAPPED_NETWORK)
    ):
        mapped = int(network.network_address) & 0xFFFFFFFF
        return ipaddress.IPv4Network((mapped, network.prefixlen - IPV4_MAPPED_NETWORK.prefixlen))
    return network


def _documentation_network(network: IPNetwork) -> IPNetwork | None:
    for documentation in DOCUMENTATION_NETWORKS:
        if documentation.version == network.version and network.subnet_of(documentation):
            return documentation
    return None


def _non_public_kind(network: IPNetwork) -> str | None:
    """Why no address in ``network`` is a caller's public address, or None if some may be."""
    if network.is_loopback:
        return "loopback"
    if network.is_link_local:
        return "link-local"
    if network.is_multicast:
        return "multicast"
    if network.version == 4:
        if network.subnet_of(SHARED_ADDRESS_SPACE):
            return "shared address space for carrier-grade NAT, RFC 6598"
        if any(network.subnet_of(private) for private in RFC1918_NETWORKS):
            return "private, RFC 1918"
    elif network.subnet_of(UNIQUE_LOCAL_NETWORK):
        return "unique local, RFC 4193"
    if network.is_private or network.is_reserved or network.is_unspecified:
        return "reserved or special-purpose, not routed on the internet"
    return None


def _entries(described: list[str]) -> tuple[str, str]:
    if len(described) == 1:
        return f"entry {described[0]}", "is"
    return f"entries {', '.join(described)}", "are"


def validate_instance_type(value: str, *, prop: str = "instance_type") -> None:
    _validate_pattern(
        value,
        INSTANCE_TYPE_PATTERN,
        prop=prop,
        expected="a SageMaker notebook instance type: use the form 'ml.<family>.<size>', "
        "for example 'ml.t3.medium'",
    )


def _validate_pattern(value: str, pattern: re.Pattern, *, prop: str, expected: str) -> None:
    if is_token(value):
        return
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ValidationError(f"{prop} {value!r} is not {expected}")
