"""The portal's listing: the served notebooks a signed-in person is entitled to, bounded.

Tag-served notebooks (issue 21) come a hundred at a time with all their tags from the
tagging API (tag_reads), so entitlement costs one call per 100 served notebooks; only the
rows shown then need a status: one DescribeNotebookInstance each while they are few, else
ListNotebookInstances pages (100 per call) matched by ARN. Notebooks served by name or
prefix (no tag) are read as before: ListNotebookInstances, then ListTags per notebook.
Bounded in count and in time, so a large account cannot run the Lambda into its timeout;
the answer says when it is incomplete.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

if "." in __name__:  # a package: the source tree (tests) and the wheel
    from . import accounts, configuration, portal, sagemaker_calls, tag_reads
else:  # the Lambda: this folder is the top level (handler string "handler.handler")
    import accounts
    import configuration
    import portal
    import sagemaker_calls
    import tag_reads

# The portal lists at most this many entitled notebooks, reads tags this many at a
# time, and starts no call after the budget: one call in flight (at most 9 s, see
# sagemaker_calls) still ends under the 20 s Lambda timeout.
PORTAL_LIST_LIMIT = 100
TAG_READS_AT_ONCE = 8
PORTAL_LIST_BUDGET_SECONDS = 10
# Up to this many rows get a status by one describe each (side by side); more, by
# ListNotebookInstances pages of 100, unless the account is so big that those pages (one
# after another) would take longer than the describes (TAG_READS_AT_ONCE at a time).
DESCRIBES_AT_MOST = 10
LIST_PAGE_SIZE = 100

_tag_reads = ThreadPoolExecutor(max_workers=TAG_READS_AT_ONCE, thread_name_prefix="tags")
# The hub's account and its spokes are listed side by side, each on its own thread.
ACCOUNTS_AT_ONCE = 4
_account_reads = ThreadPoolExecutor(max_workers=ACCOUNTS_AT_ONCE, thread_name_prefix="accounts")

Clock = Callable[[], float]


@dataclass
class _Listing:
    """Rows found so far in one account, keyed by lower-case ARN, and whether anything was
    left out. ``account``: a spoke's id (its rows are named "<account>:<name>"), or None."""

    deadline: float
    clock: Clock
    clients: accounts.Clients
    account: str | None = None
    rows: dict[str, dict[str, str]] = field(default_factory=dict)
    complete: bool = True

    def late(self) -> bool:
        if self.clock() > self.deadline:
            self.complete = False
            return True
        return False

    def full(self) -> bool:
        return len(self.rows) >= PORTAL_LIST_LIMIT


def listing_for(
    user: portal.User,
    settings: configuration.Settings,
    clock: Clock | None = None,
) -> tuple[list[dict[str, str]], bool]:
    """The served notebooks ``user`` is entitled to, by name, and whether that is all.

    It stops at PORTAL_LIST_LIMIT entitled notebooks, or when PORTAL_LIST_BUDGET_SECONDS
    have passed; a notebook whose tags or status could not be read is left out (fail
    closed). Either way the answer says it is incomplete.
    """
    clock = clock or time.monotonic  # looked up at the call: tests move the time
    deadline = clock() + PORTAL_LIST_BUDGET_SECONDS
    hub = _Listing(deadline, clock, accounts.clients_for(None, settings))
    spokes = sorted(settings.spoke_accounts) if settings.served_by else []
    # Each spoke on its own thread while the hub's account is read on this one.
    futures = [_account_reads.submit(_spoke_listing, user, settings, a, hub) for a in spokes]
    try:
        if settings.served_by:
            _add_tagged(hub, user, settings.served_by)
        if (settings.notebook_names or settings.notebook_name_prefix) and not hub.full():
            _add_listed(hub, user, settings)
    except Exception as error:
        raise sagemaker_calls.upstream_error(error, "") from None
    # The spokes get what is left of the budget: one still reading then is left out.
    done, late = wait(futures, timeout=max(hub.deadline - clock(), 0))
    listings = [hub, *(future.result() for future in futures if future in done)]
    if late:
        hub.complete = False
    rows = sorted(
        (row for listing in listings for row in listing.rows.values()),
        key=lambda row: row["NotebookInstanceName"].lower(),
    )
    complete = all(listing.complete for listing in listings)
    if len(rows) > PORTAL_LIST_LIMIT:
        return rows[:PORTAL_LIST_LIMIT], False
    return rows, complete


def _spoke_listing(
    user: portal.User, settings: configuration.Settings, account: str, hub: _Listing
) -> _Listing:
    """One spoke's rows; a spoke that cannot be reached is left out (and said so)."""
    listing = _Listing(hub.deadline, hub.clock, accounts.Clients(None, None), account)
    if listing.late():  # queued behind other spokes until the budget was spent
        return listing
    try:
        listing.clients = accounts.clients_for(account, settings)
        _add_tagged(listing, user, settings.served_by)
    except Exception:  # throttled, refused or failed: the other accounts' rows still show
        listing.rows.clear()
        listing.complete = False
    return listing


# ---------------------------------------------------------------- served by the tag


