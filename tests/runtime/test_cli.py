"""notebook-url against a local fake of the presigned-URL API.

The fake recomputes each request's SigV4 signature with botocore from the known fake
credentials and rejects a wrong one, so a signing bug fails these tests.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from moto import mock_aws

from sagemaker_notebook_access.runtime import cli
from sagemaker_notebook_access.stack_output import api_output_description

ACCESS_KEY = "testing"
SECRET_KEY = "testing"
SESSION_TOKEN = "testing-session-token"
PROFILE_ACCESS_KEY = "profile-key"
PROFILE_SECRET_KEY = "profile-secret"
# What the fake knows: a real SigV4 server also looks the secret up by access key id.
KNOWN_SECRETS = {ACCESS_KEY: SECRET_KEY, PROFILE_ACCESS_KEY: PROFILE_SECRET_KEY}
REGION = "eu-west-1"
NOTEBOOK = "nb-1"
# Looks like a presigned URL; its token must never show up outside stdout with --print.
TOKEN = "SECRET-TOKEN-0123456789abcdef"
AUTHORIZED_URL = f"https://nb-1.notebook.eu-west-1.sagemaker.aws/auth?token={TOKEN}"
URL_PATH = f"/v1/notebooks/{NOTEBOOK}/url"
START_PATH = f"/v1/notebooks/{NOTEBOOK}/start"
CLOUDFORMATION_PATH = "/cfn"

DURATION_FIELD = "SessionExpirationDurationInSeconds"


def url_answer(url: str, name: str = NOTEBOOK) -> tuple[int, dict, dict]:
    """A 200 from the URL route with this AuthorizedUrl."""
    return (
        200,
        {"AuthorizedUrl": url, "NotebookInstanceName": name, DURATION_FIELD: 43200},
        {"Cache-Control": "no-store"},
    )


OK = url_answer(AUTHORIZED_URL)


def not_in_service(status: str) -> tuple[int, dict, dict]:
    return (
        409,
        {
            "error": "NotebookNotInService",
            "message": f"notebook instance 'nb-1' is {status}; a URL is only issued when it "
            "is InService",
            "requestId": "req-409",
            "NotebookInstanceStatus": status,
        },
        {},
    )


def started(status: str) -> tuple[int, dict, dict]:
    return (202, {"NotebookInstanceName": NOTEBOOK, "NotebookInstanceStatus": status}, {})


# API Gateway's answer (through the construct's gateway response) for a path it has
# no resource for, e.g. /start on an API deployed without allow_start.
MISSING_ROUTE = (
    403,
    {"error": "Forbidden", "message": "Missing Authentication Token", "requestId": "req-403"},
    {"x-amzn-ErrorType": "MissingAuthenticationTokenException"},
)
BAD_SIGNATURE = (
    403,
    {
        "error": "Forbidden",
        "message": "The request signature we calculated does not match the signature you provided.",
        "requestId": "req-sig",
    },
    {"x-amzn-ErrorType": "InvalidSignatureException"},
)


# ---------------------------------------------------------------- SigV4 check

AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[a-z0-9-]+)/"
    r"(?P<service>[a-z0-9-]+)/aws4_request, SignedHeaders=(?P<signed>[a-z0-9;-]+), "
    r"Signature=(?P<signature>[0-9a-f]{64})"
)


@dataclass
class SignatureCheck:
    valid: bool
    reason: str = ""
    access_key: str = ""
    region: str = ""
    service: str = ""
    signed_headers: tuple[str, ...] = ()


def verify_sigv4(method: str, url: str, headers: Mapping[str, str], body: bytes) -> SignatureCheck:
    """Recompute the signature with botocore from what arrived; compare in constant time."""
    headers = {name.lower(): value for name, value in headers.items()}
    match = AUTHORIZATION.fullmatch(headers.get("authorization") or "")
    if match is None:
        return SignatureCheck(False, "no SigV4 Authorization header")
    signed = tuple(match["signed"].split(";"))
    check = SignatureCheck(
        False,
        access_key=match["key"],
        region=match["region"],
        service=match["service"],
        signed_headers=signed,
    )
    if not {"host", "x-amz-date"} <= set(signed):
        check.reason = "host and x-amz-date must be signed"
        return check
    if headers.get("x-amz-content-sha256") is not None:
        # botocore would trust it instead of hashing the body we received.
        check.reason = "unexpected X-Amz-Content-SHA256"
        return check
    timestamp = headers.get("x-amz-date") or ""
    try:
        signed_at = datetime.strptime(timestamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        check.reason = "bad X-Amz-Date"
        return check
    if timestamp[:8] != match["date"] or abs(datetime.now(UTC) - signed_at) > timedelta(minutes=5):
        check.reason = "stale or inconsistent date"
        return check
    secret = KNOWN_SECRETS.get(match["key"])
    if secret is None or any(headers.get(name) is None for name in signed):
        check.reason = "unknown access key or a signed header is missing"
        return check
    request = AWSRequest(
        method=method, url=url, data=body, headers={name: headers[name] for name in signed}
    )
    request.context["timestamp"] = timestamp
    signer = SigV4Auth(Credentials(match["key"], secret), match["service"], match["region"])
    expected = signer.signature(
        signer.string_to_sign(request, signer.canonical_request(request)), request
    )
    check.valid = hmac.compare_digest(expected, match["signature"])
    check.reason = "" if check.valid else "signature mismatch"
    return check


def sign(url: str, body: bytes, secret: str = SECRET_KEY) -> dict[str, str]:
    request = AWSRequest(
        method="POST", url=url, data=body, headers={"Content-Type": "application/json"}
    )
    SigV4Auth(Credentials(ACCESS_KEY, secret), "execute-api", REGION).add_auth(request)
    return {**dict(request.headers.items()), "Host": urlsplit(url).netloc}


def test_verifier_accepts_a_botocore_signature() -> None:
    url = "http://127.0.0.1:8080/v1/notebooks/nb-1/url"
    assert verify_sigv4("POST", url, sign(url, b"{}"), b"{}").valid


@pytest.mark.parametrize(
    "change",
    ["secret", "body", "path", "method", "date"],
)
def test_verifier_rejects_a_wrong_signature(change: str) -> None:
    url = "http://127.0.0.1:8080/v1/notebooks/nb-1/url"
    headers = sign(url, b"{}", secret="wrong" if change == "secret" else SECRET_KEY)
    body = b'{"SessionExpirationDurationInSeconds":1800}' if change == "body" else b"{}"
    method = "PUT" if change == "method" else "POST"
    if change == "path":
        url = url.replace("nb-1", "nb-2")
    if change == "date":
        headers["X-Amz-Date"] = "20000101T000000Z"
    assert not verify_sigv4(method, url, headers, body).valid


# ---------------------------------------------------------------- the fake API

Answer = tuple[int, Any, dict[str, str]]


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    signature: SignatureCheck

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FakeApi:
    """Canned answers per path (the last one repeats); records every request."""

    port: int = 0
    region: str = REGION
    answers: dict[str, list[Answer]] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)
    delay_seconds: float = 0.0

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def base_url(self) -> str:
        return f"{self.root}v1/"

    def answer(self, path: str, *answers: Answer) -> None:
        self.answers[path] = list(answers)

    def next_answer(self, path: str) -> Answer:
        queue = self.answers.get(path)
        if not queue:
            return MISSING_ROUTE
        return queue.pop(0) if len(queue) > 1 else queue[0]

    def expected_service(self, path: str) -> str:
        return "cloudformation" if path == CLOUDFORMATION_PATH else "execute-api"

    @property
    def paths(self) -> list[str]:
        return [seen.path for seen in self.requests]


def _handler_for(api: FakeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            path = urlsplit(self.path).path
            url = f"http://{self.headers['Host']}{self.path}"
            check = verify_sigv4("POST", url, self.headers, body)
            if check.valid and (check.region, check.service) != (
                api.region,
                api.expected_service(path),
            ):
                check.valid, check.reason = False, "wrong credential scope"
            api.requests.append(Seen("POST", path, dict(self.headers.items()), body, check))
            time.sleep(api.delay_seconds)
            status, payload, headers = api.next_answer(path) if check.valid else BAD_SIGNATURE
            if isinstance(payload, str):
                data, content_type = payload.encode(), "text/xml"
            else:
                data, content_type = json.dumps(payload).encode(), "application/json"
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def api() -> Iterator[FakeApi]:
    fake = FakeApi()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(fake))
    server.daemon_threads = True
    fake.port = server.server_address[1]
    # A short poll keeps shutdown() quick.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """Known fake credentials only: no profile, config file, proxy or instance metadata."""
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_REGION",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_CLOUDFORMATION",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@dataclass
class Browser:
    """A fake webbrowser.open: no browser runs here, so record what would be opened."""

    opened: list[str] = field(default_factory=list)
    works: bool = True

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        self.opened.append(url)
        return self.works


@pytest.fixture(autouse=True)
def browser(monkeypatch: pytest.MonkeyPatch) -> Browser:
    fake = Browser()
    monkeypatch.setattr(cli.webbrowser, "open", fake.open)
    return fake


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    # The URL is a bearer credential: never on stderr, whatever happened.
    assert "SECRET-TOKEN" not in err
    return Result(code, out, err)


def assert_signed(api: FakeApi) -> None:
    assert api.requests, "no request reached the fake API"
    for seen in api.requests:
        assert seen.signature.valid, seen.signature.reason


# ---------------------------------------------------------------- happy paths


def test_print_writes_only_the_url_to_stdout(api: FakeApi, capsys, browser: Browser) -> None:
    api.answer(URL_PATH, OK)

    result = run_cli(capsys, "--api-url", api.base_url, NOTEBOOK, "--print")

    assert result.code == 0, result.err
    assert result.out == AUTHORIZED_URL + "\n"
    assert browser.opened == []
    assert api.paths == [URL_PATH]
    assert_signed(api)
    (seen,) = api.requests
    assert seen.json == {}
    assert seen.headers["Content-Type"] == "application/json"
    assert (seen.signature.access_key, seen.signature.region, seen.signature.service) == (
        ACCESS_KEY,
        REGION,
        "execute-api",
    )
    # The session token is sent and covered by the signature.
    assert seen.headers["X-Amz-Security-Token"] == SESSION_TOKEN
    assert "x-amz-security-token" in seen.signature.signed_headers
    assert "content-type" in seen.signature.signed_headers


def test_default_opens_the_url_in_the_browser(api: FakeApi, capsys, browser: Browser) -> None:
    api.answer(URL_PATH, OK)

    result = run_cli(capsys, "--api-url", api.base_url, NOTEBOOK)

    assert result.code == 0, result.err
    assert browser.opened == [AUTHORIZED_URL]
    assert result.out == ""
    assert "Opened notebook 'nb-1'" in result.err
    assert_signed(api)


def test_no_browser_is_an_error_that_does_not_show_the_url(
    api: FakeApi, capsys, browser: Browser
) -> None:
    api.answer(URL_PATH, OK)
    browser.works = False

    result = run_cli(capsys, "--api-url", api.base_url, NOTEBOOK)

    assert result.code == 1
    assert "--print" in result.err
    assert "SECRET-TOKEN" not in result.out


def test_duration_goes_in_the_body(api: FakeApi, capsys) -> None:
    api.answer(URL_PATH, OK)

    result = run_cli(capsys, "--api-url", api.base_url, NOTEBOOK, "--duration", "3600", "--print")

    assert result.code == 0, result.err
    assert api.requests[0].json == {"SessionExpirationDurationInSeconds": 3600}
    assert_signed(api)


@pytest.mark.parametrize("duration", ["1800", "43200"])
def test_duration_limits_are_accepted(api: FakeApi, capsys, duration: str) -> None:
    api.answer(URL_PATH, OK)

    result = run_cli(capsys, "--api-url", api.base_url, NOTEBOOK, "--duration", duration)

    assert result.code == 0, result.err
    assert api.requests[0].json == {"SessionExpirationDurationInSeconds": int(duration)}


def test_api_url_without_trailing_slash(api: FakeApi, capsys) -> None:
    api.answer(URL_PATH, OK)

    result = run_cli(capsys, "--api-url", api.base_url.rstrip("/"), NOTEBOOK, "--print")

    assert result.code == 0, result.err
    assert api.paths == [URL_PATH]


def test_name_of_63_characters_is_accepted(api: FakeApi, capsys) -> None:
    name = "a" * 61 + "-b"
    api.answer(
        f"/v1/notebooks/{name}/url",
        url_answer(f"https://{name}.notebook.eu-west-1.sagemaker.aws/auth?token={TOKEN}", name),
    )

    result = run_cli(capsys, "--api-url", api.base_url, name, "--print")

    assert result.code == 0, result.err


def test_a_notebook_in_a_member_account_is_named_with_its_account(api: FakeApi, capsys) -> None:
    # Issue 22: "<account id>:<name>" is at the member account's own route.
    name = "222222222222:nb-a"
    api.answer(
        "/v1/accounts/222222222222/notebooks/nb-a/url",
        url_answer(f"https://nb-a.notebook.eu-west-1.sagemaker.aws/auth?token={TOKEN}", name),
    )

    result = run_cli(capsys, "--api-url", api.base_url, name, "--print")

    assert result.code == 0, result.err
    assert api.paths == ["/v1/accounts/222222222222/notebooks/nb-a/url"]
    assert_signed(api)


def test_nothing_logs_the_url(api: FakeApi, capsys, caplog) -> None:
    api.answer(URL_PATH, OK)
    caplog.set_level(logging.DEBUG)

    result = run_cli(capsys, "--api-url", api.base_url, NOTEBOOK)

    assert result.code == 0
    assert "SECRET-TOKEN" not in caplog.text


# ---------------------------------------------------------------- API errors


def test_api_error_prints_code_message_and_request_id(api: FakeApi, capsys) -> None:
    api.answer(
        URL_PATH,
        (
            404,
            {
                "error": "NotebookNotFound",
                "message": "notebook instance 'nb-1' is not served by this API",
                "requestId": "req-404",
            },
            {},
        ),
    )

    result = run_cli(capsys, "--api-url", api.base_url, NOTEBOOK, "--print")

    assert result.code == 1
    assert result.out == ""
    assert "HTTP 404 NotebookNotFound" in result.err
    assert "notebook instance 'nb-1' is not served by this API" in result.err
    assert "req-404" in result.err


def test_wrong_api_url_points_at_the_stage_url(api: FakeApi, capsys) -> None:
    # No answer registered: the fake answers like API Gateway for an unknown path.
    result = run_cli(capsys, "--api-url", api.root, NOTEBOOK)

    assert result.code == 1
    assert "Missing Authentication Token" in result.err
    assert "check the API URL" in result.err
    assert_signed(api)


def test_throttled_shows_message_and_retry_after(api: FakeApi, capsys) -> None:
    api.answer(
        URL_PATH,
        (
            503,
            {
                "error": "Throttled",
                "message": "SageMaker is throttling requests; retry after the Retry-After delay",
                "requestId": "req-503",
            },
            {"Retry-After": "5"},
        ),
    )

    result = run_cli(capsys, "--api-url", api.base_url, NOTEBOOK, "--print")

    assert result.code == 1
    assert "HTTP 503 Throttled: SageMaker is throttling requests" in result.err
    assert "retry after 5 seconds" in result.err


def test_stopped_notebook_suggests_start(api: FakeApi, capsys) -> None:
    api.answer(URL_PATH, not_in_service("Stopped"))

    result = run_cli(capsys, "--api-url", api.base_url, NOTEBOOK, "--print")

    assert result.code == 1
    assert "NotebookNotInService" in result.err
    assert "pass --start" in result.err


def test_error_body_that_is_not_json_is_not_echoed(api: FakeApi, capsys) -> None:
    api.answer(URL_PATH, (502, "<html>proxy error: internal detail</html>", {}))

    result = run_cli(capsys, "--api-url", api.base_url, NOTEBOOK, "--print")

    assert result.code == 1
    assert "HTTP 502" in result.err
    assert "internal detail" not in result.err


def test_control_characters_from_the_api_are_not_echoed(api: FakeApi, capsys) -> None:
    api.answer(URL_PATH, (400, {"error": "ValidationError", "message": "bad\x1b[2Jthing"}, {}))

    result = run_cli(capsys, "--api-url", api.base_url, NOTEBOOK)

    assert result.code == 1
    assert "\x1b" not in result.err


def test_redirect_is_not_followed(api: FakeApi, capsys) -> None:
    api.answer(URL_PATH, (302, {}, {"Location": f"{api.root}elsewhere"}))

    result = run_cli(capsys, "--api-url", api.base_url, NOTEBOOK, "--print")

    assert result.code == 1
    assert "HTTP 302" in result.err
    assert "redirect" in result.err
    assert api.paths == [URL_PATH]


@pytest.mark.parametrize(
    "authorized_url", ["file:///etc/passwd", "javascript:alert(1)", "http://plain.example/", ""]
)
def test_only_an_https_url_reaches_the_browser(
    api: FakeApi, capsys, browser: Browser, authorized_url: str
) -> None:
    api.answer(URL_PATH, (200, {"AuthorizedUrl": authorized_url}, {}))

    result = run_cli(capsys, "--api-url", api.base_url, NOTEBOOK)

    assert result.code == 1
    assert "without a usable AuthorizedUrl" in result.err
    assert browser.opened == []


NOTEBOOK_HOST = "nb-1.notebook.eu-west-1.sagemaker.aws"
# One rule, one set of cases: portal.js checks the same URLs the same way
# (tests/portal/test_portal_browser.py runs these cases through the page's own function).
URL_CASES = json.loads(
    (Path(__file__).resolve().parent.parent / "authorized_url_cases.json").read_text()
)["cases"]
REFUSED = [case for case in URL_CASES if case["refused"]]
ACCEPTED = [case for case in URL_CASES if not case["refused"]]


def answer_case(api: FakeApi, case: dict) -> tuple[str, tuple[str, ...]]:
    """Have the fake API answer the case's URL for its notebook; the URL and the CLI's args."""
    url = case["url"].replace("{token}", TOKEN)
    account, _, name = case["notebook"].rpartition(":")
    path = f"/v1/{f'accounts/{account}/' if account else ''}notebooks/{name}/url"
    api.answer(path, url_answer(url, case["notebook"]))
    api.region = case["region"]
    return url, ("--api-url", api.base_url, "--region", case["region"], case["notebook"])


@pytest.mark.parametrize("case", REFUSED, ids=[case["id"] for case in REFUSED])
@pytest.mark.parametrize("print_url", [False, True], ids=["browser", "print"])
def test_authorized_url_off_the_notebook_host_is_refused_without_showing_it(
    api: FakeApi, capsys, browser: Browser, case: dict, print_url: bool
) -> None:
    authorized_url, args = answer_case(api, case)

    result = run_cli(capsys, *args, *(("--print",) if print_url else ()))

    assert result.code == 1
    assert result.out == ""
    assert browser.opened == []
    assert "without a usable AuthorizedUrl" in result.err
    assert case["refused"] in result.err
    # What is allowed: the requested notebook's host in the API's region.
    host = cli.notebook_hosts(case["notebook"], case["region"])[0]
    assert f"only https://{host}/... is opened or printed" in result.err
    # The URL is a bearer credential: not its token, not the URL itself.
    assert TOKEN not in result.err + result.out
    assert not authorized_url or authorized_url not in result.err


@pytest.mark.parametrize("case", ACCEPTED, ids=[case["id"] for case in ACCEPTED])
def test_authorized_url_on_the_notebook_host_is_accepted(
    api: FakeApi, capsys, browser: Browser, case: dict
) -> None:
    authorized_url, args = answer_case(api, case)

    result = run_cli(capsys, *args)

    assert result.code == 0, result.err
    assert browser.opened == [authorized_url]


def test_the_shared_url_cases_cover_both_outcomes_and_the_rules_parts() -> None:
    reasons = {case["refused"].split(" (")[0] for case in REFUSED}
    assert len(ACCEPTED) >= 5 and len(REFUSED) >= 20
    for part in ("user info", "port", "not an https:// URL", "control characters", "none"):
        assert any(part in reason for reason in reasons), part


def test_notebook_host_check_ignores_the_case_of_the_name(api: FakeApi, capsys) -> None:
    name = "Analysis-1"
    url = f"https://analysis-1.notebook.eu-west-1.sagemaker.aws/auth?token={TOKEN}"
    api.answer(f"/v1/notebooks/{name}/url", url_answer(url, name))

    result = run_cli(capsys, "--api-url", api.base_url, name, "--print")

    assert result.code == 0, result.err
    assert result.out == url + "\n"


def test_china_regions_use_the_sagemaker_com_cn_host(api: FakeApi, capsys) -> None:
    url = f"https://nb-1.notebook.cn-north-1.sagemaker.com.cn/auth?token={TOKEN}"
    api.answer(URL_PATH, url_answer(url))
    api.region = "cn-north-1"

    result = run_cli(
        capsys, "--api-url", api.base_url, NOTEBOOK, "--region", "cn-north-1", "--print"
    )

    assert result.code == 0, result.err
    assert result.out == url + "\n"


def test_notebook_hosts_follow_the_partition_of_the_region() -> None:
    assert cli.notebook_hosts("nb-1", "ap-southeast-2") == (
        "nb-1.notebook.ap-southeast-2.sagemaker.aws",
        "nb-1.notebook-fips.ap-southeast-2.sagemaker.aws",
    )
    assert cli.notebook_hosts("NB-1", "cn-northwest-1")[0] == (
        "nb-1.notebook.cn-northwest-1.sagemaker.com.cn"
    )


def test_rejected_credentials_exit_3(api: FakeApi, capsys) -> None:
    api.answer(
        URL_PATH,
        (
            403,
            {
                "error": "Forbidden",
                "message": "The security token included in the request is expired",
                "requestId": "req-exp",
            },
            {"x-amzn-ErrorType": "ExpiredTokenException"},
        ),
    )

    result = run_cli(capsys, "--api-url", api.base_url, NOTEBOOK)

    assert result.code == 3
    assert "is expired" in result.err
    assert "refresh" in result.err


def test_a_wrong_signature_fails(api: FakeApi, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    api.answer(URL_PATH, OK)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")

    result = run_cli(capsys, "--api-url", api.base_url, NOTEBOOK, "--print")

    assert result.code == 3
    assert result.out == ""
    assert api.requests[0].signature.reason == "signature mismatch"


# ---------------------------------------------------------------- usage errors


@pytest.mark.parametrize(
    "name",
    [
        "-nb",
        "nb-",
        "nb_1",
        "nb.1",
        "nb 1",
        "nb\n",
        "n\u00e9",
        "a" * 64,
        "nb/../x",
        "",
        "12:nb",
        "222222222222:",
        ":nb",
        "222222222222:nb:x",
    ],
)
def test_invalid_name_exits_2_without_a_request(api: FakeApi, capsys, name: str) -> None:
    # "--" so that "-nb" reaches the name check rather than argparse's option parsing.
    result = run_cli(capsys, "--api-url", api.base_url, "--", name)

    assert result.code == 2
    assert "notebook name" in result.err
    assert api.requests == []


@pytest.mark.parametrize("duration", ["1799", "43201", "0", "-3600"])
def test_duration_out_of_range_exits_2_without_a_request(
    api: FakeApi, capsys, duration: str
) -> None:
    result = run_cli(capsys, "--api-url", api.base_url, NOTEBOOK, f"--duration={duration}")

    assert result.code == 2
    assert "1800..43200" in result.err
    assert api.requests == []


@pytest.mark.parametrize("duration", ["3600.0", "abc", "true"])
def test_duration_not_an_integer_exits_2(api: FakeApi, capsys, duration: str) -> None:
    result = run_cli(capsys, "--api-url", api.base_url, NOTEBOOK, "--duration", duration)

    assert result.code == 2
    assert api.requests == []


@pytest.mark.parametrize(
    "api_url",
    [
        "http://abc123.execute-api.eu-west-1.amazonaws.com/v1/",
        "http://127.0.0.1.example.com/v1/",
        "ftp://127.0.0.1/v1/",
        "abc123.execute-api.eu-west-1.amazonaws.com/v1/",
        "https://user:pass@abc123.execute-api.eu-west-1.amazonaws.com/v1/",
        "https://abc123.execute-api.eu-west-1.amazonaws.com/v1/?x=1",
        "https://abc123.execute-api.eu-west-1.amazonaws.com:99999/v1/",
        "",
    ],
)
def test_invalid_api_url_exits_2(capsys, api_url: str) -> None:
    result = run_cli(capsys, "--api-url", api_url, NOTEBOOK)

    assert result.code == 2
    assert "--api-url" in result.err


@pytest.mark.parametrize(
    "args",
    [
        [NOTEBOOK],
        ["--api-url", "https://a.example/v1/", "--stack-name", "S", NOTEBOOK],
        ["--api-url", "https://a.example/v1/"],
        ["--api-url", "https://a.example/v1/", NOTEBOOK, "--timeout", "0"],
        ["--api-url", "https://a.example/v1/", NOTEBOOK, "--poll-interval", "-1"],
        ["--api-url", "https://a.example/v1/", NOTEBOOK, "--wait-timeout", "nan"],
    ],
)
def test_bad_arguments_exit_2(capsys, args: list[str]) -> None:
    assert run_cli(capsys, *args).code == 2


def test_help_exits_0(capsys) -> None:
    result = run_cli(capsys, "--help")

    assert result.code == 0
    assert "exit codes" in result.out


# ---------------------------------------------------------------- AWS configuration


def test_region_flag_signs_for_that_region(api: FakeApi, capsys) -> None:
    api.answer(URL_PATH, url_answer(f"https://nb-1.notebook.us-east-1.sagemaker.aws/?t={TOKEN}"))
    api.region = "us-east-1"

    result = run_cli(capsys, "--api-url", api.base_url, NOTEBOOK, "--region", "us-east-1")

    assert result.code == 0, result.err
    assert api.requests[0].signature.region == "us-east-1"
    assert_signed(api)


def test_profile_supplies_credentials_and_region(
    api: FakeApi, capsys, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    (tmp_path / "config").write_text("[profile dev]\nregion = eu-central-1\n")
    (tmp_path / "credentials").write_text(
        f"[dev]\naws_access_key_id = {PROFILE_ACCESS_KEY}\n"
        f"aws_secret_access_key = {PROFILE_SECRET_KEY}\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    # AWS_DEFAULT_REGION would win over the profile's region, as everywhere in the SDK.
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    api.answer(URL_PATH, url_answer(f"https://nb-1.notebook.eu-central-1.sagemaker.aws/?t={TOKEN}"))
    api.region = "eu-central-1"

    result = run_cli(capsys, "--api-url", api.base_url, NOTEBOOK, "--profile", "dev")

    assert result.code == 0, result.err
    assert api.requests[0].signature.access_key == PROFILE_ACCESS_KEY
    assert_signed(api)


def test_unknown_profile_exits_3(api: FakeApi, capsys) -> None:
    result = run_cli(capsys, "--api-url", api.base_url, NOTEBOOK, "--profile", "nope")

    assert result.code == 3
    assert "nope" in result.err
    assert api.requests == []


def test_missing_credentials_exit_3(api: FakeApi, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)

    result = run_cli(capsys, "--api-url", api.base_url, NOTEBOOK)

    assert result.code == 3
    assert "no AWS credentials" in result.err
    assert api.requests == []


def test_missing_region_exits_2(api: FakeApi, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")

    result = run_cli(capsys, "--api-url", api.base_url, NOTEBOOK)

    assert result.code == 2
    assert "--region" in result.err


@pytest.mark.parametrize(
    ("api_url", "region"),
    [
        ("https://abc123.execute-api.eu-west-1.amazonaws.com/v1/", "eu-west-1"),
        ("https://abc123.execute-api.us-gov-west-1.amazonaws.com/v1/", "us-gov-west-1"),
        (
            "https://abc123-vpce-0a1b.execute-api.ap-southeast-2.vpce.amazonaws.com/v1/",
            "ap-southeast-2",
        ),
        ("https://abc123.execute-api.cn-north-1.amazonaws.com.cn/v1/", "cn-north-1"),
        ("https://notebooks.example.com/v1/", None),
        ("https://execute-api.eu-west-1.amazonaws.com.example.com/", None),
    ],
)
def test_region_comes_from_an_execute_api_host(api_url: str, region: str | None) -> None:
    assert cli.region_from_api_url(api_url) == region


def test_unreachable_api_exits_3(capsys) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Closed now: nothing listens on the port.
    result = run_cli(capsys, "--api-url", f"http://127.0.0.1:{port}/v1/", NOTEBOOK)

    assert result.code == 3
    assert "could not reach the API" in result.err


def test_slow_api_times_out_with_exit_3(api: FakeApi, capsys) -> None:
    api.answer(URL_PATH, OK)
    api.delay_seconds = 1.0

    result = run_cli(capsys, "--api-url", api.base_url, NOTEBOOK, "--timeout", "0.2")

    assert result.code == 3
    assert "could not reach the API" in result.err


# ---------------------------------------------------------------- --stack-name


def _template(outputs: dict[str, str], described: Mapping[str, tuple[str, str]] = {}) -> str:
    """A stack with ``outputs`` (key: value) and ``described`` (key: value, description)."""
    body = {key: {"Value": value} for key, value in outputs.items()}
    for key, (value, description) in described.items():
        body[key] = {"Value": value, "Description": description}
    return json.dumps({"Resources": {"Handle": {"Type": "AWS::SQS::Queue"}}, "Outputs": body})


def _api_output(url: str, path: str) -> tuple[str, str]:
    """The output a PresignedUrlApi at ``path`` adds (value, description)."""
    return url, api_output_description(path)


@pytest.fixture
def cloudformation() -> Iterator[Any]:
    # Keep our fake credentials: the local API checks signatures against them.
    with mock_aws(config={"core": {"mock_credentials": False}}):
        yield boto3.client("cloudformation", region_name=REGION)


def test_stack_name_reads_the_api_url_output(api: FakeApi, capsys, cloudformation) -> None:
    cloudformation.create_stack(
        StackName="NotebookAccess",
        TemplateBody=_template({"ApiUrl": api.base_url, "NotebookName": NOTEBOOK}),
    )
    api.answer(URL_PATH, OK)

    result = run_cli(capsys, "--stack-name", "NotebookAccess", NOTEBOOK, "--print")

    assert result.code == 0, result.err
    assert result.out == AUTHORIZED_URL + "\n"
    assert api.paths == [URL_PATH]
    assert_signed(api)


def test_stack_without_an_api_output_exits_1(capsys, cloudformation) -> None:
    cloudformation.create_stack(
        StackName="Other", TemplateBody=_template({"NotebookName": NOTEBOOK})
    )

    result = run_cli(capsys, "--stack-name", "Other", NOTEBOOK)

    assert result.code == 1
    assert "stack 'Other' has no presigned-URL API output" in result.err
    assert "'ApiUrl'" in result.err and "NotebookName" in result.err
    assert "--api-url" in result.err


def test_stack_name_finds_the_output_every_api_adds(api: FakeApi, capsys, cloudformation) -> None:
    """A user's own stack: no ApiUrl, only the output the PresignedUrlApi adds itself."""
    cloudformation.create_stack(
        StackName="Mine",
        TemplateBody=_template(
            {"Other": "x"}, {"TeamApiUrl1A2B3C4D": _api_output(api.base_url, "Mine/Team/Api")}
        ),
    )
    api.answer(URL_PATH, OK)

    result = run_cli(capsys, "--stack-name", "Mine", NOTEBOOK, "--print")

    assert result.code == 0, result.err
    assert result.out == AUTHORIZED_URL + "\n"
    assert api.paths == [URL_PATH]


