"""The IAM matrix (issue 18): every AWS call the system makes at run time, and the denials that
matter, decided by an evaluator that is not ours (@cloud-copilot/iam-simulate, pinned in npm).

``rows.py`` is the table (who, action, the ARN the action is really authorized against, the
request context, the policies on the path, the expected decision, and where each fact comes
from); ``cfn.py`` turns synthesized templates into concrete policies in one placeholder
account; ``stacks.py`` builds the stacks the rows run against; ``simulator.py`` builds the
requests, runs them in one Node process per batch (``simulate.mjs``) and mutates policies for
the teeth tests. docs/iam-matrix.md explains how to read a failing row and how to add one.
"""
