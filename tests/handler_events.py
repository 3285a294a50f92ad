"""API Gateway REST (v1) proxy events and the test doubles the handler tests share.

Only the parts no real component can play are doubles: moto runs DescribeNotebookInstance
and StartNotebookInstance for real over HTTP; CreatePresignedNotebookInstanceUrl, which
moto lacks, is answered by botocore's Stubber scoped to that one operation.
"""

from __future__ import annotations

import base64
import contextlib
import importlib
import json
import logging
import os
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.stub import Stubber
from local_server import LocalServer, Reply
from presigned_url import contract, handler, portal, sagemaker_calls

REGION = "eu-west-1"
ACCOUNT_ID = "123456789012"
CALLER_ARN = f"arn:aws:iam::{ACCOUNT_ID}:user/alice"
# A recognisable bearer token: no log line and no non-200 body may contain it.
URL_TOKEN = "TESTSECRETTOKEN7f3a9c"
AUTHORIZED_URL = f"https://nb-1.notebook.{REGION}.sagemaker.aws?authToken={URL_TOKEN}"

ALLOWED_IPV4 = "203.0.113.10"
DENIED_IPV4 = "198.51.100.7"
ALLOWED_IPV6 = "2001:db8::10"
DENIED_IPV6 = "2001:db9::1"
ALLOWED_MAPPED = "::ffff:203.0.113.10"
DENIED_MAPPED = "::ffff:198.51.100.7"

SERVED = "nb-1"
NAME_PREFIX = "team-"
API_ID = "a1b2c3d4e5"
HANDLER_ENV = {
    "REST_API_ID": API_ID,
    "NOTEBOOK_NAMES": f"{SERVED},nb-2",
    "NOTEBOOK_NAME_PREFIX": NAME_PREFIX,
    "ALLOWED_CIDRS": "203.0.113.0/24,2001:db8::/32",
    "ALLOW_START": "true",
    "MAX_SESSION_DURATION_SECONDS": "43200",
    "DEFAULT_SESSION_DURATION_SECONDS": "3600",
}
CONTRACT_STATUSES = {200, 202, 400, 403, 404, 405, 409, 413, 500, 502, 503, 504}
NOT_IN_SERVICE = ("Pending", "Stopping", "Stopped", "Failed", "Updating", "Deleting")
RESOURCES = {
    "url": contract.URL_RESOURCE,
    "start": contract.START_RESOURCE,
    "page": contract.PAGE_RESOURCE,
    "list": contract.PORTAL_LIST_RESOURCE,
    "open": contract.PORTAL_OPEN_RESOURCE,
    "portal-start": contract.PORTAL_START_RESOURCE,
    # A member account's notebook on the SigV4 routes (issue 22): pass account=.
    "spoke-url": contract.SPOKE_URL_RESOURCE,
    "spoke-start": contract.SPOKE_START_RESOURCE,
}
# The browser routes: what NotebookPortal gives the function, and a signed-in person.
NOTEBOOK_ARN_PREFIX = f"arn:aws:sagemaker:{REGION}:{ACCOUNT_ID}:notebook-instance/"
PORTAL_ORIGIN = f"https://{API_ID}.execute-api.{REGION}.amazonaws.com"
PORTAL_ENV = {
    "PORTAL_URL": f"{PORTAL_ORIGIN}/v1/",
    "PORTAL_CLIENT_ID": "client123",
    "PORTAL_SIGN_IN_URL": f"https://team.auth.{REGION}.amazoncognito.com",
    "NOTEBOOK_ARN_PREFIX": NOTEBOOK_ARN_PREFIX,
}
POOL_ID = f"{REGION}_PortalTest"
# A Cognito ID token's issuer: https://cognito-idp.<region>.amazonaws.com/<user pool id>.
ISSUER = f"https://cognito-idp.{REGION}.amazonaws.com/{POOL_ID}"
ALICE = {
    "sub": "0f1e2d3c-alice",
    "aud": PORTAL_ENV["PORTAL_CLIENT_ID"],
    "iss": ISSUER,
    "email": "Alice@Example.com",
    "email_verified": "true",
}


