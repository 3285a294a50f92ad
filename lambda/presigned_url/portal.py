"""The browser side of the API (issue 11): the portal page, who is signed in, who may open what.

API Gateway's Cognito authorizer validates the ID token before the handler runs (the
handler never checks a token itself) and passes its claims in
``requestContext.authorizer.claims``. This module reads those claims, decides
entitlement from the notebook's tags, and renders the page. It needs nothing beyond
the standard library: the handler's folder is the whole Lambda asset.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Tags on the notebook instance name who may open it; change them with
# `aws sagemaker add-tags` and the next request sees them (no redeploy).
# SageMaker tag values allow letters, digits, spaces and _ . : / = + - @ (no commas),
# so the lists are space-separated.
if "." in __name__:  # a package: the source tree (tests) and the wheel
    from .contract import GROUPS_TAG, OWNERS_TAG, PORTAL_SCOPES, SERVED_BY_TAG
else:  # the Lambda: this folder is the top level (handler string "handler.handler")
    from contract import GROUPS_TAG, OWNERS_TAG, PORTAL_SCOPES, SERVED_BY_TAG
USER_CLAIM_LIMIT = 256

_HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class PageAssets:
    """The page's script and style, and their CSP hashes."""

    script: str
    style: str
    script_hash: str
    style_hash: str


@functools.cache
def page_assets() -> PageAssets:
    """Read on the first page request, not at import: most requests are API calls."""
    script = (_HERE / "portal.js").read_text(encoding="utf-8")
    style = (_HERE / "portal.css").read_text(encoding="utf-8")
    # Inlined into the page: neither may close its own element early.
    if "</script" in script.lower() or "</style" in style.lower():
        raise ValueError("portal.js or portal.css would close its own element")
    return PageAssets(script, style, _csp_hash(script), _csp_hash(style))


def _csp_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


# ---------------------------------------------------------------- who is signed in

# What an email address, a sub and an owners tag entry are compared in: printable ASCII
# and nothing else, lower-cased. Unicode case mapping folds different characters
# together ("\u212aate@corp.com".lower() == "kate@corp.com", the Kelvin sign), so an
# address or entry with anything else is never compared at all.
_ASCII_TEXT = re.compile(r"[\x21-\x7e]+")
# A user pool id (UserPoolId, Amazon Cognito API reference): the last path segment of
# the ID token's iss, https://cognito-idp.<region>.amazonaws.com/<user pool id>
# ("Understanding the identity (ID) token", Cognito developer guide).
_POOL_ID = re.compile(r"[\w-]+_[0-9a-zA-Z]+", flags=re.ASCII)
# How Cognito writes email_verified: a JSON boolean in the ID token itself (the example
# payload of "Understanding the identity (ID) token"); API Gateway's Cognito authorizer
# passes every claim to the Lambda as a string, so through the API it is "true" (user pool
# attributes are strings, "true" or "false"). Nothing else counts: not "True", not "1".
EMAIL_VERIFIED = "true"
TOKEN_MAX_CHARS = 16384


@dataclass(frozen=True)
class User:
    """The signed-in person, from the claims the Cognito authorizer validated."""

    sub: str
    email: str | None  # only when it can be trusted (see verified_email)
    groups: frozenset[str]

    @property
    def shown_as(self) -> str:
        return self.email or self.sub


def user_of(
    claims: Mapping[str, Any], client_id: str, token: Mapping[str, Any] | None = None
) -> User | None:
    """The person the claims name, or None when they name no one or another client's token.

    The Cognito authorizer accepts an ID token of any app client of the pool (it is
    configured with the pool, not a client); ``aud`` must be the portal's own client, whose
    sign-in is managed login only and whose identity providers the construct chose.

    ``token``: the payload of the ID token in the request's Authorization header
    (``token_claims``), the one the authorizer validated; it is read only where the
    authorizer's strings are ambiguous (``groups_of``), and only when its ``sub``, ``aud``
    and ``iss`` are the claims' own.
    """
    if not client_id or claims.get("aud") != client_id:
        return None
    sub = claims.get("sub")
    if not isinstance(sub, str) or len(sub) > USER_CLAIM_LIMIT or not _ASCII_TEXT.fullmatch(sub):
        return None
    pool_id = pool_id_of(claims)
    if pool_id is None:  # not a Cognito token's issuer: the authorizer would have refused it
        return None
    if token is not None and any(token.get(k) != claims.get(k) for k in ("sub", "aud", "iss")):
        token = None
    return User(sub=sub, email=verified_email(claims), groups=groups_of(claims, pool_id, token))


