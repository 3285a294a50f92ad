"""AWS Control Tower's proactive controls over the library's templates.

CDK's policy-validation plugin cdk-validator-cfnguard runs cfn-guard with the Control
Tower rules it bundles. One App holds the four compliance stacks (defaults, non-defaults,
the demo, the portal), a stack with what they lack (alarms, a dashboard, the parts
composed by hand on a shared endpoint), and a throwaway stack that breaks the SageMaker
and S3 controls on purpose, so that a clean result cannot come from a plugin that
checked nothing. It is synthesized once; every test reads its validation report.
"""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from compliance_stacks import (
    CUSTOM_STACK,
    DEFAULT_STACK,
    DEMO_STACK,
    PORTAL_STACK,
    build_all,
    grants_only_for_aws_services,
    new_app,
)
from conftest import TEST_ENV

from compliance import (
    CONTROL_TOWER,
    DEMO_ACKNOWLEDGED_RULES,
    NO_FAIL_CONTEXT,
    acknowledged,
    exit_on_findings,
    synth_with_control_tower,
    unacknowledged,
)
from sagemaker_notebook_access import (
    IpRestrictedNotebook,
    NotebookInstance,
    PresignedUrlApi,
    PrivateVpc,
)
from sagemaker_notebook_access.acknowledgments import ACKNOWLEDGED_RULES, LAMBDA_PERMISSION_RULE

OPERATIONS_STACK = "Operations"
STACKS = (DEFAULT_STACK, CUSTOM_STACK, DEMO_STACK, PORTAL_STACK, OPERATIONS_STACK)
NON_COMPLIANT = "ControlTowerNonCompliant"
CIDRS = ["198.51.7.0/24"]

# Guard rule names (what an acknowledgment names) and the Control Tower ids they check.
NO_DIRECT_INTERNET = "sagemaker_notebook_no_direct_internet_access_check"  # CT.SAGEMAKER.PR.1
INSIDE_VPC = "sagemaker_notebook_instance_inside_vpc_check"  # CT.SAGEMAKER.PR.2
NO_ROOT = "sagemaker_notebook_instance_root_access_check"  # CT.SAGEMAKER.PR.3
KMS_GRANTS = "kms_create_grant_aws_service_check"  # CT.KMS.PR.3
LAMBDA_PERMISSION = "lambda_function_public_access_prohibited_check"  # CT.LAMBDA.PR.2
IAM_ADMIN = "iam_inline_policy_no_statements_with_admin_access_check"  # CT.IAM.PR.1
IAM_FULL_ACCESS = "iam_inline_policy_no_statements_with_full_access_check"  # CT.IAM.PR.5

# Findings the constructs were changed to clear (issue 18), not acknowledged: every key the
# library creates limits grants to AWS services (log_key.grants_only_for_aws_services), and
# the Lambda permissions API Gateway gets carry LAMBDA_PERMISSION_RULE's reason.
CLEARED_BY_A_CONSTRUCT_CHANGE = (KMS_GRANTS, LAMBDA_PERMISSION)


def add_operations_stack(app: cdk.App) -> None:
    """Alarms to an encrypted topic and a dashboard; NotebookInstance and PresignedUrlApi
    composed by hand, two APIs on one endpoint, a notebook that never stops itself."""
    stack = cdk.Stack(app, OPERATIONS_STACK, env=cdk.Environment(**TEST_ENV))
    team = IpRestrictedNotebook(stack, "Team", allowed_cidrs=CIDRS, notebook_instance_name="nb")
    key = kms.Key(stack, "AlarmKey", enable_key_rotation=True)
    grants_only_for_aws_services(key)
    topic = sns.Topic(stack, "Alarms", master_key=key, enforce_ssl=True)
    team.api.add_alarms(topic)
    team.notebook.add_alarms(topic, running_hours=8)
    team.api.add_dashboard(dashboard_name="team-notebooks", notebooks=[team.notebook])
    vpc = PrivateVpc(stack, "Vpc")
    first = NotebookInstance(stack, "First", vpc=vpc, notebook_instance_name="first-nb")
    second = NotebookInstance(stack, "Second", vpc=vpc, idle_timeout_minutes=None)
    api = PresignedUrlApi(stack, "ApiA", vpc=vpc, allowed_cidrs=CIDRS, notebooks=[first])
    PresignedUrlApi(
        stack, "ApiB", vpc=vpc, allowed_cidrs=CIDRS, endpoint=api.endpoint, notebooks=[second]
    )
    first.metric_running_minutes()
    api.metric_urls_minted()


