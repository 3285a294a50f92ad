"""cfn-lint over a synthesized template: its errors and warnings, one line each.

One definition for every test that lints (tests/assurance/test_cfn_lint.py shows the
check can fail on a broken template).
"""

from __future__ import annotations

import json
from collections.abc import Collection

from cfnlint.api import ManualArgs, lint
from conftest import TEST_ENV


def cfn_lint_problems(
    template: dict, *, region: str = TEST_ENV["region"], ignored: Collection[str] = ()
) -> list[str]:
    """The template's cfn-lint errors (E) and warnings (W) but ``ignored`` rule ids."""
    matches = lint(json.dumps(template), config=ManualArgs(regions=[region]))
    return [
        f"{m.rule.id} {m.message} ({'/'.join(str(p) for p in m.path)})"
        for m in matches
        if m.rule.id[0] in "EW" and m.rule.id not in ignored
    ]
