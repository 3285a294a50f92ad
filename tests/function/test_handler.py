"""The presigned-URL handler against the HTTP contract of DESIGN.md, row by row.

SageMaker is moto's server over HTTP (DescribeNotebookInstance, StartNotebookInstance);
CreatePresignedNotebookInstanceUrl, which moto lacks, is botocore's Stubber scoped to
that operation. Every test also checks, through the autouse ``logs`` fixture, that no
log line at any level holds the URL and that each request wrote one audit record.
"""

from __future__ import annotations

import ast
import json
import logging
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from handler_events import (
    ALLOWED_IPV4,
    ALLOWED_IPV6,
    ALLOWED_MAPPED,
    API_ID,
    AUTHORIZED_URL,
    CALLER_ARN,
    DENIED_IPV4,
    DENIED_IPV6,
    DENIED_MAPPED,
    HANDLER_ENV,
    NAME_PREFIX,
    NOT_IN_SERVICE,
    REGION,
    SERVED,
    URL_TOKEN,
    LocalSageMaker,
    PresignShim,
    b64,
    count_sagemaker_calls,
    invoke,
    proxy_event,
    stub_presign,
)
from presigned_url import sagemaker_calls

# The function's asset: Lambda's top level, with handler.py's handler as the entry point.
LAMBDA_FOLDER = Path(sagemaker_calls.__file__).resolve().parent
DURATION = "SessionExpirationDurationInSeconds"
# The keys Lambda's JSON log format writes itself; an extra with one of these names is
# dropped by the runtime's formatter (awslambdaric lambda_runtime_log_utils.JsonFormatter).
LAMBDA_JSON_LOG_KEYS = {
    "timestamp",
    "level",
    "message",
    "logger",
    "stackTrace",
    "errorType",
    "errorMessage",
    "requestId",
    "location",
    "tenantId",
}


# Every test runs in the construct's environment and under the `logs` checks (conftest.py).
pytestmark = pytest.mark.usefixtures("handler_env", "logs")


def assert_error(
    response: dict, body: dict, status: int, code: str, *words: str, request_id: str = "req-0001"
) -> None:
    assert response["statusCode"] == status, body
    assert body["error"] == code
    assert body["requestId"] == request_id
    for word in words:
        assert word in body["message"], body["message"]
    assert AUTHORIZED_URL not in response["body"]
    assert response["headers"]["Content-Type"] == "application/json"
    assert response["headers"]["Cache-Control"] == "no-store"


def rejected_without_call(event: dict, status: int, code: str, *words: str) -> dict:
    context = event.get("requestContext")
    request_id = "req-0001" if isinstance(context, dict) else "lambda-req-1"
    with count_sagemaker_calls() as calls:
        response, body = invoke(event)
    assert_error(response, body, status, code, *words, request_id=request_id)
    assert calls == [], "no SageMaker call may be made for a request rejected up front"
    return body


