"""Where a notebook lives: the hub's own account, or a spoke account whose role the function
assumes (issue 22), and the SageMaker and tagging clients to reach it with.

A spoke role's credentials are kept for the life of the process and renewed five minutes
before they expire, so a warm function makes one ``sts:AssumeRole`` per spoke per ~10
minutes. The calls still go through the hub's interface endpoints (private DNS), so
``aws:SourceVpce`` is the hub's SageMaker endpoint, which the spoke role's IP deny exempts
(the same deny as the hub's own role): a URL minted in a spoke opens only from the
allow-list, since SageMaker evaluates the spoke role's policy on every request the URL
makes (SageMaker API reference, CreatePresignedNotebookInstanceUrl).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import boto3

if "." in __name__:  # a package: the source tree (tests) and the wheel
    from . import configuration, contract, errors, sagemaker_calls
else:  # the Lambda: this folder is the top level (handler string "handler.handler")
    import configuration
    import contract
    import errors
    import sagemaker_calls

# AssumeRole's shortest session ("DurationSeconds", STS API reference): a leaked set of
# spoke credentials is good for 15 minutes at most.
SESSION_SECONDS = 900
RENEW_BEFORE_SECONDS = 300
# A spoke that refused (no role yet, a wrong trust) is not asked again for this long: a
# listing per page view would otherwise make an AssumeRole for it every time.
REFUSAL_SECONDS = 60
SESSION_NAME = "notebook-access-hub"  # the hub's audit line names the person
# Made on the first spoke call, not at import: only a hub needs it. Tests set their own.
sts: Any = None


def sts_client() -> Any:
    """The function's STS client at the regional endpoint, reached through the hub's STS
    interface endpoint (private DNS); pinned, whatever the runtime's botocore defaults to
    ("Manage AWS STS in an AWS Region", IAM user guide; the global endpoint would leave the
    VPC). AWS_ENDPOINT_URL_STS in tests."""
    global sts
    if sts is None:
        os.environ.setdefault("AWS_STS_REGIONAL_ENDPOINTS", "regional")
        sts = boto3.client("sts", config=sagemaker_calls.CLIENT_CONFIG)
    return sts


@dataclass(frozen=True)
class Target:
    """A notebook as a request names it: ``ref`` ("<account>:<name>" or "<name>")."""

    ref: str
    account: str | None  # None: the hub's own account
    name: str

    @classmethod
    def of(cls, ref: str) -> Target:
        account, name = contract.split_notebook_ref(ref) or (None, ref)
        return cls(ref, account, name)


@dataclass(frozen=True)
class Clients:
    sagemaker: Any
    tagging: Any  # None: tag_reads' own (the hub's account)


_sessions: dict[str, tuple[float, Clients]] = {}
# One lock per account, so the listing's threads assume different spokes side by side and
# never the same one twice; _lock guards the two dicts.
_account_locks: dict[str, threading.Lock] = {}
_refused_until: dict[str, float] = {}
_lock = threading.Lock()


def clients_for(account: str | None, settings: configuration.Settings) -> Clients:
    """The clients for ``account``: the function's own for the hub, a spoke role's otherwise.

    A refused or failed AssumeRole is the contract's 502 (the spoke is missing or its trust
    is wrong: an operator's problem, not the caller's).
    """
    if account is None:
        # None: tag_reads' own client, made only when a listing asks for it.
        return Clients(sagemaker_calls.sagemaker, None)
    with _lock:
        account_lock = _account_locks.setdefault(account, threading.Lock())
    with account_lock:
        cached = _sessions.get(account)
        if cached is not None and cached[0] - time.time() > RENEW_BEFORE_SECONDS:
            return cached[1]
        if _refused_until.get(account, 0) > time.time():
            raise errors.UpstreamError(_UNREACHABLE)
        try:
            answer = sts_client().assume_role(
                RoleArn=settings.spoke_role_arn(account),
                RoleSessionName=SESSION_NAME,
                ExternalId=settings.spoke_external_id,
                DurationSeconds=SESSION_SECONDS,
            )
        except Exception as error:
            mapped = _unreachable(error)
            if isinstance(mapped, errors.UpstreamError):  # refused or failed, not throttled
                _refused_until[account] = time.time() + REFUSAL_SECONDS
            raise mapped from None
        credentials = answer["Credentials"]
        keys = {
            "aws_access_key_id": credentials["AccessKeyId"],
            "aws_secret_access_key": credentials["SecretAccessKey"],
            "aws_session_token": credentials["SessionToken"],
        }
        clients = Clients(
            boto3.client("sagemaker", config=sagemaker_calls.CLIENT_CONFIG, **keys),
            boto3.client("resourcegroupstaggingapi", config=sagemaker_calls.CLIENT_CONFIG, **keys),
        )
        with _lock:
            _sessions[account] = (credentials["Expiration"].timestamp(), clients)
        return clients


def forget_sessions() -> None:
    """Drop every spoke session (tests; a changed configuration)."""
    with _lock:
        _sessions.clear()
        _refused_until.clear()


_UNREACHABLE = (
    "the notebook's account could not be reached; retry later, and if it persists "
    "give the requestId to the API's operators"
)


def _unreachable(error: Exception) -> Exception:
    mapped = sagemaker_calls.upstream_error(error, "")
    if isinstance(mapped, errors.ApiError) and mapped.status == 502:
        return errors.UpstreamError(_UNREACHABLE)
    return mapped
