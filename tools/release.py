"""Check a release's sdist and wheel before they are uploaded (`make release`'s last step).

`python tools/release.py DIST_DIR` passes when DIST_DIR holds exactly the sdist and the wheel
of pyproject.toml's version, twine accepts their metadata (`twine check --strict`: fields,
and the README renders as the long description), and both carry what the package needs
at run time: the URL function's code, the LICENSE and the py.typed marker.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DISTRIBUTION = "sagemaker_notebook_access"
# Files each archive must hold, relative to the package (wheel) or the sdist's root.
WHEEL_FILES = (
    "sagemaker_notebook_access/py.typed",
    "sagemaker_notebook_access/lambda_src/presigned_url/handler.py",
    "sagemaker_notebook_access/lambda_src/presigned_url/contract.py",
    "sagemaker_notebook_access/lambda_src/notebook_watch/handler.py",
)
SDIST_FILES = (
    "pyproject.toml",
    "README.md",
    "LICENSE",
    "constructs/sagemaker_notebook_access/py.typed",
    "lambda/presigned_url/handler.py",
)


def project_version() -> str:
    with (REPO_ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)["project"]["version"]


def wheel_problems(wheel: Path, version: str) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata_name = f"{DISTRIBUTION}-{version}.dist-info/METADATA"
        if metadata_name not in names:
            return [f"{wheel.name}: no {metadata_name}"]
        metadata = Parser().parsestr(archive.read(metadata_name).decode())
    problems = [f"{wheel.name}: {name} missing" for name in WHEEL_FILES if name not in names]
    if metadata["Version"] != version:
        problems.append(f"{wheel.name}: METADATA Version {metadata['Version']}, not {version}")
    if not any(name.endswith(".dist-info/licenses/LICENSE") for name in names):
        problems.append(f"{wheel.name}: the LICENSE file is missing")
    return problems


def sdist_problems(sdist: Path, version: str) -> list[str]:
    root = f"{DISTRIBUTION}-{version}"
    with tarfile.open(sdist) as archive:
        names = set(archive.getnames())
        if f"{root}/PKG-INFO" not in names:
            return [f"{sdist.name}: no {root}/PKG-INFO"]
        metadata = Parser().parsestr(archive.extractfile(f"{root}/PKG-INFO").read().decode())
    problems = [
        f"{sdist.name}: {name} missing" for name in SDIST_FILES if f"{root}/{name}" not in names
    ]
    if metadata["Version"] != version:
        problems.append(f"{sdist.name}: PKG-INFO Version {metadata['Version']}, not {version}")
    return problems


def check(dist: Path, version: str) -> list[str]:
    """Every reason the archives in `dist` are not a release of `version` (none: release)."""
    sdist = dist / f"{DISTRIBUTION}-{version}.tar.gz"
    wheel = dist / f"{DISTRIBUTION}-{version}-py3-none-any.whl"
    found = sorted(path.name for path in dist.iterdir()) if dist.is_dir() else []
    if found != sorted([sdist.name, wheel.name]):
        return [f"{dist} holds {found}; expected exactly {sdist.name} and {wheel.name}"]
    problems = [*sdist_problems(sdist, version), *wheel_problems(wheel, version)]
    # One line a file, no colour: people and tests/package/test_release.py read the output.
    wide = {**os.environ, "COLUMNS": "1000"}
    twine = subprocess.run(  # noqa: S603 (our interpreter, the archives we just found)
        [sys.executable, "-m", "twine", "--no-color", "check", "--strict", str(sdist), str(wheel)],
        capture_output=True,
        text=True,
        check=False,
        env=wide,
    )
    print(twine.stdout, end="")
    if twine.returncode != 0:
        problems.append(f"twine check --strict failed:\n{twine.stdout}{twine.stderr}")
    return problems


def main(argv: list[str]) -> int:
    dist = Path(argv[0] if argv else REPO_ROOT / "dist").resolve()
    version = project_version()
    problems = check(dist, version)
    for problem in problems:
        print(f"release check: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"release check: {dist} holds sagemaker-notebook-access {version}, ready to upload")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