def pool_id_of(claims: Mapping[str, Any]) -> str | None:
    """The user pool id in the token's issuer, or None if the issuer is not a pool's."""
    issuer = claims.get("iss")
    if not isinstance(issuer, str) or "/" not in issuer:
        return None
    pool_id = issuer.rsplit("/", 1)[-1]
    return pool_id if _POOL_ID.fullmatch(pool_id) else None


def verified_email(claims: Mapping[str, Any]) -> str | None:
    """The person's email, lower-cased, only when ``email_verified`` says it was verified.

    From every source alike: Cognito's own users (verified by a code, or set verified by
    an administrator) and federated ones, whose IdP must assert it through an attribute
    mapping to ``email_verified`` ("Mapping IdP attributes to profiles and tokens", Cognito
    developer guide: mapped addresses are unverified by default). An IdP that lets people
    set their own address unverified (the "nOAuth" class of bugs) then entitles no one by
    email. Only printable ASCII addresses are compared (see _ASCII_TEXT).
    """
    email = claims.get("email")
    verified = claims.get("email_verified")
    if not (verified is True or verified == EMAIL_VERIFIED) or not isinstance(email, str):
        return None
    if len(email) > USER_CLAIM_LIMIT or not _ASCII_TEXT.fullmatch(email) or "@" not in email:
        return None
    return email.lower()


def groups_of(
    claims: Mapping[str, Any], pool_id: str, token: Mapping[str, Any] | None = None
) -> frozenset[str]:
    """The person's ``cognito:groups``, without the group Cognito puts every federated person in.

    API Gateway passes the claim as one string; a group name may hold a comma or a
    bracket (CreateGroup's GroupName: letters, marks, symbols, digits, punctuation; no
    spaces), so "research,admins" may be one group or two, and "[admins]" one group or a
    list of one. Where the string is ambiguous, the ID token's own JSON array decides
    (``token``, when it flattens to the same string); without it, no group counts.

    Cognito adds everyone federated through an IdP to "<user pool id>_<IdP name>"
    ("Adding groups to a user pool", Cognito developer guide): naming it in a tag would
    entitle everyone that IdP signs in, so it never counts (the pool id from ``iss``).
    """
    value = claims.get("cognito:groups")
    listed = token.get("cognito:groups") if token is not None else None
    if isinstance(value, list):
        items = value
    elif not isinstance(value, str):
        items = []
    elif isinstance(listed, list) and value in _flattened(listed):
        items = listed
    elif re.search(r"\s", value):  # only a list has a space: names have none
        items = value.strip("[]").split()
    elif "," in value or value.startswith("["):
        items = []  # ambiguous, and no token to tell: fail closed
    else:
        items = [value]
    idp_group = f"{pool_id}_"
    return frozenset(
        item
        for item in items
        if isinstance(item, str)
        and item
        and not re.search(r"[\s,\[\]]", item)  # never in a tag entry (no commas, brackets)
        and not item.startswith(idp_group)
    )


def _flattened(items: list[Any]) -> set[str]:
    """The strings an authorizer may make of a JSON array of names."""
    names = [str(item) for item in items]
    return {",".join(names), "[" + " ".join(names) + "]", " ".join(names)}


def token_claims(authorization: str | None) -> dict[str, Any]:
    """The payload of the JWT in an Authorization header, decoded but NOT verified.

    Only for the ID token API Gateway's Cognito authorizer has just verified (the handler
    takes the header only when the request carries exactly one); never a reason to trust
    anything the authorizer's claims do not also say (see user_of).
    """
    if not authorization or len(authorization) > TOKEN_MAX_CHARS:
        return {}
    parts = authorization.split(".")
    if len(parts) != 3:
        return {}
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, RecursionError):  # binascii.Error and JSONDecodeError are ValueErrors
        return {}
    return payload if isinstance(payload, dict) else {}


def entitled(user: User, tags: Mapping[str, str]) -> bool:
    """Whether the tags name the person (by sub or verified email) or a group of theirs.

    Owner entries are compared lower-cased, and only printable ASCII ones at all.
    """
    owners = {
        owner.lower() for owner in tags.get(OWNERS_TAG, "").split() if _ASCII_TEXT.fullmatch(owner)
    }
    if user.sub.lower() in owners or (user.email is not None and user.email in owners):
        return True
    return bool(user.groups & set(tags.get(GROUPS_TAG, "").split()))


