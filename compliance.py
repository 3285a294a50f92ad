"""cdk-nag v3 packs the demo app (and the tests) run over everything they synthesize."""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import (
    AwsSolutionsChecks,
    HIPAASecurityChecks,
    NIST80053R5Checks,
    PCIDSS321Checks,
    ServerlessChecks,
)


def nag_packs(scope) -> list:
    return [
        AwsSolutionsChecks(scope),
        NIST80053R5Checks(scope),
        HIPAASecurityChecks(scope),
        PCIDSS321Checks(scope),
        ServerlessChecks(scope),
    ]


def register_nag_packs(app: cdk.App) -> None:
    cdk.Validations.of(app).add_plugins(*nag_packs(app))
