"""Every app under examples/ runs, synthesizes, and passes the five cdk-nag packs and cfn-lint.

Each example is loaded from its own ``app.py`` and built by the ``build(app, env)`` its
``__main__`` calls, in one App per example synthesized once.
"""

from __future__ import annotations

import importlib.util
import json
import re

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from cfn_lint_problems import cfn_lint_problems
from conftest import REPO_ROOT, TEST_ENV

from compliance import NO_FAIL_CONTEXT, findings, read_report, register_nag_packs

EXAMPLES_DIR = REPO_ROOT / "examples"
ALL_EXAMPLES = sorted(p.parent.name for p in EXAMPLES_DIR.glob("*/app.py"))
# The rollouts to many accounts (stages, a StackSet) are built and checked, the five packs,
# Control Tower and cfn-lint included, by tests/spoke/test_spoke_examples.py.
MULTI_ACCOUNT = {"spoke_stages", "organization_stackset"}
EXAMPLES = [name for name in ALL_EXAMPLES if name not in MULTI_ACCOUNT]
# What `cdk synth` with credentials looks up and caches in cdk.context.json.
AZ_CONTEXT = {
    f"availability-zones:account={TEST_ENV['account']}:region={TEST_ENV['region']}": [
        f"{TEST_ENV['region']}{zone}" for zone in "abc"
    ]
}
# An environment-specific stack names its AZs (CDK writes what it looked up): W3010 is
# what every `cdk init` app with an env gets, not something an example could avoid.
CFN_LINT_IGNORED = {"W3010"}


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES_DIR / name / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module", params=EXAMPLES)
def synthesized(request, tmp_path_factory) -> tuple[str, dict[str, dict], dict]:
    """(example, {stack name: template}, the five packs' report), one synth per example."""
    name = request.param
    app = cdk.App(
        context={**NO_FAIL_CONTEXT, **AZ_CONTEXT}, outdir=str(tmp_path_factory.mktemp(name))
    )
    # Before the first synth.
    register_nag_packs(app)
    stacks = load(name).build(app, cdk.Environment(**TEST_ENV))
    assembly = app.synth()
    templates = {s.stack_name: assembly.get_stack_by_name(s.stack_name).template for s in stacks}
    return name, templates, read_report(assembly.directory)


def test_the_four_scenarios_are_there():
    assert {"bring_your_own_network", "team_notebooks", "browser_sign_in", "operations"} <= set(
        EXAMPLES
    )


def test_the_multi_account_examples_are_there_and_tested_elsewhere():
    assert set(ALL_EXAMPLES) >= MULTI_ACCOUNT
    checked = (REPO_ROOT / "tests" / "spoke" / "test_spoke_examples.py").read_text()
    assert all(name in checked for name in MULTI_ACCOUNT)


@pytest.mark.parametrize("name", ALL_EXAMPLES)
def test_cdk_json_runs_the_app(name):
    config = json.loads((EXAMPLES_DIR / name / "cdk.json").read_text())
    assert config["app"] == "python3 app.py"
    assert '__name__ == "__main__"' in (EXAMPLES_DIR / name / "app.py").read_text()


def test_each_example_deploys_a_notebook_and_outputs_the_api_url(synthesized):
    name, templates, _ = synthesized
    assert templates, name
    for stack, template in templates.items():
        assert Template.from_json(template).find_resources("AWS::SageMaker::NotebookInstance"), (
            stack
        )
        # `notebook-url --stack-name` reads this output.
        assert "ApiUrl" in template.get("Outputs", {}), stack


def test_each_example_passes_the_five_packs(synthesized):
    # What a user copies must be as clean as the demo: no unacknowledged error or warning.
    name, templates, report = synthesized
    assert report["pluginReports"], f"{name}: the packs wrote no report"
    for stack in templates:
        assert findings(report, path_prefix=f"{stack}/") == [], (name, stack)


def test_each_example_is_cfn_lint_clean(synthesized):
    name, templates, _ = synthesized
    for stack, template in templates.items():
        assert cfn_lint_problems(template, ignored=CFN_LINT_IGNORED) == [], (name, stack)


def test_the_team_example_serves_one_notebook_a_person():
    app = cdk.App(context={"users": "ana,ben,cy"})
    (stack,) = load("team_notebooks").build(app)
    Template.from_stack(stack).resource_count_is("AWS::SageMaker::NotebookInstance", 3)


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_docs_link_each_example(name):
    pages = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
    text = "\n".join(p.read_text() for p in pages)
    assert re.search(rf"\]\((\.\./)?examples/{name}/(app\.py)?\)", text), name
