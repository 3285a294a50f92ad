"""Call: the function's one SageMaker client, and each call the routes make with it.

Every SDK failure is mapped to the contract here (upstream_error): throttling is a 503,
a timeout a 504, a missing notebook a 404, anything else AWS says a 502, and AWS's own
text reaches neither the caller nor a log line. The AuthorizedUrl a presign returns goes
back to the caller and nowhere else.

The client and the pool that runs two calls side by side are the module's only state;
tests reload this module to aim the client at a local SageMaker.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    ReadTimeoutError,
)

if "." in __name__:  # a package: the source tree (tests) and the wheel
    from . import configuration, contract, errors, portal
else:  # the Lambda: this folder is the top level (handler string "handler.handler")
    import configuration
    import contract
    import errors
    import portal

NOT_FOUND_CODES = {"ResourceNotFound", "ResourceNotFoundException"}
THROTTLING_CODES = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "ProvisionedThroughputExceededException",
    "SlowDown",
}
# What SageMaker answers a call IAM refused ("Common Errors", SageMaker API reference:
# AccessDeniedException, HTTP 400). The role may describe only notebooks carrying the
# serving tag, so a refused describe means "not served" (or no such notebook: IAM decides
# on the tag before SageMaker looks the name up, and a missing notebook has no tag).
ACCESS_DENIED_CODES = {"AccessDeniedException", "AccessDenied"}
STARTABLE_STATUS = "Stopped"
STARTED_STATUSES = {"Pending", "InService"}

# Timeout budget. The start route makes two SageMaker calls one after the other
# (describe, then start); the URL route makes two at the same time. Per call, the
# worst case is attempts x (connect + read) + the standard-mode backoff between
# attempts (at most 1 s before the second): 2 x (1 + 3) + 1 = 9 s. Two in a row:
# 18 s, under the 20 s Lambda timeout, itself under API Gateway's 29 s. The portal's
# open and start: describe and ListTags side by side, then presign or start (two in a
# row); its listing starts no call after portal_listing.PORTAL_LIST_BUDGET_SECONDS
# (10 + 9 < 20).
CONNECT_TIMEOUT_SECONDS = 1
READ_TIMEOUT_SECONDS = 3
MAX_ATTEMPTS = 2
# Every client of the function (SageMaker, the tagging API, STS) keeps this budget.
CLIENT_CONFIG = Config(
    connect_timeout=CONNECT_TIMEOUT_SECONDS,
    read_timeout=READ_TIMEOUT_SECONDS,
    retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
)
# Region and AWS_ENDPOINT_URL_SAGEMAKER come from the standard SDK configuration.
sagemaker = boto3.client("sagemaker", config=CLIENT_CONFIG)
# Describe and presign run side by side: one SageMaker round trip of latency.
_calls = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sagemaker")


# ---------------------------------------------------------------- SDK failures


def upstream_error(error: Exception, name: str) -> Exception:
    """Map an SDK failure to the contract; AWS error text never reaches the caller.

    Anything that is not an SDK failure comes back unchanged: the contract's 500.
    """
    if isinstance(error, ClientError):
        return _client_error(error, name)
    if isinstance(error, ConnectTimeoutError | ReadTimeoutError):
        return errors.UpstreamTimeout()
    if isinstance(error, BotoCoreError):
        return errors.UpstreamError("SageMaker could not be reached; retry in a few seconds")
    return error


def _client_error(error: ClientError, name: str) -> errors.ApiError:
    if _error_code(error) in THROTTLING_CODES:
        return errors.Throttled()
    if _is_not_found(error):
        return errors.NotebookNotFound(
            f"notebook instance {name!r} does not exist in this account and region"
        )
    return errors.UpstreamError(
        "SageMaker refused or failed the request; retry later, and if it persists "
        "give the requestId to the API's operators"
    )


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _is_not_found(error: ClientError) -> bool:
    code = _error_code(error)
    message = str(error.response.get("Error", {}).get("Message", ""))
    # DescribeNotebookInstance answers a missing notebook with ValidationException "RecordNotFound".
    return code in NOT_FOUND_CODES or (
        code == "ValidationException" and "RecordNotFound" in message
    )


def is_denied(error: BaseException | None) -> bool:
    """Whether IAM refused the call (for a describe: the notebook does not carry the tag)."""
    return isinstance(error, ClientError) and _error_code(error) in ACCESS_DENIED_CODES


def _describe_failure(error: Exception, name: str, *, denied_is_not_served: bool) -> Exception:
    """A failed describe's answer: refused by IAM is "not served" (a 404 that says nothing
    more) where the tag decides; anything else as upstream_error maps it."""
    if denied_is_not_served and is_denied(error):
        return errors.NotebookNotFound.not_served(name)
    return upstream_error(error, name)


def is_missing(error: BaseException | None) -> bool:
    """Whether an SDK error says the notebook does not exist."""
    return isinstance(error, ClientError) and _is_not_found(error)


# ---------------------------------------------------------------- the calls


# Every call takes ``client``: the function's own (None) or a spoke role's (accounts.py).


def describe_status(name: str, client: Any = None) -> str:
    client = client or sagemaker
    return client.describe_notebook_instance(NotebookInstanceName=name)["NotebookInstanceStatus"]


def presign(name: str, duration: int, client: Any = None) -> str:
    return (client or sagemaker).create_presigned_notebook_instance_url(
        NotebookInstanceName=name, SessionExpirationDurationInSeconds=duration
    )["AuthorizedUrl"]


def mint_url(name: str, duration: int, *, tagged: bool = True, client: Any = None) -> str:
    """Describe and presign concurrently; return the URL only for an InService notebook.

    ``tagged``: the notebook is served by the tag (not listed by name or prefix), so a
    describe IAM refuses means it is not served: a 404, at no extra call. A presign
    refused after an allowed describe is not that: the role or an SCP is wrong (a 502).
    """
    status_call = _calls.submit(describe_status, name, client)
    url_call = _calls.submit(presign, name, duration, client)
    try:
        status = status_call.result()
    except Exception as error:
        _discard(url_call)
        raise _describe_failure(error, name, denied_is_not_served=tagged) from None
    if status != "InService":
        _discard(url_call)
        raise errors.NotebookNotInService(
            f"notebook instance {name!r} is {status}; a URL is only issued when it is InService",
            fields={"NotebookInstanceStatus": status},
        )
    try:
        return url_call.result()
    except Exception as error:
        raise upstream_error(error, name) from None


def presign_for(name: str, duration: int, client: Any = None) -> str:
    """A presign on its own (the notebook's status already known), its failures mapped."""
    try:
        return presign(name, duration, client)
    except Exception as error:
        raise upstream_error(error, name) from None


def _discard(future: Future[Any]) -> None:
    """Wait out a call whose result is not used, so no URL outlives the request."""
    future.cancel()
    # Its outcome is irrelevant once the other call decided the response.
    with contextlib.suppress(Exception):
        future.result()


def start_notebook(
    name: str, status: str | None = None, *, tagged: bool = True, client: Any = None
) -> str:
    """Start a Stopped notebook; report a starting or running one as it is.

    ``status``: what a describe made for this request already said (the portal's).
    ``tagged``: as mint_url's (a refused describe is a 404).
    """
    if status is None:
        try:
            status = describe_status(name, client)
        except Exception as error:
            raise _describe_failure(error, name, denied_is_not_served=tagged) from None
    try:
        if status == STARTABLE_STATUS:
            (client or sagemaker).start_notebook_instance(NotebookInstanceName=name)
            return "Pending"
    except Exception as error:
        raise upstream_error(error, name) from None
    if status in STARTED_STATUSES:
        return status
    raise errors.NotebookNotStartable(
        f"notebook instance {name!r} is {status}; only a Stopped notebook can be started",
        fields={"NotebookInstanceStatus": status},
    )


def notebook_tags(arn: str, client: Any = None) -> dict[str, str]:
    """The notebook's entitlement and serving tags (ListTags pages of 50)."""
    tags: list[Any] = []
    for page in (client or sagemaker).get_paginator("list_tags").paginate(ResourceArn=arn):
        tags.extend(page.get("Tags", []))
    return portal.tags_of(tags)


def entitled_status(
    name: str,
    user: portal.User,
    settings: configuration.Settings,
    *,
    account: str | None = None,
    client: Any = None,
) -> str:
    """The notebook's status, once its tags show it is served and that ``user`` may use it.

    One 403, in the same words, for a notebook that is not served, does not exist, or is
    another person's: a signed-in person learns nothing of which notebooks exist, in any
    account. ``account``/``client``: a spoke's (accounts.py). Describe and ListTags run
    side by side; the status is told only to an entitled person.
    """
    arn = settings.notebook_arn(account, name)
    status_call = _calls.submit(describe_status, name, client)
    tags_call = _calls.submit(notebook_tags, arn, client)
    listed = settings.listed(account, name)
    # The tags decide first: a person not entitled learns neither the status nor whether
    # the describe failed.
    try:
        tags = tags_call.result()
    except Exception as error:
        if is_missing(error) or is_missing(status_call.exception()):
            # No notebook behind the name: the same 403 as another person's notebook. What
            # ListTags answers for a missing ARN is not documented; DescribeNotebookInstance's
            # "RecordNotFound" is (see is_missing), so either one says it is missing.
            raise _not_entitled(name) from None
        raise upstream_error(error, name) from None
    if not (listed or _carries_serving_tag(tags, settings)):
        _discard(status_call)
        raise _not_entitled(name)
    if not portal.entitled(user, tags):
        _discard(status_call)
        raise _not_entitled(name)
    try:
        return status_call.result()
    except Exception as error:
        if is_denied(error):  # the tag went between the two calls: as if never there
            raise _not_entitled(name) from None
        raise upstream_error(error, name) from None


def _carries_serving_tag(tags: dict[str, str], settings: configuration.Settings) -> bool:
    return bool(settings.served_by) and tags.get(contract.SERVED_BY_TAG) == settings.served_by


def _not_entitled(name: str) -> errors.Forbidden:
    return errors.Forbidden(
        f"you are not entitled to notebook instance {name!r}; ask its owner to add you "
        f"to its {portal.OWNERS_TAG} or {portal.GROUPS_TAG} tag",
        reason=contract.DENY_NOT_ENTITLED,
    )
