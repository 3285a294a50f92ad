"""The real CDK CLI synthesizes the demo app, as `make synth` does (no AWS account needed)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import REPO_ROOT

STACK = "SageMakerNotebookAccess"
CDK = REPO_ROOT / "node_modules" / ".bin" / "cdk"

pytestmark = pytest.mark.slow


def run_cdk_synth(out_dir: Path, *context: str) -> subprocess.CompletedProcess:
    if not CDK.exists():
        pytest.fail("the CDK CLI is missing: run `make test`, which installs it from package.json")
    args = [str(CDK), "synth", "--quiet", "--no-version-reporting", "-o", str(out_dir)]
    for item in context:
        args += ["-c", item]
    env = {
        **os.environ,
        # The pinned Node 22 and the project's virtualenv first, as the Makefile does.
        "PATH": os.pathsep.join(
            [
                str(REPO_ROOT / "node_modules" / ".bin"),
                str(Path(os.sys.executable).parent),
                os.environ.get("PATH", ""),
            ]
        ),
        "CDK_DISABLE_VERSION_CHECK": "1",
    }
    return subprocess.run(
        args, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture(scope="module")
def default_synth(tmp_path_factory):
    out = tmp_path_factory.mktemp("cdk-out")
    result = run_cdk_synth(out)
    assert result.returncode == 0, result.stdout + result.stderr
    return out, result


def template_of(out: Path) -> dict:
    return json.loads((out / f"{STACK}.template.json").read_text())


def test_cli_synth_writes_the_template_and_manifest(default_synth):
    out, _ = default_synth
    assert (out / "manifest.json").is_file()
    template = template_of(out)
    types = {r["Type"] for r in template["Resources"].values()}
    assert {
        "AWS::SageMaker::NotebookInstance",
        "AWS::IAM::ManagedPolicy",
        "AWS::ApiGateway::RestApi",
        "AWS::Lambda::Function",
    } <= types
    assert {"ApiUrl", "NotebookName", "OpenNotebookCommand"} <= set(template["Outputs"])


def test_cli_synth_ships_the_handler_as_the_function_asset(default_synth):
    out, _ = default_synth
    handlers = list(out.glob("asset.*/handler.py"))
    assert len(handlers) == 1
    assert "def handler(" in handlers[0].read_text()
    assert not list(handlers[0].parent.glob("__pycache__"))


def test_cli_synth_warns_that_the_default_allow_list_is_a_placeholder(default_synth):
    _, result = default_synth
    assert "placeholder" in result.stdout + result.stderr


def test_cli_synth_runs_no_feature_flag_warning(default_synth):
    _, result = default_synth
    assert "feature flags" not in (result.stdout + result.stderr).lower()


def test_cli_context_overrides_the_allow_list(tmp_path):
    # One CLI run proves -c reaches the app; test_app.py covers comma and JSON parsing.
    value = '["198.51.7.0/24", "2a01:7::/48"]'
    result = run_cdk_synth(tmp_path, f"allowedCidrs={value}", "nag=false")
    assert result.returncode == 0, result.stdout + result.stderr
    template = template_of(tmp_path)
    api = next(r for r in template["Resources"].values() if r["Type"] == "AWS::ApiGateway::RestApi")
    condition = api["Properties"]["Policy"]["Statement"][0]["Condition"]
    assert condition == {"NotIpAddress": {"aws:SourceIp": ["198.51.7.0/24", "2a01:7::/48"]}}
    assert "placeholder" not in result.stdout + result.stderr


def test_cli_synth_fails_clearly_on_a_bad_allow_list(tmp_path):
    result = run_cdk_synth(tmp_path, "allowedCidrs=10.0.0.1/24", "nag=false")
    assert result.returncode != 0
    assert "host bits set" in result.stdout + result.stderr


def test_node_used_by_the_cli_is_supported():
    node = REPO_ROOT / "node_modules" / ".bin" / "node"
    version = subprocess.run(
        [str(node), "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert int(version.lstrip("v").split(".")[0]) >= 22, version
    assert shutil.which("npm") is not None
