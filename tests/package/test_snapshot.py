"""The full template of one stack of every construct, compared with a committed snapshot.

A refactor must not change construct paths or logical ids (a changed logical id replaces
the resource on deploy), and every intended template change shows up as a snapshot diff in
review. Asset hashes (the handler's code) are masked: the handler changes on its own. The
masking and the diff summary are integ/snapshot.py's, so both snapshot checks read alike.

Update after an intended change: ``UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest
tests/package/test_snapshot.py`` and commit tests/snapshots/.
"""

from __future__ import annotations

import os
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template
from conftest import TEST_ENV
from vpcs import make_vpc

from integ.snapshot import changes, masked
from sagemaker_notebook_access import IpRestrictedNotebook, NotebookInstance, PresignedUrlApi

SNAPSHOTS = Path(__file__).resolve().parent.parent / "snapshots"


def stacks() -> dict[str, cdk.Stack]:
    app = cdk.App()
    env = cdk.Environment(**TEST_ENV)
    restricted = cdk.Stack(app, "Restricted", env=env)
    access = IpRestrictedNotebook(
        restricted, "Notebook", allowed_cidrs=["8.8.8.0/24"], allow_start=True
    )
    access.grant_open(iam.Role(restricted, "Reader", assumed_by=iam.AccountRootPrincipal()))

    shared = cdk.Stack(app, "SharedApi", env=env)
    vpc = make_vpc(shared)
    api = PresignedUrlApi(
        shared,
        "Urls",
        vpc=vpc,
        allowed_cidrs=["8.8.8.0/24", "2a00:1450::/32"],
        notebook_name_prefix="team-",
        reserved_concurrent_executions=5,
    )
    api.add_notebook(NotebookInstance(shared, "Named", vpc=vpc, notebook_instance_name="analysis"))
    api.add_notebook("existing-notebook")
    return {"Restricted": restricted, "SharedApi": shared}


@pytest.fixture(scope="module")
def synthesized() -> dict[str, str]:
    return {name: masked(Template.from_stack(s).to_json()) for name, s in stacks().items()}


@pytest.mark.parametrize("name", ["Restricted", "SharedApi"])
def test_template_matches_the_committed_snapshot(synthesized, name):
    path = SNAPSHOTS / f"{name}.template.json"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.write_text(synthesized[name])
    assert path.exists(), f"no snapshot {path}: run with UPDATE_SNAPSHOTS=1 and commit it"
    expected = path.read_text()
    if synthesized[name] != expected:
        pytest.fail(
            f"{name} differs from {path.name}: {changes(expected, synthesized[name])}. If "
            "intended, rerun with UPDATE_SNAPSHOTS=1 and commit the snapshot"
        )
