"""cfn-lint over every template the tests synthesize: no errors, no warnings, no exceptions.

Synthesized once (without the cdk-nag packs: cfn-lint reads only the templates).
"""

from __future__ import annotations

import pytest
from cfn_lint_problems import cfn_lint_problems
from compliance_stacks import CUSTOM_STACK, DEFAULT_STACK, DEMO_STACK, build_all, new_app

STACKS = (DEFAULT_STACK, CUSTOM_STACK, DEMO_STACK)


@pytest.fixture(scope="module")
def templates() -> dict[str, dict]:
    app = new_app()
    build_all(app)
    assembly = app.synth()
    return {name: assembly.get_stack_by_name(name).template for name in STACKS}


@pytest.mark.parametrize("stack", STACKS)
def test_template_has_no_cfn_lint_errors_or_warnings(templates, stack):
    assert cfn_lint_problems(templates[stack]) == []


def test_cfn_lint_does_report_a_broken_template():
    """The check can fail: a redundant DependsOn (W3005) and a bad property (E3002)."""
    template = {
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {"AssumeRolePolicyDocument": {"Statement": []}},
            },
            "Group": {
                "Type": "AWS::Logs::LogGroup",
                "DependsOn": ["Role"],
                "Properties": {"RetentionInDays": 365, "Tags": "not-a-list", "Name": "x"},
            },
        }
    }
    template["Resources"]["Group"]["Properties"]["DataProtectionPolicy"] = {
        "Fn::GetAtt": ["Role", "Arn"]
    }
    # Through the helper every lint test uses.
    ids = {problem.split()[0] for problem in cfn_lint_problems(template)}
    assert "W3005" in ids
    assert any(rule.startswith("E3") for rule in ids), ids
