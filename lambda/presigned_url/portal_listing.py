"""The portal's listing: the served notebooks a signed-in person is entitled to, bounded.

Page by page of ListNotebookInstances, each served notebook's tags read a few at a time
on a pool of its own, so a listing never waits behind (or holds up) the describe/presign
pair in sagemaker_calls. Bounded in count and in time, so a large account cannot run the
Lambda into its timeout.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

if "." in __name__:  # a package: the source tree (tests) and the wheel
    from . import configuration, portal, sagemaker_calls
else:  # the Lambda: this folder is the top level (handler string "handler.handler")
    import configuration
    import portal
    import sagemaker_calls

# The portal lists at most this many entitled notebooks, reads tags this many at a
# time, and starts no call after the budget: one call in flight (at most 9 s, see
# sagemaker_calls) still ends under the 20 s Lambda timeout.
PORTAL_LIST_LIMIT = 100
TAG_READS_AT_ONCE = 8
PORTAL_LIST_BUDGET_SECONDS = 10

_tag_reads = ThreadPoolExecutor(max_workers=TAG_READS_AT_ONCE, thread_name_prefix="tags")


def listing_for(
    user: portal.User,
    settings: configuration.Settings,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[list[dict[str, str]], bool]:
    """The served notebooks ``user`` is entitled to, and whether that is all of them.

    Page by page of ListNotebookInstances (ascending by name), the served names' tags
    read TAG_READS_AT_ONCE at a time. It stops at PORTAL_LIST_LIMIT entitled notebooks,
    or when PORTAL_LIST_BUDGET_SECONDS have passed; a notebook whose tags could not be
    read is left out (fail closed). Either way the answer says it is incomplete.
    """
    deadline = clock() + PORTAL_LIST_BUDGET_SECONDS
    arguments: dict[str, Any] = {"SortBy": "Name", "SortOrder": "Ascending"}
    if settings.notebook_name_prefix and not settings.notebook_names:
        arguments["NameContains"] = settings.notebook_name_prefix
    shown: list[dict[str, str]] = []
    complete = True
    try:
        pages = sagemaker_calls.sagemaker.get_paginator("list_notebook_instances").paginate(
            **arguments, PaginationConfig={"PageSize": 100}
        )
        for page in pages:
            served = [
                summary
                for summary in page.get("NotebookInstances", [])
                if settings.serves(summary.get("NotebookInstanceName", ""))
            ]
            for start in range(0, len(served), TAG_READS_AT_ONCE):
                if clock() > deadline:
                    return shown, False
                rows, all_read = _entitled_rows(user, served[start : start + TAG_READS_AT_ONCE])
                shown.extend(rows)
                complete = complete and all_read
                if len(shown) >= PORTAL_LIST_LIMIT:
                    return shown[:PORTAL_LIST_LIMIT], False
            if clock() > deadline:
                return shown, False
    except Exception as error:
        raise sagemaker_calls.upstream_error(error, "") from None
    return shown, complete


def _entitled_rows(
    user: portal.User, batch: list[dict[str, Any]]
) -> tuple[list[dict[str, str]], bool]:
    """The listing rows of ``batch`` that ``user`` is entitled to, its tags read at once,
    and whether every notebook's tags could be read."""
    rows, all_read = [], True
    for summary, tags in zip(batch, _tag_reads.map(_tags_or_none, batch), strict=True):
        if tags is None:
            all_read = False
        elif portal.entitled(user, tags):
            rows.append(
                {
                    "NotebookInstanceName": summary["NotebookInstanceName"],
                    "NotebookInstanceStatus": summary.get("NotebookInstanceStatus", "Unknown"),
                }
            )
    return rows, all_read


def _tags_or_none(summary: dict[str, Any]) -> dict[str, str] | None:
    try:
        return sagemaker_calls.notebook_tags(summary["NotebookInstanceArn"])
    except Exception:  # throttled or failed: this notebook is not shown, the rest are
        return None