# ---------------------------------------------------------------- 400: the body


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("{", ["not valid JSON"]),
        ('{"SessionExpirationDurationInSeconds": 3600', ["not valid JSON"]),
        ("[]", ["must be a JSON object"]),
        ("3600", ["must be a JSON object"]),
        ('"3600"', ["must be a JSON object"]),
        ("null", ["must be a JSON object"]),
        (
            '{"SessionExpirationDurationInSeconds": 3600, '
            '"SessionExpirationDurationInSeconds": 3600}',
            ["duplicate keys"],
        ),
        ('{"SessionExpirationDurationInSeconds": NaN}', ["NaN and Infinity"]),
        ('{"SessionExpirationDurationInSeconds": Infinity}', ["NaN and Infinity"]),
        ('{"SessionExpirationDurationInSeconds": -Infinity}', ["NaN and Infinity"]),
        (
            '{"SessionExpirationDurationInSeconds": "3600"}',
            ["JSON integer", "a string", "1800..43200"],
        ),
        (
            '{"SessionExpirationDurationInSeconds": 3600.0}',
            ["JSON integer", "fraction", "1800..43200"],
        ),
        ('{"SessionExpirationDurationInSeconds": 3600.5}', ["JSON integer", "1800..43200"]),
        ('{"SessionExpirationDurationInSeconds": 3.6e3}', ["JSON integer", "1800..43200"]),
        ('{"SessionExpirationDurationInSeconds": 1e400}', ["JSON integer", "1800..43200"]),
        ('{"SessionExpirationDurationInSeconds": true}', ["JSON integer", "a boolean"]),
        ('{"SessionExpirationDurationInSeconds": false}', ["JSON integer", "a boolean"]),
        ('{"SessionExpirationDurationInSeconds": null}', ["JSON integer", "null"]),
        ('{"SessionExpirationDurationInSeconds": [3600]}', ["JSON integer", "an array"]),
        ('{"SessionExpirationDurationInSeconds": {"s": 3600}}', ["JSON integer", "an object"]),
        ('{"SessionExpirationDurationInSeconds": 1799}', ["between 1800 and 43200", "1799"]),
        ('{"SessionExpirationDurationInSeconds": 43201}', ["between 1800 and 43200", "43201"]),
        ('{"SessionExpirationDurationInSeconds": -1}', ["between 1800 and 43200"]),
        ('{"Duration": 3600}', ['unknown field(s) "Duration"', DURATION]),
        ('{"SessionExpirationDurationInSeconds": 3600, "b": 1, "a": 2}', ['"a", "b"', DURATION]),
        ("\ufeff{}", ["not valid JSON"]),
    ],
)
def test_bad_bodies_are_400_and_name_the_rule(body: str, words: list[str]) -> None:
    rejected_without_call(proxy_event(body=body), 400, "ValidationError", *words)


def test_deep_nesting_inside_the_limit_is_400_not_a_crash() -> None:
    body = "[" * 2000 + "]" * 2000
    rejected_without_call(proxy_event(body=body), 400, "ValidationError")


def test_non_string_body_is_400() -> None:
    event = proxy_event()
    event["body"] = {"SessionExpirationDurationInSeconds": 3600}
    rejected_without_call(event, 400, "ValidationError", "JSON object")


def test_the_configured_maximum_bounds_the_duration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_SESSION_DURATION_SECONDS", "7200")
    body = json.dumps({DURATION: 7201})
    rejected_without_call(proxy_event(body=body), 400, "ValidationError", "1800 and 7200")


@pytest.mark.parametrize("duration", [1800, 43200, 7200])
def test_durations_at_the_bounds_are_passed_to_sagemaker(
    moto: LocalSageMaker, duration: int
) -> None:
    with stub_presign(None, duration=duration) as presign:
        response, body = invoke(proxy_event(body=json.dumps({DURATION: duration})))
    assert response["statusCode"] == 200, body
    assert body == {
        "AuthorizedUrl": AUTHORIZED_URL,
        "NotebookInstanceName": SERVED,
        DURATION: duration,
    }
    assert presign.pending == 0


@pytest.mark.parametrize("body", [None, "", "   ", "{}", " {} \n"])
def test_no_duration_means_the_configured_default(moto: LocalSageMaker, body: str | None) -> None:
    with stub_presign(None, duration=3600):
        response, data = invoke(proxy_event(body=body))
    assert response["statusCode"] == 200, data
    assert data[DURATION] == 3600


# ---------------------------------------------------------------- 400: base64 bodies


def test_base64_body_is_decoded(moto: LocalSageMaker) -> None:
    event = proxy_event(body=json.dumps({DURATION: 7200}), base64_body=True)
    assert event["body"] != json.dumps({DURATION: 7200})
    with stub_presign(None, duration=7200):
        response, body = invoke(event)
    assert response["statusCode"] == 200, body
    assert body[DURATION] == 7200


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("not base64!!", ["not valid base64"]),
        ("eyJ", ["not valid base64"]),  # unpadded
        (b64("{nope"), ["not valid JSON"]),
        (b64("[1]"), ["JSON object"]),
        (b64(json.dumps({DURATION: 1799})), ["between 1800"]),
        (b64(b"\xff\xfe{}"), ["not valid JSON"]),
    ],
)
def test_bad_base64_bodies_are_400(body: str, words: list[str]) -> None:
    event = proxy_event()
    event["body"], event["isBase64Encoded"] = body, True
    rejected_without_call(event, 400, "ValidationError", *words)


