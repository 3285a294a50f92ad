"""The function's configuration: what the constructs wrote into its environment, read once.

The variable names are the contract's (contract.Env); the values only change on a
redeploy, so the parsed Settings are cached for the life of the process.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from functools import lru_cache

if "." in __name__:  # a package: the source tree (tests) and the wheel
    from . import contract, portal
else:  # the Lambda: this folder is the top level (handler string "handler.handler")
    import contract
    import portal


@dataclass(frozen=True)
class Settings:
    served_by: str  # SERVED_BY: the serving tag's value; "" serves by name or prefix only
    notebook_names: frozenset[str]
    notebook_name_prefix: str
    allowed_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    allow_start: bool
    max_duration_seconds: int
    default_duration_seconds: int
    rest_api_id: str  # REST_API_ID: the API the function is deployed behind; "" if unset
    notebook_arn_prefix: str  # NOTEBOOK_ARN_PREFIX: arn:...:notebook-instance/ (portal tags)
    portal: portal.PortalSettings
    # Issue 22: member accounts whose spoke role the function may assume.
    spoke_accounts: frozenset[str] = frozenset()
    spoke_role_arn_prefix: str = ""  # SPOKE_ROLE_ARN_PREFIX: "arn:<partition>:iam::"
    spoke_external_id: str = ""

    def spoke_role_arn(self, account: str) -> str:
        """The spoke role in ``account``: its name derives from the serving id."""
        return (
            f"{self.spoke_role_arn_prefix}{account}:role/{contract.spoke_role_name(self.served_by)}"
        )

    def notebook_arn(self, account: str | None, name: str) -> str:
        """A notebook's ARN as SageMaker writes it (lower case), in ``account`` or the hub's."""
        prefix = self.notebook_arn_prefix
        if account is not None:
            # arn:<partition>:sagemaker:<region>:<hub account>:notebook-instance/
            parts = prefix.split(":")
            prefix = ":".join([*parts[:4], account, *parts[5:]])
        return prefix + name.lower()

    def may_serve(self, name: str) -> bool:
        """Whether ``name`` may be served: listed, under the prefix, or (with a serving
        id) whatever SageMaker lets the role describe, which only IAM knows."""
        return bool(self.served_by) or self.lists(name)

    def listed(self, account: str | None, name: str) -> bool:
        """Served by the name list or prefix, no tag needed: the hub's own notebooks only
        (a member account's are always served by the tag). Otherwise SageMaker refusing
        the role's describe means "not served"."""
        return account is None and self.lists(name)

    def lists(self, name: str) -> bool:
        """Whether ``name`` is served by the name list or the prefix (no tag needed)."""
        if name in self.notebook_names:
            return True
        return bool(self.notebook_name_prefix) and name.startswith(self.notebook_name_prefix)


@lru_cache(maxsize=4)
def _settings_from(
    served_by: str,
    names: str,
    prefix: str,
    cidrs: str,
    allow_start: str,
    max_duration: str,
    default_duration: str,
    rest_api_id: str,
    notebook_arn_prefix: str,
    portal_settings: portal.PortalSettings,
    spokes: tuple[str, str, str] = ("", "", ""),
) -> Settings:
    networks = tuple(ipaddress.ip_network(c.strip()) for c in cidrs.split(",") if c.strip())
    maximum = int(max_duration or contract.SESSION_DURATION_MAX_SECONDS)
    return Settings(
        served_by=served_by.strip(),
        notebook_names=frozenset(n.strip() for n in names.split(",") if n.strip()),
        notebook_name_prefix=prefix.strip(),
        allowed_networks=networks,
        allow_start=allow_start.strip().lower() == "true",
        max_duration_seconds=maximum,
        default_duration_seconds=int(default_duration or maximum),
        rest_api_id=rest_api_id,
        notebook_arn_prefix=notebook_arn_prefix,
        portal=portal_settings,
        spoke_accounts=frozenset(a.strip() for a in spokes[0].split(",") if a.strip()),
        spoke_role_arn_prefix=spokes[1],
        spoke_external_id=spokes[2],
    )


def load_settings(env: os._Environ | dict[str, str] = os.environ) -> Settings:
    """Read the construct's configuration; cached, since it only changes on redeploy."""
    return _settings_from(
        env.get(contract.Env.SERVED_BY, ""),
        env.get(contract.Env.NOTEBOOK_NAMES, ""),
        env.get(contract.Env.NOTEBOOK_NAME_PREFIX, ""),
        env.get(contract.Env.ALLOWED_CIDRS, ""),
        env.get(contract.Env.ALLOW_START, "false"),
        env.get(contract.Env.MAX_SESSION_DURATION_SECONDS, ""),
        env.get(contract.Env.DEFAULT_SESSION_DURATION_SECONDS, ""),
        env.get(contract.Env.REST_API_ID, ""),
        env.get(contract.Env.NOTEBOOK_ARN_PREFIX, ""),
        portal.PortalSettings(
            portal_url=env.get(contract.Env.PORTAL_URL, ""),
            client_id=env.get(contract.Env.PORTAL_CLIENT_ID, ""),
            sign_in_url=env.get(contract.Env.PORTAL_SIGN_IN_URL, ""),
            notebook_session_seconds=60
            * int(
                env.get(contract.Env.PORTAL_NOTEBOOK_SESSION_MINUTES)
                or portal.DEFAULT_NOTEBOOK_SESSION_MINUTES
            ),
            # Lambda sets AWS_REGION for every function.
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION", ""),
        ),
        (
            env.get(contract.Env.SPOKE_ACCOUNTS, ""),
            env.get(contract.Env.SPOKE_ROLE_ARN_PREFIX, ""),
            env.get(contract.Env.SPOKE_EXTERNAL_ID, ""),
        ),
    )
