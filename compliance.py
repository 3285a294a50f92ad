"""The validation plugins the demo app (and the tests) run over everything they synthesize.

The five cdk-nag v3 packs, and AWS Control Tower's proactive controls through CDK's
cfn-guard plugin (cdk-validator-cfnguard). Both are CDK validation plugins: at synthesis
CDK runs them, drops the findings acknowledged with
``Validations.of(construct).acknowledge(...)`` (they move to ``suppressedViolations``)
and writes ``validation-report.json`` into the cloud assembly. Errors fail the
synthesis; warnings do not, so tests read the report.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import cx_api
from constructs import IConstruct

from sagemaker_notebook_access.acknowledgments import ACKNOWLEDGED_RULES, CONTROL_TOWER_PLUGIN

# Plugin names as they appear in the validation report (and as acknowledgment prefixes).
PACK_NAMES = ("AwsSolutions", "NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321", "Serverless")
# cdk-validator-cfnguard's name; its rule names are the guard rules' own (e.g.
# kms_create_grant_aws_service_check), the Control Tower id ([CT.KMS.PR.3]) opens the
# finding's description.
CONTROL_TOWER = CONTROL_TOWER_PLUGIN
REPORT_FILE = "validation-report.json"

# What the demo app itself acknowledges; the library's own list is ACKNOWLEDGED_RULES.
_EMPTY_GROUP = (
    "the demo's NotebookUsers group is created empty on purpose: people are added to it by "
    "the account's identity process after deployment (the stack outputs its name), and "
    "CloudFormation-managed IAM users would be long-lived credentials"
)
_GROUP_WITHOUT_PROPERTIES = (
    "the NotebookUsers group has no inline policy at all (its one grant is the "
    "customer-managed policy grant_open writes, which CT.IAM.PR.1/5 also check and pass): "
    "CDK writes the group with no Properties, and the guard rule reads Properties.Policies "
    "and fails when Properties is missing instead of skipping the group as its own "
    "scenario 4 (no Policies) says"
)
DEMO_ACKNOWLEDGED_RULES: dict[str, str] = {
    "HIPAA.Security::HIPAA.Security-IAMGroupHasUsers": _EMPTY_GROUP,
    "PCI.DSS.321::PCI.DSS.321-IAMGroupHasUsers": _EMPTY_GROUP,
    # CT.IAM.PR.1, CT.IAM.PR.5
    f"{CONTROL_TOWER}::iam_inline_policy_no_statements_with_admin_access_check": (
        _GROUP_WITHOUT_PROPERTIES
    ),
    f"{CONTROL_TOWER}::iam_inline_policy_no_statements_with_full_access_check": (
        _GROUP_WITHOUT_PROPERTIES
    ),
}
ALL_ACKNOWLEDGED_RULES: dict[str, str] = {**ACKNOWLEDGED_RULES, **DEMO_ACKNOWLEDGED_RULES}


def nag_packs(scope: IConstruct) -> list:
    # Imported here: the acknowledgments below must work where cdk-nag is not installed.
    from cdk_nag import (
        AwsSolutionsChecks,
        HIPAASecurityChecks,
        NIST80053R5Checks,
        PCIDSS321Checks,
        ServerlessChecks,
    )

    return [
        AwsSolutionsChecks(scope),
        NIST80053R5Checks(scope),
        HIPAASecurityChecks(scope),
        PCIDSS321Checks(scope),
        ServerlessChecks(scope),
    ]


def register_nag_packs(app: cdk.Stage) -> None:
    cdk.Validations.of(app).add_plugins(*nag_packs(app))


def control_tower_plugin():
    """cdk-validator-cfnguard with every Control Tower proactive control it bundles.

    None is disabled (``disabled_rules`` would switch a rule off for every resource of
    the app): exceptions are acknowledged on the construct that trips them.
    """
    try:
        from cdklabs.cdk_validator_cfnguard import CfnGuardValidator
    except ImportError:
        raise SystemExit(
            "the Control Tower check needs cdklabs-cdk-validator-cfnguard: "
            "pip install -r requirements-dev.txt (make test installs it)"
        ) from None
    return CfnGuardValidator(control_tower_rules_enabled=True)


def register_control_tower(app: cdk.Stage) -> None:
    """Add the Control Tower controls; after ``app.synth()``, call ``exit_on_findings``."""
    cdk.Validations.of(app).add_plugins(control_tower_plugin())


def acknowledge_demo(scope: IConstruct, *rule_ids: str) -> None:
    """Acknowledge demo-app rules on ``scope`` with the reasons in DEMO_ACKNOWLEDGED_RULES."""
    cdk.Validations.of(scope).acknowledge(
        *(cdk.Acknowledgment(id=rule, reason=DEMO_ACKNOWLEDGED_RULES[rule]) for rule in rule_ids)
    )


# ----------------------------------------------------------------- reading the report


def synth_with_packs(app: cdk.App) -> tuple[cx_api.CloudAssembly, dict]:
    """Register the five packs on ``app``, synthesize it, return the assembly and the report.

    Create the app with ``NO_FAIL_CONTEXT`` so that error findings land in the report
    instead of raising at the first one.
    """
    register_nag_packs(app)
    assembly = app.synth()
    return assembly, read_report(assembly.directory)


def synth_with_control_tower(app: cdk.App) -> tuple[cx_api.CloudAssembly, dict]:
    """As synth_with_packs, with the Control Tower proactive controls instead of the packs."""
    register_control_tower(app)
    assembly = app.synth()
    return assembly, read_report(assembly.directory)


# Keeps error findings from aborting synthesis; the report still holds them.
NO_FAIL_CONTEXT = {"@aws-cdk/core:failSynthOnValidationErrors": False}


def read_report(assembly_dir: str | Path) -> dict:
    path = Path(assembly_dir) / REPORT_FILE
    if not path.is_file():
        # CDK writes no report when no plugin has anything to say.
        return {"pluginReports": []}
    return json.loads(path.read_text())


def unacknowledged(
    report: dict,
    severities: tuple[str, ...] = ("error", "warning"),
    path_prefix: str = "",
    plugins: tuple[str, ...] = PACK_NAMES,
) -> list[tuple[str, str, str, str]]:
    """(severity, rule, construct path, description) of each unacknowledged finding of
    ``plugins`` at ``severities`` under ``path_prefix``.

    A finding without a resource (empty path) is under every prefix, so it is never
    missed, but for one case: cdk-validator-cfnguard adds such an entry beside the
    resources that fail a check comparing with a literal (CT.KMS.PR.3's Effect ==
    "Deny"; it keys entries by the compared path, the literal's being empty). Where the
    rule failed on a resource (reported or acknowledged), that entry is dropped.
    """
    selected = [p for p in report.get("pluginReports", []) if p["pluginName"] in plugins]
    attributed = {
        (plugin["pluginName"], violation["ruleName"])
        for plugin in selected
        for violation in plugin.get("violations", []) + (plugin.get("suppressedViolations") or [])
        if any(c.get("constructPath") for c in violation.get("violatingConstructs", []))
    }
    found = []
    for plugin in selected:
        for violation in plugin.get("violations", []):
            if violation.get("severity") not in severities:
                continue
            rule = violation["ruleName"]
            for construct in violation.get("violatingConstructs", []):
                path = construct.get("constructPath") or ""
                if path:
                    if not path.startswith(path_prefix):
                        continue
                elif (plugin["pluginName"], rule) in attributed:
                    continue
                found.append((violation["severity"], rule, path, violation.get("description", "")))
    return sorted(found)


def findings(
    report: dict,
    severities: tuple[str, ...] = ("error", "warning"),
    path_prefix: str = "",
    plugins: tuple[str, ...] = PACK_NAMES,
) -> list[str]:
    """The unacknowledged findings (``unacknowledged``), a line each."""
    return [
        f"{severity} {rule} at {path or '(no resource)'}: {description}"
        for severity, rule, path, description in unacknowledged(
            report, severities, path_prefix, plugins
        )
    ]


def exit_on_findings(
    assembly: cx_api.CloudAssembly, plugins: tuple[str, ...] = (CONTROL_TOWER,)
) -> None:
    """Exit 1 when ``plugins`` left an unacknowledged error in the assembly's report.

    CDK (or the CDK CLI, which reads the report's conclusion) fails a synth on an error
    finding, but cdk-validator-cfnguard 0.0.62 states no severity, and once any of its
    findings is acknowledged CDK recomputes the plugin's conclusion from stated
    severities only: it says success, and every other finding passes.
    """
    errors = findings(read_report(assembly.directory), severities=("error",), plugins=plugins)
    if errors:
        print(
            f"{len(errors)} unacknowledged error finding(s) of {', '.join(plugins)} "
            f"({REPORT_FILE} in the cloud assembly):",
            *errors,
            sep="\n",
            file=sys.stderr,
        )
        raise SystemExit(1)


def acknowledged(report: dict, path_prefix: str = "") -> dict[str, list[dict]]:
    """Acknowledged rule id -> the findings it suppressed under ``path_prefix``.

    Each finding: ``constructPath``, ``acknowledgedAt`` (where acknowledge() was called)
    and ``reason``.
    """
    result: dict[str, list[dict]] = {}
    for plugin in report.get("pluginReports", []):
        for violation in plugin.get("suppressedViolations") or []:
            for construct in violation.get("violatingConstructs", []):
                path = construct.get("constructPath") or ""
                if path.startswith(path_prefix):
                    result.setdefault(violation["acknowledgedId"], []).append(
                        {
                            "constructPath": path,
                            "acknowledgedAt": violation.get("acknowledgedAt"),
                            "reason": violation.get("reason"),
                        }
                    )
    return result
