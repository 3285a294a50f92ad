"""Local stand-ins for what surrounds the portal in AWS, for tests/portal/test_portal_browser.py.

- ``ApiGateway`` plays the REST API's stage: it turns browser requests into Lambda proxy
  events for the REAL ``handler.handler`` and writes its response back. On the
  Cognito-authorized routes it plays the Cognito authorizer (RS256 signature against
  the user pool's JWKS, ``exp``, ``iss``, ``token_use`` = "id"; joserfc does the
  JOSE work) and passes the claims as strings, the way API Gateway does. What the
  stage does not serve (other paths, other methods, OPTIONS: this API has no CORS) is
  answered 403 ``Missing Authentication Token``, like API Gateway.
- ``MockCognito`` plays the user pool's managed login: ``/oauth2/authorize`` (a sign-in
  form where the test picks a person), ``/oauth2/token`` (code + PKCE S256 check,
  ``Access-Control-Allow-Origin: *`` like Cognito's), ``/logout`` and the JWKS.
- ``FakeJupyter`` is where a presigned URL leads: it answers a page titled "Jupyter"
  to a request carrying the URL's token.
- ``StaticSite`` is another site's page (another origin), for the cross-origin checks.

SageMaker is moto; CreatePresignedNotebookInstanceUrl, which moto lacks, is answered by
``PresignShim`` with a URL on the notebook's own host, as SageMaker's are (the page goes
nowhere else), which a Playwright route (``JUPYTER_HOSTS``) hands to ``FakeJupyter``.
Every server keeps a log of what it was sent and what it answered, so a test can show
what did or did not travel.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import html
import json
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
from handler_events import (
    ACCOUNT_ID,
    ALLOWED_IPV4,
    API_ID,
    NOTEBOOK_ARN_PREFIX,
    POOL_ID,
    REGION,
    LambdaContext,
    LocalSageMaker,
    PresignShim,
    RecordingHandler,
    capture_all_logs,
    claim_text,
    handler_environment,
    only_local_endpoints,
)
from joserfc import errors as jose_errors
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from local_server import LocalServer, Reply
from presigned_url import contract, handler, sagemaker_calls

from sagemaker_notebook_access.portal.notebook_portal import SIGNED_OUT_QUERY

STAGE = "v1"
CLIENT_ID = "portal-client-7q2"
UNAUTHORIZED = {"message": "Unauthorized"}
MISSING_TOKEN = {"message": "Missing Authentication Token"}


# ---------------------------------------------------------------- plumbing


class Clock:
    """The servers' clock (IdP and authorizer); a test moves it to let tokens expire."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> int:
        return int(time.time() + self.offset)

    def advance(self, seconds: float) -> None:
        self.offset += seconds


# ---------------------------------------------------------------- the user pool


@dataclass(frozen=True)
class Person:
    login: str  # what the sign-in form's button says
    sub: str
    email: str
    groups: tuple[str, ...] = ()


