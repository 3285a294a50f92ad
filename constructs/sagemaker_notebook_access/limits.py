"""SageMaker's limits for notebook names and sessions, and where it writes notebook logs
(standard library only).

The constructs and the `notebook-url` client import them from here. The Lambda handler
ships alone and keeps its own copy; tests/test_limits.py keeps the copies equal.
"""

import re

# SageMaker API reference, CreateNotebookInstance / CreatePresignedNotebookInstanceUrl.
# Use fullmatch: "$" would also match before a trailing newline.
NOTEBOOK_NAME_PATTERN = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9])*")
NOTEBOOK_NAME_MAX_LENGTH = 63
SESSION_DURATION_FIELD = "SessionExpirationDurationInSeconds"
SESSION_DURATION_MIN_SECONDS = 1800
SESSION_DURATION_MAX_SECONDS = 43200
# Where SageMaker writes a notebook instance's own logs (jupyter, lifecycle scripts):
# one stream per source, "<notebook name>/<suffix>" (SageMaker API reference,
# CreateNotebookInstanceLifecycleConfig; developer guide, "Log with CloudWatch").
NOTEBOOK_LOG_GROUP = "/aws/sagemaker/NotebookInstances"
NOTEBOOK_LOG_STREAM_SUFFIXES = ("jupyter.log", "LifecycleConfigOnCreate", "LifecycleConfigOnStart")