def test_base64_flag_other_than_true_means_plain_text() -> None:
    event = proxy_event(body=b64("{}"))
    event["isBase64Encoded"] = "true"
    rejected_without_call(event, 400, "ValidationError", "not valid JSON")


# ---------------------------------------------------------------- 413


def padded(size: int) -> str:
    """A valid JSON object body of exactly ``size`` bytes."""
    core = json.dumps({DURATION: 3600})
    return core + " " * (size - len(core))


def test_body_of_4096_bytes_is_accepted(moto: LocalSageMaker) -> None:
    with stub_presign(None, duration=3600):
        response, body = invoke(proxy_event(body=padded(4096)))
    assert response["statusCode"] == 200, body


@pytest.mark.parametrize("base64_body", [False, True])
def test_body_over_4_kib_is_413(base64_body: bool) -> None:
    event = proxy_event(body=padded(4097), base64_body=base64_body)
    rejected_without_call(event, 413, "PayloadTooLarge", "4096 bytes")


def test_base64_body_of_exactly_4096_decoded_bytes_is_accepted(moto: LocalSageMaker) -> None:
    with stub_presign(None, duration=3600):
        response, body = invoke(proxy_event(body=padded(4096), base64_body=True))
    assert response["statusCode"] == 200, body


def test_oversized_base64_is_413_before_decoding() -> None:
    event = proxy_event()
    event["body"], event["isBase64Encoded"] = "!" * 6000, True  # would be 400 if decoded
    rejected_without_call(event, 413, "PayloadTooLarge")


def test_size_is_counted_in_utf8_bytes() -> None:
    body = json.dumps({"x": "é" * 2100}, ensure_ascii=False)
    assert len(body) < 4096 < len(body.encode())
    rejected_without_call(proxy_event(body=body), 413, "PayloadTooLarge")


# ---------------------------------------------------------------- 400: the name


def test_name_of_63_characters_is_accepted(moto: LocalSageMaker) -> None:
    name = NAME_PREFIX + "a" * (63 - len(NAME_PREFIX))
    moto.create(name)
    with stub_presign(None, name=name, duration=3600):
        response, body = invoke(proxy_event(name=name))
    assert response["statusCode"] == 200, body
    assert body["NotebookInstanceName"] == name


@pytest.mark.parametrize(
    "name",
    [
        NAME_PREFIX + "a" * (64 - len(NAME_PREFIX)),
        "nb-1\n",
        "\nnb-1",
        "nb_1",
        "-nb1",
        "nb1-",
        "nb 1",
        "nb.1",
        "nb-ü",
        "nb-1/../x",
        "",
        None,
        42,
        ["nb-1"],
    ],
)
def test_bad_names_are_400(name: object) -> None:
    body = rejected_without_call(proxy_event(name=name), 400, "ValidationError", "notebook")
    expected = "must name a notebook" if name in ("", None, 42, ["nb-1"]) else "1..63"
    assert expected in body["message"]


def test_missing_path_parameters_is_400() -> None:
    event = proxy_event()
    event["pathParameters"] = None
    rejected_without_call(event, 400, "ValidationError", "must name a notebook")


# ---------------------------------------------------------------- 403


@pytest.mark.parametrize("source_ip", [ALLOWED_IPV4, ALLOWED_IPV6, ALLOWED_MAPPED])
def test_allowed_addresses_get_a_url(moto: LocalSageMaker, source_ip: str) -> None:
    with stub_presign(None):
        response, body = invoke(proxy_event(source_ip=source_ip))
    assert response["statusCode"] == 200, body


