"""Snapshot check of the integ apps, offline: what ``integ-runner``'s snapshot step does.

``@aws-cdk/integ-runner`` 2.197.10 (the newest release, pinned in package.json) cannot read
the cloud assembly aws-cdk-lib 2.275.0 writes (schema 55; it reads up to 53: "Maximum
schema version supported is 53.x.x"), so its own comparison fails before comparing. This
script does the same comparison: it synthesizes each ``integ_*.py`` beside it with the
fixed ``CDK_INTEG_ACCOUNT``/``CDK_INTEG_REGION`` (as integ-runner does, with a 12-digit
account) and no AWS credentials, and compares the templates and ``integ.json`` with
``<app>.snapshot/``, asset hashes ignored (integ-runner's default, ``diffAssets: false``)
and the assertions' ``salt`` (the synth time) masked.

    python integ/snapshot.py            compare; exit 1 and name the changes on a diff
    python integ/snapshot.py --update   rewrite the snapshots (commit them)
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ASSET_HASH = re.compile(r"\b[0-9a-f]{64}\b")
# integ-tests-alpha salts every assertion with Date.now() so that it reruns on each deploy.
SALT = re.compile(r'"salt": "[0-9]+"')
SNAPSHOT_ENV = {"CDK_INTEG_ACCOUNT": "123456789012", "CDK_INTEG_REGION": "eu-west-1"}


def synthesize(app: Path) -> dict[str, str]:
    """The app's templates and integ.json, asset hashes masked, keyed by file name."""
    with tempfile.TemporaryDirectory() as out:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_"))}
        env.update(SNAPSHOT_ENV, CDK_OUTDIR=out, AWS_EC2_METADATA_DISABLED="true")
        subprocess.run([sys.executable, str(app)], env=env, check=True, timeout=600)  # noqa: S603
        files = [*sorted(Path(out).glob("*.template.json")), Path(out, "integ.json")]
        return {f.name: masked(json.loads(f.read_text())) for f in files}


def masked(document: dict) -> str:
    text = json.dumps(document, indent=1, sort_keys=True)
    return SALT.sub('"salt": "<time>"', ASSET_HASH.sub("<asset-hash>", text)) + "\n"


def changes(expected: str, actual: str) -> str:
    old, new = json.loads(expected), json.loads(actual)
    old, new = old.get("Resources", old), new.get("Resources", new)
    return (
        f"removed {sorted(set(old) - set(new))}, added {sorted(set(new) - set(old))}, "
        f"changed {sorted(k for k in set(old) & set(new) if old[k] != new[k])}"
    )


def main(argv: list[str]) -> int:
    update = "--update" in argv
    failed = 0
    for app in sorted(HERE.glob("integ_*.py")):
        snapshot = app.with_name(app.name + ".snapshot")
        actual = synthesize(app)
        if update:
            snapshot.mkdir(exist_ok=True)
            for stale in set(p.name for p in snapshot.iterdir()) - set(actual):
                (snapshot / stale).unlink()
            for name, text in actual.items():
                (snapshot / name).write_text(text)
            print(f"  UPDATED    {app.name} ({len(actual)} files in {snapshot.name}/)")
            continue
        stored = (
            {p.name: p.read_text() for p in snapshot.glob("*.json")} if snapshot.is_dir() else {}
        )
        diffs = [
            f"{name}: {changes(stored[name], text) if name in stored else 'not in the snapshot'}"
            for name, text in actual.items()
            if stored.get(name) != text
        ] + [f"{name}: no longer synthesized" for name in set(stored) - set(actual)]
        if diffs:
            failed += 1
            print(f"  CHANGED    {app.name} - Snapshot changed!")
            for line in diffs:
                print(f"      {line}")
        else:
            print(f"  UNCHANGED  {app.name}")
    if failed:
        print(f"{failed} snapshot(s) changed: if intended, run `make integ-update` and commit")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
