"""Properties of the handler over arbitrary events and arbitrary SageMaker outcomes.

SageMaker here is a fake client (``FakeSageMaker``): the properties are about the
handler's parsing, authorization and response layer, and each example draws what
SageMaker answers (any status, throttling, access denied, timeouts, crashes), which
neither moto nor a queue of Stubber responses can produce on demand at this rate.
The real client, moto and the Stubber are exercised in test_handler*.py.
"""

from __future__ import annotations

import base64
import contextlib
import ipaddress
import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError, ReadTimeoutError
from handler_events import (
    ALLOWED_IPV4,
    ALLOWED_IPV6,
    ALLOWED_MAPPED,
    AUTHORIZED_URL,
    CONTRACT_STATUSES,
    DENIED_IPV4,
    DENIED_IPV6,
    DENIED_MAPPED,
    HANDLER_ENV,
    NOT_IN_SERVICE,
    RESOURCES,
    SERVED,
    URL_TOKEN,
    capture_all_logs,
    handler_environment,
    invoke,
    proxy_event,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from presigned_url import sagemaker_calls

PROPERTY_SETTINGS = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
AWS_TEXT = "arn:aws:sagemaker:eu-west-1:999988887777:notebook-instance/nb-1 AWS-SAID-THIS"
ERROR_KEYS = {"error", "message", "requestId"}


def client_error(code: str, message: str = AWS_TEXT) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "Operation")


OUTCOMES = st.one_of(
    st.sampled_from(["InService", *NOT_IN_SERVICE]),
    st.sampled_from(
        [
            client_error("ThrottlingException"),
            client_error("AccessDeniedException"),
            client_error("ValidationException", "RecordNotFound " + AWS_TEXT),
            client_error("InternalFailure"),
            ConnectTimeoutError(endpoint_url="https://sagemaker/" + AWS_TEXT),
            ReadTimeoutError(endpoint_url="https://sagemaker/" + AWS_TEXT),
            RuntimeError(AWS_TEXT),
        ]
    ),
)