@pytest.mark.parametrize(
    ("source_ip", "shown"),
    [
        (DENIED_IPV4, DENIED_IPV4),
        (DENIED_IPV6, DENIED_IPV6),
        (DENIED_MAPPED, "198.51.100.7"),
        ("::203.0.113.10", "::cb00:710a"),  # IPv4-compatible, not mapped: another host
        ("203.0.114.1", "203.0.114.1"),
    ],
)
def test_addresses_off_the_allow_list_are_403(source_ip: str, shown: str) -> None:
    rejected_without_call(proxy_event(source_ip=source_ip), 403, "Forbidden", "allow-list", shown)


def test_a_mapped_network_on_the_list_admits_mapped_addresses(
    moto: LocalSageMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALLOWED_CIDRS", "::ffff:203.0.113.0/120")
    with stub_presign(None):
        response, body = invoke(proxy_event(source_ip=ALLOWED_MAPPED))
    assert response["statusCode"] == 200, body
    rejected_without_call(proxy_event(source_ip=DENIED_MAPPED), 403, "Forbidden")


def test_forwarded_for_header_is_never_trusted() -> None:
    event = proxy_event(source_ip=DENIED_IPV4)
    event["headers"]["X-Forwarded-For"] = ALLOWED_IPV4
    rejected_without_call(event, 403, "Forbidden", DENIED_IPV4)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda e: e.pop("requestContext"),
        lambda e: e.__setitem__("requestContext", "ctx"),
        lambda e: e["requestContext"].pop("identity"),
        lambda e: e["requestContext"].__setitem__("identity", None),
        lambda e: e["requestContext"]["identity"].pop("sourceIp"),
        lambda e: e["requestContext"]["identity"].__setitem__("sourceIp", ""),
        lambda e: e["requestContext"]["identity"].__setitem__("sourceIp", 203),
        lambda e: e["requestContext"]["identity"].__setitem__("sourceIp", "not-an-ip"),
        lambda e: e["requestContext"]["identity"].__setitem__("sourceIp", " 203.0.113.10"),
        lambda e: e["requestContext"]["identity"].__setitem__("sourceIp", "203.0.113.0/24"),
    ],
    ids=[
        "no-requestContext",
        "requestContext-not-object",
        "no-identity",
        "identity-null",
        "no-sourceIp",
        "empty-sourceIp",
        "sourceIp-not-string",
        "sourceIp-garbage",
        "sourceIp-padded",
        "sourceIp-network",
    ],
)
def test_missing_or_broken_identity_is_403(mutate) -> None:
    event = proxy_event()
    mutate(event)
    rejected_without_call(event, 403, "Forbidden")


def test_unsigned_request_is_403() -> None:
    event = proxy_event()
    del event["requestContext"]["identity"]["userArn"]
    del event["requestContext"]["identity"]["caller"]
    rejected_without_call(event, 403, "Forbidden", "SigV4")


def test_identity_is_checked_before_the_body_and_the_name() -> None:
    event = proxy_event(source_ip=DENIED_IPV4, name="bad_name", body="{")
    rejected_without_call(event, 403, "Forbidden")


def test_missing_request_context_falls_back_to_the_lambda_request_id() -> None:
    event = proxy_event()
    del event["requestContext"]
    response, body = invoke(event)
    assert response["statusCode"] == 403
    assert body["requestId"] == "lambda-req-1"


# ---------------------------------------------------------------- 404 / 405


@pytest.mark.parametrize("name", ["other-notebook", "nb-10", "team", "nb"])
def test_notebook_not_served_is_404_without_a_sagemaker_call(name: str) -> None:
    rejected_without_call(proxy_event(name=name), 404, "NotebookNotFound", name, "not served")


def test_notebook_served_by_prefix_is_minted(moto: LocalSageMaker) -> None:
    moto.create("team-analysis")
    with stub_presign(None, name="team-analysis", duration=3600):
        response, body = invoke(proxy_event(name="team-analysis"))
    assert response["statusCode"] == 200, body


