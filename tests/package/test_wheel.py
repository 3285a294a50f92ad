"""The built wheel, installed (not editable) in a fresh virtualenv, serves a consumer CDK app.

One wheel build, one install, one `cdk synth` of a consumer app written to a
temporary folder, then many assertions on the cloud assembly it produced.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

import pytest
from template_lookup import resources

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]
# What the wheel is built from: everything pyproject.toml reads or maps.
WHEEL_SOURCES = ("pyproject.toml", "README.md", "LICENSE", "constructs", "lambda")
STACK_NAME = "ConsumerStack"
TIMEOUT_SECONDS = 180

CONSUMER_APP = textwrap.dedent(
    '''
    """A consumer's own CDK app: the library composed into an existing stack."""

    import importlib.metadata
    import json
    import os
    import sys

    import aws_cdk as cdk
    import sagemaker_notebook_access
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk import aws_iam as iam
    from aws_cdk import aws_kms as kms
    from constructs import Construct
    from sagemaker_notebook_access import IpRestrictedNotebook
    from sagemaker_notebook_access.lambda_assets import lambda_code_path
    from sagemaker_notebook_access.api.presigned_url_api import handler_code_path

    ALLOWED = ["203.0.113.0/24"]


    class TeamStack(cdk.Stack):
        def __init__(self, scope: Construct, id: str, **kwargs) -> None:
            super().__init__(scope, id, **kwargs)
            # The team's network already exists in this stack.
            team_vpc = ec2.Vpc(self, "TeamVpc", max_azs=2, nat_gateways=1)
            team_role = iam.Role.from_role_arn(
                self, "TeamRole", "arn:aws:iam::123456789012:role/team-notebook", mutable=False
            )
            team_key = kms.Key.from_key_arn(
                self,
                "TeamKey",
                "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            )
            own_network = IpRestrictedNotebook(
                self, "Analysis", allowed_cidrs=ALLOWED, notebook_instance_name="analysis"
            )
            in_team_vpc = IpRestrictedNotebook(
                self,
                "Reporting",
                allowed_cidrs=ALLOWED,
                notebook_instance_name="reporting",
                vpc=team_vpc,
                role=team_role,
                encryption_key=team_key,
            )
            analysts = iam.Group(self, "Analysts")
            own_network.grant_open(analysts)
            in_team_vpc.grant_open(analysts)


    app = cdk.App()
    TeamStack(app, "__STACK__")
    app.synth()

    # Where everything came from, for the test to check.
    with open(os.environ["PROBE_FILE"], "w") as probe:
        json.dump(
            {
                "package_file": sagemaker_notebook_access.__file__,
                "handler_code_path": str(handler_code_path()),
                "watch_code_path": str(lambda_code_path("notebook_watch")),
                "distribution_files": str(
                    importlib.metadata.distribution("sagemaker-notebook-access").locate_file("")
                ),
                "sys_path": sys.path,
                "prefix": sys.prefix,
                "editable_finders": [
                    name for name in sys.modules if name.startswith("__editable__")
                ],
            },
            probe,
        )
    '''
).replace("__STACK__", STACK_NAME)


def run(command: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    assert result.returncode == 0, (
        f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    )
    return result.stdout


def build_wheel(work: Path) -> Path:
    """Build from a copy of the sources, so the checkout gains no build/ or egg-info."""
    source = work / "source"
    source.mkdir()
    for name in WHEEL_SOURCES:
        path = REPO_ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, source / name)
    run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(work / "dist"),
        ],
        cwd=source,
    )
    (wheel,) = (work / "dist").glob("sagemaker_notebook_access-*.whl")
    return wheel


def shadow_site_packages(work: Path) -> Path:
    """The repo venv's site-packages minus this project's editable install, as symlinks.

    Reusing the installed aws-cdk-lib keeps the test offline and fast; leaving
    out the editable finder, its .pth and dist-info keeps the checkout invisible.
    """
    shadow = work / "shared-site-packages"
    shadow.mkdir()
    ours = ("__editable__", "sagemaker_notebook_access", "sagemaker-notebook-access")
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if entry.name.startswith(ours) or entry.name.startswith("__editable___"):
            continue
        (shadow / entry.name).symlink_to(entry)
    return shadow


def make_venv(work: Path, wheel: Path) -> Path:
    venv = work / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=work)
    python = venv / "bin" / "python"
    # The repo's pip installs into the new venv: no pip bootstrap, no index.
    run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", "--disable-pip-version-check", "--quiet", str(wheel)],
        cwd=work,
    )  # fmt: skip
    purelib = run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=work
    ).strip()
    # A path line in a .pth is appended after the venv's own site-packages.
    (Path(purelib) / "zz_shared_dependencies.pth").write_text(f"{shadow_site_packages(work)}\n")
    return venv


@pytest.fixture(scope="module")
def consumer(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Wheel -> fresh venv -> consumer app -> `cdk synth` with the venv's Python."""
    work = tmp_path_factory.mktemp("wheel")
    assert not work.resolve().is_relative_to(REPO_ROOT)
    wheel = build_wheel(work)
    venv = make_venv(work, wheel)

    app_dir = work / "consumer"
    app_dir.mkdir()
    (app_dir / "app.py").write_text(CONSUMER_APP)
    out = app_dir / "cdk.out"
    probe = app_dir / "probe.json"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "CDK_OUTDIR", "CDK_CONTEXT_JSON")
    }
    env.update(
        PATH=os.pathsep.join(
            [str(venv / "bin"), str(REPO_ROOT / "node_modules" / ".bin"), env.get("PATH", "")]
        ),
        PYTHONNOUSERSITE="1",
        PROBE_FILE=str(probe),
        CDK_DISABLE_VERSION_CHECK="1",
        CDK_DISABLE_CLI_TELEMETRY="true",
        JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION="1",
    )
    cdk = shutil.which("cdk", path=str(REPO_ROOT / "node_modules" / ".bin"))
    assert cdk, "the pinned CDK CLI is missing: run `make setup`"
    run(
        [cdk, "synth", "--app", f"{venv / 'bin' / 'python'} app.py", "--output", str(out),
         "--quiet", "--no-notices", "--path-metadata", "--asset-metadata"],
        cwd=app_dir,
        env=env,
    )  # fmt: skip
    return {
        "wheel": wheel,
        "venv": venv,
        "out": out,
        "probe": json.loads(probe.read_text()),
        "template": json.loads((out / f"{STACK_NAME}.template.json").read_text()),
        "assets": json.loads((out / f"{STACK_NAME}.assets.json").read_text()),
    }


def path_of(resource: dict) -> str:
    return resource.get("Metadata", {}).get("aws:cdk:path", "")


def url_functions(template: dict) -> dict[str, dict]:
    return {
        k: v
        for k, v in resources(template, "AWS::Lambda::Function").items()
        if v["Properties"].get("Handler") == "handler.handler"
    }


def test_wheel_ships_the_license_it_declares(consumer):
    with zipfile.ZipFile(consumer["wheel"]) as wheel:
        names = wheel.namelist()
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        fields = wheel.read(metadata).decode()
        (license_file,) = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
        shipped = wheel.read(license_file).decode()
    assert "License-Expression: Apache-2.0" in fields.splitlines()
    assert shipped == (REPO_ROOT / "LICENSE").read_text()
    assert "Apache License" in shipped and "Version 2.0, January 2004" in shipped


def test_wheel_ships_the_py_typed_marker(consumer):
    """PEP 561: type checkers read the installed package's annotations."""
    with zipfile.ZipFile(consumer["wheel"]) as wheel:
        assert "sagemaker_notebook_access/py.typed" in wheel.namelist()
    installed = Path(consumer["probe"]["package_file"]).parent / "py.typed"
    assert installed.is_file()


def test_package_is_imported_from_the_temporary_venv(consumer):
    probe, venv = consumer["probe"], consumer["venv"].resolve()
    assert Path(probe["prefix"]).resolve() == venv
    package = Path(probe["package_file"]).resolve()
    assert package.is_relative_to(venv), package
    assert "site-packages" in package.parts
    assert not package.is_relative_to(REPO_ROOT)
    assert Path(probe["distribution_files"]).resolve().is_relative_to(venv)


def test_checkout_and_editable_install_are_invisible(consumer):
    probe = consumer["probe"]
    assert probe["editable_finders"] == []
    for entry in probe["sys_path"]:
        assert "__editable__" not in entry
        assert not Path(entry or ".").resolve().is_relative_to(REPO_ROOT / "constructs")
        assert Path(entry or ".").resolve() != (REPO_ROOT / "lambda")


def test_handler_code_comes_from_the_installed_package(consumer):
    code = Path(consumer["probe"]["handler_code_path"]).resolve()
    assert code.is_relative_to(consumer["venv"].resolve())
    assert code.parts[-3:] == ("sagemaker_notebook_access", "lambda_src", "presigned_url")
    assert (code / "handler.py").is_file()


def test_the_notebook_watch_code_ships_in_the_wheel(consumer):
    code = Path(consumer["probe"]["watch_code_path"]).resolve()
    assert code.is_relative_to(consumer["venv"].resolve())
    assert code.parts[-3:] == ("sagemaker_notebook_access", "lambda_src", "notebook_watch")
    assert (code / "handler.py").is_file()


def test_two_notebooks_side_by_side(consumer):
    notebooks = resources(consumer["template"], "AWS::SageMaker::NotebookInstance")
    names = sorted(nb["Properties"]["NotebookInstanceName"] for nb in notebooks.values())
    assert names == ["analysis", "reporting"]


def test_second_notebook_uses_the_existing_vpc_role_and_key(consumer):
    template = consumer["template"]
    team_subnets = {
        k
        for k, v in resources(template, "AWS::EC2::Subnet").items()
        if path_of(v).startswith(f"{STACK_NAME}/TeamVpc/")
    }
    by_name = {
        nb["Properties"]["NotebookInstanceName"]: nb
        for nb in resources(template, "AWS::SageMaker::NotebookInstance").values()
    }
    reporting, analysis = by_name["reporting"]["Properties"], by_name["analysis"]["Properties"]
    assert reporting["SubnetId"]["Ref"] in team_subnets
    assert analysis["SubnetId"]["Ref"] not in team_subnets
    assert "team-notebook" in json.dumps(reporting["RoleArn"])
    assert "1234abcd-12ab-34cd-56ef-1234567890ab" in json.dumps(reporting["KmsKeyId"])
    # Only the first notebook gets a VPC of its own.
    vpcs = sorted(path_of(v) for v in resources(template, "AWS::EC2::VPC").values())
    assert vpcs == [f"{STACK_NAME}/Analysis/Vpc/Resource", f"{STACK_NAME}/TeamVpc/Resource"]


def test_two_url_functions_with_handler_in_their_asset(consumer):
    functions = url_functions(consumer["template"])
    assert len(functions) == 2
    files = consumer["assets"]["files"]
    installed = Path(consumer["probe"]["handler_code_path"]) / "handler.py"
    for function in functions.values():
        key = function["Properties"]["Code"]["S3Key"]
        asset_hash = key.removesuffix(".zip")
        asset = files[asset_hash]
        assert asset["source"]["packaging"] == "zip"
        folder = consumer["out"] / asset["source"]["path"]
        # The handler package and its portal page: what the wheel ships is the whole asset.
        shipped = [
            "accounts.py",
            "audit_line.py",
            "authorization.py",
            "configuration.py",
            "contract.py",
            "errors.py",
            "handler.py",
            "parsing.py",
            "portal.css",
            "portal.js",
            "portal.py",
            "portal_listing.py",
            "responses.py",
            "routes.py",
            "routing.py",
            "sagemaker_calls.py",
            "sdk_logs.py",
            "tag_reads.py",
            "validation.py",
        ]
        assert sorted(p.name for p in folder.iterdir()) == shipped
        for name in shipped:
            assert (folder / name).read_bytes() == (installed.parent / name).read_bytes()
        assert function["Metadata"]["aws:asset:path"] == asset["source"]["path"]


def test_grants_scope_each_notebook_route(consumer):
    template = consumer["template"]
    policies = [
        *resources(template, "AWS::IAM::Policy").values(),
        *resources(template, "AWS::IAM::ManagedPolicy").values(),
    ]
    text = json.dumps([p for p in policies if path_of(p).startswith(f"{STACK_NAME}/Analysts/")])
    assert "/POST/notebooks/analysis/url" in text
    assert "/POST/notebooks/reporting/url" in text
    assert "/notebooks/*/url" not in text
