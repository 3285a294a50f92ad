"""tests/aws_stand_in.py answers real boto3 clients as SageMaker and the tagging API would:
paginators run to the end, errors arrive as the ClientError codes the handler maps, the
calls are counted and the IAM-like scoping refuses what a tag condition would refuse."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import boto3
import pytest
from aws_stand_in import SERVED_BY_TAG, AwsStandIn
from botocore.exceptions import ClientError
from presigned_url import contract, errors, sagemaker_calls

OWNERS = contract.OWNERS_TAG


@pytest.fixture(scope="module")
def stand_in() -> Iterator[AwsStandIn]:
    with AwsStandIn(latency_seconds=0) as aws:
        yield aws


@pytest.fixture
def aws(stand_in: AwsStandIn) -> AwsStandIn:
    stand_in.remove_all()
    stand_in.reset_calls()
    stand_in.served_by = None
    stand_in.names_case_insensitive = False
    stand_in.latency_seconds = 0
    return stand_in


def sagemaker(aws: AwsStandIn, region: str | None = None):
    return boto3.client("sagemaker", endpoint_url=aws.url, region_name=region or aws.region)


def tagging(aws: AwsStandIn):
    return boto3.client("resourcegroupstaggingapi", endpoint_url=aws.url, region_name=aws.region)


def code_of(raised: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    response = raised.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def test_its_tag_key_is_the_contracts():
    assert getattr(contract, "SERVED_BY_TAG", SERVED_BY_TAG) == SERVED_BY_TAG


# ---------------------------------------------------------------- SageMaker


def test_list_notebook_instances_pages_through_every_notebook_in_name_order(aws):
    names = [f"nb-{i:03d}" for i in range(250)]
    for name in reversed(names):
        aws.add_notebook(name, "Stopped" if name.endswith("7") else "InService")
    aws.add_notebook("other-1")
    pages = list(
        sagemaker(aws)
        .get_paginator("list_notebook_instances")
        .paginate(
            SortBy="Name",
            SortOrder="Ascending",
            NameContains="nb-",
            PaginationConfig={"PageSize": 100},
        )
    )
    listed = [s for page in pages for s in page["NotebookInstances"]]
    assert [s["NotebookInstanceName"] for s in listed] == names
    assert [len(page["NotebookInstances"]) for page in pages] == [100, 100, 50]
    assert listed[7] == {
        "NotebookInstanceName": "nb-007",
        "NotebookInstanceArn": "arn:aws:sagemaker:eu-west-1:123456789012:notebook-instance/nb-007",
        "NotebookInstanceStatus": "Stopped",
    }
    assert aws.calls == {"ListNotebookInstances": 3}


def test_list_notebook_instances_sorts_descending_by_creation_and_defaults_to_ten(aws):
    for name in ("b", "a", "c"):
        aws.add_notebook(name)
    client = sagemaker(aws)
    newest_first = client.list_notebook_instances(SortBy="CreationTime", SortOrder="Descending")
    assert [s["NotebookInstanceName"] for s in newest_first["NotebookInstances"]] == ["c", "a", "b"]
    for i in range(20):
        aws.add_notebook(f"x{i}")
    first = client.list_notebook_instances()
    assert len(first["NotebookInstances"]) == 10
    assert "NextToken" in first


def test_list_notebook_instances_refuses_more_than_100_and_a_token_of_another_query(aws):
    for i in range(3):
        aws.add_notebook(f"nb-{i}")
    client = sagemaker(aws)
    with pytest.raises(ClientError) as raised:
        client.list_notebook_instances(MaxResults=101)
    assert code_of(raised)[0] == "ValidationException"
    token = client.list_notebook_instances(MaxResults=1)["NextToken"]
    with pytest.raises(ClientError) as raised:
        client.list_notebook_instances(MaxResults=1, NextToken=token, NameContains="nb")
    assert code_of(raised)[0] == "ValidationException"


def test_describe_answers_the_notebook_and_a_missing_one_as_sagemaker_does(aws):
    arn = aws.add_notebook("Team-Alice", "Stopped")
    assert arn.endswith(":notebook-instance/team-alice")
    client = sagemaker(aws)
    described = client.describe_notebook_instance(NotebookInstanceName="Team-Alice")
    assert described["NotebookInstanceArn"] == arn
    assert described["NotebookInstanceStatus"] == "Stopped"
    # Case-sensitive by default: another case is another (missing) notebook.
    with pytest.raises(ClientError) as raised:
        client.describe_notebook_instance(NotebookInstanceName="team-alice")
    assert code_of(raised) == ("ValidationException", "RecordNotFound", 400)
    # The handler maps it to its 404, as it maps SageMaker's.
    mapped = sagemaker_calls.upstream_error(raised.value, "team-alice")
    assert isinstance(mapped, errors.NotebookNotFound)
    aws.names_case_insensitive = True
    found = client.describe_notebook_instance(NotebookInstanceName="team-alice")
    assert found["NotebookInstanceName"] == "Team-Alice"


def test_names_differing_only_in_case_cannot_both_exist(aws):
    aws.add_notebook("nb-a")
    with pytest.raises(ValueError, match="exists already"):
        aws.add_notebook("NB-A")


def test_list_tags_pages_of_fifty_and_a_missing_arn(aws):
    tags = {f"key-{i:03d}": f"value-{i}" for i in range(120)}
    arn = aws.add_notebook("nb-1", tags=tags)
    client = sagemaker(aws)
    pages = list(client.get_paginator("list_tags").paginate(ResourceArn=arn))
    assert [len(page["Tags"]) for page in pages] == [50, 50, 20]
    assert {t["Key"]: t["Value"] for page in pages for t in page["Tags"]} == tags
    with pytest.raises(ClientError) as raised:
        client.list_tags(ResourceArn=aws.arn_of("nb-missing"))
    assert code_of(raised)[0] == "ValidationException"


def test_presign_and_start(aws):
    aws.add_notebook("nb-1", "Stopped")
    client = sagemaker(aws)
    url = client.create_presigned_notebook_instance_url(
        NotebookInstanceName="nb-1", SessionExpirationDurationInSeconds=3600
    )["AuthorizedUrl"]
    assert url.startswith("https://nb-1.notebook.eu-west-1.sagemaker.aws?authToken=")
    client.start_notebook_instance(NotebookInstanceName="nb-1")
    assert aws.notebook("nb-1").status == "Pending"
    with pytest.raises(ClientError) as raised:
        client.start_notebook_instance(NotebookInstanceName="nb-1")
    assert code_of(raised)[0] == "ValidationException"
    assert aws.calls == {"CreatePresignedNotebookInstanceUrl": 1, "StartNotebookInstance": 2}


# ---------------------------------------------------------------- the tagging API


@pytest.fixture
def tagged_fleet(aws: AwsStandIn) -> AwsStandIn:
    """230 notebooks served by api-1 (every tenth owned by alice), 10 by api-2, 10 untagged."""
    for i in range(250):
        tags = {}
        if i < 230:
            tags = {SERVED_BY_TAG: "api-1", OWNERS: "alice" if i % 10 == 0 else f"user-{i}"}
        elif i < 240:
            tags = {SERVED_BY_TAG: "api-2"}
        aws.add_notebook(f"nb-{i:03d}", tags=tags)
    aws.reset_calls()
    return aws


def served(aws: AwsStandIn, *filters: dict, page_size: int = 100, types=None) -> list[dict]:
    pages = (
        tagging(aws)
        .get_paginator("get_resources")
        .paginate(
            ResourceTypeFilters=types or ["sagemaker:notebook-instance"],
            TagFilters=list(filters),
            PaginationConfig={"PageSize": page_size},
        )
    )
    return [mapping for page in pages for mapping in page["ResourceTagMappingList"]]


def test_get_resources_pages_through_the_served_notebooks_with_all_their_tags(tagged_fleet):
    found = served(tagged_fleet, {"Key": SERVED_BY_TAG, "Values": ["api-1"]})
    assert len(found) == 230
    assert tagged_fleet.calls == {"GetResources": 3}
    first = next(m for m in found if m["ResourceARN"] == tagged_fleet.arn_of("nb-000"))
    assert first["Tags"] == [
        {"Key": SERVED_BY_TAG, "Value": "api-1"},
        {"Key": OWNERS, "Value": "alice"},
    ]


def test_get_resources_ors_values_ands_keys_and_a_key_alone_matches_any_value(tagged_fleet):
    either = {"Key": SERVED_BY_TAG, "Values": ["api-1", "api-2"]}
    assert len(served(tagged_fleet, either)) == 240
    alices = served(tagged_fleet, either, {"Key": OWNERS, "Values": ["alice"]})
    assert len(alices) == 23
    assert len(served(tagged_fleet, {"Key": OWNERS})) == 230
    # Untagged notebooks are never returned, even without a filter.
    assert len(served(tagged_fleet)) == 240
    assert served(tagged_fleet, either, types=["ec2:instance"]) == []
    assert len(served(tagged_fleet, either, types=["sagemaker"])) == 240


@pytest.mark.parametrize("size", [0, 101])
def test_get_resources_refuses_a_page_size_outside_1_to_100(tagged_fleet, size):
    with pytest.raises(ClientError) as raised:
        tagging(tagged_fleet).get_resources(ResourcesPerPage=size)
    assert code_of(raised)[0] == "InvalidParameterException"


def test_get_resources_ends_with_an_empty_token_and_refuses_a_foreign_one(tagged_fleet):
    client = tagging(tagged_fleet)
    one = {"Key": SERVED_BY_TAG, "Values": ["api-2"]}
    last = client.get_resources(TagFilters=[one], ResourcesPerPage=100)
    assert len(last["ResourceTagMappingList"]) == 10
    assert last["PaginationToken"] == ""
    token = client.get_resources(TagFilters=[one], ResourcesPerPage=5)["PaginationToken"]
    with pytest.raises(ClientError) as raised:
        client.get_resources(TagFilters=[], ResourcesPerPage=5, PaginationToken=token)
    assert code_of(raised)[0] == "InvalidParameterException"


def test_get_resources_by_arn_list(tagged_fleet):
    client = tagging(tagged_fleet)
    arns = [tagged_fleet.arn_of("nb-000"), tagged_fleet.arn_of("nb-245"), "arn:aws:x"]
    found = client.get_resources(ResourceARNList=arns)["ResourceTagMappingList"]
    assert [m["ResourceARN"] for m in found] == [arns[0]]  # untagged and unknown left out
    with pytest.raises(ClientError) as raised:
        client.get_resources(ResourceARNList=arns, ResourcesPerPage=10)
    assert code_of(raised)[0] == "InvalidParameterException"


def test_clients_find_it_through_the_endpoint_variables(tagged_fleet, monkeypatch):
    for name, value in tagged_fleet.endpoint_env.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("resourcegroupstaggingapi", region_name=tagged_fleet.region)
    assert client.get_resources(ResourcesPerPage=1)["ResourceTagMappingList"]
    assert boto3.client("sagemaker", region_name=tagged_fleet.region).list_notebook_instances()
    assert tagged_fleet.calls == {"GetResources": 1, "ListNotebookInstances": 1}


# ---------------------------------------------------------------- scoping, signing, counting


def test_served_by_scoping_refuses_what_a_tag_condition_would(tagged_fleet):
    aws = tagged_fleet
    aws.served_by = "api-1"
    aws.set_status("nb-235", "Stopped")
    client = sagemaker(aws)
    assert client.describe_notebook_instance(NotebookInstanceName="nb-000")
    client.create_presigned_notebook_instance_url(NotebookInstanceName="nb-000")
    refused = [
        lambda: client.describe_notebook_instance(NotebookInstanceName="nb-235"),  # api-2's
        lambda: client.describe_notebook_instance(NotebookInstanceName="nb-245"),  # untagged
        lambda: client.describe_notebook_instance(NotebookInstanceName="nb-missing"),
        lambda: client.create_presigned_notebook_instance_url(NotebookInstanceName="nb-235"),
        lambda: client.start_notebook_instance(NotebookInstanceName="nb-235"),
    ]
    for call in refused:
        with pytest.raises(ClientError) as raised:
            call()
        code, message, status = code_of(raised)
        assert (code, status) == ("AccessDeniedException", 400)
        assert "is not authorized to perform: sagemaker:" in message
    assert aws.notebook("nb-235").status == "Stopped"
    # Listing and tag reads are not scoped.
    assert client.list_tags(ResourceArn=aws.arn_of("nb-235"))["Tags"]
    assert len(client.list_notebook_instances(MaxResults=100)["NotebookInstances"]) == 100


def test_a_request_signed_for_another_region_is_refused(aws):
    with pytest.raises(ClientError) as raised:
        sagemaker(aws, region="us-east-1").list_notebook_instances()
    assert code_of(raised)[:1] == ("InvalidSignatureException",)
    assert code_of(raised)[2] == 403


def test_calls_are_counted_across_threads_and_reset(aws):
    aws.add_notebook("nb-1")
    client = sagemaker(aws)

    def describe() -> None:
        for _ in range(10):
            client.describe_notebook_instance(NotebookInstanceName="nb-1")

    threads = [threading.Thread(target=describe) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert aws.calls == {"DescribeNotebookInstance": 80}
    aws.reset_calls()
    assert aws.calls == {}


def test_each_call_waits_its_latency_side_by_side(aws, monkeypatch):
    aws.add_notebook("nb-1")
    aws.latency_seconds = 0.1
    client = sagemaker(aws)
    client.describe_notebook_instance(NotebookInstanceName="nb-1")  # connection made
    started = time.perf_counter()
    client.describe_notebook_instance(NotebookInstanceName="nb-1")
    assert time.perf_counter() - started >= 0.1  # the latency is paid
    # Side by side, shown without a clock: each of four concurrent calls waits where the
    # latency is paid until all four are there; served one after another, the first would
    # wait alone and the barrier would break.
    all_four = threading.Barrier(4, timeout=5)
    monkeypatch.setattr(aws, "wait_latency", all_four.wait)
    outcomes: list[object] = []

    def describe() -> None:
        try:
            client.describe_notebook_instance(NotebookInstanceName="nb-1")
            outcomes.append("answered")
        except Exception as error:  # the barrier broke: a 500 from the stand-in
            outcomes.append(error)

    threads = [threading.Thread(target=describe) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == ["answered"] * 4


def test_a_change_is_seen_by_the_next_call(aws):
    """Matches are cached per query while nothing changes; any change drops them."""
    for name in ("a", "b", "c"):
        aws.add_notebook(name, "InService", {SERVED_BY_TAG: "api-1"})
    client = sagemaker(aws)

    def by_status() -> list[str]:
        answer = client.list_notebook_instances(SortBy="Status")["NotebookInstances"]
        return [s["NotebookInstanceName"] for s in answer]

    assert by_status() == ["a", "b", "c"]
    aws.set_status("c", "Failed")
    assert by_status() == ["c", "a", "b"]
    client.start_notebook_instance(NotebookInstanceName="c")
    assert by_status() == ["a", "b", "c"]  # InService sorts before Pending
    aws.set_tags("a", {})
    assert len(served(aws, {"Key": SERVED_BY_TAG})) == 2


def test_an_answer_without_latency_is_not_held_back(aws):
    """No delayed-ACK stall on a kept-alive connection: the server's connections set
    TCP_NODELAY (without it, ~40 ms a call on Linux; the speed itself is make bench's to
    show, not a timed test's)."""
    aws.add_notebook("nb-1")
    client = sagemaker(aws)
    client.describe_notebook_instance(NotebookInstanceName="nb-1")
    # socketserver.StreamRequestHandler sets TCP_NODELAY on each connection it handles when
    # this is True (Python's socketserver module).
    assert aws.server.RequestHandlerClass.disable_nagle_algorithm is True