@dataclass
class _Grant:
    person: Person
    challenge: str
    redirect_uri: str
    expires: int
    used: bool = False


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class MockCognito(LocalServer):
    """Cognito managed login for one app client: code flow with PKCE (S256 only)."""

    def __init__(
        self, people: list[Person], redirect_uri: str, clock: Clock, lifetime: int = 3600
    ) -> None:
        super().__init__()
        self.people = {person.login: person for person in people}
        self.client_id = CLIENT_ID
        self.redirect_uri = redirect_uri
        # What NotebookPortal registers as the client's sign-out URLs.
        self.logout_uris = {redirect_uri + SIGNED_OUT_QUERY}
        self.clock = clock
        self.lifetime = lifetime  # ID token lifetime and expires_in, seconds
        self.issuer = f"{self.origin}/{POOL_ID}"
        self.jwks_url = f"{self.issuer}/.well-known/jwks.json"
        self._key = RSAKey.generate_key(
            2048, parameters={"kid": "pool-key-1", "use": "sig", "alg": "RS256"}, private=True
        )
        self._grants: dict[str, _Grant] = {}
        self.refusals: list[str] = []  # why authorize/token/logout refused, in order
        self.logouts: list[dict[str, str]] = []

    # ------------------------------------------------------------ tokens

    def issue(self, person: Person, *, token_use: str = "id", **overrides: Any) -> str:
        now = self.clock.now()
        claims: dict[str, Any] = {
            "sub": person.sub,
            "iss": self.issuer,
            "token_use": token_use,
            "auth_time": now,
            "iat": now,
            "exp": now + self.lifetime,
            "jti": str(uuid.uuid4()),
        }
        if token_use == "id":
            claims.update(
                aud=self.client_id,
                email=person.email,
                email_verified=True,
                **({"cognito:groups": list(person.groups)} if person.groups else {}),
            )
            claims["cognito:username"] = person.login
        else:
            claims.update(client_id=self.client_id, scope="openid email profile")
        claims.update(overrides)
        header = {"alg": "RS256", "kid": self._key.kid}
        return jwt.encode(header, claims, self._key)

    def jwks(self) -> dict[str, Any]:
        return KeySet([self._key]).as_dict(private=False)

    # ------------------------------------------------------------ endpoints

    def serve(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        url = urllib.parse.urlsplit(path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if (method, url.path) == ("GET", "/oauth2/authorize"):
            return self._authorize(query)
        if (method, url.path) == ("POST", "/login"):
            return self._login(dict(urllib.parse.parse_qsl(body.decode())))
        if url.path == "/oauth2/token":
            if method == "OPTIONS":  # Cognito answers the preflight for any origin
                return Reply(
                    204,
                    {
                        "Access-Control-Allow-Origin": "*",
                        "Access-Control-Allow-Methods": "POST",
                        "Access-Control-Allow-Headers": "Content-Type, Authorization",
                    },
                )
            if method == "POST":
                return self._token(dict(urllib.parse.parse_qsl(body.decode())))
        if (method, url.path) == ("GET", "/logout"):
            return self._logout(query)
        if (method, url.path) == ("GET", urllib.parse.urlsplit(self.jwks_url).path):
            return Reply.json(200, self.jwks())
        return Reply.json(404, {"error": "not_found"})

    def _refuse(self, reason: str) -> Reply:
        self.refusals.append(reason)
        return Reply.html(400, f"<title>Error</title><p>An error was encountered: {reason}</p>")

    def _authorize(self, query: dict[str, str]) -> Reply:
        problem = self._authorize_problem(query)
        if problem:
            return self._refuse(problem)
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in query.items()
        )
        buttons = "".join(
            f'<button name="login" value="{html.escape(login)}">Sign in as {html.escape(login)}'
            "</button>"
            for login in self.people
        )
        return Reply.html(
            200,
            f"<!doctype html><title>Sign in</title><h1>Sign in</h1>"
            f'<form method="post" action="/login">{hidden}{buttons}</form>',
        )

    def _authorize_problem(self, query: dict[str, str]) -> str:
        if query.get("client_id") != self.client_id:
            return "invalid client_id"
        if query.get("redirect_uri") != self.redirect_uri:
            return "redirect_mismatch"
        if query.get("response_type") != "code":
            return "unsupported response_type"
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return "PKCE with S256 required"
        if "openid" not in query.get("scope", "").split():
            return "invalid_scope"
        if not query.get("state"):
            return "state required"
        return ""

    def _login(self, form: dict[str, str]) -> Reply:
        problem = self._authorize_problem(form)
        person = self.people.get(form.get("login", ""))
        if problem or person is None:
            return self._refuse(problem or "unknown user")
        code = secrets.token_urlsafe(24)
        self._grants[code] = _Grant(
            person, form["code_challenge"], form["redirect_uri"], self.clock.now() + 300
        )
        answer = urllib.parse.urlencode({"code": code, "state": form["state"]})
        return Reply.redirect(f"{form['redirect_uri']}?{answer}")

    def _token(self, form: dict[str, str]) -> Reply:
        cors = {"Access-Control-Allow-Origin": "*"}
        grant = self._grants.get(form.get("code", ""))
        problem = ""
        if form.get("grant_type") != "authorization_code":
            problem = "unsupported_grant_type"
        elif form.get("client_id") != self.client_id:
            problem = "invalid_client"
        elif grant is None or grant.used or grant.expires < self.clock.now():
            problem = "invalid_grant"
        elif form.get("redirect_uri") != grant.redirect_uri:
            problem = "invalid_grant: redirect_uri"
        elif _s256(form.get("code_verifier", "")) != grant.challenge:
            problem = "invalid_grant: code_verifier"
        if problem:
            self.refusals.append(problem)
            return Reply.json(400, {"error": problem.split(":")[0]}, cors)
        assert grant is not None
        grant.used = True
        return Reply.json(
            200,
            {
                "id_token": self.issue(grant.person),
                "access_token": self.issue(grant.person, token_use="access"),
                "refresh_token": secrets.token_urlsafe(32),
                "expires_in": self.lifetime,
                "token_type": "Bearer",
            },
            {**cors, "Cache-Control": "no-store"},
        )

    def _logout(self, query: dict[str, str]) -> Reply:
        self.logouts.append(query)
        if query.get("client_id") != self.client_id:
            return self._refuse("invalid client_id")
        if query.get("logout_uri") not in self.logout_uris:
            return self._refuse("logout_uri not registered")
        return Reply.redirect(query["logout_uri"])


# ---------------------------------------------------------------- API Gateway


@dataclass(frozen=True)
class _Resource:
    template: str
    method: str
    cognito: bool  # behind the Cognito authorizer


RESOURCES = (
    _Resource(contract.PAGE_RESOURCE, "GET", cognito=False),
    _Resource(contract.PORTAL_LIST_RESOURCE, "GET", cognito=True),
    _Resource(contract.PORTAL_OPEN_RESOURCE, "POST", cognito=True),
    _Resource(contract.PORTAL_START_RESOURCE, "POST", cognito=True),
)


def _match(template: str, path: str) -> dict[str, str] | None:
    """Path parameters when ``path`` fits the resource template, else None."""
    wanted, parts = template.strip("/").split("/"), path.strip("/").split("/")
    if template == "/" or path == "/":
        return {} if template == path else None
    if len(wanted) != len(parts):
        return None
    found: dict[str, str] = {}
    for want, part in zip(wanted, parts, strict=True):
        if want.startswith("{") and want.endswith("}"):
            if not part:
                return None
            found[want[1:-1]] = urllib.parse.unquote(part)
        elif want != part:
            return None
    return found


def authorizer_claims(
    token: str | None, keys: KeySet, issuer: str, *, now: int
) -> dict[str, str] | None:
    """What a REST API's Cognito user pool authorizer passes for ``token``, or None (401).

    It checks signature, issuer, expiry and token_use, not the audience: it is configured
    with the pool, so any app client's ID token passes (the handler checks ``aud``).
    """
    if not token:
        return None
    try:
        decoded = jwt.decode(token, keys, algorithms=["RS256"])
        jwt.JWTClaimsRegistry(
            now=now,
            iss={"essential": True, "value": issuer},
            token_use={"essential": True, "value": "id"},
            sub={"essential": True},
            exp={"essential": True},
        ).validate(decoded.claims)
    except (jose_errors.JoseError, ValueError):
        return None
    return {name: claim_text(value) for name, value in decoded.claims.items()}


class ApiGateway(LocalServer):
    """The REST API's stage ``v1``: page, listing, open, start; the handler behind it."""

    def __init__(self, source_ip: str = ALLOWED_IPV4) -> None:
        super().__init__()
        self.url = f"{self.origin}/{STAGE}/"
        self.source_ip = source_ip
        self._keys: KeySet | None = None
        self._issuer = ""
        self._clock = Clock()

    def trust(self, pool: MockCognito) -> None:
        """Set up the Cognito authorizer for ``pool``: its issuer, client and JWKS (over HTTP)."""
        with urllib.request.urlopen(pool.jwks_url, timeout=5) as answer:  # the local mock IdP
            self._keys = KeySet.import_key_set(json.loads(answer.read()))
        self._issuer = pool.issuer
        self._clock = pool.clock

    def claims_of(self, token: str | None) -> dict[str, str] | None:
        """The Cognito authorizer: the ID token's claims as strings, or None (a 401)."""
        if self._keys is None:
            return None
        return authorizer_claims(token, self._keys, self._issuer, now=self._clock.now())

    def serve(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        url = urllib.parse.urlsplit(path)
        prefix = f"/{STAGE}"
        if not (url.path == prefix or url.path.startswith(prefix + "/")):
            return Reply.json(403, MISSING_TOKEN)
        resource_path = url.path[len(prefix) :] or "/"
        for resource in RESOURCES:
            parameters = _match(resource.template, resource_path)
            if parameters is not None and method == resource.method:
                break
        else:  # no such resource, or no such method on it (OPTIONS included: no CORS here)
            return Reply.json(403, MISSING_TOKEN)
        claims = None
        if resource.cognito:
            token = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
            claims = self.claims_of(token)
            if claims is None:
                return Reply.json(401, UNAUTHORIZED)
        event = self._event(resource, resource_path, url.query, parameters, headers, body, claims)
        response = handler.handler(event, LambdaContext(aws_request_id=str(uuid.uuid4())))
        reply_headers = dict(response.get("headers") or {})
        reply_headers["x-amzn-RequestId"] = event["requestContext"]["requestId"]
        text = response.get("body") or ""
        data = base64.b64decode(text) if response.get("isBase64Encoded") else text.encode()
        return Reply(int(response["statusCode"]), reply_headers, data)

    def _event(
        self,
        resource: _Resource,
        resource_path: str,
        query: str,
        parameters: dict[str, str],
        headers: dict[str, str],
        body: bytes,
        claims: dict[str, str] | None,
    ) -> dict[str, Any]:
        forwarded = {**headers, "X-Forwarded-For": self.source_ip, "X-Forwarded-Proto": "https"}
        query_parameters = dict(urllib.parse.parse_qsl(query)) or None
        request_context: dict[str, Any] = {
            "resourcePath": resource.template,
            "httpMethod": resource.method,
            "path": f"/{STAGE}{resource_path}",
            "requestId": str(uuid.uuid4()),
            "apiId": API_ID,
            "stage": STAGE,
            "accountId": ACCOUNT_ID,
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {
                "sourceIp": self.source_ip,
                "userAgent": headers.get("User-Agent", ""),
                "userArn": None,
                "caller": None,
                "accountId": None,
            },
        }
        if claims is not None:
            request_context["authorizer"] = {"claims": claims}
        return {
            "resource": resource.template,
            "path": resource_path,
            "httpMethod": resource.method,
            "headers": forwarded,
            "multiValueHeaders": {k: [v] for k, v in forwarded.items()},
            "queryStringParameters": query_parameters,
            "multiValueQueryStringParameters": (
                {k: [v] for k, v in query_parameters.items()} if query_parameters else None
            ),
            "pathParameters": parameters or None,
            "stageVariables": None,
            "requestContext": request_context,
            "body": body.decode() if body else None,
            "isBase64Encoded": False,
        }


# ---------------------------------------------------------------- where URLs lead


# Where the browser meets FakeJupyter: the notebooks' own hosts, which the page checks
# before it goes there (portal.js authorizedUrlProblem). A Playwright route hands the
# browser's requests to them to FakeJupyter (JUPYTER_HOSTS, FakeJupyter.forward).
JUPYTER_HOSTS = f"https://*.notebook.{REGION}.sagemaker.aws/**"


class FakeJupyter(LocalServer):
    """The notebook's Jupyter: a page titled "Jupyter" for a request with the URL's token."""

    def __init__(self) -> None:
        super().__init__()
        self.token = "JUPYTERSECRET" + secrets.token_hex(8)

    def url_for(self, name: str) -> str:
        """The AuthorizedUrl SageMaker gives for notebook ``name``: on its own host."""
        return f"https://{name.lower()}.notebook.{REGION}.sagemaker.aws/?authToken={self.token}"

    def forward(self, route: Any) -> None:
        """A Playwright route handler: answer a request to a notebook's host from here."""
        parts = urllib.parse.urlsplit(route.request.url)
        local = f"{self.origin}{parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")
        route.fulfill(response=route.fetch(url=local))

    def serve(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(path).query))
        if query.get("authToken") != self.token:
            return Reply.html(403, "<title>403</title><p>Invalid or expired auth token</p>")
        return Reply.html(200, "<!doctype html><title>Jupyter</title><h1>Jupyter Server</h1>")