def test_the_demo_apiurl_beside_its_api_output_is_one_api(
    api: FakeApi, capsys, cloudformation
) -> None:
    cloudformation.create_stack(
        StackName="Demo",
        TemplateBody=_template(
            {"ApiUrl": api.base_url},
            {"NotebookApiUrl5E6F7A8B": _api_output(api.base_url, "Demo/Notebook/Api")},
        ),
    )
    api.answer(URL_PATH, OK)

    result = run_cli(capsys, "--stack-name", "Demo", NOTEBOOK, "--print")

    assert result.code == 0, result.err
    assert api.paths == [URL_PATH]


@pytest.fixture
def two_api_stack(api: FakeApi, cloudformation) -> str:
    other = "https://other.execute-api.eu-west-1.amazonaws.com/v1/"
    cloudformation.create_stack(
        StackName="Two",
        TemplateBody=_template(
            {},
            {
                "BlueApiUrlAAAA1111": _api_output(api.base_url, "Two/Blue/Api"),
                "GreenApiUrlBBBB2222": _api_output(other, "Two/Green/Api"),
            },
        ),
    )
    return "Two"


def test_a_stack_with_two_apis_asks_for_api(api: FakeApi, capsys, two_api_stack: str) -> None:
    result = run_cli(capsys, "--stack-name", two_api_stack, NOTEBOOK, "--print")

    assert result.code == 2
    assert "stack 'Two' has 2 presigned-URL APIs: pass --api" in result.err
    assert "Two/Blue/Api (output BlueApiUrlAAAA1111)" in result.err
    assert "Two/Green/Api (output GreenApiUrlBBBB2222)" in result.err
    assert api.paths == []


