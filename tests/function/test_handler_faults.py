"""SageMaker faults: errors, throttling, timeouts and crashes map to the contract, and
nothing AWS said (error text, ARNs, account ids) reaches the caller or the logs.

DescribeNotebookInstance and StartNotebookInstance run on moto's server; errors of
CreatePresignedNotebookInstanceUrl come from botocore's Stubber scoped to that
operation, or, where retries and response parsing must happen over real HTTP, from a
local shim in front of moto (moto does not implement that operation).
"""

from __future__ import annotations

import importlib
import json
import logging

import boto3
import pytest
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError
from handler_events import (
    AUTHORIZED_URL,
    SERVED,
    URL_TOKEN,
    LocalSageMaker,
    OperationStubber,
    PresignShim,
    capture_all_logs,
    count_sagemaker_calls,
    invoke,
    only_local_endpoints,
    proxy_event,
    stub_describe,
    stub_presign,
)
from presigned_url import handler, sagemaker_calls

# What AWS might say; none of it may reach a response body or a log line.
FOREIGN_ACCOUNT = "999988887777"
AWS_TEXT = (
    f"User: arn:aws:sts::{FOREIGN_ACCOUNT}:assumed-role/minting-role/fn is not authorized "
    f"to perform: sagemaker:CreatePresignedNotebookInstanceUrl on resource: "
    f"arn:aws:sagemaker:eu-west-1:{FOREIGN_ACCOUNT}:notebook-instance/nb-1 ZZ-AWS-SAID-THIS"
)
LEAK_MARKERS = (
    FOREIGN_ACCOUNT,
    "arn:aws:sts",
    "arn:aws:sagemaker",
    "ZZ-AWS-SAID-THIS",
    "Traceback",
)
# The client's total_max_attempts (test_handler checks its configuration).
ATTEMPTS = 2


# Every test runs in the construct's environment and under the `logs` checks (conftest.py).
pytestmark = pytest.mark.usefixtures("handler_env", "logs")


def assert_clean_error(response: dict, body: dict, status: int, code: str) -> None:
    assert response["statusCode"] == status, body
    assert set(body) == {"error", "message", "requestId"}
    assert body["error"] == code
    assert body["requestId"] == "req-0001"
    assert body["message"]
    for marker in (*LEAK_MARKERS, URL_TOKEN, AUTHORIZED_URL):
        assert marker not in response["body"], marker


def aws_error(code: str, status: int = 400) -> dict:
    return {
        "service_error_code": code,
        "service_message": AWS_TEXT,
        "http_status_code": status,
        "response_meta": {"RequestId": f"aws-{FOREIGN_ACCOUNT}"},
    }


# ---------------------------------------------------------------- presign errors (Stubber)

PRESIGN_ERRORS = [
    ("ThrottlingException", 400, 503, "Throttled"),
    ("Throttling", 400, 503, "Throttled"),
    ("TooManyRequestsException", 429, 503, "Throttled"),
    ("AccessDeniedException", 400, 502, "UpstreamError"),
    ("AccessDenied", 403, 502, "UpstreamError"),
    ("ValidationException", 400, 502, "UpstreamError"),
    ("ResourceLimitExceeded", 400, 502, "UpstreamError"),
    ("InternalFailure", 500, 502, "UpstreamError"),
    ("ServiceUnavailable", 503, 502, "UpstreamError"),
    ("ResourceNotFound", 400, 404, "NotebookNotFound"),
    ("ResourceNotFoundException", 404, 404, "NotebookNotFound"),
]


@pytest.mark.parametrize(("aws_code", "aws_status", "status", "code"), PRESIGN_ERRORS)
def test_presign_errors_map_to_the_contract(
    moto: LocalSageMaker, aws_code: str, aws_status: int, status: int, code: str
) -> None:
    with stub_presign(aws_error(aws_code, aws_status)) as presign:
        response, body = invoke(proxy_event())
    assert_clean_error(response, body, status, code)
    assert presign.pending == 0
    if status == 503:
        assert response["headers"]["Retry-After"] == "5"
        assert "retry after 5 seconds" in body["message"]
    else:
        assert "Retry-After" not in response["headers"]


def test_record_not_found_validation_error_is_404(moto: LocalSageMaker) -> None:
    error = aws_error("ValidationException") | {"service_message": "RecordNotFound " + AWS_TEXT}
    with stub_presign(error):
        response, body = invoke(proxy_event())
    assert_clean_error(response, body, 404, "NotebookNotFound")


# ---------------------------------------------------------------- describe errors (Stubber)


@pytest.mark.parametrize(
    ("aws_code", "status", "code"),
    [
        ("ThrottlingException", 503, "Throttled"),
        ("AccessDeniedException", 502, "UpstreamError"),
        ("InternalFailure", 502, "UpstreamError"),
    ],
)
def test_describe_errors_win_over_a_minted_url(aws_code: str, status: int, code: str) -> None:
    """Presign succeeds, describe fails: the status is unknown, so no URL is returned."""
    with stub_describe(aws_error(aws_code)), stub_presign(None) as presign:
        response, body = invoke(proxy_event())
    assert_clean_error(response, body, status, code)
    assert presign.pending == 0  # the URL was minted, and dropped