def test_served_notebook_missing_in_sagemaker_is_404(moto: LocalSageMaker) -> None:
    with stub_presign(None):  # called concurrently with the describe; its URL is dropped
        response, body = invoke(proxy_event(name="nb-2"))
    assert_error(response, body, 404, "NotebookNotFound", "does not exist")


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"])
def test_wrong_method_is_405_with_allow_header(method: str) -> None:
    body = rejected_without_call(proxy_event(method=method), 405, "MethodNotAllowed", "POST")
    assert method in body["message"]


def test_405_does_not_echo_arbitrary_method_text() -> None:
    body = rejected_without_call(
        proxy_event(method="get <script>"), 405, "MethodNotAllowed", "POST"
    )
    assert "script" not in body["message"]


def test_405_carries_allow_post() -> None:
    response, _ = invoke(proxy_event(method="GET"))
    assert response["headers"]["Allow"] == "POST"


@pytest.mark.parametrize(
    "resource",
    [
        None,
        "/",
        "/notebooks/{NotebookInstanceName}",
        "/x/url",
        "/notebooks/{NotebookInstanceName}/url/",
    ],
)
def test_unknown_route_is_404(resource: str | None) -> None:
    event = proxy_event()
    event["resource"] = resource
    rejected_without_call(event, 404, "NotFound", "POST /notebooks/{name}/url")


# ---------------------------------------------------------------- 200 and 409


def test_happy_path_returns_the_url_with_no_store(moto: LocalSageMaker) -> None:
    with count_sagemaker_calls() as calls, stub_presign(None, duration=3600):
        response, body = invoke(proxy_event())
    assert response["statusCode"] == 200
    assert body == {"AuthorizedUrl": AUTHORIZED_URL, "NotebookInstanceName": SERVED, DURATION: 3600}
    assert response["headers"]["Cache-Control"] == "no-store"
    assert response["headers"]["Content-Type"] == "application/json"
    assert response["isBase64Encoded"] is False
    assert sorted(calls) == ["CreatePresignedNotebookInstanceUrl", "DescribeNotebookInstance"]


def test_describe_and_presign_overlap(moto: LocalSageMaker) -> None:
    """One round trip of latency: both calls must be in flight at the same time.

    Each call waits at a two-party barrier before going on. Run one after the other,
    the first would wait alone, the barrier would break after 5 s and the request
    would fail; run concurrently, both pass.
    """
    barrier = threading.Barrier(2, timeout=5)
    arrived: list[str] = []

    def meet(model, **_):
        arrived.append(model.name)
        barrier.wait()

    events = sagemaker_calls.sagemaker.meta.events
    with stub_presign(None):
        for operation in ("DescribeNotebookInstance", "CreatePresignedNotebookInstanceUrl"):
            events.register_first(f"before-call.sagemaker.{operation}", meet, unique_id=operation)
        try:
            response, body = invoke(proxy_event())
        finally:
            for operation in ("DescribeNotebookInstance", "CreatePresignedNotebookInstanceUrl"):
                events.unregister(f"before-call.sagemaker.{operation}", meet, unique_id=operation)
    assert not barrier.broken
    assert sorted(arrived) == ["CreatePresignedNotebookInstanceUrl", "DescribeNotebookInstance"]
    assert response["statusCode"] == 200, body


@pytest.mark.parametrize("status", NOT_IN_SERVICE)
def test_not_in_service_is_409_with_status_and_no_url(moto: LocalSageMaker, status: str) -> None:
    moto.reset()
    moto.create(SERVED, status=status)
    with stub_presign(None) as presign:
        response, body = invoke(proxy_event())
    assert_error(response, body, 409, "NotebookNotInService", status, "InService")
    assert body["NotebookInstanceStatus"] == status
    assert set(body) == {"error", "message", "requestId", "NotebookInstanceStatus"}
    assert URL_TOKEN not in response["body"]
    # The URL was minted concurrently, then dropped.
    assert presign.pending == 0


# ---------------------------------------------------------------- start route (moto)