@pytest.mark.parametrize("choice", ["Two/Blue/Api", "Blue/Api", "BlueApiUrlAAAA1111"])
def test_api_picks_one_by_construct_path_or_output_key(
    api: FakeApi, capsys, two_api_stack: str, choice: str
) -> None:
    api.answer(URL_PATH, OK)

    result = run_cli(capsys, "--stack-name", two_api_stack, "--api", choice, NOTEBOOK, "--print")

    assert result.code == 0, result.err
    assert result.out == AUTHORIZED_URL + "\n"
    assert api.paths == [URL_PATH]


def test_api_naming_no_api_lists_them(api: FakeApi, capsys, two_api_stack: str) -> None:
    result = run_cli(capsys, "--stack-name", two_api_stack, "--api", "Red/Api", NOTEBOOK)

    assert result.code == 2
    assert "--api 'Red/Api' names no API of stack 'Two'" in result.err
    assert "Two/Blue/Api" in result.err and "Two/Green/Api" in result.err


def test_api_needs_stack_name(capsys) -> None:
    result = run_cli(capsys, "--api-url", "https://a.example/v1/", "--api", "X", NOTEBOOK)

    assert result.code == 2
    assert "--api picks one API of a stack: use it with --stack-name" in result.err


def test_missing_stack_exits_1(capsys, cloudformation) -> None:
    result = run_cli(capsys, "--stack-name", "Missing", NOTEBOOK)

    assert result.code == 1
    assert "stack 'Missing' not found in eu-west-1" in result.err