class FakeSageMaker:
    """Answers the three operations the handler uses with outcomes drawn per example."""

    def __init__(self, describe: Any, presign: Any, start: Any) -> None:
        self.outcomes = {"describe": describe, "presign": presign, "start": start}
        self.calls: list[str] = []

    def _answer(self, operation: str, success: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(operation)
        outcome = self.outcomes[operation]
        if isinstance(outcome, Exception):
            raise outcome
        return success

    def describe_notebook_instance(self, NotebookInstanceName: str) -> dict[str, Any]:
        status = self.outcomes["describe"]
        return self._answer("describe", {"NotebookInstanceStatus": status})

    def create_presigned_notebook_instance_url(self, **_: Any) -> dict[str, Any]:
        return self._answer("presign", {"AuthorizedUrl": AUTHORIZED_URL})

    def start_notebook_instance(self, **_: Any) -> dict[str, Any]:
        return self._answer("start", {})


@pytest.fixture
def fake_sagemaker(monkeypatch: pytest.MonkeyPatch):
    """Install a FakeSageMaker for one example at a time."""

    @contextlib.contextmanager
    def install(fake: FakeSageMaker) -> Iterator[FakeSageMaker]:
        with monkeypatch.context() as patch:
            patch.setattr(sagemaker_calls, "sagemaker", fake)
            yield fake

    return install


# ---------------------------------------------------------------- strategies

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
anything = json_values | st.binary(max_size=20) | st.tuples(st.integers()) | st.just(object())

durations = st.one_of(
    st.integers(min_value=1000, max_value=50000),
    st.sampled_from([1799, 1800, 43200, 43201, 3600.0, True, "3600", None]),
    json_values,
)
body_texts = st.one_of(
    st.none(),
    st.just(""),
    st.builds(lambda d: json.dumps({"SessionExpirationDurationInSeconds": d}), durations),
    st.builds(json.dumps, json_values),
    st.text(max_size=60),
    st.sampled_from(
        [
            "{",
            '{"SessionExpirationDurationInSeconds": NaN}',
            '{"SessionExpirationDurationInSeconds": 1, "SessionExpirationDurationInSeconds": 2}',
            " " * 5000,
            "{}" + " " * 4094,
        ]
    ),
)
source_ips = st.one_of(
    st.sampled_from(
        [ALLOWED_IPV4, ALLOWED_IPV6, ALLOWED_MAPPED, DENIED_IPV4, DENIED_IPV6, DENIED_MAPPED]
    ),
    st.ip_addresses().map(str),
    st.text(max_size=40),
    anything,
)
names = st.one_of(
    st.sampled_from([SERVED, "nb-2", "team-x", "other", "a" * 63, "a" * 64, "nb-1\n", ""]),
    st.from_regex(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,70}", fullmatch=True),
    st.text(max_size=70),
    anything,
)


def mostly(good: st.SearchStrategy, bad: st.SearchStrategy) -> st.SearchStrategy:
    """``good`` three times in four: enough valid events to reach SageMaker and 200/409/5xx."""
    # Not st.one_of(good, good, good, bad): one_of flattens nested one_ofs into siblings,
    # so a ``bad`` made of many alternatives would win most draws.
    return st.integers(min_value=0, max_value=3).flatmap(lambda pick: bad if pick == 3 else good)


@st.composite
def events(draw: st.DrawFn) -> Any:
    """A valid-looking event with any slot possibly replaced by anything at all."""
    body = draw(
        mostly(st.sampled_from([None, '{"SessionExpirationDurationInSeconds": 3600}']), body_texts)
    )
    encode = isinstance(body, str) and draw(mostly(st.just(False), st.just(True)))
    event = proxy_event(
        route=draw(mostly(st.just("url"), st.just("start"))),
        name=draw(mostly(st.sampled_from([SERVED, "team-x"]), names)),
        body=body,
        method=draw(mostly(st.just("POST"), st.sampled_from(["GET", "PUT"]) | st.text(max_size=8))),
        source_ip=draw(
            mostly(st.sampled_from([ALLOWED_IPV4, ALLOWED_IPV6, ALLOWED_MAPPED]), source_ips)
        ),
        user_arn=draw(
            mostly(
                st.just("arn:aws:iam::123456789012:user/a"), st.sampled_from([None, ""]) | anything
            )
        ),
        base64_body=encode,
        request_id=draw(mostly(st.just("req-0001"), st.text(max_size=10))),
    )
    if isinstance(body, str) and not encode and draw(mostly(st.just(False), st.just(True))):
        event["isBase64Encoded"] = True  # claims base64, is not: must be handled
    event["headers"] = draw(
        mostly(
            st.just(event["headers"]),
            st.dictionaries(st.text(max_size=20), st.text(max_size=40), max_size=4) | anything,
        )
    )
    slots = [
        "resource",
        "httpMethod",
        "pathParameters",
        "requestContext",
        "body",
        "isBase64Encoded",
    ]
    replaced = draw(mostly(st.just([]), st.lists(st.sampled_from(slots), max_size=3, unique=True)))
    for slot in replaced:
        event[slot] = draw(anything | st.sampled_from(list(RESOURCES.values())))
    removed = draw(mostly(st.just([]), st.lists(st.sampled_from(slots), max_size=2, unique=True)))
    for slot in removed:
        event.pop(slot, None)
    context = event.get("requestContext")
    if isinstance(context, dict) and draw(mostly(st.just(False), st.just(True))):
        context["identity"] = draw(anything)
    return draw(mostly(st.just(event), anything))


# ---------------------------------------------------------------- properties


def assert_well_formed(response: Any, describe_outcome: Any) -> dict[str, Any]:
    assert isinstance(response, dict)
    assert isinstance(response["statusCode"], int)
    assert response["statusCode"] in CONTRACT_STATUSES
    headers = response["headers"]
    assert isinstance(headers, dict)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items())
    assert headers["Cache-Control"] == "no-store"
    assert isinstance(response["body"], str)
    body = json.loads(response["body"])
    assert isinstance(body, dict)
    status = response["statusCode"]
    if status == 200:
        assert body["AuthorizedUrl"] == AUTHORIZED_URL
        assert describe_outcome == "InService"  # never a URL for a notebook not InService
    else:
        assert URL_TOKEN not in response["body"]
    if status >= 400:
        extra = {"NotebookInstanceStatus"} if status == 409 else set()
        assert set(body) == ERROR_KEYS | extra
        assert all(isinstance(body[k], str) and body[k] for k in ERROR_KEYS)
        assert "AWS-SAID-THIS" not in response["body"]
        assert "999988887777" not in response["body"]
    if status == 503:
        assert headers["Retry-After"].isdigit()
    return body


