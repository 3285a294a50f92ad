"""Routing: what a route is, what its serve function gets, and finding the one a request names.

API Gateway's proxy event names the route by its resource template (``resource``), so a
route is looked up by that, not matched against the path; routes.ROUTES is the table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

if "." in __name__:  # a package: the source tree (tests) and the wheel
    from . import configuration, contract, errors, portal
else:  # the Lambda: this folder is the top level (handler string "handler.handler")
    import configuration
    import contract
    import errors
    import portal


@dataclass(frozen=True)
class Call:
    """What a route's serve function gets: the checked request, its settings and audit."""

    name: str  # the validated notebook name; "" on routes that take none
    body: dict[str, Any]
    settings: configuration.Settings
    audit: dict[str, Any]
    user: portal.User | None  # the signed-in person on the browser routes


@dataclass(frozen=True)
class Route:
    resource: str  # API Gateway's resource template: the event's "resource"
    name: str  # the audit line's route
    serve: Callable[[Call], dict[str, Any]]
    method: str = "POST"
    # Who the caller is (authorization.identify): "iam" (SigV4), "user" (Cognito-signed-in
    # person) or "page" (anyone on the allow-list: the page holds no data, it signs the
    # person in).
    identity: str = "iam"
    # The construct deploys the start resources only with allow_start=True (ALLOW_START);
    # without it, an event naming those resources is answered as for any unknown route.
    needs_allow_start: bool = False

    @property
    def listed(self) -> str:
        """How the 404 for an unknown route names this one."""
        return f"{self.method} {self.resource.replace(contract.NAME_SEGMENT, '{name}')}"

    @property
    def takes_name(self) -> bool:
        return contract.NAME_SEGMENT in self.resource

    @property
    def takes_account(self) -> bool:
        """A member account's route: its account in its own path segment (issue 22)."""
        return contract.ACCOUNT_SEGMENT in self.resource

    @property
    def needs_spokes(self) -> bool:
        return self.takes_account

    @property
    def needs_portal(self) -> bool:
        """The browser routes exist only with a portal (PORTAL_*); otherwise they are unknown."""
        return self.identity != "iam"

    def deployed_with(
        self, *, allow_start: bool, portal_enabled: bool, spokes_enabled: bool = False
    ) -> bool:
        """Whether the construct deploys this route under those settings."""
        return (
            (allow_start or not self.needs_allow_start)
            and (portal_enabled or not self.needs_portal)
            and (spokes_enabled or not self.needs_spokes)
        )


def find(served: Mapping[str, Route], resource: str) -> Route:
    """The route ``resource`` names, among the ones served (404 naming those otherwise)."""
    route = served.get(resource)
    if route is None:
        listing = " and ".join(r.listed for r in served.values())
        raise errors.RouteNotFound(f"no such route; this API serves {listing}")
    return route
