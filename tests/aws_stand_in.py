"""Our own local SageMaker and Resource Groups Tagging API, over HTTP, for real boto3 clients.

No real part plays this offline: moto does not implement the tagging API's GetResources
for SageMaker notebook instances, and nothing else here does. So this is a stand-in we
wrote, and it only knows what it was written to know. Both services speak awsJson1_1
(POST /, dispatched on ``X-Amz-Target``: ``SageMaker.<Operation>`` and
``ResourceGroupsTaggingAPI_20170126.<Operation>``). botocore's model for the tagging API
lists smithy-rpc-v2-cbor first, but botocore 1.44 sends it awsJson1_1; a request in any
other protocol is refused with a harness error, never half-understood.

Operations, and what each one checks:

- SageMaker ``ListNotebookInstances``: ``MaxResults`` 1..100 (default 10, the stand-in's
  choice), ``NextToken`` (only with the query that made it), ``SortBy``
  Name/CreationTime/Status (default Name), ``SortOrder`` (default Ascending, the stand-in's
  choice), ``NameContains``; each summary carries NotebookInstanceName, Arn and Status.
- ``DescribeNotebookInstance``: a missing notebook is ``ValidationException``
  "RecordNotFound", as SageMaker answers it.
- ``ListTags``: ``ResourceArn`` (a notebook's ARN), ``MaxResults`` >= 50 (default 50),
  ``NextToken``. An ARN with no notebook behind it: ``ValidationException``
  "RecordNotFound" (what SageMaker answers there is not documented; this is a guess).
- ``CreatePresignedNotebookInstanceUrl``: a fake ``AuthorizedUrl`` on the notebook's host,
  whatever its status (SageMaker presigns a stopped notebook too).
- ``StartNotebookInstance``: Stopped or Failed becomes Pending; any other status is a
  ``ValidationException``.
- Tagging ``GetResources``: ``ResourceTypeFilters`` (``sagemaker`` or
  ``sagemaker:notebook-instance`` match; any other type matches nothing here),
  ``TagFilters`` (up to 50 keys of up to 20 values; AND-ed across filters, OR-ed across one
  filter's values, a filter without values matches the key with any value),
  ``ResourcesPerPage`` 1..100 (default 100) else ``InvalidParameterException``,
  ``PaginationToken`` (only with the query that made it; "" on the last page, as AWS
  answers), or ``ResourceARNList`` (1..100, not with filters or pagination; missing ARNs
  are left out). Untagged notebooks are never returned. Each mapping is ResourceARN and
  every tag. It is consistent at once (the real index can lag a tag change).

The state is notebooks (name, status, tags, creation order) in one account and region.
ARNs are written as SageMaker writes them,
``arn:aws:sagemaker:<region>:<account>:notebook-instance/<name lower-cased>``; two names
that differ only in case cannot both exist. Names are looked up case-sensitively unless
``names_case_insensitive=True``. Every request must be SigV4-signed for this region and the
right service (``sagemaker``, ``tagging``), or it is refused as AWS would refuse it.

``served_by=<value>`` plays an IAM tag condition on the caller's role (what issue 21's
minting role carries): Describe, Presign and Start of a notebook whose
``notebook-access:served-by`` tag is not that value answer HTTP 400
``AccessDeniedException``; so does a notebook that does not exist (it carries no tag to
satisfy the condition), before SageMaker could say "RecordNotFound".

Every call is counted by operation (thread-safe) and answered after ``latency_seconds``
(per call; concurrent calls wait side by side, as they would on the network)::

    with AwsStandIn(latency_seconds=0.02) as aws:
        aws.add_notebook("nb-1", "InService", {"notebook-access:served-by": "api-1"})
        client = boto3.client("sagemaker", endpoint_url=aws.url, region_name=aws.region)
        ...
        aws.calls  # {"ListNotebookInstances": 3, ...}
        aws.reset_calls()
"""

from __future__ import annotations

import base64
import collections
import hashlib
import itertools
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from local_server import LocalServer, Reply

