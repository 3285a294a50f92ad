"""Construction-time checks for props: fail early with the prop, the value and what is allowed.

Every check skips unresolved tokens (CloudFormation parameters, imported values):
their value is only known at deploy time. That includes the allow-list (``cidrs``) and
its warnings (``cidr_warnings``): a CIDR that is a token is neither rejected nor warned
about at synth, whatever it resolves to.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from aws_cdk import Token
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

    The ranges are discoverable this way, not copied into a list: tests/package/test_validation.py
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


# Moved to cidrs and cidr_warnings; importable from here as before (loaded on first use,
# so this module does not import them back at load time).
_MOVED = {
    "normalize_cidrs": "cidrs",
    "OPEN_NETWORKS": "cidrs",
    "DOCUMENTATION_NETWORKS": "cidrs",
    "WIDE_PREFIX_BELOW": "cidrs",
    "warn_if_open": "cidr_warnings",
    "warn_about_cidrs": "cidr_warnings",
    "PRIVATE_CIDRS_WARNING": "cidr_warnings",
    "WIDE_CIDRS_WARNING": "cidr_warnings",
    "PLACEHOLDER_CIDRS_WARNING": "cidr_warnings",
}


def __getattr__(name: str) -> object:
    if name in _MOVED:
        import importlib

        return getattr(importlib.import_module(f".{_MOVED[name]}", __package__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
