"""The allow-list: ``normalize_cidrs`` turns ``allowed_cidrs`` into canonical CIDR strings
or refuses it; the networks the allow-list warnings judge entries against.

A CIDR given as a token is neither checked nor warned about (its value is only known at
deploy time).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from .validation import ValidationError, is_token

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
        network = parse_cidr(raw, prop=prop)
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


def parse_cidr(raw: object, *, prop: str) -> IPNetwork:
    """One allow-list entry as a network: a CIDR string with its prefix, no host bits."""
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
        return ipaddress.ip_network(text, strict=True)
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
