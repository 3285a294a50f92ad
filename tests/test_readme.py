"""The README stays true: its props tables, its commands and its usage example."""

from __future__ import annotations

import re
import sys

import aws_cdk as cdk
from aws_cdk.assertions import Template
from conftest import REPO_ROOT, TEST_ENV

sys.path.insert(0, str(REPO_ROOT / "tools"))
import props_table

README = (REPO_ROOT / "README.md").read_text()


def test_props_tables_match_the_docstrings():
    assert props_table.readme_block(README) == props_table.render(), (
        "README props differ from the docstrings: run `python tools/props_table.py --write`"
    )


def test_every_prop_is_documented():
    assert "**undocumented**" not in props_table.render()


def test_the_two_commands_exist_and_ci_runs_the_test_command():
    assert "make synth" in README and "make test" in README
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert re.search(r"^synth:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M)


def test_the_usage_example_synthesizes():
    section = README.split("## Use it in your own stack", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "README usage example", "exec"), namespace)
    app = cdk.App()
    stack = namespace["AnalyticsStack"](app, "Readme", env=cdk.Environment(**TEST_ENV))
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::SageMaker::NotebookInstance", 1)
    template.has_output("ApiUrl", {})
