"""PresignedUrlApi's prop checks, run before the construct exists: a bad prop leaves
nothing in the tree. Each names the prop, the value and what is allowed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import aws_ec2 as ec2

from ..cidrs import normalize_cidrs
from ..limits import SESSION_DURATION_MAX_SECONDS, SESSION_DURATION_MIN_SECONDS
from ..network.subnets import private_subnet_selection
from ..notebook.serving import SERVING_ID_MAX_LENGTH, check_serving_id
from ..validation import (
    THROTTLING_BURST_MAX,
    THROTTLING_RATE_MAX,
    ValidationError,
    validate_int_range,
    validate_notebook_name,
    validate_positive_number,
    validate_stage_name,
)
from .function_environment import FunctionEnvironment
from .served_notebooks import NotebookRef, ServedNotebooks
from .waf import validate_rate_limit


@dataclass(frozen=True)
class CheckedProps:
    """What the checks derive from the props, for the construct to build with."""

    cidrs: list[str]
    """The allow-list, normalized (``normalize_cidrs``)."""
    subnets: ec2.SubnetSelection
    """``vpc_subnets``, else the VPC's private (or isolated) subnets."""
    environment: FunctionEnvironment
    """The function's environment as it starts, the REST API's id still to come."""
    served: ServedNotebooks
    """The served notebooks, none listed yet; ``notebooks`` are known to fit."""


def check_props(
    *,
    vpc: ec2.IVpc,
    vpc_subnets: ec2.SubnetSelection | None,
    allowed_cidrs: Sequence[str],
    allow_all_ips: bool,
    notebooks: Sequence[NotebookRef],
    notebook_name_prefix: str | None,
    allow_start: bool,
    max_session_duration_seconds: int,
    default_session_duration_seconds: int | None,
    throttling_rate_limit: float,
    throttling_burst_limit: int,
    stage_name: str,
    reserved_concurrent_executions: int | None,
    waf_rate_limit_per_5_minutes: int,
    serving_tag_value: str | None,
) -> CheckedProps:
    """Check every prop, in the order the construct used to meet them, the notebooks last
    (tried on a copy of what ``add_notebook`` records)."""
    cidrs = _checked_scalars(
        allowed_cidrs,
        allow_all_ips=allow_all_ips,
        notebook_name_prefix=notebook_name_prefix,
        max_session_duration_seconds=max_session_duration_seconds,
        default_session_duration_seconds=default_session_duration_seconds,
        throttling_rate_limit=throttling_rate_limit,
        throttling_burst_limit=throttling_burst_limit,
        stage_name=stage_name,
        reserved_concurrent_executions=reserved_concurrent_executions,
    )
    subnets = vpc_subnets or private_subnet_selection(vpc)
    validate_rate_limit(waf_rate_limit_per_5_minutes, prop="waf_rate_limit_per_5_minutes")
    if serving_tag_value is not None:
        check_serving_id(serving_tag_value)
    environment = FunctionEnvironment.for_api(
        notebook_name_prefix=notebook_name_prefix or "",
        allowed_cidrs=cidrs,
        allow_start=allow_start,
        max_session_duration_seconds=max_session_duration_seconds,
        default_session_duration_seconds=default_session_duration_seconds,
        serving_id_chars=(
            SERVING_ID_MAX_LENGTH if serving_tag_value is None else len(serving_tag_value)
        ),
    )
    served = ServedNotebooks(notebook_name_prefix or "", environment)
    served.try_admitting(notebooks)
    return CheckedProps(cidrs, subnets, environment, served)


def _checked_scalars(
    allowed_cidrs: Sequence[str],
    *,
    allow_all_ips: bool,
    notebook_name_prefix: str | None,
    max_session_duration_seconds: int,
    default_session_duration_seconds: int | None,
    throttling_rate_limit: float,
    throttling_burst_limit: int,
    stage_name: str,
    reserved_concurrent_executions: int | None,
) -> list[str]:
    cidrs = normalize_cidrs(allowed_cidrs, allow_all_ips=allow_all_ips)
    if notebook_name_prefix is not None:
        _check_prefix(notebook_name_prefix)
    validate_int_range(
        max_session_duration_seconds,
        prop="max_session_duration_seconds",
        minimum=SESSION_DURATION_MIN_SECONDS,
        maximum=SESSION_DURATION_MAX_SECONDS,
        unit="seconds",
    )
    validate_int_range(
        default_session_duration_seconds,
        prop="default_session_duration_seconds",
        minimum=SESSION_DURATION_MIN_SECONDS,
        maximum=max_session_duration_seconds,
        unit="seconds",
    )
    validate_positive_number(
        throttling_rate_limit,
        prop="throttling_rate_limit",
        maximum=THROTTLING_RATE_MAX,
        unit="requests per second",
    )
    validate_int_range(
        throttling_burst_limit,
        prop="throttling_burst_limit",
        minimum=1,
        maximum=THROTTLING_BURST_MAX,
        unit="requests",
    )
    validate_stage_name(stage_name)
    # 0 would be valid for Lambda and switch the API off; the account quota caps the top.
    validate_int_range(
        reserved_concurrent_executions,
        prop="reserved_concurrent_executions",
        minimum=1,
        maximum=1_000_000,
    )
    return cidrs


def _check_prefix(prefix: str) -> None:
    if prefix == "" or "*" in prefix:
        raise ValidationError(
            f"notebook_name_prefix {prefix!r} must be a non-empty "
            "start of a notebook name (letters, digits, hyphens), without wildcards"
        )
    validate_notebook_name(prefix.rstrip("-") or "x", prop="notebook_name_prefix")
