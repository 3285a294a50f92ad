"""The README and its docs pages stay true: the props tables (docs/props.md), the two
commands, the costs (docs/costs.md) and the README's smallest example. The scenarios
live in examples/ (tests/package/test_examples.py)."""

from __future__ import annotations

import re
import sys

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from conftest import REPO_ROOT, TEST_ENV

from compliance import NO_FAIL_CONTEXT, findings, read_report, register_nag_packs

sys.path.insert(0, str(REPO_ROOT / "tools"))
import props_table

README = (REPO_ROOT / "README.md").read_text()
DOCS = REPO_ROOT / "docs"
PROPS_PAGE = (DOCS / "props.md").read_text()
CONTRIBUTING = (DOCS / "contributing.md").read_text()
# The README is the front door: short, and the rest in docs/ (issue 20).
README_MAX_BYTES = 15_500


def test_props_tables_match_the_docstrings():
    assert props_table.page_block(PROPS_PAGE) == props_table.render(), (
        "docs/props.md differs from the docstrings: run `python tools/props_table.py --write`"
    )


def test_every_prop_is_documented():
    assert "**undocumented**" not in props_table.render()


def test_the_two_commands_exist_and_ci_runs_the_test_command():
    for text in (README, CONTRIBUTING):
        assert "make synth" in text and "make test" in text
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert re.search(r"^synth:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M)


# docs/costs.md, the README's former "Costs" section.
COSTS = (DOCS / "costs.md").read_text()


def cost_cells(label: str) -> tuple[str, str, str]:
    """The count, price and per-month cells of the cost table's row for ``label``."""
    rows = [line for line in COSTS.splitlines() if line.startswith(f"| {label}")]
    assert len(rows) == 1, f"cost table has no single row for {label!r}"
    count, price, month = (cell.strip() for cell in rows[0].split("|")[2:5])
    return count, price, month


def cost_row(label: str) -> str:
    return cost_cells(label)[0]


def dollars(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"\$(\d+(?:\.\d+)?)", text)]


def leading_ints(text: str) -> list[int]:
    """The whole numbers of a count cell ("2 endpoints, 2 AZs" -> [2, 2])."""
    return [int(x) for x in re.findall(r"(?<![.\d])(\d+)(?![.\d])", text)]


# AWS pricing's month: 24 hours x 365 days / 12.
HOURS_PER_MONTH = 730


def test_cost_table_counts_match_the_demo_template(demo_stacks):
    template = Template.from_stack(demo_stacks["real"]).to_json()["Resources"]

    def count(type_: str, **props) -> int:
        return sum(
            1
            for r in template.values()
            if r["Type"] == type_ and all(r["Properties"].get(k) == v for k, v in props.items())
        )

    assert cost_row("notebook instance").startswith(str(count("AWS::SageMaker::NotebookInstance")))
    assert cost_row("SageMaker API and CloudWatch Logs interface endpoints").startswith(
        f"{count('AWS::EC2::VPCEndpoint', VpcEndpointType='Interface')} endpoints"
    )
    assert cost_row("S3 gateway endpoint") == str(
        count("AWS::EC2::VPCEndpoint", VpcEndpointType="Gateway")
    )
    assert cost_row("KMS keys").startswith(str(count("AWS::KMS::Key")))
    (acl,) = [r for r in template.values() if r["Type"] == "AWS::WAFv2::WebACL"]
    assert cost_row("WAF web ACL").startswith(f"1 ACL, {len(acl['Properties']['Rules'])} rules")
    assert cost_row("CloudWatch Logs").startswith(f"{count('AWS::Logs::LogGroup')} groups")
    assert count("AWS::EC2::NatGateway") == 0


@pytest.fixture(scope="module")
def readme_synth() -> tuple[dict[str, Template], dict]:
    """Every Python block of the README (the smallest example), run; every Stack class it
    defines, in one App. Returns each stack's template and the five packs' report."""
    blocks = re.findall(r"```python\n(.*?)```", README, re.S)
    assert len(blocks) >= 1
    app = cdk.App(context=NO_FAIL_CONTEXT)
    # Before the first synth (Template.from_stack synthesizes the app, once).
    register_nag_packs(app)
    stacks = {}
    for index, code in enumerate(blocks):
        namespace: dict = {}
        exec(compile(code, f"README python block {index}", "exec"), namespace)
        for name, value in namespace.items():
            if isinstance(value, type) and issubclass(value, cdk.Stack) and value is not cdk.Stack:
                stacks[name] = value(app, name, env=cdk.Environment(**TEST_ENV))
    templates = {name: Template.from_stack(stack) for name, stack in stacks.items()}
    # The five packs the README advertises, over its example (one synth of the app).
    report = read_report(app.synth().directory)
    return templates, report


