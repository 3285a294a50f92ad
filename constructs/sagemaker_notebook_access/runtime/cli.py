"""notebook-url: ask a PresignedUrlApi for a notebook URL (SigV4-signed) and open it.

Standard library HTTP plus botocore signing, so the client adds no dependency. The
presigned URL is a bearer credential: it goes to the browser or, with --print, to
stdout, and nowhere else (no error text, no progress line).
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import sys
import time
import urllib.error
import urllib.request
import webbrowser
from dataclasses import dataclass, field
from typing import Any, NoReturn, TextIO
from urllib.parse import quote, urlsplit, urlunsplit

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import ReadOnlyCredentials
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
)

from ..limits import (
    NOTEBOOK_NAME_MAX_LENGTH,
    SESSION_DURATION_FIELD,
    SESSION_DURATION_MAX_SECONDS,
    SESSION_DURATION_MIN_SECONDS,
    is_notebook_name,
)

PROG = "notebook-url"

EXIT_OK = 0
EXIT_API_ERROR = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3
EXIT_INTERRUPTED = 130


API_URL_OUTPUT = "ApiUrl"
SIGNING_SERVICE = "execute-api"
# Plain http is only for a local test server; anything else would send the
# signed request and the URL in the clear.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# A stage URL names its region: {id}.execute-api.{region}.amazonaws.com (also vpce, .cn).
EXECUTE_API_HOST = re.compile(
    r"[a-z0-9-]+\.execute-api\.([a-z]{2}(?:-[a-z]+)+-\d+)\.(?:vpce\.)?amazonaws\.com(?:\.cn)?"
)
# The AuthorizedUrl is only handed on when its host is the requested notebook's own:
# {name}.notebook.{region}.sagemaker.aws ({name}.notebook-fips.{region}... on a FIPS
# endpoint), {name}.notebook.{region}.sagemaker.com.cn in the China regions. The API
# reference (CreatePresignedNotebookInstanceUrl) gives AuthorizedUrl only as "string";
# these host suffixes are the ones AWS registers for notebook instances in the Amazon
# section of the Public Suffix List (https://publicsuffix.org/list/public_suffix_list.dat:
# notebook[-fips].<region>.sagemaker.aws, notebook.cn-north-1.sagemaker.com.cn,
# notebook.cn-northwest-1.sagemaker.com.cn). Anything else is refused.
NOTEBOOK_HOST_LABELS = ("notebook", "notebook-fips")
# What _authorized_url_problem reads an AuthorizedUrl with (and portal.js alike).
_URL_TEXT = re.compile(r"[\x21-\x7e]+")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]{0,19}):")
_AUTHORITY_END = re.compile(r"[/?#]")
NOTEBOOK_DOMAIN = "sagemaker.aws"
NOTEBOOK_DOMAIN_CHINA = "sagemaker.com.cn"
MAX_RESPONSE_BYTES = 1024 * 1024
MAX_SHOWN_CHARS = 400

WAITING_STATUSES = frozenset({"Pending", "Updating"})
RETRYABLE_HTTP_STATUSES = frozenset({429, 503})
# API Gateway names its own rejections in x-amzn-ErrorType.
CREDENTIAL_ERROR_TYPES = frozenset(
    {
        "ExpiredTokenException",
        "IncompleteSignatureException",
        "InvalidSignatureException",
        "UnrecognizedClientException",
    }
)
MISSING_ROUTE_MESSAGE = "Missing Authentication Token"
NO_START_ROUTE = (
    "this API has no start route: it was deployed without allow_start=True. Start the "
    "notebook another way (SageMaker console, `aws sagemaker start-notebook-instance`) "
    "or redeploy the construct with allow_start=True"
)


class CliError(Exception):
    """A failure with a message for the user and the exit code it maps to."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


def usage_error(message: str) -> NoReturn:
    raise CliError(message, EXIT_USAGE)


