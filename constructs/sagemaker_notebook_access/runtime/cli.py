"""notebook-url: ask a PresignedUrlApi for a notebook URL (SigV4-signed) and open it.

Standard library HTTP plus botocore signing, so the client adds no dependency. The
presigned URL is a bearer credential: it goes to the browser or, with --print, to
stdout, and nowhere else (no error text, no progress line).

The parts live beside this module in runtime/: the command line (cli_arguments), exit
codes and errors (cli_errors), the AWS set-up and the --stack-name lookup (stack_lookup),
the signed HTTP and the API's answers (signed_http), the URL check (authorized_url);
this module runs the request: start, wait, deliver.
"""

from __future__ import annotations

import argparse
import sys
import time
import webbrowser
from typing import TextIO

from ..limits import SESSION_DURATION_FIELD
from .authorized_url import authorized_url, notebook_hosts
from .authorized_url import authorized_url_problem as _authorized_url_problem
from .cli_arguments import (
    build_parser,
    normalize_api_url,
    region_from_api_url,
    validate_duration,
    validate_notebook_name,
    validate_positive,
)
from .cli_errors import (
    EXIT_API_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
    PROG,
    CliError,
    usage_error,
)
from .signed_http import (
    CREDENTIAL_ERROR_TYPES,
    RETRYABLE_HTTP_STATUSES,
    WAITING_STATUSES,
    ApiClient,
    ApiResponse,
    api_error,
    is_missing_route,
)
from .stack_lookup import (
    API_URL_OUTPUT,
    api_url_from_stack,
    aws_client_config,
    load_credentials,
    make_session,
)

# The names this module had before it was split, importable from here as before.
__all__ = [
    "API_URL_OUTPUT",
    "EXIT_API_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_UNAVAILABLE",
    "EXIT_USAGE",
    "PROG",
    "ApiClient",
    "ApiResponse",
    "CliError",
    "_authorized_url_problem",
    "api_url_from_stack",
    "authorized_url",
    "aws_client_config",
    "build_parser",
    "main",
    "normalize_api_url",
    "notebook_hosts",
    "region_from_api_url",
    "run",
]

NO_START_ROUTE = (
    "this API has no start route: it was deployed without allow_start=True. Start the "
    "notebook another way (SageMaker console, `aws sagemaker start-notebook-instance`) "
    "or redeploy the construct with allow_start=True"
)


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


def connect(args: argparse.Namespace) -> ApiClient:
    """The signing client for the API the arguments name (--api-url, or the stack's)."""
    if args.api is not None and args.stack_name is None:
        usage_error("--api picks one API of a stack: use it with --stack-name")
    api_url = normalize_api_url(args.api_url) if args.api_url is not None else None
    session = make_session(args.profile, args.region)
    if api_url is None:
        api_url = api_url_from_stack(session, args.stack_name, args.timeout, args.api)
    # An execute-api host names the region its signature must carry.
    region = region_from_api_url(api_url) or session.region_name
    if not region:
        usage_error(
            "no AWS region to sign for: pass --region or set AWS_REGION "
            "(the API URL does not name one)"
        )
    return ApiClient(api_url, load_credentials(session), region, args.timeout)


def fetch_url(
    api: ApiClient, notebook: str, duration: int | None, args: argparse.Namespace, stderr: TextIO
) -> ApiResponse:
    """The URL route's answer, after starting the notebook and waiting with --start."""
    if not args.start:
        return request_url(api, notebook, duration)
    stderr.write(f"Starting notebook {notebook!r}...\n")
    if start_notebook(api, notebook) == "InService":
        return request_url(api, notebook, duration)
    time.sleep(min(args.poll_interval, args.wait_timeout))
    return wait_for_url(
        api,
        notebook,
        duration,
        wait_timeout=args.wait_timeout,
        poll_interval=args.poll_interval,
        stderr=stderr,
    )


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> None:
    notebook = validate_notebook_name(args.notebook)
    duration = validate_duration(args.duration)
    validate_positive(args.timeout, "--timeout")
    validate_positive(args.wait_timeout, "--wait-timeout")
    validate_positive(args.poll_interval, "--poll-interval")
    api = connect(args)
    response = fetch_url(api, notebook, duration, args, stderr)
    if response.status != 200:
        hint = ""
        if is_missing_route(response):
            hint = (
                "the API has no such route: check the API URL (the stage URL, ending in the "
                "stage name, e.g. .../v1/)"
            )
        raise api_error(response, notebook, hint=hint)
    deliver(
        authorized_url(response, notebook, api.region),
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
