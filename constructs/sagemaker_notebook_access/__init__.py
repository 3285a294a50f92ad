"""CDK constructs for SageMaker notebooks that open only from an IP allow-list.

Names load on first use (PEP 562), so the `notebook-url` client does not pay
for importing aws-cdk-lib (and its Node.js runtime) it never uses.
"""

import importlib as _importlib
import typing as _typing

_PUBLIC = {
    "DenyReason": ".monitoring.metric_sources",
    "IpRestrictedNotebook": ".patterns.restricted_notebook",
    "NotebookAccessHub": ".hub.hub",
    "NotebookAccessSpoke": ".spoke.spoke",
    "NotebookInstance": ".notebook.instance",
    "NotebookIpPolicy": ".notebook.ip_policy",
    "NotebookPortal": ".portal.notebook_portal",
    "PresignedUrlApi": ".api.presigned_url_api",
    "PrivateVpc": ".patterns.private_vpc",
    "SignIn": ".portal.notebook_portal",
    "TagGuardPolicy": ".notebook.tag_guard",
    "ValidationError": ".validation",
}

__all__ = [
    "DenyReason",
    "IpRestrictedNotebook",
    "NotebookAccessHub",
    "NotebookAccessSpoke",
    "NotebookInstance",
    "NotebookIpPolicy",
    "NotebookPortal",
    "PresignedUrlApi",
    "PrivateVpc",
    "SignIn",
    "TagGuardPolicy",
    "ValidationError",
]

if _typing.TYPE_CHECKING:
    from .api.presigned_url_api import PresignedUrlApi
    from .hub.hub import NotebookAccessHub
    from .monitoring.metric_sources import DenyReason
    from .notebook.instance import NotebookInstance
    from .notebook.ip_policy import NotebookIpPolicy
    from .notebook.tag_guard import TagGuardPolicy
    from .patterns.private_vpc import PrivateVpc
    from .patterns.restricted_notebook import IpRestrictedNotebook
    from .portal.notebook_portal import NotebookPortal, SignIn
    from .spoke.spoke import NotebookAccessSpoke
    from .validation import ValidationError


def __getattr__(name: str):
    if name in _PUBLIC:
        value = getattr(_importlib.import_module(_PUBLIC[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