REGION = "eu-west-1"
ACCOUNT_ID = "123456789012"
SERVED_BY_TAG = "notebook-access:served-by"
SAGEMAKER_PREFIX = "SageMaker"
TAGGING_PREFIX = "ResourceGroupsTaggingAPI_20170126"
# The SigV4 signing name of each target prefix (botocore's models: signingName).
SIGNING_NAMES = {SAGEMAKER_PREFIX: "sagemaker", TAGGING_PREFIX: "tagging"}
# The environment variables botocore reads each service's endpoint from (service ids).
ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL_SAGEMAKER", "AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API")
JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
STATUSES = (
    "Pending",
    "InService",
    "Stopping",
    "Stopped",
    "Failed",
    "Deleting",
    "Updating",
    "PendingMaintenance",
    "InMaintenance",
)
STARTABLE = ("Stopped", "Failed")
NOTEBOOK_TYPES = {"sagemaker", "sagemaker:notebook-instance"}
LIST_DEFAULT_PAGE, LIST_MAX_PAGE = 10, 100
TAGS_DEFAULT_PAGE, TAGS_MIN_PAGE = 50, 50
RESOURCES_DEFAULT_PAGE, RESOURCES_MAX_PAGE = 100, 100
TAG_FILTER_MAX_KEYS, TAG_FILTER_MAX_VALUES = 50, 20
_CREDENTIAL = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")


