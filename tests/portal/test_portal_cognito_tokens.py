"""The browser routes with ID tokens that moto's Cognito issues (RS256, its JWKS).

What runs for real: moto's cognito-idp (user pool, app clients, a group, admin sign-in)
issues the tokens and serves the key set; joserfc checks them as API Gateway's Cognito
authorizer does (signature, issuer, expiry, token_use) and the claims go to the handler
as strings, the form a REST API's authorizer passes them in; moto's SageMaker holds the
notebook and its tags. The authorizer itself cannot run here: portal_harness's
``authorizer_claims`` plays its part, as in the browser test.
"""

from __future__ import annotations

import time

import boto3
import pytest
import requests
from handler_events import (
    PORTAL_ENV,
    REGION,
    SERVED,
    LocalSageMaker,
    browser_event,
    handler_environment,
    invoke,
    stub_presign,
)
from joserfc.jwk import KeySet
from moto import mock_aws
from portal_harness import authorizer_claims

PASSWORD = "Corr3ct-Horse-Battery!"


@pytest.fixture(scope="module")
def cognito():
    """Tokens of a pool's portal client and of another client; Ana in group genomics-team.

    Issued up front and moto left before the tests: the moto fixture's reset clears
    every moto backend in the process, Cognito's included.
    """
    with mock_aws():
        idp = boto3.client("cognito-idp", region_name=REGION)
        pool = idp.create_user_pool(PoolName="notebooks")["UserPool"]["Id"]

        def client(name: str) -> str:
            return idp.create_user_pool_client(
                UserPoolId=pool, ClientName=name, ExplicitAuthFlows=["ADMIN_USER_PASSWORD_AUTH"]
            )["UserPoolClient"]["ClientId"]

        portal_client, other_client = client("portal"), client("another-app")
        for login in ("ana", "ben"):
            idp.admin_create_user(UserPoolId=pool, Username=login, MessageAction="SUPPRESS")
            idp.admin_set_user_password(
                UserPoolId=pool, Username=login, Password=PASSWORD, Permanent=True
            )
        idp.create_group(UserPoolId=pool, GroupName="genomics-team")
        idp.admin_add_user_to_group(UserPoolId=pool, Username="ana", GroupName="genomics-team")
        # Ben: in one group whose name holds a comma, and in the group Cognito gives every
        # person an IdP federates ("<pool id>_<IdP name>"; issue 19's attacks).
        for group in ("research,admins", f"{pool}_Corp"):
            idp.create_group(UserPoolId=pool, GroupName=group)
            idp.admin_add_user_to_group(UserPoolId=pool, Username="ben", GroupName=group)
        issuer = f"https://cognito-idp.{REGION}.amazonaws.com/{pool}"
        keys = KeySet.import_key_set(requests.get(f"{issuer}/.well-known/jwks.json").json())

        def id_token(login: str, client_id: str) -> str:
            answer = idp.admin_initiate_auth(
                UserPoolId=pool,
                ClientId=client_id,
                AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": login, "PASSWORD": PASSWORD},
            )
            return answer["AuthenticationResult"]["IdToken"]

        def sub(login: str) -> str:
            attributes = idp.admin_get_user(UserPoolId=pool, Username=login)["UserAttributes"]
            return next(a["Value"] for a in attributes if a["Name"] == "sub")

        issued = {
            "portal_client": portal_client,
            "issuer": issuer,
            "keys": keys,
            "ana": id_token("ana", portal_client),
            "ben": id_token("ben", portal_client),
            "ben_other_client": id_token("ben", other_client),
            "sub": {login: sub(login) for login in ("ana", "ben")},
            "pool": pool,
        }
    return issued


@pytest.fixture
def portal_env(cognito):
    with handler_environment(**{**PORTAL_ENV, "PORTAL_CLIENT_ID": cognito["portal_client"]}):
        yield


def open_with(token: str, cognito: dict) -> tuple[int, dict]:
    claims = authorizer_claims(token, cognito["keys"], cognito["issuer"], now=int(time.time()))
    assert claims is not None, "the authorizer would have answered 401"
    # The page sends the token itself in the Authorization header; the Lambda sees it too.
    response, body = invoke(browser_event("open", claims=claims, token=token))
    return response["statusCode"], body


def test_the_owner_by_sub_opens_and_another_person_is_refused(
    cognito, portal_env, moto: LocalSageMaker, logs
) -> None:
    moto.tag(SERVED, owners=cognito["sub"]["ben"])
    with stub_presign(None):
        assert open_with(cognito["ben"], cognito)[0] == 200
    status, body = open_with(cognito["ana"], cognito)
    assert (status, body["error"]) == (403, "Forbidden")


def test_a_group_in_a_real_token_entitles_its_member(
    cognito, portal_env, moto: LocalSageMaker, logs
) -> None:
    moto.tag(SERVED, groups="genomics-team")
    with stub_presign(None):
        assert open_with(cognito["ana"], cognito)[0] == 200
    assert open_with(cognito["ben"], cognito)[0] == 403


def test_a_token_of_another_client_of_the_pool_names_no_one(
    cognito, portal_env, moto: LocalSageMaker, logs
) -> None:
    # The authorizer accepts it (it is configured with the pool); the handler does not.
    moto.tag(SERVED, owners=cognito["sub"]["ben"])
    token = cognito["ben_other_client"]
    status, body = open_with(token, cognito)
    assert (status, body["error"]) == (403, "Forbidden")
    assert logs.audit_records()[-1].denyReason == "noIdentity"


def test_a_group_name_with_a_comma_in_a_real_token_is_one_group(
    cognito, portal_env, moto: LocalSageMaker, logs
) -> None:
    # The authorizer passes Ben's ["research,admins", ...] as "research,admins,..."
    claims = authorizer_claims(
        cognito["ben"], cognito["keys"], cognito["issuer"], now=int(time.time())
    )
    assert "research,admins" in claims["cognito:groups"]
    moto.tag(SERVED, groups="admins")
    assert open_with(cognito["ben"], cognito)[0] == 403


def test_the_idp_group_in_a_real_token_entitles_no_one(
    cognito, portal_env, moto: LocalSageMaker, logs
) -> None:
    moto.tag(SERVED, groups=f"{cognito['pool']}_Corp")
    assert open_with(cognito["ben"], cognito)[0] == 403