# ---------------------------------------------------------------- arguments


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Get a presigned URL for a SageMaker notebook instance from its presigned-URL "
            "API (a SigV4-signed request with your AWS credentials) and open it in your "
            "web browser."
        ),
        epilog=(
            "exit codes: 0 success; 1 the API refused the request or the notebook did not "
            "become ready; 2 invalid arguments; 3 network or credentials problem."
        ),
    )
    parser.add_argument("notebook", metavar="NOTEBOOK", help="notebook instance name")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--api-url",
        metavar="URL",
        help="the API's stage URL, e.g. https://abc123.execute-api.eu-west-1.amazonaws.com/v1/",
    )
    source.add_argument(
        "--stack-name",
        metavar="NAME",
        help=f"read the API URL from this CloudFormation stack's {API_URL_OUTPUT!r} output",
    )
    parser.add_argument(
        "--duration",
        metavar="SECONDS",
        type=int,
        help=(
            f"session length, {SESSION_DURATION_MIN_SECONDS}..{SESSION_DURATION_MAX_SECONDS} "
            "seconds (default: the API's default)"
        ),
    )
    parser.add_argument(
        "--print",
        dest="print_url",
        action="store_true",
        help="print the URL on stdout instead of opening a browser (it is valid for 5 minutes)",
    )
    parser.add_argument(
        "--start",
        action="store_true",
        help=(
            "start the notebook first if it is stopped and wait until it is InService "
            "(the API must be deployed with allow_start=True)"
        ),
    )
    parser.add_argument(
        "--region",
        help=(
            "AWS region for the stack lookup, and for signing when the API URL does not "
            "name one (default: your AWS configuration)"
        ),
    )
    parser.add_argument("--profile", help="AWS named profile (default: your AWS configuration)")
    parser.add_argument(
        "--timeout",
        metavar="S",
        type=float,
        default=30.0,
        help=(
            "seconds to wait for each connection and each HTTP response, the "
            "CloudFormation lookup of --stack-name included (default: 30)"
        ),
    )
    parser.add_argument(
        "--wait-timeout",
        metavar="S",
        type=float,
        default=600.0,
        help="with --start: seconds to wait for the notebook to be InService (default: 600)",
    )
    parser.add_argument(
        "--poll-interval",
        metavar="S",
        type=float,
        default=10.0,
        help="with --start: seconds between status checks (default: 10)",
    )
    return parser


def validate_notebook_name(name: str) -> str:
    if not is_notebook_name(name):
        usage_error(
            f"notebook name {_shown(name, 80)!r} is not valid: use 1..{NOTEBOOK_NAME_MAX_LENGTH} "
            "letters, digits and hyphens, starting and ending with a letter or digit"
        )
    return name


def validate_duration(duration: int | None) -> int | None:
    if (
        duration is not None
        and not SESSION_DURATION_MIN_SECONDS <= duration <= SESSION_DURATION_MAX_SECONDS
    ):
        usage_error(
            f"--duration {duration} is out of range: use {SESSION_DURATION_MIN_SECONDS}.."
            f"{SESSION_DURATION_MAX_SECONDS} seconds"
        )
    return duration


def validate_positive(value: float, option: str) -> float:
    if not value > 0 or value == float("inf"):
        usage_error(f"{option} {value:g} must be a number of seconds above 0")
    return value


def normalize_api_url(raw: str, *, source: str = "--api-url") -> str:
    """The stage URL with a trailing slash; https only, except for a local test server."""
    example = "https://abc123.execute-api.eu-west-1.amazonaws.com/v1/"
    try:
        parts = urlsplit(raw.strip())
        host = parts.hostname
        _ = parts.port  # raises ValueError on a bad port
    except ValueError:
        usage_error(f"{source} {_shown(raw)!r} is not a URL; expected e.g. {example}")
    if parts.scheme not in ("https", "http") or not host:
        usage_error(f"{source} {_shown(raw)!r} is not an https:// URL; expected e.g. {example}")
    if parts.scheme == "http" and host not in LOCAL_HOSTS:
        usage_error(
            f"{source} {_shown(raw)!r} must use https: plain http is only accepted for "
            "localhost and 127.0.0.1"
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        usage_error(
            f"{source} must be the stage URL alone, without user info, query or fragment; "
            f"expected e.g. {example}"
        )
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def region_from_api_url(api_url: str) -> str | None:
    match = EXECUTE_API_HOST.fullmatch(urlsplit(api_url).hostname or "")
    return match.group(1) if match else None


# ---------------------------------------------------------------- AWS set-up


def make_session(profile: str | None, region: str | None) -> boto3.Session:
    try:
        return boto3.Session(profile_name=profile, region_name=region)
    except BotoCoreError as error:
        raise CliError(f"AWS configuration problem: {error}", EXIT_UNAVAILABLE) from None


def load_credentials(session: boto3.Session) -> ReadOnlyCredentials:
    try:
        credentials = session.get_credentials()
        frozen = credentials.get_frozen_credentials() if credentials is not None else None
    except (BotoCoreError, ClientError) as error:
        raise CliError(f"could not load AWS credentials: {error}", EXIT_UNAVAILABLE) from None
    if frozen is None or not frozen.access_key or not frozen.secret_key:
        raise CliError(
            "no AWS credentials found: configure them (aws configure, aws sso login, "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) or pass --profile",
            EXIT_UNAVAILABLE,
        )
    return frozen