@PROPERTY_SETTINGS
@given(
    event=events(),
    describe=OUTCOMES,
    presign=st.sampled_from([None, client_error("ThrottlingException"), RuntimeError(AWS_TEXT)]),
    start=st.sampled_from([None, client_error("AccessDeniedException")]),
    allow_start=st.sampled_from(["true", "false"]),
)
def test_any_event_gets_a_well_formed_contract_response(
    fake_sagemaker, event: Any, describe: Any, presign: Any, start: Any, allow_start: str
) -> None:
    with (
        handler_environment(ALLOW_START=allow_start),
        fake_sagemaker(FakeSageMaker(describe, presign, start)),
        capture_all_logs() as logs,
    ):
        response, _ = invoke(event)
    assert_well_formed(response, describe)
    assert URL_TOKEN not in logs.text()
    assert "AWS-SAID-THIS" not in logs.text()
    assert len(logs.audit_records()) == 1


@PROPERTY_SETTINGS
@given(duration=durations, describe=OUTCOMES)
def test_only_integer_durations_in_range_reach_sagemaker(
    fake_sagemaker, duration: Any, describe: Any
) -> None:
    body = json.dumps({"SessionExpirationDurationInSeconds": duration})
    with (
        handler_environment(),
        fake_sagemaker(FakeSageMaker(describe, None, None)) as fake,
        capture_all_logs(),
    ):
        response, data = invoke(proxy_event(body=body))
    assert_well_formed(response, describe)
    valid = type(duration) is int and 1800 <= duration <= 43200
    assert (response["statusCode"] != 400) == valid, (duration, data)
    assert bool(fake.calls) == valid
    if response["statusCode"] == 200:
        assert data["SessionExpirationDurationInSeconds"] == duration


ALLOWED_NETWORKS = [ipaddress.ip_network(c) for c in HANDLER_ENV["ALLOWED_CIDRS"].split(",")]


def is_allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address.version == n.version and address in n for n in ALLOWED_NETWORKS)


@PROPERTY_SETTINGS
@given(
    address=st.ip_addresses()
    | st.ip_addresses(network="203.0.113.0/24")
    | st.ip_addresses(network="2001:db8::/32")
    | st.ip_addresses(network="::ffff:0:0/96")
)
def test_source_address_is_admitted_exactly_when_on_the_allow_list(
    fake_sagemaker, address: ipaddress.IPv4Address | ipaddress.IPv6Address
) -> None:
    with (
        handler_environment(),
        fake_sagemaker(FakeSageMaker("InService", None, None)) as fake,
        capture_all_logs(),
    ):
        response, _ = invoke(proxy_event(source_ip=str(address)))
    expected = 200 if is_allowed(address) else 403
    assert response["statusCode"] == expected, str(address)
    assert bool(fake.calls) == (expected == 200)


@PROPERTY_SETTINGS
@given(payload=st.binary(max_size=6000))
def test_base64_bodies_decode_or_fail_cleanly(fake_sagemaker, payload: bytes) -> None:
    event = proxy_event()
    event["body"], event["isBase64Encoded"] = base64.b64encode(payload).decode(), True
    with (
        handler_environment(),
        fake_sagemaker(FakeSageMaker("InService", None, None)),
        capture_all_logs(),
    ):
        response, _ = invoke(event)
    assert_well_formed(response, "InService")
    if len(payload) > 4096:
        assert response["statusCode"] == 413
    elif not payload.strip():
        assert response["statusCode"] == 200
    else:
        assert response["statusCode"] in {200, 400}