class Refusal(Exception):
    """An AWS error answer: HTTP status, the error code botocore reads, its message."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _validation(message: str) -> Refusal:
    return Refusal("ValidationException", message)


def _invalid_parameter(message: str) -> Refusal:
    return Refusal("InvalidParameterException", message)


@dataclass
class Notebook:
    name: str
    status: str
    tags: dict[str, str]
    created: int  # creation order (SortBy CreationTime)
    arn: str = field(default="")


class AwsStandIn(LocalServer):
    """SageMaker's notebook operations and the tagging API's GetResources on 127.0.0.1."""

    def __init__(
        self,
        *,
        latency_seconds: float = 0.0,
        region: str = REGION,
        account: str = ACCOUNT_ID,
        names_case_insensitive: bool = False,
        served_by: str | None = None,
    ) -> None:
        super().__init__()
        # The server's own request log, kept short: a bench makes tens of thousands of calls.
        self.log = collections.deque(maxlen=1000)  # type: ignore[assignment]
        # TCP_NODELAY: LocalServer writes the headers and the body apart, and on a kept-alive
        # connection Nagle's algorithm then holds the body for the client's delayed ACK
        # (about 40 ms a call on Linux), which would swamp latency_seconds.
        self.server.RequestHandlerClass.disable_nagle_algorithm = True  # type: ignore[attr-defined]
        self.url = self.origin
        self.latency_seconds = latency_seconds
        self.region = region
        self.account = account
        self.names_case_insensitive = names_case_insensitive
        self.served_by = served_by
        self._lock = threading.Lock()
        self._notebooks: dict[str, Notebook] = {}  # by lower-cased name (= the ARN's)
        self._order = itertools.count()
        # The matching notebooks of a query, in order, while nothing changes: a paginated
        # call over thousands of notebooks filters and sorts them once, not once a page.
        self._version = 0
        self._matches: dict[tuple[str, str], list[Notebook]] = {}
        self._calls: collections.Counter[str] = collections.Counter()
        self._operations: dict[str, dict[str, Callable[[dict[str, Any]], dict[str, Any]]]] = {
            SAGEMAKER_PREFIX: {
                "ListNotebookInstances": self._list_notebook_instances,
                "DescribeNotebookInstance": self._describe_notebook_instance,
                "ListTags": self._list_tags,
                "CreatePresignedNotebookInstanceUrl": self._presign,
                "StartNotebookInstance": self._start_notebook_instance,
            },
            TAGGING_PREFIX: {"GetResources": self._get_resources},
        }

    def __enter__(self) -> AwsStandIn:
        super().__enter__()
        return self

    # ------------------------------------------------------------ set-up and inspection

    @property
    def arn_prefix(self) -> str:
        return f"arn:aws:sagemaker:{self.region}:{self.account}:notebook-instance/"

    def arn_of(self, name: str) -> str:
        return self.arn_prefix + name.lower()

    @property
    def endpoint_env(self) -> dict[str, str]:
        """The variables that point botocore's SageMaker and tagging clients here."""
        return dict.fromkeys(ENDPOINT_VARIABLES, self.url)

    def add_notebook(
        self, name: str, status: str = "InService", tags: Mapping[str, str] | None = None
    ) -> str:
        """Create a notebook (its name as CreateNotebookInstance takes it); return its ARN."""
        if status not in STATUSES:
            raise ValueError(f"not a notebook status: {status!r}")
        with self._lock:
            if name.lower() in self._notebooks:
                raise ValueError(f"a notebook named {name!r} (in any case) exists already")
            notebook = Notebook(name, status, dict(tags or {}), next(self._order))
            notebook.arn = self.arn_of(name)
            self._notebooks[name.lower()] = notebook
            self._changed()
        return notebook.arn

    def set_status(self, name: str, status: str) -> None:
        if status not in STATUSES:
            raise ValueError(f"not a notebook status: {status!r}")
        with self._lock:
            self._notebooks[name.lower()].status = status
            self._changed()

    def set_tags(self, name: str, tags: Mapping[str, str]) -> None:
        """Replace the notebook's tags."""
        with self._lock:
            self._notebooks[name.lower()].tags = dict(tags)
            self._changed()

    def notebook(self, name: str) -> Notebook:
        with self._lock:
            found = self._notebooks[name.lower()]
            return Notebook(found.name, found.status, dict(found.tags), found.created, found.arn)

    def remove_all(self) -> None:
        with self._lock:
            self._notebooks.clear()
            self._changed()

    def _changed(self) -> None:
        """Called holding the lock, after any change to the notebooks."""
        self._version += 1
        self._matches.clear()

    def _ordered(
        self, kind: str, query: dict[str, Any], compute: Callable[[], list[Notebook]]
    ) -> list[Notebook]:
        """``compute()``'s notebooks, cached for this query until the next change (lock held)."""
        key = (kind, _fingerprint(query))
        if key not in self._matches:
            self._matches[key] = compute()
        return self._matches[key]

    @property
    def calls(self) -> dict[str, int]:
        """Calls answered so far, by operation name (refused ones too)."""
        with self._lock:
            return dict(self._calls)

    def reset_calls(self) -> None:
        with self._lock:
            self._calls.clear()
        self.log.clear()

    # ------------------------------------------------------------ the wire

    def serve(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        header = {k.lower(): v for k, v in headers.items()}
        prefix, _, operation = header.get("x-amz-target", "").partition(".")
        with self._lock:
            self._calls[operation or f"{method} {path}"] += 1
        if self.latency_seconds:
            self.wait_latency()
        try:
            handler = self._check_request(method, path, header, prefix, operation)
            try:
                request = json.loads(body or b"{}")
            except ValueError:
                raise Refusal("SerializationException", "the body is not JSON") from None
            if not isinstance(request, dict):
                raise Refusal("SerializationException", "the body is not a JSON object")
            return _answer(200, handler(request))
        except Refusal as refusal:
            return _answer(refusal.status, {"__type": refusal.code, "message": refusal.message})

    def wait_latency(self) -> None:
        """The fixed per-call latency; each request waits on its own thread (side by side)."""
        time.sleep(self.latency_seconds)

    def _check_request(
        self, method: str, path: str, header: dict[str, str], prefix: str, operation: str
    ) -> Callable[[dict[str, Any]], dict[str, Any]]:
        if method != "POST" or path != "/" or prefix not in self._operations:
            raise Refusal(
                "UnknownOperationException",
                f"the stand-in speaks awsJson1_1 (POST / with X-Amz-Target) only; got "
                f"{method} {path} target {header.get('x-amz-target')!r}",
            )
        if header.get("content-type", "").split(";")[0].strip() != JSON_CONTENT_TYPE:
            raise Refusal("UnknownOperationException", f"Content-Type must be {JSON_CONTENT_TYPE}")
        scope = _CREDENTIAL.search(header.get("authorization", ""))
        if scope is None:
            raise Refusal(
                "MissingAuthenticationTokenException", "Missing Authentication Token", 403
            )
        region, service = scope.groups()
        if region != self.region or service != SIGNING_NAMES[prefix]:
            raise Refusal(
                "InvalidSignatureException",
                f"Credential should be scoped to a valid region ({self.region}) and to the "
                f"service {SIGNING_NAMES[prefix]!r}; got {region!r}, {service!r}",
                403,
            )
        handler = self._operations[prefix].get(operation)
        if handler is None:
            raise Refusal(
                "UnknownOperationException", f"the stand-in does not implement {operation!r}"
            )
        return handler

    # ------------------------------------------------------------ SageMaker

    def _find(self, name: Any) -> Notebook | None:
        if not isinstance(name, str):
            raise _validation("NotebookInstanceName is required")
        notebook = self._notebooks.get(name.lower())
        if notebook is None or (not self.names_case_insensitive and notebook.name != name):
            return None
        return notebook

    def _scoped(self, request: dict[str, Any], action: str) -> Notebook:
        """The named notebook, once the stand-in's IAM let the call through; else refused."""
        name = request.get("NotebookInstanceName")
        with self._lock:
            notebook = self._find(name)
            # IAM decides on the resource's ARN, which SageMaker writes lower-cased: the tags
            # are those of the notebook at that ARN, whatever the case the name was asked in.
            at_arn = self._notebooks.get(name.lower()) if isinstance(name, str) else None
            tag = None if at_arn is None else at_arn.tags.get(SERVED_BY_TAG)
        if self.served_by is not None and tag != self.served_by:
            raise Refusal(
                "AccessDeniedException",
                f"User: arn:aws:sts::{self.account}:assumed-role/url-function/handler is not "
                f"authorized to perform: sagemaker:{action} on resource: "
                f"{self.arn_of(str(name))} because no identity-based policy allows the "
                f"sagemaker:{action} action",
            )
        if notebook is None:
            raise _validation("RecordNotFound")
        return notebook

    def _list_notebook_instances(self, request: dict[str, Any]) -> dict[str, Any]:
        size = _page_size(request.get("MaxResults"), LIST_DEFAULT_PAGE, 1, LIST_MAX_PAGE)
        sort_by = request.get("SortBy", "Name")
        order = request.get("SortOrder", "Ascending")
        if sort_by not in ("Name", "CreationTime", "Status"):
            raise _validation(f"SortBy {sort_by!r} is not one of Name, CreationTime, Status")
        if order not in ("Ascending", "Descending"):
            raise _validation(f"SortOrder {order!r} is not one of Ascending, Descending")
        contains = request.get("NameContains")
        query = {k: v for k, v in request.items() if k not in ("MaxResults", "NextToken")}
        start = _offset(request.get("NextToken"), query, _validation)
        key: Callable[[Notebook], Any] = {
            "Name": lambda n: n.name,
            "CreationTime": lambda n: n.created,
            "Status": lambda n: (n.status, n.name),
        }[sort_by]

        def compute() -> list[Notebook]:
            found = [n for n in self._notebooks.values() if not contains or contains in n.name]
            return sorted(found, key=key, reverse=order == "Descending")

        with self._lock:
            found = self._ordered("ListNotebookInstances", query, compute)
            page = [
                {
                    "NotebookInstanceName": n.name,
                    "NotebookInstanceArn": n.arn,
                    "NotebookInstanceStatus": n.status,
                }
                for n in found[start : start + size]
            ]
        answer: dict[str, Any] = {"NotebookInstances": page}
        if start + size < len(found):
            answer["NextToken"] = _token(start + size, query)
        return answer

    def _describe_notebook_instance(self, request: dict[str, Any]) -> dict[str, Any]:
        notebook = self._scoped(request, "DescribeNotebookInstance")
        return {
            "NotebookInstanceArn": notebook.arn,
            "NotebookInstanceName": notebook.name,
            "NotebookInstanceStatus": notebook.status,
            "Url": self._host(notebook),
            "InstanceType": "ml.t3.medium",
            "DirectInternetAccess": "Disabled",
            "RootAccess": "Disabled",
            "VolumeSizeInGB": 5,
        }

    def _list_tags(self, request: dict[str, Any]) -> dict[str, Any]:
        arn = request.get("ResourceArn")
        size = _page_size(request.get("MaxResults"), TAGS_DEFAULT_PAGE, TAGS_MIN_PAGE, None)
        query = {"ResourceArn": arn}
        start = _offset(request.get("NextToken"), query, _validation)
        with self._lock:
            notebook = self._by_arn(arn)
            if notebook is None:
                raise _validation("RecordNotFound")
            tags = [{"Key": k, "Value": v} for k, v in notebook.tags.items()]
        answer: dict[str, Any] = {"Tags": tags[start : start + size]}
        if start + size < len(tags):
            answer["NextToken"] = _token(start + size, query)
        return answer

    def _presign(self, request: dict[str, Any]) -> dict[str, Any]:
        notebook = self._scoped(request, "CreatePresignedNotebookInstanceUrl")
        duration = request.get("SessionExpirationDurationInSeconds", 43200)
        if not isinstance(duration, int) or not 1800 <= duration <= 43200:
            raise _validation("SessionExpirationDurationInSeconds must be 1800..43200")
        token = uuid.uuid4().hex
        return {"AuthorizedUrl": f"https://{self._host(notebook)}?authToken={token}"}

    def _start_notebook_instance(self, request: dict[str, Any]) -> dict[str, Any]:
        notebook = self._scoped(request, "StartNotebookInstance")
        with self._lock:
            if notebook.status not in STARTABLE:
                raise _validation(f"Status ({notebook.status}) not in ([Stopped, Failed])")
            notebook.status = "Pending"
            self._changed()
        return {}

    def _host(self, notebook: Notebook) -> str:
        return f"{notebook.name.lower()}.notebook.{self.region}.sagemaker.aws"

    def _by_arn(self, arn: Any) -> Notebook | None:
        if not isinstance(arn, str) or not arn.startswith(self.arn_prefix):
            return None
        notebook = self._notebooks.get(arn[len(self.arn_prefix) :])
        return notebook if notebook is not None and notebook.arn == arn else None

    # ------------------------------------------------------------ the tagging API

    def _get_resources(self, request: dict[str, Any]) -> dict[str, Any]:
        unsupported = set(request) - {
            "ResourceTypeFilters",
            "TagFilters",
            "ResourcesPerPage",
            "PaginationToken",
            "ResourceARNList",
        }
        if unsupported:
            raise _invalid_parameter(f"the stand-in does not implement {sorted(unsupported)}")
        if "ResourceARNList" in request:
            return self._get_resources_by_arn(request)
        size = _page_size(
            request.get("ResourcesPerPage"),
            RESOURCES_DEFAULT_PAGE,
            1,
            RESOURCES_MAX_PAGE,
            _invalid_parameter,
            "ResourcesPerPage",
        )
        filters = _tag_filters(request.get("TagFilters", []))
        types = request.get("ResourceTypeFilters") or []
        query = {
            k: v for k, v in request.items() if k not in ("ResourcesPerPage", "PaginationToken")
        }
        start = _offset(request.get("PaginationToken"), query, _invalid_parameter)

        def compute() -> list[Notebook]:
            found = (
                n
                for n in self._notebooks.values()
                if n.tags and _matches(n.tags, filters) and _of_type(types)
            )
            return sorted(found, key=lambda n: n.arn)

        with self._lock:
            found = self._ordered("GetResources", query, compute)
            page = [_mapping(n) for n in found[start : start + size]]
        more = start + size < len(found)
        return {
            "ResourceTagMappingList": page,
            "PaginationToken": _token(start + size, query) if more else "",
        }

    def _get_resources_by_arn(self, request: dict[str, Any]) -> dict[str, Any]:
        together = {"ResourceTypeFilters", "TagFilters", "ResourcesPerPage", "PaginationToken"}
        if together & set(request):
            raise _invalid_parameter(
                "ResourceARNList can't be specified with filters or pagination parameters"
            )
        arns = request["ResourceARNList"]
        if not isinstance(arns, list) or not 1 <= len(arns) <= 100:
            raise _invalid_parameter("ResourceARNList must hold 1 to 100 ARNs")
        with self._lock:
            found = [self._by_arn(arn) for arn in arns]
            page = [_mapping(n) for n in found if n is not None and n.tags]
        return {"ResourceTagMappingList": page, "PaginationToken": ""}


# ---------------------------------------------------------------- helpers


def _answer(status: int, payload: dict[str, Any]) -> Reply:
    headers = {"Content-Type": JSON_CONTENT_TYPE, "x-amzn-RequestId": str(uuid.uuid4())}
    return Reply(status, headers, json.dumps(payload).encode())


def _page_size(
    value: Any,
    default: int,
    minimum: int,
    maximum: int | None,
    refuse: Callable[[str], Refusal] = _validation,
    name: str = "MaxResults",
) -> int:
    if value is None:
        return default
    if not isinstance(value, int) or value < minimum or (maximum is not None and value > maximum):
        bound = f"{minimum}..{maximum}" if maximum is not None else f"at least {minimum}"
        raise refuse(f"{name} must be {bound}, got {value!r}")
    return value


def _fingerprint(query: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(query, sort_keys=True).encode()).hexdigest()[:16]


def _token(offset: int, query: dict[str, Any]) -> str:
    text = json.dumps({"offset": offset, "query": _fingerprint(query)})
    return base64.urlsafe_b64encode(text.encode()).decode()


def _offset(token: Any, query: dict[str, Any], refuse: Callable[[str], Refusal]) -> int:
    """Where a page starts: 0, or what a token of the same query says."""
    if token in (None, ""):
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(str(token).encode()))
        offset = data["offset"]
        same = data["query"] == _fingerprint(query)
    except (ValueError, KeyError, TypeError):
        raise refuse("the pagination token is not valid") from None
    if not same or not isinstance(offset, int) or offset < 0:
        raise refuse("the pagination token belongs to another request")
    return offset


