"""Issue 22: the handler mints in member accounts through their spoke role.

Three accounts (a hub and two spokes) behind tests/aws_accounts.py: our stand-in for STS's
AssumeRole and each account's SageMaker and tagging API (moto has no GetResources for
notebooks), reached by real boto3 clients. The spoke role there trusts only the hub's
credentials with the hub's external id (the IAM matrix checks the real trust policy with
iam-simulate); each account's IAM is scoped to the serving tag. Attacks are requests.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aws_accounts import Accounts
from handler_events import (
    ACCOUNT_ID,
    ALICE,
    PORTAL_ENV,
    REGION,
    aim_handler_clients,
    browser_event,
    handler_environment,
    invoke,
    proxy_event,
)
from presigned_url import accounts, contract

SERVING_ID = "Hub-Api-1A2B3C4D"
SPOKE_A, SPOKE_B, STRANGER = "222222222222", "333333333333", "444444444444"
EXTERNAL_ID = "hub-external-2026"
OWNED = {contract.SERVED_BY_TAG: SERVING_ID, contract.OWNERS_TAG: ALICE["email"].lower()}
HUB_ENV = {
    "SERVED_BY": SERVING_ID,
    "NOTEBOOK_NAMES": "",
    "NOTEBOOK_NAME_PREFIX": "",
    "SPOKE_ACCOUNTS": f"{SPOKE_A},{SPOKE_B}",
    "SPOKE_ROLE_ARN_PREFIX": "arn:aws:iam::",
    "SPOKE_EXTERNAL_ID": EXTERNAL_ID,
}


@pytest.fixture(scope="module")
def organization() -> Iterator[Accounts]:
    with Accounts(
        hub=ACCOUNT_ID,
        spokes=[SPOKE_A, SPOKE_B, STRANGER],
        served_by=SERVING_ID,
        role_name=contract.spoke_role_name(SERVING_ID),
        external_id=EXTERNAL_ID,
    ) as server:
        yield server


@pytest.fixture
def org(organization: Accounts, monkeypatch: pytest.MonkeyPatch) -> Iterator[Accounts]:
    """The hub's clients aimed at the accounts' endpoint; spoke clients find it by the
    endpoint variables, as accounts.py creates them."""
    for stand_in in organization.stand_ins.values():
        stand_in.remove_all()
    organization.missing_roles.clear()
    organization.reset_calls()
    for name, value in {**organization.endpoint_env, "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    aim_handler_clients(monkeypatch)
    accounts.forget_sessions()
    with handler_environment(**HUB_ENV, **PORTAL_ENV):
        yield organization
    accounts.forget_sessions()


def calls(org: Accounts, account: str) -> dict[str, int]:
    return org[account].calls


# ---------------------------------------------------------------- SigV4 routes


def test_a_spoke_notebook_is_minted_there_with_one_assume_role_per_session(org, logs):
    org[SPOKE_A].add_notebook("nb-a", "InService", OWNED)
    for _ in range(2):
        response, body = invoke(proxy_event(route="spoke-url", account=SPOKE_A, name="nb-a"))
        assert response["statusCode"] == 200, body
        assert body["NotebookInstanceName"] == f"{SPOKE_A}:nb-a"
    assert org.sts_calls == {"AssumeRole": 1}  # the session is kept
    assert calls(org, SPOKE_A)["CreatePresignedNotebookInstanceUrl"] == 2
    assert calls(org, ACCOUNT_ID) == {}


def test_the_same_name_in_the_hub_and_a_spoke_is_never_confused(org, logs):
    org[ACCOUNT_ID].add_notebook("shared-name", "InService", OWNED)
    org[SPOKE_B].add_notebook("shared-name", "Stopped", OWNED)
    hub_response, _ = invoke(proxy_event(name="shared-name"))
    spoke_response, spoke_body = invoke(
        proxy_event(route="spoke-url", account=SPOKE_B, name="shared-name")
    )
    assert hub_response["statusCode"] == 200
    # The spoke's is stopped: a 409 that says so, not the hub's URL.
    assert (spoke_response["statusCode"], spoke_body["NotebookInstanceStatus"]) == (409, "Stopped")


@pytest.mark.parametrize(
    "account", [STRANGER, ACCOUNT_ID], ids=["account-not-a-spoke", "hub-account-spelled-out"]
)
def test_an_account_that_is_not_a_spoke_is_404_before_any_call(org, logs, account):
    org[STRANGER].add_notebook("nb-a", "InService", OWNED)
    response, body = invoke(proxy_event(route="spoke-url", account=account, name="nb-a"))
    assert (response["statusCode"], body["error"]) == (404, "NotebookNotFound")
    assert org.sts_calls == {}
    assert all(stand_in.calls == {} for stand_in in org.stand_ins.values())


def test_a_member_accounts_notebook_is_not_reachable_through_the_hubs_own_route(org, logs):
    # A grant on /notebooks/* (every notebook of the hub's account) must not reach a member
    # account by naming "<account>:<name>" there: the hub's routes take a bare name only.
    org[SPOKE_A].add_notebook("nb-a", "InService", OWNED)
    for name in (f"{SPOKE_A}:nb-a", f"{SPOKE_A}%3Anb-a", f"{SPOKE_A}%3anb-a"):
        response, body = invoke(proxy_event(name=name))
        assert (response["statusCode"], body["error"]) == (400, "ValidationError"), name
        assert "/accounts/{account}/notebooks/{name}" in body["message"]
    assert org.sts_calls == {}
    assert calls(org, SPOKE_A) == {}


def test_a_spoke_notebook_without_the_hubs_tag_is_404(org, logs):
    org[SPOKE_A].add_notebook("nb-a", "InService", {contract.SERVED_BY_TAG: "Other-Hub"})
    response, body = invoke(proxy_event(route="spoke-url", account=SPOKE_A, name="nb-a"))
    assert (response["statusCode"], body["error"]) == (404, "NotebookNotFound")
    assert "AuthorizedUrl" not in body


@pytest.mark.parametrize("ref", ["12:nb-a", f"{SPOKE_A}:", f"{SPOKE_A}:nb_a", f"x{SPOKE_A}:nb"])
def test_a_malformed_reference_is_a_400(org, logs, ref):
    response, body = invoke(browser_event("open", claims=ALICE, name=ref))
    assert (response["statusCode"], body["error"]) == (400, "ValidationError")
    assert org.sts_calls == {}


@pytest.mark.parametrize("account", ["12", "2222222222222", "22222222222x", None])
def test_a_malformed_account_in_the_path_is_a_400(org, logs, account):
    response, body = invoke(proxy_event(route="spoke-url", account=account, name="nb-a"))
    assert (response["statusCode"], body["error"]) == (400, "ValidationError")
    assert org.sts_calls == {}


def test_the_portal_opens_a_reference_whose_colon_was_percent_encoded(org, logs):
    org[SPOKE_A].add_notebook("mine", "InService", OWNED)
    response, body = invoke(browser_event("open", claims=ALICE, name=f"{SPOKE_A}%3Amine"))
    assert response["statusCode"] == 200, body


def test_a_spoke_that_refuses_the_hub_is_an_upstream_error_and_nothing_is_minted(org, logs):
    org[SPOKE_A].add_notebook("nb-a", "InService", OWNED)
    with handler_environment(**{**HUB_ENV, **PORTAL_ENV, "SPOKE_EXTERNAL_ID": "guessed"}):
        response, body = invoke(proxy_event(route="spoke-url", account=SPOKE_A, name="nb-a"))
    assert (response["statusCode"], body["error"]) == (502, "UpstreamError")
    assert "could not be reached" in body["message"]
    assert calls(org, SPOKE_A) == {}


def test_start_in_a_spoke(org, logs):
    org[SPOKE_B].add_notebook("nb-b", "Stopped", OWNED)
    response, body = invoke(
        proxy_event(route="spoke-start", account=SPOKE_B, name="nb-b", body="{}")
    )
    assert (response["statusCode"], body["NotebookInstanceStatus"]) == (202, "Pending")
    assert org[SPOKE_B].notebook("nb-b").status == "Pending"


# ---------------------------------------------------------------- the portal


def listing() -> tuple[list[dict[str, str]], bool]:
    response, body = invoke(browser_event("list", claims=ALICE, name=None))
    assert response["statusCode"] == 200, body
    return body["notebooks"], body["complete"]


def test_the_listing_shows_the_hubs_and_every_spokes_notebooks_by_reference(org, logs):
    org[ACCOUNT_ID].add_notebook("hub-nb", "InService", OWNED)
    org[SPOKE_A].add_notebook("a-nb", "Stopped", OWNED)
    org[SPOKE_B].add_notebook("b-nb", "InService", OWNED)
    org[SPOKE_B].add_notebook("b-theirs", "InService", {contract.SERVED_BY_TAG: SERVING_ID})
    org[STRANGER].add_notebook("stranger-nb", "InService", OWNED)
    rows, complete = listing()
    assert rows == [
        {"NotebookInstanceName": f"{SPOKE_A}:a-nb", "NotebookInstanceStatus": "Stopped"},
        {"NotebookInstanceName": f"{SPOKE_B}:b-nb", "NotebookInstanceStatus": "InService"},
        {"NotebookInstanceName": "hub-nb", "NotebookInstanceStatus": "InService"},
    ]
    assert complete is True
    assert org.sts_calls == {"AssumeRole": 2}
    for account in (ACCOUNT_ID, SPOKE_A, SPOKE_B):
        assert org[account].calls["GetResources"] == 1
    assert org[STRANGER].calls == {}


def test_an_unreachable_spoke_leaves_the_others_listed_and_says_incomplete(org, logs):
    org.missing_roles.add(SPOKE_A)  # its StackSet instance was never deployed
    org[SPOKE_A].add_notebook("a-nb", "InService", OWNED)
    org[SPOKE_B].add_notebook("b-nb", "InService", OWNED)
    rows, complete = listing()
    assert [r["NotebookInstanceName"] for r in rows] == [f"{SPOKE_B}:b-nb"]
    assert complete is False


def test_portal_open_in_a_spoke_needs_the_tag_and_the_entitlement(org, logs):
    org[SPOKE_A].add_notebook("mine", "InService", OWNED)
    org[SPOKE_A].add_notebook(
        "theirs", "InService", {contract.SERVED_BY_TAG: SERVING_ID, contract.OWNERS_TAG: "bob"}
    )
    org[SPOKE_A].add_notebook("unserved", "InService", {contract.OWNERS_TAG: "x"})
    statuses = {
        name: invoke(browser_event("open", claims=ALICE, name=f"{SPOKE_A}:{name}"))[0]["statusCode"]
        for name in ("mine", "theirs", "unserved")
    }
    # One 403, in the same words, for another person's and for one not served: a person
    # learns nothing of which notebooks exist.
    assert statuses == {"mine": 200, "theirs": 403, "unserved": 403}
    assert calls(org, SPOKE_A)["CreatePresignedNotebookInstanceUrl"] == 1


def test_spoke_sessions_are_made_side_by_side_and_once_each(org, logs, monkeypatch):
    # Each AssumeRole waits at a barrier for the other spoke's: under one lock for all
    # accounts the first would wait alone and break it. Ten threads, eight of them for the
    # same spoke, make exactly one session per spoke.
    import threading

    from presigned_url import configuration

    settings = configuration.load_settings()
    real = accounts.sts.assume_role
    both_in_flight = threading.Barrier(2, timeout=5)
    failures: list[BaseException] = []

    def assume_role_beside_the_other(**kwargs):
        both_in_flight.wait()
        return real(**kwargs)

    def session(account: str) -> None:
        try:
            accounts.clients_for(account, settings)
        except BaseException as error:  # the barrier broke: the sessions were made in turn
            failures.append(error)

    monkeypatch.setattr(accounts.sts, "assume_role", assume_role_beside_the_other)
    threads = [
        threading.Thread(target=session, args=(account,))
        for account in [SPOKE_A, SPOKE_B] + [SPOKE_A] * 8
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert org.sts_calls == {"AssumeRole": 2}


def test_a_refusing_spoke_is_not_asked_again_for_a_minute(org, logs):
    # Five page views while a member account has no spoke role yet: one AssumeRole, not five.
    org.missing_roles.add(SPOKE_A)
    org[SPOKE_B].add_notebook("b-nb", "InService", OWNED)
    for _ in range(5):
        rows, complete = listing()
        assert ([r["NotebookInstanceName"] for r in rows], complete) == ([f"{SPOKE_B}:b-nb"], False)
    assert org.sts_calls == {"AssumeRole": 2}  # SPOKE_A refused once, SPOKE_B's session kept


def test_the_listing_across_spokes_keeps_its_budget(org, logs, monkeypatch):
    # Every clock reading 11 s after the last: the budget (10 s) is spent at the first reading
    # after the start, so no spoke is asked at all and the answer says it is incomplete.
    from presigned_url import portal_listing

    org[SPOKE_A].add_notebook("a-nb", "InService", OWNED)
    ticks = iter(range(0, 100_000, 11))
    monkeypatch.setattr(portal_listing.time, "monotonic", lambda: float(next(ticks)))
    _, complete = listing()
    assert complete is False
    assert org.sts_calls == {}
    assert org[SPOKE_A].calls == {}
