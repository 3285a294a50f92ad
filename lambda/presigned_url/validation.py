"""Validate: the method, the notebook name and the body's fields, each against one rule.

Every refusal is a 400 ValidationError (405 for a method) whose message names the rule;
the name rule and SageMaker's limits are the contract's.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote

if "." in __name__:  # a package: the source tree (tests) and the wheel
    from . import configuration, contract, errors
else:  # the Lambda: this folder is the top level (handler string "handler.handler")
    import configuration
    import contract
    import errors

DURATION_FIELD = contract.SESSION_DURATION_FIELD
DURATION_MIN_SECONDS = contract.SESSION_DURATION_MIN_SECONDS


def validate_method(method: Any, allowed: str) -> None:
    if method == allowed:
        return
    # Echo the method only when it is plainly one; anything else could be arbitrary text.
    shown = method if isinstance(method, str) and re.fullmatch(r"[A-Z]{1,10}", method) else None
    raise errors.MethodNotAllowed(
        f"method {shown or '(invalid)'} is not allowed here; this route accepts {allowed} only",
        allowed=allowed,
    )


def validate_target(name: Any, account: Any, *, takes_account: bool, takes_ref: bool) -> str:
    """The notebook a route names, as "<account>:<name>" or "<name>".

    A member account's route (``takes_account``) has the account in its own path segment; the
    portal's routes (``takes_ref``) take "<account>:<name>" in the name; the hub's own SigV4
    routes take a bare name only, so a grant on them never reaches a member account.
    """
    if takes_account:
        if not isinstance(account, str) or not contract.ACCOUNT_ID_PATTERN.fullmatch(account):
            raise errors.ValidationFailed("the account in the path must be 12 digits")
        return f"{account}{contract.ACCOUNT_SEPARATOR}{_plain_name(name)}"
    if takes_ref:
        return validate_name(name)
    return _plain_name(name)


def _plain_name(name: Any) -> str:
    checked = validate_name(name)
    if contract.ACCOUNT_SEPARATOR in checked:
        raise errors.ValidationFailed(
            "a member account's notebook is at /accounts/{account}/notebooks/{name}/..., "
            "not /notebooks/{account}:{name}/..."
        )
    return checked


def validate_name(name: Any) -> str:
    if not isinstance(name, str) or not name:
        raise errors.ValidationFailed(
            "the path must name a notebook instance: POST /notebooks/{name}/url"
        )
    if isinstance(name, str) and "%" in name:
        # A client that percent-encoded the ":" of "<account>:<name>": a name has no "%",
        # so decoding once is unambiguous.
        name = unquote(name)
    if contract.split_notebook_ref(name) is None:
        raise errors.ValidationFailed(
            f"the notebook instance name is not valid: use 1..{contract.NOTEBOOK_NAME_MAX_LENGTH} "
            "letters, digits and hyphens, starting and ending with a letter or digit, "
            "after '<12-digit account id>:' for a notebook in a member account"
        )
    return name


def validate_duration(body: dict[str, Any], settings: configuration.Settings) -> int:
    _reject_unknown_fields(body, allowed={DURATION_FIELD})
    if DURATION_FIELD not in body:
        return settings.default_duration_seconds
    value = body[DURATION_FIELD]
    allowed = f"{DURATION_MIN_SECONDS}..{settings.max_duration_seconds}"
    # bool is an int in Python; a float like 3600.0 is not an integer here.
    if isinstance(value, bool) or not isinstance(value, int):
        raise errors.ValidationFailed(
            f"{DURATION_FIELD} must be a JSON integer number of seconds, {allowed} "
            f"(got {_json_type(value)})"
        )
    if not DURATION_MIN_SECONDS <= value <= settings.max_duration_seconds:
        raise errors.ValidationFailed(
            f"{DURATION_FIELD} must be between {DURATION_MIN_SECONDS} and "
            f"{settings.max_duration_seconds} seconds (got {value})"
        )
    return value


def validate_start_body(body: dict[str, Any]) -> None:
    _reject_unknown_fields(body, allowed=set())


def _reject_unknown_fields(body: dict[str, Any], *, allowed: set[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if not unknown:
        return
    shown = ", ".join(json.dumps(key[:40]) for key in unknown[:5])
    expected = (
        f"the only field allowed is {next(iter(allowed))!r}"
        if allowed
        else "this route takes no body fields"
    )
    raise errors.ValidationFailed(f"unknown field(s) {shown}; {expected}")


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, float):
        return "a number with a fraction or exponent"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    return "an array" if isinstance(value, list) else "an object"
