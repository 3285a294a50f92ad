"""The audit line carries what monitoring/operations.py's metric filters read, for every outcome.

Each case runs the real handler, turns its audit record into the JSON line Lambda's JSON
log format writes (extras as top-level keys, None values left out: awslambdaric
``lambda_runtime_log_utils.JsonFormatter``, mirrored below), and asks which of the
audit-line filters match it (tests/filter_patterns.py evaluates the patterns).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError
from filter_patterns import matches
from handler_events import (
    ALICE,
    AUTHORIZED_URL,
    DENIED_IPV4,
    PORTAL_ENV,
    browser_event,
    handler_environment,
    invoke,
    proxy_event,
)
from presigned_url import handler

from sagemaker_notebook_access.monitoring.operations import API_METRICS
from sagemaker_notebook_access.notebook.entitlement import OWNERS_TAG

pytestmark = pytest.mark.usefixtures("handler_env", "logs")

# What awslambdaric's JsonFormatter leaves out of a record's attributes.
RUNTIME_RESERVED = {
    *vars(logging.LogRecord("", 0, "", 0, "", None, None)),
    "aws_request_id",
    "tenant_id",
    "_frame_type",
}


def lambda_json_line(record: logging.LogRecord) -> dict[str, Any]:
    line = {
        "timestamp": "2024-05-01T12:00:00.000Z",
        "level": record.levelname,
        "message": record.getMessage(),
        "logger": record.name,
        "requestId": "lambda-req-1",
    }
    line.update((k, v) for k, v in vars(record).items() if k not in RUNTIME_RESERVED | set(line))
    return json.loads(json.dumps({k: v for k, v in line.items() if v is not None}))


def audit_metrics(line: dict[str, Any]) -> set[str]:
    """The metrics (of the audit-line filters) this line adds to."""
    return {
        name
        for name, sources in API_METRICS.items()
        for source in sources
        if source.log == "audit" and matches(source.pattern.log_pattern_string, line)
    }


def throttling(*_: Any) -> str:
    raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "x"}}, "Op")


def refusing(*_: Any) -> str:
    raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "x"}}, "Op")


def timing_out(*_: Any) -> str:
    raise ReadTimeoutError(endpoint_url="https://api.sagemaker.eu-west-1.amazonaws.com")


def broken(*_: Any) -> str:
    raise RuntimeError("unexpected")


DENIED = {"Denied", "DeniedByReason"}
# (event, describe_status, presign, outcome, status, metrics besides Latency)
CASES = {
    "url minted": ({}, "InService", None, "ok", 200, {"UrlsMinted"}),
    "started": ({"route": "start"}, "Stopped", None, "ok", 202, set()),
    "outside allow-list": ({"source_ip": DENIED_IPV4}, None, None, "Forbidden", 403, DENIED),
    "unsigned": (
        {"user_arn": None},
        None,
        None,
        "Forbidden",
        403,
        DENIED | {"DeniedInsideAllowList"},
    ),
    "no source ip": (
        {"source_ip": None},
        None,
        None,
        "Forbidden",
        403,
        DENIED | {"DeniedInsideAllowList"},
    ),
    "not in service": ({}, "Stopped", None, "NotebookNotInService", 409, {"NotInService"}),
    "upstream error": ({}, "InService", refusing, "UpstreamError", 502, {"UpstreamErrors"}),
    "upstream timeout": ({}, "InService", timing_out, "UpstreamTimeout", 504, {"UpstreamErrors"}),
    "throttled": ({}, "InService", throttling, "Throttled", 503, {"Throttled"}),
    "internal error": ({}, broken, None, "InternalError", 500, set()),
    "validation": ({"body": "not json"}, None, None, "ValidationError", 400, set()),
    "too large": ({"body": "x" * 5000}, None, None, "PayloadTooLarge", 413, set()),
    "method": ({"method": "GET"}, None, None, "MethodNotAllowed", 405, set()),
    "unknown route": ({"route": "nope"}, None, None, "NotFound", 404, set()),
    "not served": ({"name": "other-nb"}, None, None, "NotebookNotFound", 404, set()),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_outcome_writes_the_fields_its_metrics_read(case, logs, monkeypatch):
    event_overrides, status_of, presign, outcome, status, metrics = CASES[case]
    if callable(status_of):
        monkeypatch.setattr(handler, "describe_status", status_of)
    elif status_of is not None:
        monkeypatch.setattr(handler, "describe_status", lambda name: status_of)
    monkeypatch.setattr(handler, "presign", presign or (lambda name, duration: AUTHORIZED_URL))
    monkeypatch.setattr(handler.sagemaker, "start_notebook_instance", lambda **_: {})
    event = proxy_event(**{k: v for k, v in event_overrides.items() if v is not None})
    for key, value in event_overrides.items():
        if value is None:  # None: the field is missing from the event
            identity = event["requestContext"]["identity"]
            identity.pop({"user_arn": "userArn", "source_ip": "sourceIp"}[key])
            if key == "user_arn":
                identity.pop("caller")
    response, _ = invoke(event)
    assert response["statusCode"] == status

    (record,) = logs.audit_records()
    line = lambda_json_line(record)
    # Every filter reads these: present, top-level, of the type the pattern compares.
    assert line["outcome"] == outcome
    assert line["status"] == status and isinstance(line["status"], int)
    assert isinstance(line["durationMs"], float) and line["durationMs"] >= 0
    if status == 403:
        assert isinstance(line["denyReason"], str) and line["denyReason"]
    else:
        assert "denyReason" not in line  # None is left out, so "= *" cannot match it
    assert audit_metrics(line) == metrics | {"Latency"}


def test_a_minted_url_carries_its_session_length(logs, monkeypatch):
    monkeypatch.setattr(handler, "describe_status", lambda name: "InService")
    monkeypatch.setattr(handler, "presign", lambda name, duration: AUTHORIZED_URL)
    invoke(proxy_event(body=json.dumps({"SessionExpirationDurationInSeconds": 3600})))
    (record,) = logs.audit_records()
    line = lambda_json_line(record)
    assert line["sessionDurationSeconds"] == 3600
    assert AUTHORIZED_URL not in json.dumps(line)
    assert "UrlsMinted" in audit_metrics(line)


# The browser routes (issue 11): the same fields, from a signed-in person's requests.
PORTAL_CASES = {
    "portal open minted": ("open", {"owners": "0f1e2d3c-alice"}, {}, 200, {"UrlsMinted"}),
    "portal not entitled": (
        "open",
        {"owners": "someone-else"},
        {},
        403,
        DENIED | {"DeniedInsideAllowList"},
    ),
    "portal cross origin": (
        "open",
        {"owners": "0f1e2d3c-alice"},
        {"origin": "https://evil.example"},
        403,
        DENIED | {"DeniedInsideAllowList"},
    ),
    "portal listing": ("list", {"owners": "0f1e2d3c-alice"}, {"name": None}, 200, set()),
}


@pytest.mark.parametrize("case", sorted(PORTAL_CASES))
def test_every_browser_outcome_writes_the_fields_its_metrics_read(case, logs, monkeypatch):
    route, tags, overrides, status, metrics = PORTAL_CASES[case]
    monkeypatch.setattr(handler, "describe_status", lambda name: "InService")
    monkeypatch.setattr(handler, "presign", lambda name, duration: AUTHORIZED_URL)
    monkeypatch.setattr(handler, "notebook_tags", lambda arn: {OWNERS_TAG: tags["owners"]})
    listed = {"NotebookInstances": [{"NotebookInstanceName": "nb-1", "NotebookInstanceArn": "a"}]}
    monkeypatch.setattr(
        handler.sagemaker,
        "get_paginator",
        lambda _: type("P", (), {"paginate": lambda self, **__: [listed]})(),
    )
    with handler_environment(**PORTAL_ENV):
        response, _ = invoke(browser_event(route, claims=ALICE, **overrides))
    assert response["statusCode"] == status
    (record,) = logs.audit_records()
    line = lambda_json_line(record)
    assert "callerArn" not in line  # no IAM identity on the browser routes
    if status == 403:
        assert line["denyReason"] in {"notEntitled", "crossOrigin"}
    if line.get("denyReason") != "crossOrigin":  # refused before the person is recorded
        assert line["user"] == ALICE["sub"]
    assert audit_metrics(line) == metrics | {"Latency"}