def _add_tagged(listing: _Listing, user: portal.User, served_by: str) -> None:
    """Entitled ARNs from the tagging API's pages, then their names and statuses."""
    arns: list[str] = []
    served = 0  # served notebooks seen: at least that many notebooks in the account
    for page in tag_reads.served_pages(served_by, listing.clients.tagging):
        served += len(page)
        arns.extend(arn for arn, tags in page if portal.entitled(user, portal.tags_of(tags)))
        if len(arns) > PORTAL_LIST_LIMIT:  # more than can be shown: no need to read on
            listing.complete = False
            break
        if listing.late():
            break
    wanted = {arn.lower() for arn in arns[:PORTAL_LIST_LIMIT]}
    # Describes run TAG_READS_AT_ONCE side by side; list pages one after another. Describe
    # when the rows are few, or when listing would take more rounds (a big account).
    describe_rounds = -(-len(wanted) // TAG_READS_AT_ONCE)
    list_pages = -(-served // LIST_PAGE_SIZE)
    by_describe = len(wanted) <= DESCRIBES_AT_MOST or list_pages > describe_rounds
    unresolved = _describe_each(listing, wanted) if by_describe else wanted
    if unresolved:
        _status_from_list(listing, unresolved)


def _describe_each(listing: _Listing, arns: set[str]) -> set[str]:
    """Describe each notebook by its ARN's name; the ARNs no describe found (a name
    SageMaker wrote in lower case in the ARN but not in its name, or one just deleted).

    SageMaker lower-cases the name in a notebook's ARN ("AWS::SageMaker::NotebookInstance",
    CloudFormation template reference: Ref gives .../mynotebookinstance for the notebook
    MyNotebookInstance); whether DescribeNotebookInstance finds a name in another case is
    not documented, so a miss goes to the list (docs/verify-in-your-account.md).
    """
    if listing.late():
        return set()
    ordered = sorted(arns)
    unresolved = set()
    outcomes = _tag_reads.map(_describe_or_error, ordered, [listing.clients.sagemaker] * len(arns))
    for arn, outcome in zip(ordered, outcomes, strict=True):
        if isinstance(outcome, dict):
            listing.rows[arn] = _row(outcome, listing.account)
        elif sagemaker_calls.is_missing(outcome):
            unresolved.add(arn)
        elif not sagemaker_calls.is_denied(outcome):  # denied: the tag was just removed
            listing.complete = False
    return unresolved


def _describe_or_error(arn: str, client: Any) -> dict[str, Any] | Exception:
    try:
        return client.describe_notebook_instance(NotebookInstanceName=arn.rsplit("/", 1)[-1])
    except Exception as error:  # throttled or failed: this row is not shown, the rest are
        return error


def _status_from_list(listing: _Listing, arns: set[str]) -> None:
    """Names and statuses of ``arns`` from ListNotebookInstances pages; stops once all are
    found. An ARN no page holds is a notebook deleted since the tagging API listed it."""
    wanted = set(arns)
    for summary in _notebook_summaries({}, listing):
        arn = str(summary.get("NotebookInstanceArn", "")).lower()
        if arn in wanted:
            listing.rows[arn] = _row(summary, listing.account)
            wanted.discard(arn)
            if not wanted:
                return


def _row(summary: dict[str, Any], account: str | None = None) -> dict[str, str]:
    """A listing row; a spoke's notebook is named as a request names it, "<account>:<name>"."""
    name = summary["NotebookInstanceName"]
    return {
        "NotebookInstanceName": name if account is None else f"{account}:{name}",
        "NotebookInstanceStatus": summary.get("NotebookInstanceStatus", "Unknown"),
    }


def _notebook_summaries(arguments: dict[str, Any], listing: _Listing) -> Iterable[dict[str, Any]]:
    """ListNotebookInstances, page by page (ascending by name) until the budget runs out."""
    pages = listing.clients.sagemaker.get_paginator("list_notebook_instances").paginate(
        SortBy="Name",
        SortOrder="Ascending",
        **arguments,
        PaginationConfig={"PageSize": LIST_PAGE_SIZE},
    )
    for page in pages:
        yield from page.get("NotebookInstances", [])
        if listing.late():
            return


# ---------------------------------------------------------------- served by name or prefix


def _add_listed(listing: _Listing, user: portal.User, settings: configuration.Settings) -> None:
    """Notebooks served by name or prefix: their tags read TAG_READS_AT_ONCE at a time."""
    arguments = {}
    if settings.notebook_name_prefix and not settings.notebook_names:
        arguments["NameContains"] = settings.notebook_name_prefix
    batch: list[dict[str, Any]] = []
    for summary in _notebook_summaries(arguments, listing):
        arn = str(summary.get("NotebookInstanceArn", "")).lower()
        if settings.lists(summary.get("NotebookInstanceName", "")) and arn not in listing.rows:
            batch.append(summary)
        if len(batch) == TAG_READS_AT_ONCE:
            if not _entitled_batch(listing, user, batch):
                return
            batch = []
    if batch:
        _entitled_batch(listing, user, batch)


def _entitled_batch(listing: _Listing, user: portal.User, batch: list[dict[str, Any]]) -> bool:
    """Add the rows of ``batch`` ``user`` is entitled to; False when the listing must stop."""
    if listing.late():
        return False
    for summary, tags in zip(batch, _tag_reads.map(_tags_or_none, batch), strict=True):
        if tags is None:
            listing.complete = False
        elif portal.entitled(user, tags):
            listing.rows[str(summary["NotebookInstanceArn"]).lower()] = _row(summary)
    if listing.full():
        listing.complete = False
        return False
    return True


def _tags_or_none(summary: dict[str, Any]) -> dict[str, str] | None:
    try:
        return sagemaker_calls.notebook_tags(summary["NotebookInstanceArn"])
    except Exception:  # throttled or failed: this notebook is not shown, the rest are
        return None
