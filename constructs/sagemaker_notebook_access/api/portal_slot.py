"""One NotebookPortal per PresignedUrlApi: the API's portal slot.

``NotebookPortal`` calls ``api._check_portal_slot()`` among its checks, before it exists,
so a refused portal leaves nothing in the tree, and ``api._attach_portal(portal)`` once it
does (which checks again). The portal's entry points into the API are those two,
``_check_environment`` and ``_add_environment``; it adds its routes and statements through
the public ``rest_api`` and ``function_policy``.
"""

from __future__ import annotations

from constructs import Construct

from ..validation import ValidationError


def check_portal_slot(api: Construct, portal: Construct | None) -> None:
    """Refuse a second portal on ``api``, which already has ``portal`` (None: none yet)."""
    if portal is not None:
        raise ValidationError(
            f"api already has a portal ({portal.node.path}); one NotebookPortal per "
            "PresignedUrlApi serves every notebook the API serves",
            api,
        )