def aws_client_config(timeout: float) -> Config:
    """For every boto3 client the CLI makes: --timeout per connect and per read, one attempt.

    botocore's defaults (60 s connect, 60 s read, several attempts) would keep an
    unresponsive endpoint waiting for minutes; a single attempt keeps the lookup within
    about --timeout (a connect and a read, each bounded by it). Rerun to retry.
    """
    return Config(
        connect_timeout=timeout,
        read_timeout=timeout,
        retries={"total_max_attempts": 1, "mode": "standard"},
    )


def api_url_from_stack(session: boto3.Session, stack_name: str, timeout: float) -> str:
    """The stack's ApiUrl output (honours AWS_ENDPOINT_URL_CLOUDFORMATION like any boto3 call)."""
    if not session.region_name:
        usage_error("--stack-name needs a region: pass --region or set AWS_REGION")
    try:
        client = session.client("cloudformation", config=aws_client_config(timeout))
        stacks = client.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        text = str(error.response.get("Error", {}).get("Message", ""))
        if code == "ValidationError" and "does not exist" in text:
            raise CliError(
                f"stack {stack_name!r} not found in {session.region_name}; check --stack-name "
                "and --region",
                EXIT_API_ERROR,
            ) from None
        if code in _CREDENTIAL_CODES:
            raise CliError(
                f"AWS rejected your credentials ({code}); refresh them and retry",
                EXIT_UNAVAILABLE,
            ) from None
        raise CliError(
            f"could not read stack {stack_name!r}: {code or 'error'}: {_shown(text)}",
            EXIT_API_ERROR,
        ) from None
    except NoCredentialsError:
        raise CliError(
            "no AWS credentials found: configure them or pass --profile", EXIT_UNAVAILABLE
        ) from None
    except (EndpointConnectionError, NoRegionError, BotoCoreError) as error:
        raise CliError(f"could not reach CloudFormation: {error}", EXIT_UNAVAILABLE) from None
    outputs = {
        output.get("OutputKey"): output.get("OutputValue")
        for stack in stacks[:1]
        for output in stack.get("Outputs", [])
    }
    value = outputs.get(API_URL_OUTPUT)
    if not value:
        listed = ", ".join(sorted(str(key) for key in outputs)) or "none"
        raise CliError(
            f"stack {stack_name!r} has no {API_URL_OUTPUT!r} output (outputs: {listed}); "
            "pass --api-url instead",
            EXIT_API_ERROR,
        )
    return normalize_api_url(value, source=f"the {API_URL_OUTPUT} output of {stack_name!r}")


_CREDENTIAL_CODES = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
    }
)


# ---------------------------------------------------------------- HTTP


