"""SageMaker's limits for notebook names and sessions, and where it writes notebook logs
(standard library only).

The constructs and the `notebook-url` client import them from here; the limits are the URL
function's own contract module (lambda/presigned_url/contract.py), the one copy.
"""

from .lambda_src.presigned_url.contract import (
    NOTEBOOK_NAME_MAX_LENGTH,
    NOTEBOOK_NAME_PATTERN,
    SESSION_DURATION_FIELD,
    SESSION_DURATION_MAX_SECONDS,
    SESSION_DURATION_MIN_SECONDS,
    is_notebook_name,
    split_notebook_ref,
)

# Where SageMaker writes a notebook instance's own logs (jupyter, lifecycle scripts):
# one stream per source, "<notebook name>/<suffix>" (SageMaker API reference,
# CreateNotebookInstanceLifecycleConfig; developer guide, "Log with CloudWatch").
NOTEBOOK_LOG_GROUP = "/aws/sagemaker/NotebookInstances"
NOTEBOOK_LOG_STREAM_SUFFIXES = ("jupyter.log", "LifecycleConfigOnCreate", "LifecycleConfigOnStart")

__all__ = [
    "NOTEBOOK_LOG_GROUP",
    "NOTEBOOK_LOG_STREAM_SUFFIXES",
    "NOTEBOOK_NAME_MAX_LENGTH",
    "NOTEBOOK_NAME_PATTERN",
    "SESSION_DURATION_FIELD",
    "SESSION_DURATION_MAX_SECONDS",
    "SESSION_DURATION_MIN_SECONDS",
    "is_notebook_name",
    "split_notebook_ref",
]
