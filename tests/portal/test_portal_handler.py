"""The handler's browser routes (issue 11): page, listing, open and start for signed-in people.

API Gateway's Cognito authorizer validates the token and passes its claims; these tests
hand the handler the claims it would pass (tests/portal/test_portal_browser.py runs the whole
sign-in with real tokens). SageMaker is moto over HTTP (describe, list, tags, start);
the presign call, which moto lacks, is botocore's Stubber.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re

import pytest
from botocore.exceptions import ClientError
from handler_events import (
    ALICE,
    AUTHORIZED_URL,
    DENIED_IPV4,
    INVOCATIONS,
    ISSUER,
    NAME_PREFIX,
    POOL_ID,
    PORTAL_ENV,
    SERVED,
    LocalSageMaker,
    browser_event,
    count_sagemaker_calls,
    handler_environment,
    invoke,
    proxy_event,
    stub_presign,
    unsigned_token,
)
from presigned_url import configuration, handler, portal, portal_listing, sagemaker_calls

PORTAL_URL = PORTAL_ENV["PORTAL_URL"]
SIGN_IN_URL = PORTAL_ENV["PORTAL_SIGN_IN_URL"]
CLIENT_ID = PORTAL_ENV["PORTAL_CLIENT_ID"]
BOB = {
    "sub": "9a8b7c6d-bob",
    "aud": CLIENT_ID,
    "iss": ISSUER,
    "email": "bob@example.com",
    "email_verified": "true",
}


@pytest.fixture(autouse=True)
def portal_env():
    with handler_environment(**PORTAL_ENV):
        yield


def call_raw(event: dict) -> dict:
    """The handler's proxy response as is (the page's body is HTML, not JSON)."""
    INVOCATIONS.append("raw")  # the logs fixture counts one audit line per invocation
    return handler.handler(event, None)


# ---------------------------------------------------------------- which routes exist


def test_without_a_portal_the_browser_routes_are_unknown(logs) -> None:
    with handler_environment(PORTAL_URL="", PORTAL_CLIENT_ID="", PORTAL_SIGN_IN_URL=""):
        response, body = invoke(browser_event("list", claims=ALICE, name=None))
    assert (response["statusCode"], body["error"]) == (404, "NotFound")
    assert "portal" not in body["message"]


def test_the_404_lists_the_browser_routes_when_there_is_a_portal(logs) -> None:
    response, body = invoke(proxy_event(route="/nope"))
    assert response["statusCode"] == 404
    assert "GET /portal/notebooks" in body["message"]
    assert "POST /portal/notebooks/{name}/open" in body["message"]


# ---------------------------------------------------------------- the page


def test_the_page_runs_only_its_hashed_script_and_style(logs) -> None:
    response = call_raw(browser_event("page", name=None))
    assert response["statusCode"] == 200
    headers, page = response["headers"], response["body"]
    csp = dict(part.split(" ", 1) for part in headers["Content-Security-Policy"].split("; "))
    scripts = re.findall(r"<script>(.*?)</script>", page, flags=re.S)
    styles = re.findall(r"<style>(.*?)</style>", page, flags=re.S)
    assert len(scripts) == 1 and len(styles) == 1

    def sha(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    assert csp["script-src"] == sha(scripts[0])
    assert csp["style-src"] == sha(styles[0])
    assert csp["default-src"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["connect-src"] == f"'self' {SIGN_IN_URL}"
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Content-Type"].startswith("text/html")
    # No event-handler attributes or javascript: links, which the CSP would block anyway.
    assert not re.search(r"\son[a-z]+=|javascript:", page, flags=re.I)


def test_the_page_carries_its_sign_in_settings_as_inert_json(logs) -> None:
    page = call_raw(browser_event("page", name=None))["body"]
    match = re.search(r'<script type="application/json" id="portal-config">(.*?)</script>', page)
    assert match is not None
    assert json.loads(match.group(1)) == {
        "portalUrl": PORTAL_URL,
        "clientId": "client123",
        "signInUrl": SIGN_IN_URL,
        "scopes": "openid email profile",
        "region": "eu-west-1",  # the notebooks' hosts are checked against it (portal.js)
    }


def test_a_setting_cannot_break_out_of_the_config_block(logs) -> None:
    with handler_environment(PORTAL_CLIENT_ID="</script><script>alert(1)</script>"):
        page = call_raw(browser_event("page", name=None))["body"]
    assert page.count("</script>") == 2  # the config block's and the page script's


def test_the_page_is_refused_outside_the_allow_list(logs) -> None:
    response, body = invoke(browser_event("page", name=None, source_ip=DENIED_IPV4))
    assert (response["statusCode"], body["error"]) == (403, "Forbidden")


def test_the_page_makes_no_sagemaker_call(logs) -> None:
    with count_sagemaker_calls() as calls:
        call_raw(browser_event("page", name=None))
    assert calls == []


# ---------------------------------------------------------------- listing


def test_the_listing_shows_only_served_notebooks_the_person_is_entitled_to(
    moto: LocalSageMaker, logs
) -> None:
    moto.create("nb-2", status="Stopped")
    moto.create(f"{NAME_PREFIX}x")
    moto.create("not-served")
    moto.tag(SERVED, owners=f"{BOB['email']} {ALICE['email'].lower()}")
    moto.tag("nb-2", owners=ALICE["sub"])
    moto.tag(f"{NAME_PREFIX}x", owners=BOB["sub"])
    moto.tag("not-served", owners=ALICE["sub"])
    response, body = invoke(browser_event("list", claims=ALICE, name=None))
    assert response["statusCode"] == 200
    assert body == {
        "notebooks": [
            {"NotebookInstanceName": SERVED, "NotebookInstanceStatus": "InService"},
            {"NotebookInstanceName": "nb-2", "NotebookInstanceStatus": "Stopped"},
        ],
        "complete": True,
        "allowStart": True,
        "signedInAs": "alice@example.com",
    }


def test_a_group_tag_entitles_its_members(moto: LocalSageMaker, logs) -> None:
    moto.tag(SERVED, groups="analysts ml-team")
    member = {**BOB, "cognito:groups": ["ml-team", "admins"]}
    _, body = invoke(browser_event("list", claims=member, name=None))
    assert [nb["NotebookInstanceName"] for nb in body["notebooks"]] == [SERVED]
    _, body = invoke(browser_event("list", claims=BOB, name=None))
    assert body["notebooks"] == []


def test_an_unverified_email_entitles_no_one(moto: LocalSageMaker, logs) -> None:
    moto.tag(SERVED, owners=BOB["email"])
    impostor = {**BOB, "sub": "someone-else", "email_verified": "false"}
    _, body = invoke(browser_event("list", claims=impostor, name=None))
    assert body["notebooks"] == []
    assert body["signedInAs"] == "someone-else"


# ---------------------------------------------------------------- issue 19: the attacks

# Someone signs in through a federated IdP that lets people set their own email (the
# "nOAuth" class): the IdP asserts bob's address, unverified. Cognito maps it on every
# sign-in and adds an identities claim; the email must still not count.
FEDERATED = {
    "sub": "fed-1",
    "aud": CLIENT_ID,
    "iss": ISSUER,
    "email": BOB["email"],
    "identities": '[{"providerName":"Corp","providerType":"OIDC"}]',
}


@pytest.mark.parametrize(
    "verified", [None, "false", "False", "TRUE", "True", "1", "yes", False], ids=repr
)
def test_a_federated_email_the_idp_did_not_verify_opens_no_one_elses_notebook(
    moto: LocalSageMaker, logs, verified
) -> None:
    moto.tag(SERVED, owners=BOB["email"])
    claims = FEDERATED if verified is None else {**FEDERATED, "email_verified": verified}
    with count_sagemaker_calls() as calls:
        response, body = invoke(browser_event("open", claims=claims))
    assert (response["statusCode"], body["error"]) == (403, "Forbidden")
    assert "CreatePresignedNotebookInstanceUrl" not in calls


def test_a_federated_email_the_idp_verified_counts(moto: LocalSageMaker, logs) -> None:
    # Mapped from the IdP's email_verified (docs/portal.md says how, for OIDC and SAML).
    moto.tag(SERVED, owners=BOB["email"])
    for verified in ("true", True):  # the authorizer's string; the token's JSON boolean
        claims = {**FEDERATED, "email_verified": verified}
        _, body = invoke(browser_event("list", claims=claims, name=None))
        assert [nb["NotebookInstanceName"] for nb in body["notebooks"]] == [SERVED]


def test_email_verified_counts_only_as_true_or_the_string_true() -> None:
    for verified in (True, "true"):
        assert portal.verified_email({**BOB, "email_verified": verified}) == BOB["email"]
    for verified in ("True", "TRUE", "1", 1, "yes", "false", False, None, ["true"]):
        assert portal.verified_email({**BOB, "email_verified": verified}) is None, verified


# KELVIN SIGN: "\u212aate@corp.com".lower() == "kate@corp.com".
KELVIN_KATE = "\u212aate@corp.com"


def test_an_address_that_lower_cases_into_an_owners_address_is_not_that_owner(
    moto: LocalSageMaker, logs
) -> None:
    moto.tag(SERVED, owners="kate@corp.com")
    mallory = {**BOB, "sub": "mallory", "email": KELVIN_KATE, "email_verified": "true"}
    with count_sagemaker_calls() as calls:
        response, body = invoke(browser_event("open", claims=mallory))
    assert (response["statusCode"], body["error"]) == (403, "Forbidden")
    assert "CreatePresignedNotebookInstanceUrl" not in calls


def test_an_owners_entry_that_lower_cases_into_an_address_names_no_one(
    moto: LocalSageMaker, logs
) -> None:
    # The other way round: a tag written (add-tags) with the Kelvin sign.
    moto.tag(SERVED, owners=KELVIN_KATE)
    kate = {**BOB, "sub": "kate", "email": "kate@corp.com", "email_verified": "true"}
    response, _ = invoke(browser_event("open", claims=kate))
    assert response["statusCode"] == 403


def test_non_ascii_addresses_and_subs_are_never_compared() -> None:
    assert portal.verified_email({**BOB, "email": "k\u00e5te@corp.com"}) is None
    assert portal.user_of({**BOB, "sub": "\u212a-sub"}, CLIENT_ID) is None
    kate = portal.User(sub="s", email="kate@corp.com", groups=frozenset())
    assert not portal.entitled(kate, {portal.OWNERS_TAG: KELVIN_KATE})


def test_the_group_cognito_gives_everyone_an_idp_signs_in_entitles_no_one(
    moto: LocalSageMaker, logs
) -> None:
    # One add-tags naming "<pool id>_<IdP>" would open the notebook to everyone that IdP
    # signs in; the pool id comes from the token's issuer.
    idp_group = f"{POOL_ID}_IdentityCenter"
    moto.tag(SERVED, groups=idp_group)
    federated = {**FEDERATED, "cognito:groups": [idp_group]}
    with count_sagemaker_calls() as calls:
        response, _ = invoke(browser_event("open", claims=federated))
    assert response["statusCode"] == 403
    assert "CreatePresignedNotebookInstanceUrl" not in calls
    # Another pool's group of that form is just a name (it cannot be this pool's IdP group).
    other = "eu-west-1_OtherPool_IdentityCenter"
    assert portal.groups_of({"cognito:groups": other}, POOL_ID) == {other}


def test_a_group_name_with_a_comma_is_not_read_as_two_groups(moto: LocalSageMaker, logs) -> None:
    # API Gateway passes ["research,admins"] as "research,admins", as it would pass two
    # groups; the token the authorizer validated tells them apart.
    moto.tag(SERVED, groups="admins")
    researcher = {**BOB, "cognito:groups": ["research,admins"]}
    with count_sagemaker_calls() as calls:
        response, _ = invoke(browser_event("open", claims=researcher))
    assert response["statusCode"] == 403
    assert "CreatePresignedNotebookInstanceUrl" not in calls
    # The same string from a member of two groups is two groups.
    member = {**BOB, "cognito:groups": ["research", "admins"]}
    with stub_presign(None):
        response, _ = invoke(browser_event("open", claims=member))
    assert response["statusCode"] == 200


def test_a_second_authorization_header_cannot_supply_the_groups(moto: LocalSageMaker, logs) -> None:
    # The authorizer validated the real token (one group, "research,admins"); a forged
    # second header claiming two groups is not read.
    moto.tag(SERVED, groups="admins")
    researcher = {**BOB, "cognito:groups": ["research,admins"]}
    forged = unsigned_token({**researcher, "cognito:groups": ["research", "admins"]})
    event = browser_event("open", claims=researcher)
    event["multiValueHeaders"]["Authorization"].append(forged)
    event["headers"]["Authorization"] = forged
    response, _ = invoke(event)
    assert response["statusCode"] == 403
    # In another case of the name, too.
    event = browser_event("open", claims=researcher)
    event["headers"]["authorization"] = forged
    response, _ = invoke(event)
    assert response["statusCode"] == 403


def test_a_token_of_another_person_cannot_supply_the_groups(moto: LocalSageMaker, logs) -> None:
    moto.tag(SERVED, groups="admins")
    researcher = {**BOB, "cognito:groups": ["research,admins"]}
    someone_else = unsigned_token({**researcher, "sub": "x", "cognito:groups": ["a", "admins"]})
    response, _ = invoke(browser_event("open", claims=researcher, token=someone_else))
    assert response["statusCode"] == 403


def test_claims_without_a_pool_issuer_name_no_one(moto: LocalSageMaker, logs) -> None:
    moto.tag(SERVED, owners=ALICE["sub"])
    for iss in (None, "", "https://elsewhere.example", f"{ISSUER}/"):
        claims = {key: value for key, value in ALICE.items() if key != "iss"}
        if iss is not None:
            claims["iss"] = iss
        response, _ = invoke(browser_event("open", claims=claims))
        assert response["statusCode"] == 403, iss
        assert logs.audit_records()[-1].denyReason == "noIdentity"


def test_a_tag_change_takes_effect_on_the_next_request(moto: LocalSageMaker, logs) -> None:
    _, before = invoke(browser_event("list", claims=BOB, name=None))
    moto.tag(SERVED, owners=BOB["sub"])
    _, after = invoke(browser_event("list", claims=BOB, name=None))
    assert before["notebooks"] == [] and len(after["notebooks"]) == 1


# ---------------------------------------------------------------- open


def test_an_entitled_person_gets_a_url_for_an_in_service_notebook(
    moto: LocalSageMaker, logs
) -> None:
    moto.tag(SERVED, owners=ALICE["sub"])
    with stub_presign(None, duration=3600):
        response, body = invoke(browser_event("open", claims=ALICE))
    assert response["statusCode"] == 200
    assert body["AuthorizedUrl"] == AUTHORIZED_URL
    (record,) = logs.audit_records()
    assert (record.route, record.user, record.callerArn) == ("portal-open", ALICE["sub"], None)


@pytest.mark.parametrize(
    ("environment", "minted"),
    [
        # What a construct with default props gives the function: the API's SigV4 default
        # is 12 hours; a portal open still mints the portal's hour.
        ({"DEFAULT_SESSION_DURATION_SECONDS": "43200"}, 3600),
        (
            {"DEFAULT_SESSION_DURATION_SECONDS": "43200", "PORTAL_NOTEBOOK_SESSION_MINUTES": "30"},
            1800,
        ),
        # Never longer than the API lets anyone ask for.
        (
            {"MAX_SESSION_DURATION_SECONDS": "1800", "PORTAL_NOTEBOOK_SESSION_MINUTES": "120"},
            1800,
        ),
    ],
    ids=["default", "30-minutes", "capped-by-the-api"],
)
def test_a_portal_open_lasts_the_portals_session_not_the_apis_twelve_hours(
    moto: LocalSageMaker, logs, environment, minted
) -> None:
    """Issue 19: a person removed from the tag keeps an open Jupyter for this long."""
    moto.tag(SERVED, owners=ALICE["sub"])
    with handler_environment(**environment), stub_presign(None, duration=minted):
        response, body = invoke(browser_event("open", claims=ALICE))
    assert response["statusCode"] == 200
    assert body["SessionExpirationDurationInSeconds"] == minted
    assert logs.audit_records()[-1].sessionDurationSeconds == minted


def test_another_persons_notebook_is_refused_before_any_url_is_minted(
    moto: LocalSageMaker, logs
) -> None:
    moto.tag(SERVED, owners=ALICE["sub"])
    with count_sagemaker_calls() as calls:
        response, body = invoke(browser_event("open", claims=BOB))
    assert (response["statusCode"], body["error"]) == (403, "Forbidden")
    assert "CreatePresignedNotebookInstanceUrl" not in calls
    assert "NotebookInstanceStatus" not in body  # status is for the entitled only
    (record,) = logs.audit_records()
    assert record.denyReason == "notEntitled"


def test_a_notebook_the_api_does_not_serve_is_404(moto: LocalSageMaker, logs) -> None:
    moto.create("not-served")
    moto.tag("not-served", owners=ALICE["sub"])
    response, body = invoke(browser_event("open", claims=ALICE, name="not-served"))
    assert (response["statusCode"], body["error"]) == (404, "NotebookNotFound")


def test_a_served_name_with_no_notebook_is_the_same_403_as_another_persons(
    moto: LocalSageMaker, logs
) -> None:
    # nb-2 is served (NOTEBOOK_NAMES) but does not exist: moto's ListTags fails (a 500)
    # and its DescribeNotebookInstance answers RecordNotFound.
    with count_sagemaker_calls() as calls:
        response, body = invoke(browser_event("open", claims=ALICE, name="nb-2"))
    assert (response["statusCode"], body["error"]) == (403, "Forbidden")
    assert "not entitled" in body["message"]
    assert "CreatePresignedNotebookInstanceUrl" not in calls


def test_a_stopped_notebook_is_409_with_its_status(moto: LocalSageMaker, logs) -> None:
    moto.create("nb-2", status="Stopped")
    moto.tag("nb-2", owners=ALICE["sub"])
    response, body = invoke(browser_event("open", claims=ALICE, name="nb-2"))
    assert response["statusCode"] == 409
    assert body["NotebookInstanceStatus"] == "Stopped"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"claims": None}, "noIdentity"),
        ({"claims": {"email": ALICE["email"]}}, "noIdentity"),
        # A token of another app client of the pool (password sign-in, other IdPs).
        ({"claims": {**ALICE, "aud": "another-client"}}, "noIdentity"),
        ({"origin": "https://evil.example"}, "crossOrigin"),
        ({"origin": "null"}, "crossOrigin"),
        ({"source_ip": DENIED_IPV4}, "outsideAllowList"),
    ],
    ids=[
        "no-claims",
        "no-sub",
        "other-client",
        "other-origin",
        "opaque-origin",
        "outside-allow-list",
    ],
)
def test_open_is_refused_without_a_person_a_same_origin_page_or_an_allowed_address(
    moto: LocalSageMaker, logs, change, reason
) -> None:
    moto.tag(SERVED, owners=ALICE["sub"])
    arguments = {"claims": ALICE, **change}
    with count_sagemaker_calls() as calls:
        response, body = invoke(browser_event("open", **arguments))
    assert (response["statusCode"], body["error"]) == (403, "Forbidden")
    assert calls == []
    (record,) = logs.audit_records()
    assert record.denyReason == reason


def test_open_is_post_only(moto: LocalSageMaker, logs) -> None:
    moto.tag(SERVED, owners=ALICE["sub"])
    with count_sagemaker_calls() as calls:
        response, _ = invoke(browser_event("open", claims=ALICE, method="GET"))
    assert response["statusCode"] == 405
    assert response["headers"]["Allow"] == "POST"
    assert calls == []


def test_the_listing_is_get_only(moto: LocalSageMaker, logs) -> None:
    response, _ = invoke(browser_event("list", claims=ALICE, name=None, method="POST"))
    assert (response["statusCode"], response["headers"]["Allow"]) == (405, "GET")


# ---------------------------------------------------------------- start


def test_an_entitled_person_starts_a_stopped_notebook(moto: LocalSageMaker, logs) -> None:
    moto.create("nb-2", status="Stopped")
    moto.tag("nb-2", groups="ml-team")
    member = {**BOB, "cognito:groups": ["ml-team"]}
    response, body = invoke(browser_event("portal-start", claims=member, name="nb-2"))
    assert (response["statusCode"], body["NotebookInstanceStatus"]) == (202, "Pending")
    assert moto.status("nb-2") != "Stopped"


def test_start_of_another_persons_notebook_is_refused(moto: LocalSageMaker, logs) -> None:
    moto.create("nb-2", status="Stopped")
    moto.tag("nb-2", owners=ALICE["sub"])
    response, _ = invoke(browser_event("portal-start", claims=BOB, name="nb-2"))
    assert response["statusCode"] == 403
    assert moto.status("nb-2") == "Stopped"


def test_start_is_unknown_without_allow_start(moto: LocalSageMaker, logs) -> None:
    with handler_environment(ALLOW_START="false"):
        response, _ = invoke(browser_event("portal-start", claims=ALICE))
    assert response["statusCode"] == 404


# ---------------------------------------------------------------- claims


@pytest.mark.parametrize(
    ("value", "token", "groups"),
    [
        (["a", "b", 3], None, {"a", "b"}),
        ("[a b]", None, {"a", "b"}),
        ("a", None, {"a"}),
        # A group named "research,admins" is not "admins", in any form.
        (["research,admins", "ml"], None, {"ml"}),
        ("[research,admins ml]", None, {"ml"}),
        # "a,b" and "[a]" may be two groups or one named so: the token decides, or nothing.
        ("a,b", None, set()),
        ("[a]", None, set()),
        ("a,b", ["a", "b"], {"a", "b"}),
        ("a,b", ["a,b"], set()),
        ("[a]", ["a"], {"a"}),
        ("[a]", ["[a]"], set()),
        ("a,b", ["a", "c"], set()),  # a token that flattens otherwise is not this one's
        ("a,b", "a,b", set()),
        ("", None, set()),
        (None, ["a"], set()),  # the claims decide whether there are groups
        (7, None, set()),
    ],
)
def test_groups_are_read_in_every_form_the_authorizer_may_pass(value, token, groups) -> None:
    token_claims = None if token is None else {"cognito:groups": token}
    assert portal.groups_of({"cognito:groups": value}, POOL_ID, token_claims) == groups


def test_the_token_is_read_from_its_payload_and_nothing_else() -> None:
    token = unsigned_token({"sub": "s", "cognito:groups": ["a,b"]})
    assert portal.token_claims(token) == {"sub": "s", "cognito:groups": ["a,b"]}
    for broken in (None, "", "x", "a.b", "a.!!!.c", "a.W10.c", token + ".d", "x" * 20000):
        assert portal.token_claims(broken) == {}, broken


def test_an_overlong_sub_names_no_one() -> None:
    claims = {"aud": CLIENT_ID, "iss": ISSUER}
    assert portal.user_of({**claims, "sub": "x" * 257}, CLIENT_ID) is None
    assert portal.user_of({**claims, "sub": "x" * 256}, CLIENT_ID) is not None


def test_no_client_id_configured_admits_no_one() -> None:
    assert portal.user_of({"sub": "x", "aud": "", "iss": ISSUER}, "") is None


# ---------------------------------------------------------------- listing bounds


def test_the_listing_limit_counts_entitled_notebooks_not_served_ones(
    moto: LocalSageMaker, monkeypatch: pytest.MonkeyPatch, logs
) -> None:
    monkeypatch.setattr(portal_listing, "PORTAL_LIST_LIMIT", 2)
    for name in ("team-a", "team-b", "team-c", "team-d"):
        moto.create(name)
    moto.tag("team-c", owners=ALICE["sub"])
    moto.tag("team-d", owners=ALICE["sub"])
    moto.tag(SERVED, owners=ALICE["sub"])
    _, body = invoke(browser_event("list", claims=ALICE, name=None))
    # Sorted by name: nb-1, team-a, team-b (not hers) are passed over, the limit is hers.
    assert [nb["NotebookInstanceName"] for nb in body["notebooks"]] == [SERVED, "team-c"]
    assert body["complete"] is False


def test_the_listing_stops_at_its_time_budget(
    moto: LocalSageMaker, monkeypatch: pytest.MonkeyPatch, logs
) -> None:
    monkeypatch.setattr(portal_listing, "TAG_READS_AT_ONCE", 1)
    for name in ("team-a", "team-b"):
        moto.create(name)
        moto.tag(name, owners=ALICE["sub"])
    # The clock: the deadline is set at 0; the first batch starts at 0, the second after it.
    ticks = iter([0.0, 0.0, portal_listing.PORTAL_LIST_BUDGET_SECONDS + 1, 99.0, 99.0])
    user = portal.user_of(ALICE, CLIENT_ID)
    with count_sagemaker_calls() as calls:
        shown, complete = portal_listing.listing_for(
            user, configuration.load_settings(), clock=lambda: next(ticks)
        )
    assert complete is False
    # One tag read (nb-1's, not hers) ran; after the deadline no further call started.
    assert calls == ["ListNotebookInstances", "ListTags"]
    assert shown == []


def test_a_notebook_whose_tags_cannot_be_read_is_left_out(moto: LocalSageMaker, logs) -> None:
    moto.create("team-a")
    moto.tag("team-a", owners=ALICE["sub"])
    moto.tag(SERVED, owners=ALICE["sub"])

    def throttled_for_team_a(params: dict, **_) -> None:
        if params["ResourceArn"].endswith("/team-a"):
            raise ClientError({"Error": {"Code": "ThrottlingException"}}, "ListTags")

    events = sagemaker_calls.sagemaker.meta.events
    event = "before-parameter-build.sagemaker.ListTags"
    events.register_first(event, throttled_for_team_a, unique_id="test-throttle-team-a")
    try:
        _, body = invoke(browser_event("list", claims=ALICE, name=None))
    finally:
        events.unregister(event, throttled_for_team_a, unique_id="test-throttle-team-a")
    assert [nb["NotebookInstanceName"] for nb in body["notebooks"]] == [SERVED]
    assert body["complete"] is False


def test_the_listing_budget_plus_one_call_in_flight_fits_the_lambda_timeout() -> None:
    from sagemaker_notebook_access.api.presigned_url_api import LAMBDA_TIMEOUT

    config = sagemaker_calls.sagemaker.meta.config
    attempts = config.retries["total_max_attempts"]
    backoff = sum(2 ** (n - 1) for n in range(1, attempts))
    per_call = attempts * (config.connect_timeout + config.read_timeout) + backoff
    # No call starts after the budget; the last one started may take per_call.
    assert portal_listing.PORTAL_LIST_BUDGET_SECONDS + per_call < LAMBDA_TIMEOUT.to_seconds()
