"""Read: the served notebooks and their tags, a page of 100 per call, from the Resource
Groups Tagging API (issue 21), instead of one SageMaker ListTags per notebook.

``GetResources`` filtered by resource type and by the serving tag returns each served
notebook's ARN with all its tags; pages hold at most 100 resources (``ResourcesPerPage``,
Resource Groups Tagging API reference). It needs ``tag:GetResources``, which has no
resource-level permissions (Service Authorization Reference, "Resource Groups Tagging
API"); the function reaches it through the ``tagging`` interface endpoint the portal adds.
The tagging API is eventually consistent: a notebook tagged a moment ago, or deleted, may
be missing or still listed for a while; the status read after it decides (portal_listing).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3

if "." in __name__:  # a package: the source tree (tests) and the wheel
    from . import contract, sagemaker_calls
else:  # the Lambda: this folder is the top level (handler string "handler.handler")
    import contract
    import sagemaker_calls

NOTEBOOK_RESOURCE_TYPE = "sagemaker:notebook-instance"
RESOURCES_PER_PAGE = 100  # GetResources' largest page
# Made on the first listing, not at import: only a portal's page views need it, and a
# client costs a cold start its service model. Tests and the bench set it to their own.
tagging: Any = None


def tagging_client() -> Any:
    """The function's own tagging client, with SageMaker's per-call budget (at most 9 s a
    call); its endpoint from AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API in tests."""
    global tagging
    if tagging is None:
        tagging = boto3.client("resourcegroupstaggingapi", config=sagemaker_calls.CLIENT_CONFIG)
    return tagging


def served_pages(
    served_by: str, client: Any = None
) -> Iterator[list[tuple[str, list[dict[str, Any]]]]]:
    """Page after page of (ARN, tags) of the notebooks carrying the serving tag; the next
    page is asked for only when the caller wants it. ``client``: a spoke's (accounts.py)."""
    pages = (
        (client or tagging_client())
        .get_paginator("get_resources")
        .paginate(
            ResourceTypeFilters=[NOTEBOOK_RESOURCE_TYPE],
            TagFilters=[{"Key": contract.SERVED_BY_TAG, "Values": [served_by]}],
            PaginationConfig={"PageSize": RESOURCES_PER_PAGE},
        )
    )
    for page in pages:
        yield [
            (str(item.get("ResourceARN", "")), list(item.get("Tags") or []))
            for item in page.get("ResourceTagMappingList", [])
        ]