def test_presign_error_after_in_service_describe(moto: LocalSageMaker) -> None:
    with stub_presign(aws_error("AccessDeniedException")):
        response, body = invoke(proxy_event())
    assert_clean_error(response, body, 502, "UpstreamError")


def test_start_errors_map_to_the_contract(moto: LocalSageMaker) -> None:
    moto.client.stop_notebook_instance(NotebookInstanceName=SERVED)
    # moto answers the describe ("Stopped"); only the start call is stubbed, to throttle.
    start = OperationStubber(sagemaker_calls.sagemaker, "start_notebook_instance")
    start.add_client_error("start_notebook_instance", **aws_error("ThrottlingException"))
    with start:
        response, body = invoke(proxy_event(route="start"))
    assert_clean_error(response, body, 503, "Throttled")
    assert response["headers"]["Retry-After"] == "5"
    assert moto.status(SERVED) == "Stopped"


# ---------------------------------------------------------------- timeouts (real retries)


def fail_every_send(operation: str, error: Exception):
    """A before-send hook: the request is built, signed and retried by botocore as usual,
    but each attempt fails on the wire with ``error`` (a local socket cannot be made to
    time out on connect, and a real read timeout would take seconds per attempt)."""
    attempts: list[str] = []

    def fail(request, **_):
        attempts.append(request.url)
        raise error

    event = f"before-send.sagemaker.{operation}"
    events = sagemaker_calls.sagemaker.meta.events
    events.register_first(event, fail, unique_id=f"fail-{operation}")
    return attempts, lambda: events.unregister(event, fail, unique_id=f"fail-{operation}")


@pytest.mark.parametrize(
    "error",
    [
        ConnectTimeoutError(
            endpoint_url=f"https://api.sagemaker.eu-west-1.amazonaws.com/{FOREIGN_ACCOUNT}"
        ),
        ReadTimeoutError(
            endpoint_url=f"https://api.sagemaker.eu-west-1.amazonaws.com/{FOREIGN_ACCOUNT}"
        ),
    ],
    ids=["connect-timeout", "read-timeout"],
)
@pytest.mark.parametrize(
    "operation", ["DescribeNotebookInstance", "CreatePresignedNotebookInstanceUrl"]
)
def test_timeouts_are_retried_a_bounded_number_of_times_then_504(
    moto: LocalSageMaker, error: Exception, operation: str
) -> None:
    attempts, remove = fail_every_send(operation, error)
    try:
        if operation == "DescribeNotebookInstance":
            with stub_presign(None):
                response, body = invoke(proxy_event())
        else:
            response, body = invoke(proxy_event())
    finally:
        remove()
    assert_clean_error(response, body, 504, "UpstreamTimeout")
    assert len(attempts) == ATTEMPTS
    assert all(url.startswith(moto.url) for url in attempts)


def test_start_route_timeout_is_504(moto: LocalSageMaker) -> None:
    attempts, remove = fail_every_send(
        "DescribeNotebookInstance", ReadTimeoutError(endpoint_url=moto.url)
    )
    try:
        with count_sagemaker_calls() as calls:
            response, body = invoke(proxy_event(route="start"))
    finally:
        remove()
    assert_clean_error(response, body, 504, "UpstreamTimeout")
    assert calls == ["DescribeNotebookInstance"]  # no start after a failed describe
    assert len(attempts) == 2


def test_unreachable_endpoint_is_502(moto: LocalSageMaker) -> None:
    from botocore.exceptions import EndpointConnectionError

    attempts, remove = fail_every_send(
        "CreatePresignedNotebookInstanceUrl", EndpointConnectionError(endpoint_url=moto.url)
    )
    try:
        response, body = invoke(proxy_event())
    finally:
        remove()
    assert_clean_error(response, body, 502, "UpstreamError")
    assert len(attempts) == 2


# ---------------------------------------------------------------- over real HTTP (shim)


@pytest.fixture
def shim(moto: LocalSageMaker, monkeypatch: pytest.MonkeyPatch):
    """The handler's client, same configuration, aimed at the presign shim in front of moto."""
    with PresignShim(moto.url) as server:
        client = boto3.client(
            "sagemaker", endpoint_url=server.url, config=sagemaker_calls.sagemaker.meta.config
        )
        monkeypatch.setattr(sagemaker_calls, "sagemaker", client)
        with only_local_endpoints() as escaped:
            yield server
        assert escaped == []


def test_url_over_real_http_with_botocore_at_debug(shim: PresignShim, logs) -> None:
    """botocore.parsers logs each response body at DEBUG; the presign one is the URL."""
    response, body = invoke(proxy_event())
    assert response["statusCode"] == 200, body
    assert body["AuthorizedUrl"] == AUTHORIZED_URL
    assert shim.presign_requests == 1
    parser_lines = [r.getMessage() for r in logs.records if r.name == "botocore.parsers"]
    assert any("Response headers" in line for line in parser_lines)  # DEBUG really is on
    assert any("NotebookInstanceStatus" in line for line in parser_lines)  # describe body kept
    assert not any("AuthorizedUrl" in line for line in parser_lines)


