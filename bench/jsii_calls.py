"""Run a CDK app and print how many jsii requests Python sent to the Node.js kernel.

Usage: python bench/jsii_calls.py SCRIPT [ARGS...]. Every request (create, get, set,
invoke, static ones, assembly loads) is one round trip through the kernel's pipe, counted
at the process provider, where all of them pass. Prints one JSON line to stdout:
``{"requests": N, "by_kind": {...}}``; the app's own output goes to stderr.
"""

from __future__ import annotations

import atexit
import collections
import json
import runpy
import sys
from pathlib import Path

from jsii._kernel.providers import process

counts: collections.Counter[str] = collections.Counter()
_send = process._NodeProcess.send


def counting_send(self, request, response_type):
    counts[type(request).__name__.strip("_").removesuffix("Request")] += 1
    return _send(self, request, response_type)


process._NodeProcess.send = counting_send


@atexit.register
def report() -> None:
    print(json.dumps({"requests": sum(counts.values()), "by_kind": dict(sorted(counts.items()))}))


script = Path(sys.argv[1]).resolve()
sys.argv = [str(script), *sys.argv[2:]]
sys.path.insert(0, str(script.parent))
stdout, sys.stdout = sys.stdout, sys.stderr
try:
    runpy.run_path(str(script), run_name="__main__")
finally:
    sys.stdout = stdout
