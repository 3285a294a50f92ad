"""notebook-url's AWS set-up and its --stack-name lookup: which output of the stack is the
API's stage URL.

Every ``PresignedUrlApi`` adds an output marked by its description (``stack_output``);
the demo app's ``ApiUrl`` output is read as well, for stacks deployed before the marker.
One API in the stack: it is used. Several: ``--api`` names one, by construct path or
output key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.credentials import ReadOnlyCredentials
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
)

from ..stack_output import api_path_from_description
from .cli_arguments import normalize_api_url
from .cli_errors import EXIT_API_ERROR, EXIT_UNAVAILABLE, CliError, shown, usage_error

API_URL_OUTPUT = "ApiUrl"

_CREDENTIAL_CODES = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
    }
)


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


@dataclass(frozen=True)
class ApiOutput:
    """One output of the stack that holds an API's stage URL."""

    key: str
    url: str
    path: str | None
    """The API's construct path (from the marked description); None for ``ApiUrl``."""

    def names(self) -> set[str]:
        names = {self.key}
        if self.path:
            names |= {self.path, self.path.partition("/")[2]}
        return names - {""}

    def label(self) -> str:
        return f"{self.path} (output {self.key})" if self.path else f"output {self.key}"


def api_url_from_stack(
    session: boto3.Session, stack_name: str, timeout: float, api: str | None = None
) -> str:
    """The stage URL of the stack's API (honours AWS_ENDPOINT_URL_CLOUDFORMATION like any
    boto3 call); ``api`` picks one where the stack has several."""
    outputs = stack_outputs(session, stack_name, timeout)
    chosen = choose_api_output(outputs, stack_name, api)
    return normalize_api_url(chosen.url, source=f"the {chosen.key} output of {stack_name!r}")


def stack_outputs(
    session: boto3.Session, stack_name: str, timeout: float
) -> list[Mapping[str, Any]]:
    """The outputs of ``stack_name`` as DescribeStacks gives them."""
    if not session.region_name:
        usage_error("--stack-name needs a region: pass --region or set AWS_REGION")
    try:
        client = session.client("cloudformation", config=aws_client_config(timeout))
        stacks = client.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as error:
        raise _lookup_error(error, stack_name, session.region_name) from None
    except NoCredentialsError:
        raise CliError(
            "no AWS credentials found: configure them or pass --profile", EXIT_UNAVAILABLE
        ) from None
    except (EndpointConnectionError, NoRegionError, BotoCoreError) as error:
        raise CliError(f"could not reach CloudFormation: {error}", EXIT_UNAVAILABLE) from None
    return [output for stack in stacks[:1] for output in stack.get("Outputs", [])]


def _lookup_error(error: ClientError, stack_name: str, region: str) -> CliError:
    code = error.response.get("Error", {}).get("Code", "")
    text = str(error.response.get("Error", {}).get("Message", ""))
    if code == "ValidationError" and "does not exist" in text:
        return CliError(
            f"stack {stack_name!r} not found in {region}; check --stack-name and --region",
            EXIT_API_ERROR,
        )
    if code in _CREDENTIAL_CODES:
        return CliError(
            f"AWS rejected your credentials ({code}); refresh them and retry", EXIT_UNAVAILABLE
        )
    return CliError(
        f"could not read stack {stack_name!r}: {code or 'error'}: {shown(text)}", EXIT_API_ERROR
    )


def api_outputs(outputs: Sequence[Mapping[str, Any]]) -> list[ApiOutput]:
    """The outputs that hold an API's URL: the marked ones, then ``ApiUrl``."""
    found = []
    for output in outputs:
        key, value = str(output.get("OutputKey") or ""), output.get("OutputValue")
        path = api_path_from_description(output.get("Description"))
        if value and (path or key == API_URL_OUTPUT):
            found.append(ApiOutput(key, str(value), path))
    return found


def choose_api_output(
    outputs: Sequence[Mapping[str, Any]], stack_name: str, api: str | None
) -> ApiOutput:
    """The one API output ``--api`` names, or the stack's only API (the same URL under
    several outputs, as the demo's ``ApiUrl`` beside its API's own, is one API)."""
    candidates = api_outputs(outputs)
    if api is not None:
        candidates = [output for output in candidates if api in output.names()]
        if len(candidates) != 1:
            usage_error(
                f"--api {shown(api, 200)!r} names "
                + ("several" if candidates else "no")
                + f" API of stack {stack_name!r}; "
                + _listing(api_outputs(outputs), stack_name)
            )
    if not candidates:
        listed = ", ".join(sorted(str(o.get("OutputKey")) for o in outputs)) or "none"
        raise CliError(
            f"stack {stack_name!r} has no presigned-URL API output (a PresignedUrlApi's, or "
            f"{API_URL_OUTPUT!r}; outputs: {shown(listed)}): deploy it with this version of "
            "sagemaker-notebook-access, or pass --api-url instead",
            EXIT_API_ERROR,
        )
    if len({output.url for output in candidates}) > 1:
        usage_error(
            f"stack {stack_name!r} has {len(candidates)} presigned-URL APIs: pass --api with "
            f"one of them; {_listing(candidates, stack_name)}"
        )
    return candidates[0]


def _listing(candidates: Sequence[ApiOutput], stack_name: str) -> str:
    if not candidates:
        return f"stack {stack_name!r} has no API outputs"
    return "its APIs: " + "; ".join(shown(output.label(), 300) for output in candidates)
