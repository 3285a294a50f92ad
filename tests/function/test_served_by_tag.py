"""Issue 21: the handler serves what carries its serving tag, and lists it in a few calls.

SageMaker and the tagging API are tests/aws_stand_in.py (ours: nothing offline implements
GetResources for notebook instances), reached by real boto3 clients; with ``served_by`` it
refuses describe, presign and start of a notebook without this API's tag, as the minting
role's aws:ResourceTag condition would (the IAM matrix checks that condition with
iam-simulate). Each attack is a request; each is refused with nothing minted.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aws_stand_in import AwsStandIn
from handler_events import (
    ALICE,
    PORTAL_ENV,
    aim_handler_clients,
    browser_event,
    handler_environment,
    invoke,
    proxy_event,
    stub_presign,
)
from presigned_url import contract, portal_listing

SERVING_ID = "Team-Api-1A2B3C4D"
OTHER_API = "Other-Api-9F8E7D6C"
SERVED_BY = contract.SERVED_BY_TAG
OWNERS = contract.OWNERS_TAG
GROUPS = contract.GROUPS_TAG
# A function deployed by a construct of issue 21: no names listed, no prefix.
TAG_ENV = {"SERVED_BY": SERVING_ID, "NOTEBOOK_NAMES": "", "NOTEBOOK_NAME_PREFIX": ""}
ALICE_EMAIL = ALICE["email"].lower()


@pytest.fixture(scope="module")
def stand_in() -> Iterator[AwsStandIn]:
    with AwsStandIn(served_by=SERVING_ID) as aws:
        yield aws


@pytest.fixture
def aws(stand_in: AwsStandIn, monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsStandIn]:
    """The handler's two clients aimed at the stand-in, with their own configuration."""
    stand_in.remove_all()
    stand_in.reset_calls()
    aim_handler_clients(monkeypatch, stand_in.url)
    with handler_environment(**TAG_ENV, **PORTAL_ENV):
        yield stand_in


def served(**tags: str) -> dict[str, str]:
    return {SERVED_BY: SERVING_ID, **tags}


# ---------------------------------------------------------------- SigV4 routes


def test_a_notebook_carrying_the_tag_gets_its_url_in_one_round_trip(aws, logs):
    aws.add_notebook("nb-1", "InService", served())
    response, body = invoke(proxy_event(name="nb-1"))
    assert response["statusCode"] == 200
    assert body["AuthorizedUrl"].startswith("https://")
    assert aws.calls == {"DescribeNotebookInstance": 1, "CreatePresignedNotebookInstanceUrl": 1}


@pytest.mark.parametrize(
    "tags",
    [
        {},  # never tagged
        {SERVED_BY: OTHER_API},  # another API's notebook
        {SERVED_BY: SERVING_ID.lower()},  # a look-alike value
        {OWNERS: ALICE_EMAIL},  # entitled, but not served
    ],
    ids=["untagged", "other-api", "look-alike", "owned-not-served"],
)
def test_a_notebook_without_this_apis_tag_is_404_at_the_same_cost(aws, logs, tags):
    aws.add_notebook("nb-1", "InService", tags)
    response, body = invoke(proxy_event(name="nb-1"))
    assert (response["statusCode"], body["error"]) == (404, "NotebookNotFound")
    assert body["message"] == (
        "notebook instance 'nb-1' is not served by this API; ask its owner to add it"
    )
    assert "AuthorizedUrl" not in body
    # No more than a mint costs: the describe and the presign, side by side, both refused.
    assert aws.calls == {"DescribeNotebookInstance": 1, "CreatePresignedNotebookInstanceUrl": 1}


def test_a_missing_notebook_answers_exactly_as_an_unserved_one(aws, logs):
    aws.add_notebook("nb-1", "InService", {})
    _, unserved = invoke(proxy_event(name="nb-1"))
    _, missing = invoke(proxy_event(name="nb-9"))
    assert missing == {**unserved, "message": unserved["message"].replace("nb-1", "nb-9")}