def add_non_compliant_stack(app: cdk.App) -> None:
    """A notebook with internet, root and no VPC, an excused copy, a bucket without KMS and
    a key that lets anyone with kms:CreateGrant grant its use."""
    stack = cdk.Stack(app, NON_COMPLIANT)
    props = {
        "instance_type": "ml.t3.medium",
        "role_arn": "arn:aws:iam::123456789012:role/notebook",
        "direct_internet_access": "Enabled",
        "root_access": "Enabled",
    }
    sagemaker.CfnNotebookInstance(stack, "Open", **props)
    excused = sagemaker.CfnNotebookInstance(stack, "Excused", **props)
    cdk.Validations.of(excused).acknowledge(
        cdk.Acknowledgment(id=f"{CONTROL_TOWER}::{NO_DIRECT_INTERNET}", reason="negative test")
    )
    s3.CfnBucket(stack, "Plain")
    kms.Key(stack, "PlainKey", enable_key_rotation=True)


@pytest.fixture(scope="module")
def synthesized():
    app = new_app(**NO_FAIL_CONTEXT)
    build_all(app)
    add_operations_stack(app)
    add_non_compliant_stack(app)
    return synth_with_control_tower(app)


@pytest.fixture(scope="module")
def report(synthesized) -> dict:
    return synthesized[1]


def control_tower_findings(report: dict, path_prefix: str) -> list[tuple[str, str, str]]:
    """(rule, construct path, description) of each unacknowledged Control Tower finding."""
    return [
        (rule, path, description)
        for _, rule, path, description in unacknowledged(
            report, path_prefix=path_prefix, plugins=(CONTROL_TOWER,)
        )
    ]


# ----------------------------------------------------------------- the controls have teeth


def test_a_notebook_with_internet_root_and_no_vpc_fails_all_three_sagemaker_controls(report):
    rules = {rule for rule, _, _ in control_tower_findings(report, f"{NON_COMPLIANT}/Open")}
    assert {NO_DIRECT_INTERNET, INSIDE_VPC, NO_ROOT} <= rules, rules


def test_a_bucket_without_kms_encryption_or_logging_is_reported(report):
    descriptions = " ".join(d for _, _, d in control_tower_findings(report, f"{NON_COMPLIANT}/"))
    assert "[CT.S3.PR.10]" in descriptions
    assert "[CT.S3.PR.2]" in descriptions


def test_findings_are_errors_so_they_fail_a_synth(report):
    # The App here keeps going (NO_FAIL_CONTEXT); `cdk synth` stops on an error finding.
    severities = {
        violation["severity"]
        for plugin in report["pluginReports"]
        if plugin["pluginName"] == CONTROL_TOWER
        for violation in plugin["violations"]
    }
    assert severities == {"error"}


def test_exit_on_findings_fails_the_synth_the_report_would_pass(synthesized):
    assembly, report = synthesized
    (plugin,) = [p for p in report["pluginReports"] if p["pluginName"] == CONTROL_TOWER]
    assert plugin["suppressedViolations"] and plugin["violations"]
    # The plugin states no severity: after an acknowledgment CDK concludes "success" over
    # the errors left, and neither it nor the CDK CLI fails. app.py exits instead.
    assert plugin["conclusion"] == "success"
    with pytest.raises(SystemExit) as exited:
        exit_on_findings(assembly)
    assert exited.value.code == 1


