"""The audit line carries what monitoring/operations.py's metric filters read, for every outcome.

Each case runs the real handler against SageMaker as the other handler tests do (moto
over HTTP; botocore's Stubber for the presign, and for the failures moto cannot make),
turns its audit record into the JSON line Lambda's JSON log format writes (extras as
top-level keys, None values left out: awslambdaric ``lambda_runtime_log_utils.JsonFormatter``,
mirrored below), and asks which of the audit-line filters match it
(tests/filter_patterns.py evaluates the patterns).
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError
from filter_patterns import matches
from handler_events import (
    ALICE,
    AUTHORIZED_URL,
    DENIED_IPV4,
    PORTAL_ENV,
    SERVED,
    LocalSageMaker,
    OperationStubber,
    browser_event,
    handler_environment,
    invoke,
    proxy_event,
    stub_presign,
)
from presigned_url import sagemaker_calls

from sagemaker_notebook_access.monitoring.operations import API_METRICS

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


def presign_url() -> contextlib.AbstractContextManager:
    return stub_presign(None)


def presign_error(code: str) -> Callable[[], contextlib.AbstractContextManager]:
    error = {"service_error_code": code, "service_message": "x", "http_status_code": 400}
    return lambda: stub_presign(error)


@contextlib.contextmanager
def presign_times_out() -> Iterator[None]:
    """Every attempt of the presign times out on the wire (botocore retries as usual)."""
    operation = "before-send.sagemaker.CreatePresignedNotebookInstanceUrl"

    def time_out(request: Any, **_: Any) -> None:
        raise ReadTimeoutError(endpoint_url=request.url)

    events = sagemaker_calls.sagemaker.meta.events
    events.register_first(operation, time_out, unique_id="test-time-out")
    try:
        yield
    finally:
        events.unregister(operation, time_out, unique_id="test-time-out")


@contextlib.contextmanager
def describe_without_status() -> Iterator[None]:
    """A describe answer without NotebookInstanceStatus: the handler fails unexpectedly."""
    stubber = OperationStubber(sagemaker_calls.sagemaker, "describe_notebook_instance")
    stubber.add_response("describe_notebook_instance", {})
    with stubber, stub_presign(None):
        yield


DENIED = {"Denied", "DeniedByReason"}
# (event, the notebook's status in moto, what else SageMaker answers (None: moto alone),
# outcome, status, metrics besides Latency)
CASES = {
    "url minted": ({}, "InService", presign_url, "ok", 200, {"UrlsMinted"}),
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
    "not in service": ({}, "Stopped", presign_url, "NotebookNotInService", 409, {"NotInService"}),
    "upstream error": (
        {},
        "InService",
        presign_error("AccessDeniedException"),
        "UpstreamError",
        502,
        {"UpstreamErrors"},
    ),
    "upstream timeout": (
        {},
        "InService",
        presign_times_out,
        "UpstreamTimeout",
        504,
        {"UpstreamErrors"},
    ),
    "throttled": (
        {},
        "InService",
        presign_error("ThrottlingException"),
        "Throttled",
        503,
        {"Throttled"},
    ),
    "internal error": ({}, "InService", describe_without_status, "InternalError", 500, set()),
    "validation": ({"body": "not json"}, None, None, "ValidationError", 400, set()),
    "too large": ({"body": "x" * 5000}, None, None, "PayloadTooLarge", 413, set()),
    "method": ({"method": "GET"}, None, None, "MethodNotAllowed", 405, set()),
    "unknown route": ({"route": "nope"}, None, None, "NotFound", 404, set()),
    "not served": ({"name": "other-nb"}, None, None, "NotebookNotFound", 404, set()),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_outcome_writes_the_fields_its_metrics_read(case, moto: LocalSageMaker, logs):
    event_overrides, notebook_status, answers, outcome, status, metrics = CASES[case]
    if notebook_status is not None:
        moto.set_status(SERVED, notebook_status)
    event = proxy_event(**{k: v for k, v in event_overrides.items() if v is not None})
    for key, value in event_overrides.items():
        if value is None:  # None: the field is missing from the event
            identity = event["requestContext"]["identity"]
            identity.pop({"user_arn": "userArn", "source_ip": "sourceIp"}[key])
            if key == "user_arn":
                identity.pop("caller")
    with answers() if answers else contextlib.nullcontext():
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


def test_a_minted_url_carries_its_session_length(moto: LocalSageMaker, logs):
    with stub_presign(None, duration=3600):
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
def test_every_browser_outcome_writes_the_fields_its_metrics_read(case, moto: LocalSageMaker, logs):
    route, tags, overrides, status, metrics = PORTAL_CASES[case]
    moto.tag(SERVED, owners=tags["owners"])
    with handler_environment(**PORTAL_ENV), stub_presign(None):
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