def start(name: str = SERVED, body: str | None = None) -> tuple[dict, dict, list[str]]:
    with count_sagemaker_calls() as calls:
        response, data = invoke(proxy_event(route="start", name=name, body=body))
    return response, data, calls


def test_start_starts_a_stopped_notebook(moto: LocalSageMaker) -> None:
    moto.client.stop_notebook_instance(NotebookInstanceName=SERVED)
    response, body, calls = start()
    assert response["statusCode"] == 202, body
    assert body == {"NotebookInstanceName": SERVED, "NotebookInstanceStatus": "Pending"}
    assert calls == ["DescribeNotebookInstance", "StartNotebookInstance"]
    assert moto.status(SERVED) == "InService"  # moto starts at once
    assert response["headers"]["Cache-Control"] == "no-store"


@pytest.mark.parametrize("status", ["InService", "Pending"])
def test_start_reports_a_running_notebook_without_starting_it(
    moto: LocalSageMaker, status: str
) -> None:
    moto.set_status(SERVED, status)
    response, body, calls = start()
    assert response["statusCode"] == 202, body
    assert body == {"NotebookInstanceName": SERVED, "NotebookInstanceStatus": status}
    assert calls == ["DescribeNotebookInstance"]


@pytest.mark.parametrize("status", ["Stopping", "Failed", "Updating", "Deleting"])
def test_start_of_an_unstartable_notebook_is_409(moto: LocalSageMaker, status: str) -> None:
    moto.set_status(SERVED, status)
    response, body, calls = start()
    assert_error(response, body, 409, "NotebookNotStartable", status, "Stopped")
    assert body["NotebookInstanceStatus"] == status
    assert calls == ["DescribeNotebookInstance"]
    assert moto.status(SERVED) == status


def test_start_of_a_missing_served_notebook_is_404(moto: LocalSageMaker) -> None:
    response, body, _ = start("nb-2")
    assert_error(response, body, 404, "NotebookNotFound", "does not exist")


def test_start_of_a_notebook_not_served_is_404_without_a_call(moto: LocalSageMaker) -> None:
    moto.create("elsewhere")
    moto.client.stop_notebook_instance(NotebookInstanceName="elsewhere")
    response, body, calls = start("elsewhere")
    assert_error(response, body, 404, "NotebookNotFound", "not served")
    assert calls == []
    assert moto.status("elsewhere") == "Stopped"


@pytest.mark.parametrize(
    ("body", "status", "code", "word"),
    [
        ('{"SessionExpirationDurationInSeconds": 3600}', 400, "ValidationError", "no body fields"),
        ("[", 400, "ValidationError", "not valid JSON"),
        (padded(5000), 413, "PayloadTooLarge", "4096"),
    ],
)
def test_start_body_must_be_empty(
    moto: LocalSageMaker, body: str, status: int, code: str, word: str
) -> None:
    moto.client.stop_notebook_instance(NotebookInstanceName=SERVED)
    response, data, calls = start(body=body)
    assert_error(response, data, status, code, word)
    assert calls == []
    assert moto.status(SERVED) == "Stopped"