def tags_of(tag_list: Any) -> dict[str, str]:
    """SageMaker's ``[{"Key": ..., "Value": ...}]`` as a dict (entitlement and serving tags)."""
    wanted = {OWNERS_TAG, GROUPS_TAG, SERVED_BY_TAG}
    return {
        tag["Key"]: str(tag.get("Value", ""))
        for tag in tag_list or []
        if isinstance(tag, dict) and tag.get("Key") in wanted
    }


# ---------------------------------------------------------------- the page


# NotebookPortal's notebook_session_minutes default: the Jupyter session an Open mints
# when PORTAL_NOTEBOOK_SESSION_MINUTES is unset (never the API's 12-hour default).
DEFAULT_NOTEBOOK_SESSION_MINUTES = 60


@dataclass(frozen=True)
class PortalSettings:
    portal_url: str  # the page's own address, ending in "/": redirect URI and API base
    client_id: str
    sign_in_url: str  # the user pool domain, e.g. https://x.auth.eu-west-1.amazoncognito.com
    scopes: str = " ".join(PORTAL_SCOPES)
    # How long the Jupyter session of a portal open lasts (the revocation window).
    notebook_session_seconds: int = DEFAULT_NOTEBOOK_SESSION_MINUTES * 60
    region: str = ""  # the function's region: where the notebooks' hosts are (portal.js)

    @property
    def enabled(self) -> bool:
        return bool(self.portal_url and self.client_id and self.sign_in_url)

    @property
    def origin(self) -> str:
        return _origin(self.portal_url)


def _origin(url: str) -> str:
    match = re.match(r"(?i)^(https?://[^/?#]+)", url)
    return match.group(1).lower() if match else ""


def page_headers(settings: PortalSettings) -> dict[str, str]:
    """Strict headers: only the hashed script and style run, nothing frames or refers."""
    assets = page_assets()
    policy = "; ".join(
        [
            "default-src 'none'",
            f"script-src {assets.script_hash}",
            f"style-src {assets.style_hash}",
            # The page calls its own API and the user pool's token endpoint, nothing else.
            f"connect-src 'self' {_origin(settings.sign_in_url)}",
            "img-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )
    return {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": policy,
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
        "Pragma": "no-cache",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    }


def page_html(settings: PortalSettings) -> str:
    config = {
        "portalUrl": settings.portal_url,
        "clientId": settings.client_id,
        "signInUrl": settings.sign_in_url,
        "scopes": settings.scopes,
        "region": settings.region,  # where the notebooks' hosts are (authorizedUrlProblem)
    }
    # A JSON data block is never executed; "<" escaped so no value can close the element.
    config_json = json.dumps(config).replace("<", "\\u003c")
    assets = page_assets()
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Notebooks</title>
<style>{assets.style}</style>
</head>
<body>
<header>
<h1>Your notebooks</h1>
<div id="signed-in" hidden><span id="who"></span>
<button id="refresh" class="secondary" type="button">Refresh</button>
<button id="sign-out" class="secondary" type="button">Sign out</button></div>
</header>
<p id="message">Signing you in…</p>
<button id="retry" type="button" hidden>Sign in</button>
<button id="confirm-open" type="button" hidden>Open</button>
<p id="incomplete" hidden>Not every notebook could be listed in time; refresh to try again.</p>
<table id="listing" hidden>
<thead><tr><th>Notebook</th><th>Status</th><th></th></tr></thead>
<tbody id="notebooks"></tbody>
</table>
<noscript>This page needs JavaScript to sign you in.</noscript>
<script type="application/json" id="portal-config">{config_json}</script>
<script>{assets.script}</script>
</body>
</html>
"""


def same_origin(headers: Mapping[str, Any], settings: PortalSettings) -> bool:
    """False for a request a browser marked as coming from another site's page.

    The token travels in the Authorization header, which another site's page cannot
    set without a CORS preflight this API never answers; the Origin check is a second
    wall. A request without Origin (not from a browser's fetch) passes here and still
    needs a valid token.
    """
    origin = next((v for k, v in headers.items() if k.lower() == "origin"), None)
    if origin is None:
        return True
    return isinstance(origin, str) and origin.lower() == settings.origin
