"""`make release`: refused unless HEAD is tagged v<version>; its check passes a fresh build.

The build is the recipe's (`python -m build --no-isolation`: the sdist, then the wheel from
the sdist) from a copy of the sources, offline; `make release-check` is the recipe's own
check step, run on it and on broken copies of it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "constructs", "lambda")
VERSION = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["version"]
SDIST = f"sagemaker_notebook_access-{VERSION}.tar.gz"
WHEEL = f"sagemaker_notebook_access-{VERSION}-py3-none-any.whl"
TIMEOUT_SECONDS = 180


def make(*args: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("release")
    source = work / "source"
    source.mkdir()
    for name in SOURCES:
        path = REPO_ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, source / name)
    built = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(work / "dist"), "."],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    return work / "dist"


def copy_of(dist: Path, target: Path) -> Path:
    shutil.copytree(dist, target)
    return target


def test_the_build_is_the_sdist_and_the_wheel_of_the_version(dist):
    assert sorted(path.name for path in dist.iterdir()) == sorted([SDIST, WHEEL])


def test_release_check_passes_a_fresh_build(dist):
    result = make("release-check", f"DIST_DIR={dist}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Checking {dist / SDIST}: PASSED" in result.stdout
    assert f"Checking {dist / WHEEL}: PASSED" in result.stdout
    assert f"holds sagemaker-notebook-access {VERSION}, ready to upload" in result.stdout


def test_release_check_refuses_a_wheel_without_py_typed(dist, tmp_path):
    broken = copy_of(dist, tmp_path / "dist")
    wheel = broken / WHEEL
    with zipfile.ZipFile(dist / WHEEL) as original, zipfile.ZipFile(wheel, "w") as copy:
        for item in original.infolist():
            if not item.filename.endswith("/py.typed"):
                copy.writestr(item, original.read(item))
    result = make("release-check", f"DIST_DIR={broken}")
    assert result.returncode != 0
    assert f"{WHEEL}: sagemaker_notebook_access/py.typed missing" in result.stderr


def test_release_check_refuses_metadata_twine_rejects(dist, tmp_path):
    broken = copy_of(dist, tmp_path / "dist")
    wheel = broken / WHEEL
    metadata = f"sagemaker_notebook_access-{VERSION}.dist-info/METADATA"
    with zipfile.ZipFile(dist / WHEEL) as original, zipfile.ZipFile(wheel, "w") as copy:
        for item in original.infolist():
            data = original.read(item)
            if item.filename == metadata:
                # No description: twine's --strict refuses a missing long description.
                data = data.decode().split("\n\n", 1)[0].encode() + b"\n"
                data = b"\n".join(
                    line for line in data.split(b"\n") if not line.startswith(b"Description")
                )
            copy.writestr(item, data)
    result = make("release-check", f"DIST_DIR={broken}")
    assert result.returncode != 0
    assert "twine check --strict failed" in result.stderr


def test_release_check_refuses_another_version_or_a_stray_file(dist, tmp_path):
    stray = copy_of(dist, tmp_path / "stray")
    (stray / "sagemaker_notebook_access-0.0.1-py3-none-any.whl").write_bytes(b"")
    result = make("release-check", f"DIST_DIR={stray}")
    assert result.returncode != 0
    assert f"expected exactly {SDIST} and {WHEEL}" in result.stderr


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A git repository holding the Makefile and pyproject.toml, one commit, no tag."""
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy2(REPO_ROOT / name, repo / name)
    git(repo, "init", "--quiet")
    git(repo, "add", "Makefile", "pyproject.toml")
    git(repo, "commit", "--quiet", "-m", "release candidate")
    return repo


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def test_release_is_refused_on_an_untagged_head(checkout):
    result = make("release", cwd=checkout)
    assert result.returncode != 0
    assert f"HEAD is not tagged v{VERSION}" in result.stderr
    assert f"git tag -a v{VERSION} -m 'sagemaker-notebook-access {VERSION}'" in result.stderr
    # Refused before anything is built or installed.
    assert not (checkout / "dist").exists() and not (checkout / ".venv").exists()


def test_release_is_refused_under_another_versions_tag(checkout):
    git(checkout, "tag", "v0.0.1")
    result = make("release-tag", cwd=checkout)
    assert result.returncode != 0
    assert f"HEAD is not tagged v{VERSION}" in result.stderr


@pytest.mark.parametrize("annotated", [True, False])
def test_a_head_tagged_with_the_version_may_be_released(checkout, annotated):
    if annotated:
        git(checkout, "tag", "-a", f"v{VERSION}", "-m", "release")
    else:
        git(checkout, "tag", f"v{VERSION}")
    result = make("release-tag", cwd=checkout)
    assert result.returncode == 0, result.stderr
