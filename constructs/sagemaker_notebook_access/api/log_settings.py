"""The settings every log group of a PresignedUrlApi shares: its key, retention, removal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from ..log_key import create_log_key


@dataclass(frozen=True)
class LogSettings:
    """One key, one retention and one removal policy for the function, access and
    execution log groups (the web ACL's takes them as props)."""

    encryption_key: kms.IKey
    retention: logs.RetentionDays
    removal_policy: RemovalPolicy

    @classmethod
    def create(
        cls,
        scope: Construct,
        encryption_key: kms.IKey | None,
        *,
        retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> LogSettings:
        """The settings, with ``encryption_key`` or a new key (``LogsKey``, rotation on)."""
        return cls(
            encryption_key
            or create_log_key(
                scope,
                "LogsKey",
                description=f"Encrypts the log groups of {scope.node.path}",
                removal_policy=removal_policy,
            ),
            retention,
            removal_policy,
        )

    def log_group(self, scope: Construct, id: str, **props: Any) -> logs.LogGroup:
        """A log group with these settings (``props``: e.g. its name)."""
        return logs.LogGroup(
            scope,
            id,
            **props,
            encryption_key=self.encryption_key,
            retention=self.retention,
            removal_policy=self.removal_policy,
        )