def proxy_event(
    *,
    route: str = "url",
    name: Any = SERVED,
    body: Any = None,
    method: str = "POST",
    source_ip: Any = ALLOWED_IPV4,
    user_arn: Any = CALLER_ARN,
    base64_body: bool = False,
    request_id: str = "req-0001",
    api_id: str | None = API_ID,
    account: str | None = None,
) -> dict[str, Any]:
    """A REST API Lambda proxy event as API Gateway sends it for IAM-authorized calls;
    ``account``: the AccountId path parameter of a member account's route."""
    if base64_body and isinstance(body, str):
        body = base64.b64encode(body.encode()).decode()
    path_name = name if isinstance(name, str) else "x"
    return {
        "resource": RESOURCES.get(route, route),
        "path": f"/notebooks/{path_name}/{route}",
        "httpMethod": method,
        "headers": {"Content-Type": "application/json", "Host": "api.example.com"},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "pathParameters": {"NotebookInstanceName": name}
        | ({} if account is None else {"AccountId": account}),
        "stageVariables": None,
        "requestContext": {
            "resourcePath": RESOURCES.get(route, route),
            "httpMethod": method,
            "requestId": request_id,
            "apiId": api_id,
            "stage": "v1",
            "accountId": ACCOUNT_ID,
            "identity": {
                "sourceIp": source_ip,
                "userArn": user_arn,
                "caller": "AIDAEXAMPLECALLER",
                "accountId": ACCOUNT_ID,
                "userAgent": "notebook-url/0.1",
            },
        },
        "body": body,
        "isBase64Encoded": base64_body,
    }


def browser_event(
    route: str,
    *,
    claims: dict | None = None,
    name: str | None = SERVED,
    method: str | None = None,
    source_ip: str = ALLOWED_IPV4,
    origin: str | None = PORTAL_ORIGIN,
    token: str | None = None,
) -> dict[str, Any]:
    """A proxy event as API Gateway sends it after the Cognito authorizer let it through.

    ``route``: "page", "list", "open" or "portal-start". ``claims``: the ID token's claims
    (lists and booleans as in the token); the event carries them as the authorizer passes
    them (``claim_text``) and the token in the Authorization header, the way the page sends
    it: ``token`` if given, else an unsigned one of ``claims`` (the authorizer checked it).
    """
    event = proxy_event(route=route, name=name, source_ip=source_ip, user_arn=None)
    event["httpMethod"] = method or ("GET" if route in ("page", "list") else "POST")
    event["requestContext"]["identity"].pop("caller")
    if claims is not None:
        flat = {key: claim_text(value) for key, value in claims.items()}
        event["requestContext"]["authorizer"] = {"claims": flat}
        authorization = token or unsigned_token(claims)
        event["headers"]["Authorization"] = authorization
        event["multiValueHeaders"]["Authorization"] = [authorization]
    if origin is not None:
        event["headers"]["Origin"] = origin
    if name is None:
        event["pathParameters"] = None
    return event


def claim_text(value: Any) -> str:
    """A claim as the REST API's Cognito authorizer passes it: always a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value)


def unsigned_token(claims: dict[str, Any]) -> str:
    """A JWT-shaped ID token of ``claims`` with no signature (the handler never checks one)."""

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'kid': 'test'})}.{part(claims)}.unsigned"


def b64(data: str | bytes) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


@dataclass
class LambdaContext:
    aws_request_id: str = "lambda-req-1"
    function_name: str = "presigned-url"

    def get_remaining_time_in_millis(self) -> int:
        return 20_000


# Request ids of every invocation, so a fixture can check one audit record per request.
INVOCATIONS: list[str] = []


def invoke(event: Any, context: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Call the handler; return the proxy response and its decoded JSON body."""
    INVOCATIONS.append(str(event.get("requestContext") if isinstance(event, dict) else event))
    response = handler.handler(event, context or LambdaContext())
    return response, json.loads(response["body"])