def test_throttling_over_real_http_is_retried_then_503(shim: PresignShim) -> None:
    shim.presign_error = (400, "ThrottlingException", AWS_TEXT)
    response, body = invoke(proxy_event())
    assert_clean_error(response, body, 503, "Throttled")
    assert response["headers"]["Retry-After"] == "5"
    assert shim.presign_requests == ATTEMPTS


def test_access_denied_over_real_http_is_not_retried(shim: PresignShim) -> None:
    shim.presign_error = (400, "AccessDeniedException", AWS_TEXT)
    response, body = invoke(proxy_event())
    assert_clean_error(response, body, 502, "UpstreamError")
    assert shim.presign_requests == 1


def test_server_error_over_real_http_is_retried_then_502(shim: PresignShim) -> None:
    shim.presign_error = (500, "InternalFailure", AWS_TEXT)
    response, body = invoke(proxy_event())
    assert_clean_error(response, body, 502, "UpstreamError")
    assert shim.presign_requests == ATTEMPTS


def test_production_log_levels_keep_aws_text_out_of_every_line(shim: PresignShim, logs) -> None:
    """At the levels the handler sets (botocore at WARNING), no line at all holds AWS's text."""
    shim.presign_error = (400, "AccessDeniedException", AWS_TEXT)
    botocore_logger = logging.getLogger("botocore")
    forced = botocore_logger.level
    importlib.reload(handler)  # what Lambda does first: import the handler
    try:
        assert botocore_logger.level == logging.WARNING
        first = len(logs.lines)
        response, body = invoke(proxy_event())
    finally:
        botocore_logger.setLevel(forced)
    assert_clean_error(response, body, 502, "UpstreamError")
    lines = "\n".join(logs.lines[first:])
    assert "presigned-url request" in lines
    for marker in (*LEAK_MARKERS, URL_TOKEN):
        assert marker not in lines, marker


def test_body_log_guard_survives_a_reload() -> None:
    """The guard is installed once, however often the module is (re)imported."""
    guards = [
        f
        for f in logging.getLogger("botocore.parsers").filters
        if getattr(f, "__name__", "") == "_drop_url_records"
    ]
    assert len(guards) == 1
    with capture_all_logs() as recorder:
        logging.getLogger("botocore.parsers").debug(
            "Response body:\n%r", json.dumps({"AuthorizedUrl": AUTHORIZED_URL}).encode()
        )
        logging.getLogger("botocore.parsers").debug("Response headers: %r", {"a": "b"})
    assert [r.getMessage() for r in recorder.records] == ["Response headers: {'a': 'b'}"]


# ---------------------------------------------------------------- unexpected exceptions


@pytest.mark.parametrize(
    "operation", ["DescribeNotebookInstance", "CreatePresignedNotebookInstanceUrl"]
)
def test_unexpected_exception_in_a_call_is_500(moto: LocalSageMaker, logs, operation: str) -> None:
    """A bug in the call path (not an SDK error: raised from inside the client's call)
    must not surface its text."""

    def explode(**_):
        raise RuntimeError(AWS_TEXT)

    event = f"before-call.sagemaker.{operation}"
    events = sagemaker_calls.sagemaker.meta.events
    events.register_first(event, explode, unique_id="test-explode")
    try:
        with stub_presign(None):
            response, body = invoke(proxy_event())
    finally:
        events.unregister(event, explode, unique_id="test-explode")
    assert_clean_error(response, body, 500, "InternalError")
    (record,) = logs.audit_records()
    assert record.exceptionType == "RuntimeError"
    assert record.outcome == "InternalError"


def test_malformed_sagemaker_answer_is_500(moto: LocalSageMaker) -> None:
    """A presign answer without AuthorizedUrl (valid per the model, all members optional)."""
    presign = OperationStubber(sagemaker_calls.sagemaker, "create_presigned_notebook_instance_url")
    presign.add_response("create_presigned_notebook_instance_url", {})
    with presign:
        response, body = invoke(proxy_event())
    assert_clean_error(response, body, 500, "InternalError")


@pytest.mark.parametrize(
    ("variable", "value"),
    [("ALLOWED_CIDRS", f"arn:aws:iam::{FOREIGN_ACCOUNT}:x"), ("MAX_SESSION_DURATION_SECONDS", "x")],
)
def test_broken_configuration_fails_closed_with_500(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with count_sagemaker_calls() as calls:
        response, body = invoke(proxy_event())
    assert_clean_error(response, body, 500, "InternalError")
    assert calls == []


@pytest.mark.parametrize("event", [None, [], "event", 42, {"resource": object()}])
def test_events_that_are_not_objects_get_a_contract_response(event: object) -> None:
    response, body = invoke(event)
    assert response["statusCode"] == 404
    assert body["error"] == "NotFound"
    assert body["requestId"] == "lambda-req-1"