def test_start_route_is_404_unless_allowed(
    moto: LocalSageMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALLOW_START", "false")
    moto.client.stop_notebook_instance(NotebookInstanceName=SERVED)
    response, body, calls = start()
    assert_error(response, body, 404, "NotFound")
    assert "/start" not in body["message"]
    assert calls == []
    assert moto.status(SERVED) == "Stopped"


def test_start_from_a_denied_address_is_403(moto: LocalSageMaker) -> None:
    moto.client.stop_notebook_instance(NotebookInstanceName=SERVED)
    with count_sagemaker_calls() as calls:
        response, body = invoke(proxy_event(route="start", source_ip=DENIED_IPV6))
    assert_error(response, body, 403, "Forbidden")
    assert calls == []


# ---------------------------------------------------------------- SDK configuration


def test_client_honours_endpoint_and_region_from_the_environment(moto: LocalSageMaker) -> None:
    assert sagemaker_calls.sagemaker.meta.endpoint_url == moto.url
    assert sagemaker_calls.sagemaker.meta.region_name == REGION
    moto.set_status(SERVED, "Stopped")
    response, body, _ = start()
    assert response["statusCode"] == 202, body
    assert moto.status(SERVED) == "InService"  # the start reached moto


def test_client_uses_bounded_standard_retries_and_timeouts() -> None:
    config = sagemaker_calls.sagemaker.meta.config
    assert config.retries == {"mode": "standard", "total_max_attempts": 2}
    assert config.connect_timeout == 1
    assert config.read_timeout == 3


def test_worst_case_fits_lambda_timeout_which_fits_api_gateway() -> None:
    from sagemaker_notebook_access.api.presigned_url_api import LAMBDA_TIMEOUT

    config = sagemaker_calls.sagemaker.meta.config
    attempts = config.retries["total_max_attempts"]
    # Standard mode waits at most random() * 2 ** (n - 1) s before attempt n + 1.
    backoff = sum(2 ** (n - 1) for n in range(1, attempts))
    per_call = attempts * (config.connect_timeout + config.read_timeout) + backoff
    # The start route makes two calls one after the other; the URL route two at once.
    worst = 2 * per_call
    lambda_timeout = LAMBDA_TIMEOUT.to_seconds()
    assert worst < lambda_timeout < 29, (worst, lambda_timeout)


# ---------------------------------------------------------------- audit


def audit_of(recorder) -> dict:
    (record,) = recorder.audit_records()
    return {
        key: getattr(record, key, None)
        for key in (
            "callerArn",
            "sourceIp",
            "route",
            "notebook",
            "sessionDurationSeconds",
            "denyReason",
            "outcome",
            "status",
            "apiRequestId",
            "durationMs",
            "viaDeployedApi",
        )
    }


def test_audit_record_of_a_minted_url(moto: LocalSageMaker, logs) -> None:
    with stub_presign(None):
        invoke(proxy_event(body=json.dumps({DURATION: 7200}), source_ip=ALLOWED_IPV6))
    audit = audit_of(logs)
    assert audit | {"durationMs": 0} == {
        "callerArn": CALLER_ARN,
        "sourceIp": ALLOWED_IPV6,
        "route": "url",
        "notebook": SERVED,
        "sessionDurationSeconds": 7200,
        "denyReason": None,
        "outcome": "ok",
        "status": 200,
        "apiRequestId": "req-0001",
        "durationMs": 0,
        "viaDeployedApi": True,
    }
    assert isinstance(audit["durationMs"], float) and audit["durationMs"] >= 0


@pytest.mark.parametrize(
    "api_id",
    [None, "", "zzzzzzzzzz", API_ID.upper()],
    ids=["no apiId", "empty", "another API", "case differs"],
)
def test_audit_record_flags_an_event_that_did_not_come_through_the_deployed_api(
    moto: LocalSageMaker, logs, api_id
) -> None:
    # A direct lambda:InvokeFunction skips SigV4, the resource policy, the WAF and the
    # grants; the audit line says so (a flag, not a check: the event is the invoker's).
    with stub_presign(None):
        invoke(proxy_event(api_id=api_id))
    assert audit_of(logs)["viaDeployedApi"] is False


def test_without_rest_api_id_no_event_counts_as_through_the_api(logs, monkeypatch) -> None:
    monkeypatch.delenv("REST_API_ID")
    # An empty apiId equals the unset REST_API_ID: still not "through the API".
    invoke(proxy_event(source_ip=DENIED_IPV4, api_id=""))
    assert audit_of(logs)["viaDeployedApi"] is False


def test_audit_record_of_a_refusal(logs) -> None:
    invoke(proxy_event(source_ip=DENIED_IPV4))
    audit = audit_of(logs)
    assert audit["outcome"] == "Forbidden"
    assert audit["status"] == 403
    assert audit["denyReason"] == "outsideAllowList"
    assert audit["sourceIp"] == DENIED_IPV4
    assert audit["callerArn"] == CALLER_ARN
    assert audit["notebook"] is None


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda e: e["requestContext"]["identity"].pop("sourceIp"), "noSourceIp"),
        (lambda e: e["requestContext"]["identity"].__setitem__("sourceIp", "x"), "noSourceIp"),
        (
            lambda e: [e["requestContext"]["identity"].pop(k) for k in ("userArn", "caller")],
            "noIdentity",
        ),
    ],
    ids=["no-sourceIp", "garbage-sourceIp", "unsigned"],
)
def test_audit_record_names_why_a_request_was_refused(logs, mutate, reason) -> None:
    # The metric filters of monitoring/operations.py count denials by these values.
    event = proxy_event()
    mutate(event)
    invoke(event)
    audit = audit_of(logs)
    assert (audit["status"], audit["denyReason"]) == (403, reason)


