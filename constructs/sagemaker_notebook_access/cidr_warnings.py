"""The allow-list warnings: valid entries that are almost surely wrong (placeholders,
private or special ranges, very wide ranges) and open allow-lists. Acknowledgeable; tokens
are skipped.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from aws_cdk import Annotations, Stack
from constructs import IConstruct

from .cidrs import (
    DOCUMENTATION_NETWORKS,
    IPV4_MAPPED_NETWORK,
    OPEN_NETWORKS,
    RFC1918_NETWORKS,
    SHARED_ADDRESS_SPACE,
    UNIQUE_LOCAL_NETWORK,
    WIDE_PREFIX_BELOW,
    IPNetwork,
)
from .validation import is_token

PRIVATE_CIDRS_WARNING = "sagemaker-notebook-access:private-cidrs"
WIDE_CIDRS_WARNING = "sagemaker-notebook-access:wide-cidrs"
PLACEHOLDER_CIDRS_WARNING = "sagemaker-notebook-access:placeholder-cidrs"

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
    placeholder, private, wide = judge_cidrs(cidrs)
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


def judge_cidrs(cidrs: Sequence[str]) -> tuple[list[str], list[str], list[str]]:
    """The entries of ``cidrs`` (``normalize_cidrs``'s output) that are placeholders, not
    public, or wide, each described for the warning."""
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
    return placeholder, private, wide


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