def test_an_acknowledgment_covers_only_its_construct_and_rule(report):
    excused = {r for r, _, _ in control_tower_findings(report, f"{NON_COMPLIANT}/Excused")}
    assert NO_DIRECT_INTERNET not in excused
    assert {INSIDE_VPC, NO_ROOT} <= excused
    suppressed = acknowledged(report, f"{NON_COMPLIANT}/")
    assert [f["constructPath"] for f in suppressed[f"{CONTROL_TOWER}::{NO_DIRECT_INTERNET}"]] == [
        f"{NON_COMPLIANT}/Excused"
    ]


# ----------------------------------------------------------------- the library's stacks


@pytest.mark.parametrize("stack", STACKS)
def test_every_notebook_passes_the_sagemaker_controls(report, stack):
    rules = {rule for rule, _, _ in control_tower_findings(report, f"{stack}/")}
    assert not rules & {NO_DIRECT_INTERNET, INSIDE_VPC, NO_ROOT}


@pytest.mark.parametrize("stack", STACKS)
def test_no_unacknowledged_findings(report, stack):
    assert control_tower_findings(report, f"{stack}/") == []


@pytest.mark.parametrize("rule", CLEARED_BY_A_CONSTRUCT_CHANGE)
def test_what_a_construct_change_cleared_stays_cleared(report, rule):
    on_the_library = [
        (path, description)
        for stack in STACKS
        for found, path, description in control_tower_findings(report, f"{stack}/")
        if found == rule
    ]
    assert on_the_library == []


def test_keys_with_the_grant_statement_pass_ct_kms_pr_3(report):
    # The tests' own keys carry the statement proposed for the library's: it satisfies
    # the rule, so the construct change can be checked against a known-good form.
    keys = (
        f"{CUSTOM_STACK}/TeamKey/",
        f"{CUSTOM_STACK}/FlowLogsKey/",
        f"{OPERATIONS_STACK}/AlarmKey/",
    )
    found = control_tower_findings(report, "")
    assert [path for rule, path, _ in found if rule == KMS_GRANTS and path.startswith(keys)] == []
    # And a key without it is reported.
    plain = f"{NON_COMPLIANT}/PlainKey/"
    assert any(rule == KMS_GRANTS and path.startswith(plain) for rule, path, _ in found)


def test_the_demo_acknowledges_the_iam_rules_on_its_group_only(report):
    for rule in (IAM_ADMIN, IAM_FULL_ACCESS):
        suppressed = acknowledged(report, f"{DEMO_STACK}/")[f"{CONTROL_TOWER}::{rule}"]
        assert [(f["constructPath"], f["reason"]) for f in suppressed] == [
            (
                f"{DEMO_STACK}/NotebookUsers/Resource",
                DEMO_ACKNOWLEDGED_RULES[f"{CONTROL_TOWER}::{rule}"],
            )
        ]


@pytest.mark.parametrize("stack", STACKS)
def test_acknowledgments_carry_the_recorded_reason_where_they_apply(report, stack):
    recorded = {**ACKNOWLEDGED_RULES, **DEMO_ACKNOWLEDGED_RULES}
    for rule, suppressed in acknowledged(report, f"{stack}/").items():
        if not rule.startswith(f"{CONTROL_TOWER}::"):
            continue
        for finding in suppressed:
            assert finding["reason"] == recorded[rule]
            # Never on the stack or the app: on (or above) the resource that trips the rule.
            assert finding["acknowledgedAt"].startswith(f"{stack}/"), finding
            assert finding["constructPath"].startswith(finding["acknowledgedAt"]), finding


def test_registry_holds_the_control_tower_acknowledgments_with_reasons():
    # The library's: CT.LAMBDA.PR.2 on the API's permissions; the demo's: its group.
    assert {r for r in ACKNOWLEDGED_RULES if r.startswith(f"{CONTROL_TOWER}::")} == {
        LAMBDA_PERMISSION_RULE
    }
    assert {r for r in DEMO_ACKNOWLEDGED_RULES if r.startswith(f"{CONTROL_TOWER}::")} == {
        f"{CONTROL_TOWER}::{IAM_ADMIN}",
        f"{CONTROL_TOWER}::{IAM_FULL_ACCESS}",
    }
    assert f"{CONTROL_TOWER}::{LAMBDA_PERMISSION}" == LAMBDA_PERMISSION_RULE