# ---------------------------------------------------------------- stubs


class OperationStubber(Stubber):
    """botocore's Stubber answering ONE operation; the client's other calls go on the wire.

    The stock Stubber answers every operation from one ordered queue, which cannot serve
    a describe and a presign issued concurrently. This keeps its response validation and
    error building and only narrows the events it hooks.
    """

    def __init__(self, client: Any, method: str) -> None:
        super().__init__(client)
        operation = client.meta.method_to_api_mapping[method]
        service = client.meta.service_model.service_id.hyphenize()
        self._params_event = f"before-parameter-build.{service}.{operation}"
        self._call_event = f"before-call.{service}.{operation}"
        self._expected_params_event_id = f"test-stub-params-{operation}-{id(self)}"
        self._event_id = f"test-stub-{operation}-{id(self)}"

    def activate(self) -> None:
        events = self.client.meta.events
        events.register_first(
            self._params_event,
            self._assert_expected_params,
            unique_id=self._expected_params_event_id,
        )
        events.register(self._call_event, self._get_response_handler, unique_id=self._event_id)

    def deactivate(self) -> None:
        events = self.client.meta.events
        events.unregister(
            self._params_event,
            self._assert_expected_params,
            unique_id=self._expected_params_event_id,
        )
        events.unregister(self._call_event, self._get_response_handler, unique_id=self._event_id)

    @property
    def pending(self) -> int:
        return len(self._queue)


@contextlib.contextmanager
def stub_presign(
    *responses: dict[str, Any] | None, name: str = SERVED, duration: int | None = None
) -> Iterator[OperationStubber]:
    """Stub CreatePresignedNotebookInstanceUrl on the handler's client.

    Each item is None for a successful URL, or add_client_error keyword arguments.
    With ``duration``, the call must carry exactly that name and session duration.
    """
    stubber = OperationStubber(sagemaker_calls.sagemaker, "create_presigned_notebook_instance_url")
    expected = (
        None
        if duration is None
        else {"NotebookInstanceName": name, "SessionExpirationDurationInSeconds": duration}
    )
    for error in responses:
        if error is None:
            stubber.add_response(
                "create_presigned_notebook_instance_url",
                {"AuthorizedUrl": AUTHORIZED_URL},
                expected_params=expected,
            )
        else:
            stubber.add_client_error("create_presigned_notebook_instance_url", **error)
    with stubber:
        yield stubber


@contextlib.contextmanager
def stub_describe(*statuses_or_errors: str | dict[str, Any]) -> Iterator[OperationStubber]:
    """Stub DescribeNotebookInstance: a status string, or add_client_error keyword arguments."""
    stubber = OperationStubber(sagemaker_calls.sagemaker, "describe_notebook_instance")
    for item in statuses_or_errors:
        if isinstance(item, str):
            stubber.add_response(
                "describe_notebook_instance",
                {"NotebookInstanceName": SERVED, "NotebookInstanceStatus": item},
            )
        else:
            stubber.add_client_error("describe_notebook_instance", **item)
    with stubber:
        yield stubber


@contextlib.contextmanager
def count_sagemaker_calls() -> Iterator[list[str]]:
    """Record the name of every SageMaker operation the handler's client starts."""
    calls: list[str] = []

    def record(model: Any, **_: Any) -> None:
        calls.append(model.name)

    events = sagemaker_calls.sagemaker.meta.events
    events.register_first("before-parameter-build.sagemaker.*", record, unique_id="test-count")
    try:
        yield calls
    finally:
        events.unregister("before-parameter-build.sagemaker.*", record, unique_id="test-count")


