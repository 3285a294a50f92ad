"""notebook-url's command line: the parser and the checks of what it reads."""

from __future__ import annotations

import argparse
import re
from urllib.parse import urlsplit, urlunsplit

from ..limits import (
    NOTEBOOK_NAME_MAX_LENGTH,
    SESSION_DURATION_MAX_SECONDS,
    SESSION_DURATION_MIN_SECONDS,
    split_notebook_ref,
)
from .cli_errors import PROG, shown, usage_error

# Plain http is only for a local test server; anything else would send the
# signed request and the URL in the clear.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# A stage URL names its region: {id}.execute-api.{region}.amazonaws.com (also vpce, .cn).
EXECUTE_API_HOST = re.compile(
    r"[a-z0-9-]+\.execute-api\.([a-z]{2}(?:-[a-z]+)+-\d+)\.(?:vpce\.)?amazonaws\.com(?:\.cn)?"
)
EXAMPLE_API_URL = "https://abc123.execute-api.eu-west-1.amazonaws.com/v1/"


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
    _add_api_arguments(parser)
    _add_request_arguments(parser)
    _add_aws_arguments(parser)
    _add_timing_arguments(parser)
    return parser


def _add_api_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--api-url", metavar="URL", help=f"the API's stage URL, e.g. {EXAMPLE_API_URL}"
    )
    source.add_argument(
        "--stack-name",
        metavar="NAME",
        help=(
            "read the API URL from this CloudFormation stack's outputs (the one every "
            "PresignedUrlApi adds, or an 'ApiUrl' output)"
        ),
    )
    parser.add_argument(
        "--api",
        metavar="PATH_OR_KEY",
        help=(
            "with --stack-name, when the stack has several APIs: which one, by its construct "
            "path (e.g. MyStack/Notebook/Api, or Notebook/Api) or its output key"
        ),
    )


def _add_request_arguments(parser: argparse.ArgumentParser) -> None:
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


def _add_aws_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--region",
        help=(
            "AWS region for the stack lookup, and for signing when the API URL does not "
            "name one (default: your AWS configuration)"
        ),
    )
    parser.add_argument("--profile", help="AWS named profile (default: your AWS configuration)")


def _add_timing_arguments(parser: argparse.ArgumentParser) -> None:
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


def validate_notebook_name(name: str) -> str:
    """A notebook name, or "<account id>:<name>" for one in a hub's member account."""
    if split_notebook_ref(name) is None:
        usage_error(
            f"notebook name {shown(name, 80)!r} is not valid: use 1..{NOTEBOOK_NAME_MAX_LENGTH} "
            "letters, digits and hyphens, starting and ending with a letter or digit, after "
            "'<12-digit account id>:' for a notebook in a member account"
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
    try:
        parts = urlsplit(raw.strip())
        host = parts.hostname
        _ = parts.port  # raises ValueError on a bad port
    except ValueError:
        usage_error(f"{source} {shown(raw)!r} is not a URL; expected e.g. {EXAMPLE_API_URL}")
    if parts.scheme not in ("https", "http") or not host:
        usage_error(
            f"{source} {shown(raw)!r} is not an https:// URL; expected e.g. {EXAMPLE_API_URL}"
        )
    if parts.scheme == "http" and host not in LOCAL_HOSTS:
        usage_error(
            f"{source} {shown(raw)!r} must use https: plain http is only accepted for "
            "localhost and 127.0.0.1"
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        usage_error(
            f"{source} must be the stage URL alone, without user info, query or fragment; "
            f"expected e.g. {EXAMPLE_API_URL}"
        )
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def region_from_api_url(api_url: str) -> str | None:
    match = EXECUTE_API_HOST.fullmatch(urlsplit(api_url).hostname or "")
    return match.group(1) if match else None
