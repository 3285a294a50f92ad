"""CDK constructs for SageMaker notebooks that open only from an IP allow-list."""

from .ip_policy import NotebookIpPolicy
from .notebook import NotebookInstance
from .restricted_notebook import IpRestrictedNotebook
from .url_api import PresignedUrlApi
from .validation import ValidationError

__all__ = [
    "IpRestrictedNotebook",
    "NotebookInstance",
    "NotebookIpPolicy",
    "PresignedUrlApi",
    "ValidationError",
]