@dataclass
class ApiResponse:
    status: int
    body: dict[str, Any] | None
    headers: dict[str, str] = field(default_factory=dict)

    def text(self, name: str) -> str:
        value = (self.body or {}).get(name)
        return value if isinstance(value, str) else ""

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """Never follow a redirect: it would carry the signed headers to another URL."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class ApiClient:
    """Signs each request with SigV4 (service execute-api) and sends it with urllib."""

    def __init__(
        self, api_url: str, credentials: ReadOnlyCredentials, region: str, timeout: float
    ) -> None:
        self.api_url = api_url
        self.credentials = credentials
        self.region = region
        self.timeout = timeout
        self._opener = urllib.request.build_opener(_RefuseRedirects)

    def route(self, notebook: str, action: str) -> str:
        return f"{self.api_url}notebooks/{quote(notebook, safe='')}/{action}"

    def post(self, url: str, payload: dict[str, Any]) -> ApiResponse:
        # Always a JSON object, "{}" at least: the API validates the body against its model.
        body = json.dumps(payload, separators=(",", ":")).encode()
        signed = AWSRequest(
            method="POST",
            url=url,
            data=body,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        SigV4Auth(self.credentials, SIGNING_SERVICE, self.region).add_auth(signed)
        # The scheme is https (or http to localhost): normalize_api_url checked it.
        request = urllib.request.Request(  # noqa: S310
            url, data=body, method="POST", headers=dict(signed.headers.items())
        )
        request.add_header("User-Agent", f"{PROG} (sagemaker-notebook-access)")
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return _api_response(response.status, response.headers, response)
        except urllib.error.HTTPError as error:
            with error:
                return _api_response(error.code, error.headers, error)
        except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
            reason = getattr(error, "reason", None) or error
            host = urlsplit(url).netloc
            raise CliError(
                f"could not reach the API at {host}: {_shown(str(reason))}", EXIT_UNAVAILABLE
            ) from None


def _api_response(status: int, headers: Any, stream: Any) -> ApiResponse:
    raw = stream.read(MAX_RESPONSE_BYTES + 1)
    lowered = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
    if len(raw) > MAX_RESPONSE_BYTES:
        return ApiResponse(status, None, lowered)
    try:
        body = json.loads(raw.decode("utf-8")) if raw.strip() else None
    except (UnicodeDecodeError, ValueError):
        body = None
    return ApiResponse(status, body if isinstance(body, dict) else None, lowered)


# ---------------------------------------------------------------- errors


def _shown(text: str, limit: int = MAX_SHOWN_CHARS) -> str:
    """Text from elsewhere, safe for a terminal: no control characters, bounded."""
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in text)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 3] + "..."


def api_error(response: ApiResponse, notebook: str, *, hint: str = "") -> CliError:
    """The API's error code, message and request id; never the raw body."""
    code = response.text("error")
    message = response.text("message")
    request_id = response.text("requestId") or response.header("x-amzn-requestid")
    if 300 <= response.status < 400:
        message = "the API answered with a redirect; check the API URL"
    elif not message:
        message = "the API gave no error message"
    text = f"HTTP {response.status}" + (f" {_shown(code, 80)}" if code else "")
    text += f": {_shown(message)}"
    if request_id:
        text += f" (request id {_shown(request_id, 128)})"
    exit_code = EXIT_API_ERROR
    status = response.text("NotebookInstanceStatus")
    retry_after = response.header("retry-after")
    if response.header("x-amzn-errortype").split(":")[0] in CREDENTIAL_ERROR_TYPES:
        exit_code = EXIT_UNAVAILABLE
        hint = hint or "your AWS credentials were rejected: refresh them and retry"
    elif response.status in RETRYABLE_HTTP_STATUSES and retry_after:
        hint = hint or f"retry after {_shown(retry_after, 20)} seconds"
    elif response.status == 409 and status == "Stopped":
        hint = hint or (
            f"notebook {notebook!r} is stopped: pass --start to start it (needs an API "
            "deployed with allow_start=True)"
        )
    elif response.status == 409 and status in WAITING_STATUSES:
        hint = hint or f"notebook {notebook!r} is starting: pass --start to wait for it"
    if hint:
        text += f"\n{hint}"
    return CliError(text, exit_code)


def is_missing_route(response: ApiResponse) -> bool:
    """API Gateway's answer for a path it has no resource for (here: no start route)."""
    if response.status == 404:
        return response.text("error") != "NotebookNotFound"
    return response.status == 403 and (
        MISSING_ROUTE_MESSAGE in response.text("message")
        or response.header("x-amzn-errortype").startswith("MissingAuthenticationToken")
    )


# ---------------------------------------------------------------- the work


