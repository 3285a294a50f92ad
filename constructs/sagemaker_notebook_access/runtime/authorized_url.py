"""Which AuthorizedUrl notebook-url hands on: an https URL on the notebook's own host.

The presigned URL is a bearer credential: an error names at most its host, never the URL.
"""

from __future__ import annotations

import re

from .cli_errors import EXIT_API_ERROR, CliError, shown
from .signed_http import ApiResponse

# The AuthorizedUrl is only handed on when its host is the requested notebook's own:
# {name}.notebook.{region}.sagemaker.aws ({name}.notebook-fips.{region}... on a FIPS
# endpoint), {name}.notebook.{region}.sagemaker.com.cn in the China regions. The API
# reference (CreatePresignedNotebookInstanceUrl) gives AuthorizedUrl only as "string";
# these host suffixes are the ones AWS registers for notebook instances in the Amazon
# section of the Public Suffix List (https://publicsuffix.org/list/public_suffix_list.dat:
# notebook[-fips].<region>.sagemaker.aws, notebook.cn-north-1.sagemaker.com.cn,
# notebook.cn-northwest-1.sagemaker.com.cn). Anything else is refused.
NOTEBOOK_HOST_LABELS = ("notebook", "notebook-fips")
# What authorized_url_problem reads an AuthorizedUrl with (and portal.js alike).
_URL_TEXT = re.compile(r"[\x21-\x7e]+")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]{0,19}):")
_AUTHORITY_END = re.compile(r"[/?#]")
NOTEBOOK_DOMAIN = "sagemaker.aws"
NOTEBOOK_DOMAIN_CHINA = "sagemaker.com.cn"


def notebook_hosts(notebook: str, region: str) -> tuple[str, ...]:
    """The hosts a presigned URL for this notebook may have (see NOTEBOOK_HOST_LABELS); a
    member account's notebook, "<account id>:<name>", has the name's."""
    region = region.lower()
    domain = NOTEBOOK_DOMAIN_CHINA if region.startswith("cn-") else NOTEBOOK_DOMAIN
    name = notebook.rpartition(":")[2].lower()
    return tuple(f"{name}.{label}.{region}.{domain}" for label in NOTEBOOK_HOST_LABELS)


def authorized_url(response: ApiResponse, notebook: str, region: str) -> str:
    """The AuthorizedUrl, if it is an https URL on this notebook's own SageMaker host."""
    url = response.text("AuthorizedUrl")
    hosts = notebook_hosts(notebook, region)
    problem = authorized_url_problem(url, hosts)
    if problem:
        raise CliError(
            f"the API answered 200 without a usable AuthorizedUrl: {problem}; only "
            f"https://{hosts[0]}/... is opened or printed (the notebook's own SageMaker "
            "host). Check that --api-url or --stack-name is the right API for this "
            "notebook and region.",
            EXIT_API_ERROR,
        )
    return url


def authorized_url_problem(url: str, hosts: tuple[str, ...]) -> str:
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
        named = f" (scheme '{scheme[1]}')" if scheme else ""
        return f"it is not an https:// URL{named}"
    authority = _AUTHORITY_END.split(url[8:], maxsplit=1)[0]
    if "@" in authority:
        return "it has user info before the host"
    host, colon, port = authority.rpartition(":") if ":" in authority else (authority, "", "")
    if colon and port != "443":
        named = f"port {port}" if re.fullmatch(r"\d{1,5}", port) else "a port that is not a number"
        return f"it names {named}, not the default https port"
    if host.lower() not in hosts:
        return f"its host '{shown(host, 120)}' is not the notebook's"
    return ""