def test_audit_fields_survive_lambdas_json_log_format(moto: LocalSageMaker, logs) -> None:
    """Lambda writes extras as JSON keys unless a key is one it writes itself."""
    with stub_presign(None):
        invoke(proxy_event())
    (record,) = logs.audit_records()
    standard = set(vars(logging.LogRecord("", 0, "", 0, "", None, None)))
    extras = {k: v for k, v in vars(record).items() if k not in standard and k != "message"}
    assert {"callerArn", "sourceIp", "notebook", "outcome", "status", "apiRequestId"} <= set(extras)
    assert not set(extras) & LAMBDA_JSON_LOG_KEYS
    json.dumps(extras)  # serializable as the runtime's formatter needs
    assert record.levelname == "INFO"
    assert record.getMessage() == "presigned-url request"


def test_audit_clips_oversized_identity_text(logs) -> None:
    invoke(proxy_event(user_arn="arn:" + "x" * 5000, source_ip="1" * 5000))
    audit = audit_of(logs)
    assert len(audit["callerArn"]) <= 256 and len(audit["sourceIp"]) <= 256


# ---------------------------------------------------------------- as Lambda imports it

LAMBDA_RUN = textwrap.dedent(
    """
    import json, sys
    folder = sys.argv[1]
    sys.path.insert(0, folder)  # what Lambda does with the function's code
    import handler
    response = handler.handler(json.loads(sys.stdin.read()), None)
    loaded = [
        name
        for name, module in sys.modules.items()
        if (getattr(module, "__file__", None) or "").startswith(folder)
    ]
    print(json.dumps({"response": response, "loaded": sorted(loaded)}))
    """
)


def test_the_folder_works_as_lambdas_top_level(moto: LocalSageMaker) -> None:
    """Lambda imports ``handler`` with this folder as the top level, not as a package: every
    module is loaded under its own name, and a request is served end to end that way."""
    with PresignShim(moto.url) as shim:
        result = subprocess.run(
            [sys.executable, "-I", "-c", LAMBDA_RUN, str(LAMBDA_FOLDER)],
            input=json.dumps(proxy_event()),
            env={**os.environ, **HANDLER_ENV, "AWS_ENDPOINT_URL_SAGEMAKER": shim.url},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    ran = json.loads(result.stdout)
    assert ran["response"]["statusCode"] == 200, ran["response"]
    assert json.loads(ran["response"]["body"])["AuthorizedUrl"] == AUTHORIZED_URL
    assert shim.presign_requests == 1
    assert ran["loaded"] == sorted(path.stem for path in LAMBDA_FOLDER.glob("*.py"))


def test_the_handler_modules_import_each_other_without_a_circle() -> None:
    modules = {path.stem: path for path in LAMBDA_FOLDER.glob("*.py")}
    imports: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                found |= {node.module or ""} | {alias.name for alias in node.names}
        imports[name] = found & set(modules)
    assert imports["contract"] == set()
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, " -> ".join((*path, name))
        if name not in done:
            for imported in sorted(imports[name]):
                visit(imported, (*path, name))
            done.add(name)

    for name in sorted(modules):
        visit(name, ())