class Progress:
    """One line on stderr: the status, then a dot per check."""

    def __init__(self, stream: TextIO, notebook: str) -> None:
        self.stream = stream
        self.notebook = notebook
        self.status: str | None = None

    def tick(self, status: str) -> None:
        if self.status is None:
            self.stream.write(f"Waiting for notebook {self.notebook!r} to be InService: {status}")
        elif status != self.status:
            self.stream.write(f" {status}")
        self.stream.write(".")
        self.stream.flush()
        self.status = status

    def done(self) -> None:
        if self.status is not None:
            self.stream.write("\n")
            self.stream.flush()
            self.status = None


def request_url(api: ApiClient, notebook: str, duration: int | None) -> ApiResponse:
    payload = {SESSION_DURATION_FIELD: duration} if duration is not None else {}
    return api.post(api.route(notebook, "url"), payload)


def notebook_hosts(notebook: str, region: str) -> tuple[str, ...]:
    """The hosts a presigned URL for this notebook may have (see NOTEBOOK_HOST_LABELS)."""
    region = region.lower()
    domain = NOTEBOOK_DOMAIN_CHINA if region.startswith("cn-") else NOTEBOOK_DOMAIN
    return tuple(f"{notebook.lower()}.{label}.{region}.{domain}" for label in NOTEBOOK_HOST_LABELS)


def authorized_url(response: ApiResponse, notebook: str, region: str) -> str:
    """The AuthorizedUrl, if it is an https URL on this notebook's own SageMaker host.

    It is a bearer credential: an error names at most its host, never the URL.
    """
    url = response.text("AuthorizedUrl")
    hosts = notebook_hosts(notebook, region)
    problem = _authorized_url_problem(url, hosts)
    if problem:
        raise CliError(
            f"the API answered 200 without a usable AuthorizedUrl: {problem}; only "
            f"https://{hosts[0]}/... is opened or printed (the notebook's own SageMaker "
            "host). Check that --api-url or --stack-name is the right API for this "
            "notebook and region.",
            EXIT_API_ERROR,
        )
    return url


def _authorized_url_problem(url: str, hosts: tuple[str, ...]) -> str:
    """Why ``url`` is not a URL on one of ``hosts``, or "" if it is.

    One rule, written out on the text rather than left to a URL parser (the portal's page,
    lambda/presigned_url/portal.js authorizedUrlProblem, applies the same, and
    tests/authorized_url_cases.json holds the cases both are tested with): printable ASCII
    without spaces; "https://"; then the authority, everything up to the first "/", "?"
    or "#", is exactly one of ``hosts`` (any case), with ":443" at most. No parser can read
    another host out of that: a user info ("@"), a backslash or another port are all
    refused.
    """
    if not url:
        return "the answer has none"
    if not _URL_TEXT.fullmatch(url):
        return "it contains control characters, spaces or non-ASCII characters"
    if url[:8].lower() != "https://":
        # The scheme is letters, digits, "+", "-" and "." only; it is not secret.
        scheme = _SCHEME.match(url)
        shown = f" (scheme '{scheme[1]}')" if scheme else ""
        return f"it is not an https:// URL{shown}"
    authority = _AUTHORITY_END.split(url[8:], maxsplit=1)[0]
    if "@" in authority:
        return "it has user info before the host"
    host, colon, port = authority.rpartition(":") if ":" in authority else (authority, "", "")
    if colon and port != "443":
        named = f"port {port}" if re.fullmatch(r"\d{1,5}", port) else "a port that is not a number"
        return f"it names {named}, not the default https port"
    if host.lower() not in hosts:
        return f"its host '{_shown(host, 120)}' is not the notebook's"
    return ""


def start_notebook(api: ApiClient, notebook: str) -> str:
    """POST .../start; the notebook's status after it (Pending or InService)."""
    response = api.post(api.route(notebook, "start"), {})
    if response.status == 202:
        return response.text("NotebookInstanceStatus") or "Pending"
    if is_missing_route(response):
        raise CliError(NO_START_ROUTE, EXIT_API_ERROR)
    hint = ""
    if response.status == 403 and not response.header("x-amzn-errortype").startswith(
        tuple(CREDENTIAL_ERROR_TYPES)
    ):
        hint = (
            "starting needs an API deployed with allow_start=True and an identity granted "
            f"POST /notebooks/{notebook}/start"
        )
    raise api_error(response, notebook, hint=hint)


