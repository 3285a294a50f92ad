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
OWNERS_TAG = "notebook-access:owners"
GROUPS_TAG = "notebook-access:groups"
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


@dataclass(frozen=True)
class User:
    """The signed-in person, from the claims the Cognito authorizer validated."""

    sub: str
    email: str | None  # only when it can be trusted (see user_of)
    groups: frozenset[str]

    @property
    def shown_as(self) -> str:
        return self.email or self.sub


def user_of(claims: Mapping[str, Any], client_id: str) -> User | None:
    """The person the claims name, or None when they name no one or another client's token.

    The Cognito authorizer accepts an ID token of any app client of the pool (it is
    configured with the pool, not a client); ``aud`` must be the portal's own client, whose
    sign-in is managed login only and whose identity providers the construct chose.

    ``email`` counts only when Cognito verified it (``email_verified`` "true") or a
    federated IdP asserted it (an ``identities`` claim: Cognito maps IdP attributes
    on every sign-in). The portal's app client has no password or SRP flow and no
    ``aws.cognito.signin.user.admin`` scope, so no token it issues may change the
    person's own attributes (UpdateUserAttributes needs that scope); another client of
    the same pool may, so with a shared pool entitle by ``sub`` or group.
    """
    if not client_id or claims.get("aud") != client_id:
        return None
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub or len(sub) > USER_CLAIM_LIMIT:
        return None
    email = claims.get("email")
    trusted = str(claims.get("email_verified", "")).lower() == "true" or bool(
        claims.get("identities")
    )
    if not (isinstance(email, str) and email and trusted and len(email) <= USER_CLAIM_LIMIT):
        email = None
    return User(sub=sub, email=email.lower() if email else None, groups=groups_of(claims))


def groups_of(claims: Mapping[str, Any]) -> frozenset[str]:
    """``cognito:groups`` in any form API Gateway passes it: a list, "[a b]" or "a,b".

    One separator per form, never both: a group name may itself hold a comma or a space
    (AdminAddUserToGroup), and splitting it on both could make "research,admins" read as
    a member of "admins". Names with the other form's separator or a bracket match no tag
    (tag entries cannot hold them).
    """
    value = claims.get("cognito:groups")
    if isinstance(value, list):
        items = [item for item in value if isinstance(item, str)]
    elif isinstance(value, str) and value.startswith("[") and value.endswith("]"):
        items = value[1:-1].split()
    elif isinstance(value, str):
        items = value.split(",")
    else:
        items = []
    return frozenset(item for item in items if item and not re.search(r"[\s,\[\]]", item))


def entitled(user: User, tags: Mapping[str, str]) -> bool:
    """Whether the tags name the person (by sub or trusted email) or a group of theirs."""
    owners = {owner.lower() for owner in tags.get(OWNERS_TAG, "").split()}
    if user.sub.lower() in owners or (user.email is not None and user.email in owners):
        return True
    return bool(user.groups & set(tags.get(GROUPS_TAG, "").split()))


def tags_of(tag_list: Any) -> dict[str, str]:
    """SageMaker's ``[{"Key": ..., "Value": ...}]`` as a dict (entitlement tags only)."""
    wanted = {OWNERS_TAG, GROUPS_TAG}
    return {
        tag["Key"]: str(tag.get("Value", ""))
        for tag in tag_list or []
        if isinstance(tag, dict) and tag.get("Key") in wanted
    }


# ---------------------------------------------------------------- the page


@dataclass(frozen=True)
class PortalSettings:
    portal_url: str  # the page's own address, ending in "/": redirect URI and API base
    client_id: str
    sign_in_url: str  # the user pool domain, e.g. https://x.auth.eu-west-1.amazoncognito.com
    scopes: str = "openid email profile"

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
