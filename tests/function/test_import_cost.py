"""What the URL function does at import, Lambda's cold start: one client, SageMaker's.

The tagging client (a portal's listing) and the STS client (a hub's spokes) are made on
first use, so a function with neither never loads their service models, and importing
the handler does not change the process's environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import REPO_ROOT

PROBE = """
import json, os, sys
before = dict(os.environ)
sys.path.insert(0, sys.argv[1])
import handler, tag_reads, accounts, sagemaker_calls
print(json.dumps({
    "sagemaker": sagemaker_calls.sagemaker is not None,
    "tagging": tag_reads.tagging is not None,
    "sts": accounts.sts is not None,
    "environment_changed": dict(os.environ) != before,
}))
"""


def test_importing_the_handler_makes_only_the_sagemaker_client():
    # As Lambda imports it: the folder is the top level, a region set, no credentials used.
    environment = {**os.environ, "AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1"}
    environment.pop("AWS_STS_REGIONAL_ENDPOINTS", None)
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, str(REPO_ROOT / "lambda" / "presigned_url")],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
    )
    assert json.loads(completed.stdout) == {
        "sagemaker": True,
        "tagging": False,
        "sts": False,
        "environment_changed": False,
    }