@pytest.fixture(scope="module")
def readme_stacks(readme_synth) -> dict[str, Template]:
    templates, _ = readme_synth
    return templates


def test_every_python_example_runs_and_its_stacks_synthesize(readme_stacks):
    assert {"AnalyticsStack"} <= set(readme_stacks)
    for name, template in readme_stacks.items():
        assert template.find_resources("AWS::SageMaker::NotebookInstance"), name


def test_every_readme_example_passes_the_five_packs(readme_synth):
    # What a user copies must be as clean as the demo: no unacknowledged error or warning.
    templates, report = readme_synth
    assert report, "the packs wrote no report"
    for name in templates:
        assert findings(report, path_prefix=f"{name}/") == [], name


def test_the_smallest_usage_example_outputs_the_api_url(readme_stacks):
    template = readme_stacks["AnalyticsStack"]
    template.resource_count_is("AWS::SageMaker::NotebookInstance", 1)
    template.has_output("ApiUrl", {})


def test_each_cost_row_is_its_count_times_its_price():
    """Every per-month figure recomputed from its own row's count and price cells."""
    count, price, month = cost_cells("notebook instance")
    (instances,), (hourly,) = leading_ints(count), dollars(price)
    hours, days = map(int, re.search(r"(\d+) h \u00d7 (\d+) days", month).groups())
    assert dollars(month) == [
        round(instances * hourly * HOURS_PER_MONTH, 2),
        round(instances * hourly * hours * days, 2),
    ]

    count, price, month = cost_cells("notebook ML storage")
    (gb,), (per_gb_month,) = leading_ints(count), dollars(price)
    assert dollars(month) == [round(gb * per_gb_month, 2)]

    count, price, month = cost_cells("SageMaker API and CloudWatch Logs interface endpoints")
    endpoints, zones = leading_ints(count)
    per_az_hour, _per_gb = dollars(price)
    assert dollars(month) == [round(endpoints * zones * per_az_hour * HOURS_PER_MONTH, 2)]

    count, price, month = cost_cells("S3 gateway endpoint")
    assert (price, dollars(month)) == ("free", [0])

    count, price, month = cost_cells("KMS keys")
    (keys,), (per_key, _per_10k_requests) = leading_ints(count), dollars(price)
    assert dollars(month) == [keys * per_key]

    count, price, month = cost_cells("WAF web ACL")
    acls, rules, managed, rate = leading_ints(count)
    assert rules == managed + rate
    per_acl, per_rule, _per_million = dollars(price)
    assert dollars(month) == [acls * per_acl + rules * per_rule]


def test_the_per_notebook_hour_figure_is_the_instance_price():
    (hourly,) = dollars(cost_cells("notebook instance")[1])
    assert f"plus **${hourly:.2f} per notebook\nhour**" in COSTS


def test_the_fixed_monthly_cost_is_the_sum_of_the_fixed_rows():
    fixed = [
        float(match.group(1))
        for line in COSTS.splitlines()
        if line.startswith("| ")
        and (match := re.fullmatch(r"\$(\d+(?:\.\d+)?)", line.split("|")[4].strip()))
    ]
    assert len(fixed) == 5  # storage, interface endpoints, S3 endpoint, keys, WAF
    stated = re.search(r"about \*\*\$(\d+) a month fixed\*\*", COSTS)
    assert stated and int(stated.group(1)) == round(sum(fixed))


def test_the_readme_is_a_front_door():
    size = len(README.encode())
    assert size <= README_MAX_BYTES, f"README is {size} bytes: move detail into docs/"


def test_every_relative_link_of_the_readme_and_docs_resolves():
    pages = [REPO_ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
    broken = []
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(REPO_ROOT)}: {target}")
    assert broken == []
