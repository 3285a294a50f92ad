"""Several accounts behind one local endpoint, and STS's AssumeRole between them (issue 22).

Ours, like aws_stand_in.py, whose per-account SageMaker and tagging API it fronts: each
account is an ``AwsStandIn`` (not listening itself); a request goes to the account whose
credentials signed it (the access key id in SigV4's ``Credential=``). The hub signs with its
own keys; ``AssumeRole`` (STS's query protocol, an XML answer) hands out keys of the role's
account, only for a role named as the spoke's (``role_name``), only with ``external_id``,
and only to the hub (``trusted_key``): what the spoke role's trust policy says (the IAM
matrix checks that trust with iam-simulate). Every STS call is counted.
"""

from __future__ import annotations

import collections
import datetime
import re
import threading
import uuid
from collections.abc import Iterable
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from aws_stand_in import ENDPOINT_VARIABLES, REGION, AwsStandIn
from local_server import LocalServer, Reply

STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
_KEY = re.compile(r"Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
SESSION_SECONDS = 900


class Accounts(LocalServer):
    """``hub`` and ``spokes`` (account ids), each an AwsStandIn scoped to ``served_by``."""

    def __init__(
        self,
        *,
        hub: str,
        spokes: Iterable[str],
        served_by: str,
        role_name: str,
        external_id: str,
        hub_key: str = "testing",
    ) -> None:
        super().__init__()
        self.url = self.origin
        self.role_name = role_name
        self.external_id = external_id
        self.hub = hub
        self.stand_ins = {
            account: AwsStandIn(account=account, served_by=served_by) for account in [hub, *spokes]
        }
        self._keys = {hub_key: hub}  # access key id -> account
        self._trusted_key = hub_key
        self._lock = threading.Lock()
        self.sts_calls: collections.Counter[str] = collections.Counter()
        self.missing_roles: set[str] = set()  # accounts whose spoke role does not exist

    def __getitem__(self, account: str) -> AwsStandIn:
        return self.stand_ins[account]

    @property
    def endpoint_env(self) -> dict[str, str]:
        """SageMaker, the tagging API and STS, all here."""
        return {**dict.fromkeys(ENDPOINT_VARIABLES, self.url), "AWS_ENDPOINT_URL_STS": self.url}

    def serve(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        header = {k.lower(): v for k, v in headers.items()}
        signed = _KEY.search(header.get("authorization", ""))
        if signed is None:
            return Reply(403, {"Content-Type": "text/plain"}, b"Missing Authentication Token")
        key, _, service = signed.groups()
        if service == "sts":
            return self._assume_role(key, parse_qs(body.decode()))
        with self._lock:
            account = self._keys.get(key)
        if account is None:
            return Reply(403, {"Content-Type": "text/plain"}, b"unknown access key")
        return self.stand_ins[account].serve(method, path, headers, body)

    def _assume_role(self, key: str, form: dict[str, list[str]]) -> Reply:
        def one(name: str) -> str:
            return (form.get(name) or [""])[0]

        with self._lock:
            self.sts_calls[one("Action")] += 1
        role_arn = one("RoleArn")
        match = re.fullmatch(r"arn:aws:iam::(\d{12}):role/(.+)", role_arn)
        account = match.group(1) if match else ""
        if one("Action") != "AssumeRole":
            return _sts_error(400, "InvalidAction", f"not implemented: {one('Action')}")
        if (
            match is None
            or match.group(2) != self.role_name
            or account not in self.stand_ins
            or account == self.hub
            or account in self.missing_roles
            or key != self._trusted_key
            or one("ExternalId") != self.external_id
        ):
            return _sts_error(
                403,
                "AccessDenied",
                f"User is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
            )
        new_key = "ASIA" + uuid.uuid4().hex[:16].upper()
        with self._lock:
            self._keys[new_key] = account
        expires = datetime.datetime.now(datetime.UTC) + datetime.timedelta(
            seconds=int(one("DurationSeconds") or 3600)
        )
        session = escape(one("RoleSessionName"))
        xml = (
            f'<AssumeRoleResponse xmlns="{STS_NAMESPACE}"><AssumeRoleResult><Credentials>'
            f"<AccessKeyId>{new_key}</AccessKeyId><SecretAccessKey>{uuid.uuid4().hex}"
            f"</SecretAccessKey><SessionToken>{uuid.uuid4().hex}</SessionToken>"
            f"<Expiration>{expires.strftime('%Y-%m-%dT%H:%M:%SZ')}</Expiration></Credentials>"
            f"<AssumedRoleUser><AssumedRoleId>AROA{account}:{session}</AssumedRoleId>"
            f"<Arn>arn:aws:sts::{account}:assumed-role/{self.role_name}/{session}</Arn>"
            "</AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>"
            f"{uuid.uuid4()}</RequestId></ResponseMetadata></AssumeRoleResponse>"
        )
        return Reply(200, {"Content-Type": "text/xml"}, xml.encode())

    def reset_calls(self) -> None:
        for stand_in in self.stand_ins.values():
            stand_in.reset_calls()
        with self._lock:
            self.sts_calls.clear()


def _sts_error(status: int, code: str, message: str) -> Reply:
    xml = (
        f'<ErrorResponse xmlns="{STS_NAMESPACE}"><Error><Type>Sender</Type><Code>{code}</Code>'
        f"<Message>{escape(message)}</Message></Error><RequestId>{uuid.uuid4()}</RequestId>"
        "</ErrorResponse>"
    )
    return Reply(status, {"Content-Type": "text/xml"}, xml.encode())


__all__ = ["REGION", "Accounts"]