def test_a_presign_refused_after_an_allowed_describe_is_not_called_unserved(aws, logs):
    # The describe passed the tag condition, so the notebook is served: a refused presign is
    # the role or an SCP being wrong, which operators must see as an upstream error.
    aws.add_notebook("nb-1", "InService", served())
    denied = {"service_error_code": "AccessDeniedException", "http_status_code": 400}
    with stub_presign(denied, name="nb-1"):
        response, body = invoke(proxy_event(name="nb-1"))
    assert (response["statusCode"], body["error"]) == (502, "UpstreamError")


def test_start_of_an_unserved_notebook_is_404_and_starts_nothing(aws, logs):
    aws.add_notebook("nb-1", "Stopped", {SERVED_BY: OTHER_API})
    response, body = invoke(proxy_event(route="start", name="nb-1", body="{}"))
    assert (response["statusCode"], body["error"]) == (404, "NotebookNotFound")
    assert aws.notebook("nb-1").status == "Stopped"
    aws.set_tags("nb-1", served())
    response, _ = invoke(proxy_event(route="start", name="nb-1", body="{}"))
    assert response["statusCode"] == 202
    assert aws.notebook("nb-1").status == "Pending"


def test_a_name_listed_by_the_construct_is_served_without_the_tag(aws, logs):
    # Stacks that list names keep working: the role's listed ARNs need no tag.
    aws.served_by = None  # the listed ARN's statement has no tag condition
    try:
        aws.add_notebook("legacy", "InService", {})
        with handler_environment(**{**TAG_ENV, "NOTEBOOK_NAMES": "legacy"}):
            response, _ = invoke(proxy_event(name="legacy"))
    finally:
        aws.served_by = SERVING_ID
    assert response["statusCode"] == 200


# ---------------------------------------------------------------- the portal's open


def test_portal_open_needs_the_tag_then_the_entitlement(aws, logs):
    aws.add_notebook("nb-mine", "InService", served(**{OWNERS: ALICE_EMAIL}))
    aws.add_notebook("nb-theirs", "InService", served(**{OWNERS: "bob@example.com"}))
    aws.add_notebook("nb-unserved", "InService", {OWNERS: ALICE_EMAIL})
    outcomes = {
        name: invoke(browser_event("open", claims=ALICE, name=name))
        for name in ("nb-mine", "nb-theirs", "nb-unserved", "nb-missing")
    }
    assert {name: r["statusCode"] for name, (r, _) in outcomes.items()} == {
        "nb-mine": 200,
        "nb-theirs": 403,
        "nb-unserved": 403,
        "nb-missing": 403,
    }
    # The same words whatever the reason, but the name: nothing tells them apart.
    messages = {
        body["message"].replace(name, "X")
        for name, (_, body) in outcomes.items()
        if name != "nb-mine"
    }
    assert len(messages) == 1
    assert aws.calls["CreatePresignedNotebookInstanceUrl"] == 1  # only nb-mine's


# ---------------------------------------------------------------- the listing


def listing(claims: dict = ALICE) -> tuple[list[dict[str, str]], bool]:
    response, body = invoke(browser_event("list", claims=claims, name=None))
    assert response["statusCode"] == 200, body
    return body["notebooks"], body["complete"]


def fleet(aws: AwsStandIn, count: int, **extra: str) -> None:
    for i in range(count):
        aws.add_notebook(f"fleet-{i:04d}", "Stopped", served(**extra))


def test_a_person_sees_their_notebooks_of_a_fleet_in_a_few_calls(aws, logs):
    fleet(aws, 250)
    for name in ("alice-a", "alice-b", "alice-c"):
        aws.add_notebook(name, "InService", served(**{OWNERS: ALICE_EMAIL}))
    aws.add_notebook("alice-unserved", "InService", {OWNERS: ALICE_EMAIL})
    aws.add_notebook("alice-elsewhere", "InService", {SERVED_BY: OTHER_API, OWNERS: ALICE_EMAIL})
    aws.reset_calls()
    rows, complete = listing()
    assert rows == [
        {"NotebookInstanceName": n, "NotebookInstanceStatus": "InService"}
        for n in ("alice-a", "alice-b", "alice-c")
    ]
    assert complete is True
    # 253 served: three pages of GetResources, then one describe per row shown.
    assert aws.calls == {"GetResources": 3, "DescribeNotebookInstance": 3}