class StaticSite(LocalServer):
    """Some other site's page: one origin that is not the portal's."""

    def serve(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        return Reply.html(200, "<!doctype html><title>Elsewhere</title><p>another site</p>")


# ---------------------------------------------------------------- all together


@dataclass
class Portal:
    api: ApiGateway
    pool: MockCognito
    jupyter: FakeJupyter
    elsewhere: StaticSite
    shim: PresignShim
    clock: Clock
    logs: RecordingHandler

    @property
    def url(self) -> str:
        return self.api.url

    def call(
        self, method: str, path: str, *, token: str | None = None, origin: str | None = None
    ) -> tuple[int, dict[str, str], Any]:
        """A request from outside a browser (urllib): status, headers and decoded JSON."""
        headers = {"Authorization": token} if token else {}
        if origin:
            headers["Origin"] = origin
        request = urllib.request.Request(
            self.url + path, method=method, headers=headers, data=b"" if method == "POST" else None
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:  # the local stand-in
                status, reply_headers, data = answer.status, dict(answer.headers), answer.read()
        except urllib.error.HTTPError as error:
            status, reply_headers, data = error.code, dict(error.headers), error.read()
        return status, reply_headers, json.loads(data) if data else None


@contextlib.contextmanager
def running_portal(
    sagemaker: LocalSageMaker, people: list[Person], *, lifetime: int = 3600
) -> Iterator[Portal]:
    """The whole stand-in, the handler configured as the construct would configure it."""
    clock = Clock()
    api = ApiGateway()
    pool = MockCognito(people, redirect_uri=api.url, clock=clock, lifetime=lifetime)
    jupyter = FakeJupyter()
    elsewhere = StaticSite()
    shim = PresignShim(sagemaker.url, authorized_url=jupyter.url_for)
    environment = {
        "PORTAL_URL": api.url,
        "PORTAL_CLIENT_ID": CLIENT_ID,
        "PORTAL_SIGN_IN_URL": pool.origin,
        "NOTEBOOK_ARN_PREFIX": NOTEBOOK_ARN_PREFIX,
    }
    original_client = sagemaker_calls.sagemaker
    with contextlib.ExitStack() as stack:
        stack.enter_context(handler_environment(**environment))
        for server in (pool, api, jupyter, elsewhere, shim):
            stack.enter_context(server)
        # The handler's client, same configuration, aimed at the presign shim in front of moto.
        sagemaker_calls.sagemaker = boto3.client(
            "sagemaker", endpoint_url=shim.url, config=original_client.meta.config
        )
        stack.callback(setattr, sagemaker_calls, "sagemaker", original_client)
        escaped = stack.enter_context(only_local_endpoints())
        logs = stack.enter_context(capture_all_logs())
        api.trust(pool)
        yield Portal(
            api=api,
            pool=pool,
            jupyter=jupyter,
            elsewhere=elsewhere,
            shim=shim,
            clock=clock,
            logs=logs,
        )
    assert escaped == [], f"the handler tried to leave this machine: {escaped}"