def _tag_filters(filters: Any) -> list[tuple[str, set[str]]]:
    if not isinstance(filters, list) or len(filters) > TAG_FILTER_MAX_KEYS:
        raise _invalid_parameter(f"TagFilters: a list of at most {TAG_FILTER_MAX_KEYS} filters")
    parsed = []
    for item in filters:
        key, values = item.get("Key"), item.get("Values") or []
        if not isinstance(key, str) or not key:
            raise _invalid_parameter("each TagFilter must contain a Key")
        if len(values) > TAG_FILTER_MAX_VALUES:
            raise _invalid_parameter(f"a TagFilter holds at most {TAG_FILTER_MAX_VALUES} values")
        parsed.append((key, set(values)))
    return parsed


def _matches(tags: Mapping[str, str], filters: Iterable[tuple[str, set[str]]]) -> bool:
    """AND across the filters; a filter's values OR-ed; no values: the key with any value."""
    return all(key in tags and (not values or tags[key] in values) for key, values in filters)


def _of_type(types: list[str]) -> bool:
    """Whether a notebook instance is of one of ``types`` (no filter: every type)."""
    return not types or any(t in NOTEBOOK_TYPES for t in types)


def _mapping(notebook: Notebook) -> dict[str, Any]:
    return {
        "ResourceARN": notebook.arn,
        "Tags": [{"Key": k, "Value": v} for k, v in notebook.tags.items()],
    }