def test_a_group_entitled_to_many_gets_statuses_from_list_pages(aws, logs):
    fleet(aws, 150, **{GROUPS: "ml-team"})
    aws.add_notebook("unserved-0", "InService", {GROUPS: "ml-team"})
    aws.reset_calls()
    rows, complete = listing({**ALICE, "cognito:groups": "ml-team"})
    assert (len(rows), complete) == (100, False)  # the listing's limit
    assert {r["NotebookInstanceName"] for r in rows} <= {f"fleet-{i:04d}" for i in range(150)}
    assert {r["NotebookInstanceStatus"] for r in rows} == {"Stopped"}
    # Stopped reading the tagging API once more than 100 were entitled; statuses from at
    # most every page of ListNotebookInstances (151 notebooks: two), not 100 describes.
    assert aws.calls["GetResources"] == 2
    assert aws.calls["ListNotebookInstances"] <= 2
    assert "DescribeNotebookInstance" not in aws.calls
    assert "ListTags" not in aws.calls


def test_a_mixed_case_name_is_found_though_its_arn_is_lower_case(aws, logs):
    # SageMaker writes the name lower-cased in the ARN; the stand-in looks names up
    # case-sensitively, so the describe by the ARN's name misses and the list finds it.
    aws.add_notebook("Alice-Notebook", "InService", served(**{OWNERS: ALICE_EMAIL}))
    rows, complete = listing()
    assert rows == [
        {"NotebookInstanceName": "Alice-Notebook", "NotebookInstanceStatus": "InService"}
    ]
    assert complete is True
    response, _ = invoke(browser_event("open", claims=ALICE, name="Alice-Notebook"))
    assert response["statusCode"] == 200


def test_listed_names_are_listed_beside_the_tagged_fleet(aws, logs):
    aws.served_by = None
    try:
        aws.add_notebook("legacy", "Stopped", {OWNERS: ALICE_EMAIL})
        aws.add_notebook("tagged", "InService", served(**{OWNERS: ALICE_EMAIL}))
        with handler_environment(**{**TAG_ENV, **PORTAL_ENV, "NOTEBOOK_NAMES": "legacy"}):
            rows, complete = listing()
    finally:
        aws.served_by = SERVING_ID
    assert [r["NotebookInstanceName"] for r in rows] == ["legacy", "tagged"]
    assert complete is True


def test_the_listing_reads_no_page_after_its_budget(aws, logs, monkeypatch):
    fleet(aws, 350, **{OWNERS: "nobody@example.com"})
    ticks = iter(range(0, 1000, 4))  # each clock reading 4 s after the last
    monkeypatch.setattr(portal_listing.time, "monotonic", lambda: float(next(ticks)))
    aws.reset_calls()
    rows, complete = listing()
    assert (rows, complete) == ([], False)
    assert aws.calls["GetResources"] < 4  # not all four pages


def test_portal_open_checks_the_tag_itself_where_iam_would_let_it_through(aws, logs):
    # Defence in depth: were the role's condition missing (a hand-widened policy), the
    # handler still reads the tags before it presigns, and refuses a notebook without them.
    aws.served_by = None
    try:
        aws.add_notebook("nb-unserved", "InService", {OWNERS: ALICE_EMAIL})
        response, body = invoke(browser_event("open", claims=ALICE, name="nb-unserved"))
    finally:
        aws.served_by = SERVING_ID
    assert (response["statusCode"], body["error"]) == (403, "Forbidden")
    assert "CreatePresignedNotebookInstanceUrl" not in aws.calls


def test_many_rows_spread_over_a_big_account_get_statuses_by_describes(aws, logs):
    # 100 entitled among 2,000 served: 20 list pages one after another would take longer than
    # 13 rounds of 8 describes side by side, so the listing describes.
    for i in range(2000):
        tags = served(**({GROUPS: "ml-team"} if i % 20 == 0 else {}))
        aws.add_notebook(f"fleet-{i:04d}", "Stopped", tags)
    aws.reset_calls()
    rows, complete = listing({**ALICE, "cognito:groups": "ml-team"})
    assert (len(rows), complete) == (100, True)
    assert aws.calls == {"GetResources": 20, "DescribeNotebookInstance": 100}