@contextlib.contextmanager
def only_local_endpoints() -> Iterator[list[str]]:
    """Fail any request the handler's client would send off this machine (tests never reach AWS)."""
    escaped: list[str] = []

    def guard(request: Any, **_: Any) -> None:
        if not request.url.startswith("http://127.0.0.1:"):
            escaped.append(request.url)
            raise RuntimeError("a test tried to reach a non-local endpoint")

    events = sagemaker_calls.sagemaker.meta.events
    events.register_first("before-send.sagemaker.*", guard, unique_id="test-local-only")
    try:
        yield escaped
    finally:
        events.unregister("before-send.sagemaker.*", guard, unique_id="test-local-only")


@contextlib.contextmanager
def handler_environment(**overrides: str) -> Iterator[None]:
    """The construct's environment for the handler (plus ``overrides``), restored after."""
    saved = {key: os.environ.get(key) for key in {**HANDLER_ENV, **overrides}}
    os.environ.update({**HANDLER_ENV, **overrides})
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# ---------------------------------------------------------------- logs


class RecordingHandler(logging.Handler):
    """Keeps every record and its full text: message, arguments, extras and exception."""

    def __init__(self) -> None:
        super().__init__(level=logging.NOTSET)
        self.records: list[logging.LogRecord] = []
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        fields = {k: repr(v) for k, v in vars(record).items()}
        text = [record.getMessage(), json.dumps(fields)]
        if record.exc_info:
            text.append(logging.Formatter().formatException(record.exc_info))
        self.lines.append("\n".join(text))

    def audit_records(self) -> list[logging.LogRecord]:
        return [r for r in self.records if r.name == "presigned_url.audit"]

    def text(self) -> str:
        return "\n".join(self.lines)

    def text_of(self, logger_prefix: str) -> str:
        """The lines of the loggers under ``logger_prefix`` (the handler's own: presigned_url)."""
        return "\n".join(
            line
            for record, line in zip(self.records, self.lines, strict=True)
            if record.name.startswith(logger_prefix)
        )


@contextlib.contextmanager
def capture_all_logs() -> Iterator[RecordingHandler]:
    """Everything logged anywhere, at every level, botocore's DEBUG output included."""
    recorder = RecordingHandler()
    root = logging.getLogger()
    loud = [root, logging.getLogger("botocore"), logging.getLogger("urllib3")]
    levels = [lg.level for lg in loud]
    for lg in loud:
        lg.setLevel(logging.DEBUG)
    root.addHandler(recorder)
    try:
        yield recorder
    finally:
        root.removeHandler(recorder)
        for lg, level in zip(loud, levels, strict=True):
            lg.setLevel(level)


# ---------------------------------------------------------------- local SageMaker


@dataclass
class LocalSageMaker:
    """moto's SageMaker, served over HTTP on 127.0.0.1, and a client to set it up."""

    url: str
    client: Any = field(repr=False)

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=5):  # local moto server only
            pass

    def create(self, name: str, status: str = "InService") -> None:
        self.client.create_notebook_instance(
            NotebookInstanceName=name,
            InstanceType="ml.t3.xlarge",
            RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/notebook",
        )
        if status == "Stopped":
            self.client.stop_notebook_instance(NotebookInstanceName=name)
        elif status != "InService":
            self.set_status(name, status)

    def set_status(self, name: str, status: str) -> None:
        """States moto's API cannot reach (Pending, Failed, ...): set on its backend."""
        from moto.sagemaker.models import sagemaker_backends

        sagemaker_backends[ACCOUNT_ID][REGION].notebook_instances[name].status = status

    def tag(self, name: str, *, owners: str = "", groups: str = "") -> None:
        """Set the notebook's portal entitlement tags (what NotebookInstance(owners=...) writes)."""
        arn = self.client.describe_notebook_instance(NotebookInstanceName=name)[
            "NotebookInstanceArn"
        ]
        tags = [{"Key": portal.OWNERS_TAG, "Value": owners}] if owners else []
        tags += [{"Key": portal.GROUPS_TAG, "Value": groups}] if groups else []
        self.client.add_tags(ResourceArn=arn, Tags=tags)

    def status(self, name: str) -> str:
        return self.client.describe_notebook_instance(NotebookInstanceName=name)[
            "NotebookInstanceStatus"
        ]