def wait_for_url(
    api: ApiClient,
    notebook: str,
    duration: int | None,
    *,
    wait_timeout: float,
    poll_interval: float,
    stderr: TextIO,
) -> ApiResponse:
    """Ask for the URL until the notebook is InService (the API answers 409 until then)."""
    deadline = time.monotonic() + wait_timeout
    progress = Progress(stderr, notebook)
    status = "Pending"
    try:
        while True:
            delay = poll_interval
            response = request_url(api, notebook, duration)
            if response.status == 200:
                return response
            if response.status == 409 and response.text("NotebookInstanceStatus") in (
                WAITING_STATUSES
            ):
                status = response.text("NotebookInstanceStatus")
            elif response.status in RETRYABLE_HTTP_STATUSES:
                delay = max(poll_interval, _seconds(response.header("retry-after")))
            else:
                raise api_error(response, notebook)
            progress.tick(status)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise CliError(
                    f"notebook {notebook!r} is still {status} after {wait_timeout:g} seconds; "
                    "run the command again later (or raise --wait-timeout)",
                    EXIT_API_ERROR,
                )
            time.sleep(min(delay, remaining))
    finally:
        progress.done()


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        return 0.0
    return min(max(seconds, 0.0), 60.0)


def deliver(url: str, *, print_url: bool, notebook: str, stdout: TextIO, stderr: TextIO) -> None:
    if print_url:
        stdout.write(url + "\n")
        stdout.flush()
        return
    if not webbrowser.open(url, new=2):
        raise CliError(
            "could not open a web browser here; rerun with --print to get the URL on stdout",
            EXIT_API_ERROR,
        )
    stderr.write(f"Opened notebook {notebook!r} in your web browser.\n")


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> None:
    notebook = validate_notebook_name(args.notebook)
    duration = validate_duration(args.duration)
    validate_positive(args.timeout, "--timeout")
    validate_positive(args.wait_timeout, "--wait-timeout")
    validate_positive(args.poll_interval, "--poll-interval")
    api_url = normalize_api_url(args.api_url) if args.api_url is not None else None

    session = make_session(args.profile, args.region)
    if api_url is None:
        api_url = api_url_from_stack(session, args.stack_name, args.timeout)
    # An execute-api host names the region its signature must carry.
    region = region_from_api_url(api_url) or session.region_name
    if not region:
        usage_error(
            "no AWS region to sign for: pass --region or set AWS_REGION "
            "(the API URL does not name one)"
        )
    api = ApiClient(api_url, load_credentials(session), region, args.timeout)

    if args.start:
        stderr.write(f"Starting notebook {notebook!r}...\n")
        status = start_notebook(api, notebook)
        if status == "InService":
            response = request_url(api, notebook, duration)
        else:
            time.sleep(min(args.poll_interval, args.wait_timeout))
            response = wait_for_url(
                api,
                notebook,
                duration,
                wait_timeout=args.wait_timeout,
                poll_interval=args.poll_interval,
                stderr=stderr,
            )
    else:
        response = request_url(api, notebook, duration)
    if response.status != 200:
        hint = ""
        if is_missing_route(response):
            hint = (
                "the API has no such route: check the API URL (the stage URL, ending in the "
                "stage name, e.g. .../v1/)"
            )
        raise api_error(response, notebook, hint=hint)
    deliver(
        authorized_url(response, notebook, region),
        print_url=args.print_url,
        notebook=notebook,
        stdout=stdout,
        stderr=stderr,
    )


def main(argv: list[str] | None = None) -> int:
    stdout, stderr = sys.stdout, sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, or argparse's own usage error (exit 2)
        return int(exit_.code or 0)
    try:
        run(args, stdout, stderr)
    except CliError as error:
        stderr.write(f"{PROG}: error: {error.message}\n")
        return error.exit_code
    except KeyboardInterrupt:
        stderr.write(f"{PROG}: interrupted\n")
        return EXIT_INTERRUPTED
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