def test_stack_output_must_be_https(capsys, cloudformation) -> None:
    cloudformation.create_stack(
        StackName="Plain", TemplateBody=_template({"ApiUrl": "http://api.example.com/v1/"})
    )

    result = run_cli(capsys, "--stack-name", "Plain", NOTEBOOK)

    assert result.code == 2
    assert "ApiUrl output of 'Plain'" in result.err


DESCRIBE_STACKS_XML = """<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <DescribeStacksResult><Stacks><member>
    <StackName>NotebookAccess</StackName>
    <StackId>arn:aws:cloudformation:eu-west-1:123456789012:stack/NotebookAccess/1</StackId>
    <CreationTime>2025-01-01T00:00:00Z</CreationTime>
    <StackStatus>CREATE_COMPLETE</StackStatus>
    <Outputs><member><OutputKey>ApiUrl</OutputKey><OutputValue>{url}</OutputValue></member>
    </Outputs>
  </member></Stacks></DescribeStacksResult>
  <ResponseMetadata><RequestId>req-cfn</RequestId></ResponseMetadata>
</DescribeStacksResponse>"""


def test_stack_lookup_honours_aws_endpoint_url_cloudformation(
    api: FakeApi, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "AWS_ENDPOINT_URL_CLOUDFORMATION", api.root.rstrip("/") + CLOUDFORMATION_PATH
    )
    api.answer(CLOUDFORMATION_PATH, (200, DESCRIBE_STACKS_XML.format(url=api.base_url), {}))
    api.answer(URL_PATH, OK)

    result = run_cli(capsys, "--stack-name", "NotebookAccess", NOTEBOOK, "--print")

    assert result.code == 0, result.err
    assert api.paths == [CLOUDFORMATION_PATH, URL_PATH]
    assert_signed(api)
    describe = parse_qs(api.requests[0].body.decode())
    assert describe["Action"] == ["DescribeStacks"]
    assert describe["StackName"] == ["NotebookAccess"]


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """A local TCP port that takes connections (the kernel's backlog) and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


def test_stack_lookup_against_a_silent_endpoint_ends_within_the_timeout(
    repo_root, silent_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # botocore's defaults (60 s read timeout, 3 attempts) would wait about 3 minutes.
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFORMATION", silent_endpoint)
    command = [sys.executable, "-m", "sagemaker_notebook_access", "--stack-name", "NotebookAccess"]
    command += [NOTEBOOK, "--print", "--timeout", "2"]

    started_at = time.monotonic()
    try:
        completed = subprocess.run(
            command, capture_output=True, text=True, timeout=30, cwd=repo_root, check=False
        )
    except subprocess.TimeoutExpired:
        pytest.fail("notebook-url --timeout 2 still waited for CloudFormation after 30 s")
    elapsed = time.monotonic() - started_at

    assert completed.returncode == 3, completed.stderr
    assert "could not reach CloudFormation" in completed.stderr
    assert completed.stdout == ""
    # One attempt of at most 2 s, plus the interpreter's start: far below 30 s.
    assert elapsed < 20


def test_boto3_clients_take_the_timeout_and_one_attempt() -> None:
    client = boto3.Session(region_name=REGION).client(
        "cloudformation", config=cli.aws_client_config(2.5)
    )

    assert (client.meta.config.connect_timeout, client.meta.config.read_timeout) == (2.5, 2.5)
    assert client.meta.config.retries["total_max_attempts"] == 1


# ---------------------------------------------------------------- --start


START_ARGS = ("--start", "--print", "--poll-interval", "0.01", "--wait-timeout", "5")


def test_start_waits_until_in_service(api: FakeApi, capsys) -> None:
    api.answer(START_PATH, started("Pending"))
    api.answer(URL_PATH, not_in_service("Pending"), not_in_service("Pending"), OK)

    result = run_cli(capsys, "--api-url", api.base_url, NOTEBOOK, "--duration", "1800", *START_ARGS)

    assert result.code == 0, result.err
    assert result.out == AUTHORIZED_URL + "\n"
    assert api.paths == [START_PATH, URL_PATH, URL_PATH, URL_PATH]
    assert api.requests[0].json == {}
    assert all(
        seen.json == {"SessionExpirationDurationInSeconds": 1800} for seen in api.requests[1:]
    )
    assert "Waiting for notebook 'nb-1' to be InService: Pending.." in result.err
    assert_signed(api)


def test_start_of_a_running_notebook_asks_once(api: FakeApi, capsys) -> None:
    api.answer(START_PATH, started("InService"))
    api.answer(URL_PATH, OK)

    result = run_cli(capsys, "--api-url", api.base_url, NOTEBOOK, *START_ARGS)

    assert result.code == 0, result.err
    assert api.paths == [START_PATH, URL_PATH]


def test_start_rides_out_throttling(api: FakeApi, capsys) -> None:
    throttled = (503, {"error": "Throttled", "message": "slow down"}, {"Retry-After": "0"})
    api.answer(START_PATH, started("Pending"))
    api.answer(URL_PATH, not_in_service("Pending"), throttled, OK)

    result = run_cli(capsys, "--api-url", api.base_url, NOTEBOOK, *START_ARGS)

    assert result.code == 0, result.err
    assert api.paths == [START_PATH, URL_PATH, URL_PATH, URL_PATH]


@pytest.mark.parametrize(
    "answer",
    [
        MISSING_ROUTE,
        (403, {"message": "Missing Authentication Token"}, {}),
        (404, {"error": "NotFound", "message": "no such route", "requestId": "r"}, {}),
    ],
    ids=["gateway-response", "default-403", "404"],
)
def test_start_without_the_route_says_allow_start(api: FakeApi, capsys, answer: Answer) -> None:
    api.answer(START_PATH, answer)
    api.answer(URL_PATH, OK)

    result = run_cli(capsys, "--api-url", api.base_url, NOTEBOOK, *START_ARGS)

    assert result.code == 1
    assert "deployed without allow_start=True" in result.err
    assert api.paths == [START_PATH]


def test_start_of_an_unserved_notebook_shows_the_api_error(api: FakeApi, capsys) -> None:
    api.answer(
        START_PATH,
        (404, {"error": "NotebookNotFound", "message": "not served by this API"}, {}),
    )

    result = run_cli(capsys, "--api-url", api.base_url, NOTEBOOK, *START_ARGS)

    assert result.code == 1
    assert "NotebookNotFound: not served by this API" in result.err
    assert "allow_start" not in result.err


def test_start_of_a_stopping_notebook_shows_the_api_error(api: FakeApi, capsys) -> None:
    api.answer(
        START_PATH,
        (
            409,
            {
                "error": "NotebookNotStartable",
                "message": "notebook instance 'nb-1' is Stopping; only a Stopped notebook can "
                "be started",
                "NotebookInstanceStatus": "Stopping",
            },
            {},
        ),
    )

    result = run_cli(capsys, "--api-url", api.base_url, NOTEBOOK, *START_ARGS)

    assert result.code == 1
    assert "NotebookNotStartable" in result.err
    assert api.paths == [START_PATH]


def test_start_stops_waiting_when_the_notebook_fails(api: FakeApi, capsys) -> None:
    api.answer(START_PATH, started("Pending"))
    api.answer(URL_PATH, not_in_service("Pending"), not_in_service("Failed"))

    result = run_cli(capsys, "--api-url", api.base_url, NOTEBOOK, *START_ARGS)

    assert result.code == 1
    assert "is Failed" in result.err
    assert api.paths == [START_PATH, URL_PATH, URL_PATH]


def test_start_wait_is_bounded(api: FakeApi, capsys) -> None:
    api.answer(START_PATH, started("Pending"))
    api.answer(URL_PATH, not_in_service("Pending"))

    started_at = time.monotonic()
    result = run_cli(
        capsys,
        "--api-url",
        api.base_url,
        NOTEBOOK,
        "--start",
        "--poll-interval",
        "0.01",
        "--wait-timeout",
        "0.2",
    )

    assert result.code == 1
    assert "still Pending after 0.2 seconds" in result.err
    assert time.monotonic() - started_at < 3
    assert len(api.paths) > 2


# ---------------------------------------------------------------- entry points


def test_python_dash_m_help(repo_root) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "sagemaker_notebook_access", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=repo_root,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("usage: notebook-url")
    assert "--stack-name" in completed.stdout


def test_python_dash_m_usage_error_exits_2(repo_root) -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "sagemaker_notebook_access",
            "--api-url",
            "https://a.example/",
            "bad_name",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=repo_root,
        check=False,
    )

    assert completed.returncode == 2
    assert "notebook name 'bad_name' is not valid" in completed.stderr


def test_console_script_points_at_main() -> None:
    (script,) = entry_points(group="console_scripts", name="notebook-url")
    assert script.load() is cli.main