@contextlib.contextmanager
def local_sagemaker() -> Iterator[LocalSageMaker]:
    """Run moto's server and reload the handler's client (sagemaker_calls, where it is made)
    with AWS_ENDPOINT_URL_SAGEMAKER pointing at it.

    On exit the variable is restored and the module reloaded again, so later tests see
    the client as it was made on import.
    """
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    previous = os.environ.get("AWS_ENDPOINT_URL_SAGEMAKER")
    os.environ["AWS_ENDPOINT_URL_SAGEMAKER"] = url
    try:
        importlib.reload(sagemaker_calls)
        setup = boto3.client("sagemaker", region_name=REGION, endpoint_url=url)
        yield LocalSageMaker(url=url, client=setup)
    finally:
        if previous is None:
            os.environ.pop("AWS_ENDPOINT_URL_SAGEMAKER", None)
        else:
            os.environ["AWS_ENDPOINT_URL_SAGEMAKER"] = previous
        importlib.reload(sagemaker_calls)
        server.stop()


class PresignShim(LocalServer):
    """A local HTTP endpoint in front of moto that answers CreatePresignedNotebookInstanceUrl.

    moto does not implement that operation; this lets botocore send, retry and parse it
    over real HTTP. Every other operation is forwarded to moto unchanged.
    """

    def __init__(
        self, moto_url: str, authorized_url: str | Callable[[str], str] = AUTHORIZED_URL
    ) -> None:
        super().__init__()
        self.url = self.origin
        self.moto_url = moto_url
        # The URL it answers, or a function of the notebook's name that makes it.
        self.authorized_url = authorized_url
        self.presign_requests = 0
        # None: answer with the URL; else (status, error code, message) for every attempt.
        self.presign_error: tuple[int, str, str] | None = None

    def serve(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        target = next((v for k, v in headers.items() if k.lower() == "x-amz-target"), "")
        if target.endswith(".CreatePresignedNotebookInstanceUrl"):
            self.presign_requests += 1
            if self.presign_error is None:
                url = self.authorized_url
                if callable(url):
                    url = url(json.loads(body or b"{}").get("NotebookInstanceName", ""))
                return _amz_json(200, {"AuthorizedUrl": url})
            status, code, message = self.presign_error
            return _amz_json(status, {"__type": code, "message": message})
        forward = urllib.request.Request(
            self.moto_url + path, data=body, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(forward, timeout=5) as answer:  # local moto
                return _amz_json(answer.status, json.loads(answer.read() or b"{}"))
        except urllib.error.HTTPError as error:
            return _amz_json(error.code, json.loads(error.read() or b"{}"))


def _amz_json(status: int, payload: dict[str, Any]) -> Reply:
    return Reply.json(status, payload, {"Content-Type": "application/x-amz-json-1.1"})


def aim_handler_clients(monkeypatch: Any, endpoint_url: str | None = None) -> None:
    """Replace the handler's SageMaker, tagging and STS clients with ones signed with the
    test keys, at ``endpoint_url`` (or where the AWS_ENDPOINT_URL_* variables say), each
    with the handler's own configuration (timeouts, retries)."""
    from presigned_url import accounts, tag_reads

    for module, attribute, service in (
        (sagemaker_calls, "sagemaker", "sagemaker"),
        (tag_reads, "tagging", "resourcegroupstaggingapi"),
        (accounts, "sts", "sts"),
    ):
        monkeypatch.setattr(
            module,
            attribute,
            boto3.client(
                service,
                endpoint_url=endpoint_url,
                region_name=REGION,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
                config=sagemaker_calls.CLIENT_CONFIG,
            ),
        )
