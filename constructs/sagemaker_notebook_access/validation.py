"""Construction-time checks for props: fail early with the prop, the value and what is allowed.

Every check skips unresolved tokens (CloudFormation parameters, imported values):
their value is only known at deploy time.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Sequence

from aws_cdk import Annotations, Token
from constructs import IConstruct

from .limits import NOTEBOOK_NAME_MAX_LENGTH, NOTEBOOK_NAME_PATTERN

VOLUME_SIZE_MIN_GB = 5
VOLUME_SIZE_MAX_GB = 16384
INSTANCE_TYPE_PATTERN = re.compile(r"ml\.[a-z0-9]+\.[a-z0-9]+")
# API Gateway stage names; 128 characters at most.
STAGE_NAME_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,128}")
# API Gateway's default account quotas: 10,000 requests per second, burst 5,000.
THROTTLING_RATE_MAX = 10000
THROTTLING_BURST_MAX = 5000

OPEN_NETWORKS = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))


class ValidationError(ValueError):
    """A prop has a value the construct cannot deploy safely."""


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
    if not NOTEBOOK_NAME_PATTERN.fullmatch(value):
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


def validate_int_range(
    value: int | float | None, *, prop: str, minimum: int, maximum: int, unit: str = ""
) -> None:
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


def warn_if_open(scope: IConstruct, cidrs: Sequence[str], *, what: str) -> None:
    """Warn (acknowledgeable) when ``cidrs`` holds 0.0.0.0/0 or ::/0: allowed, but never quietly."""
    open_entries = [
        c for c in cidrs if not is_token(c) and ipaddress.ip_network(c) in OPEN_NETWORKS
    ]
    if open_entries:
        Annotations.of(scope).add_warning_v2(
            "sagemaker-notebook-access:open-allow-list",
            f"allowed_cidrs {open_entries} admits every IP address (allow_all_ips=True): {what}",
        )


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
