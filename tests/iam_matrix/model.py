"""What a row of the IAM matrix says: one AWS request and the decision AWS should reach."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# iam-simulate's three decisions.
ALLOWED = "Allowed"
EXPLICIT_DENY = "ExplicitlyDenied"
IMPLICIT_DENY = "ImplicitlyDenied"

# The policy layers iam-simulate reports a decision from (getGrantReasons/getDenialReasons).
IDENTITY = "identity"  # the principal's identity policies
RESOURCE = "resource"  # key policy, role trust policy, REST API resource policy, bucket policy
ENDPOINT = "vpce"  # the VPC endpoint policy of the endpoint the request passes
BOUNDARY = "pb"  # the principal's permissions boundary

# Principals that are not a role, user or group of the template.
ANONYMOUS = "anonymous"  # an unsigned request (a browser on the portal's Cognito routes)
FOREIGN = "foreign"  # a role in FOREIGN_ACCOUNT whose own policies are the row's `assumed`
SERVICE = "service:"  # prefix: an AWS service principal, e.g. "service:vpc-flow-logs.amazonaws.com"
# A VPC endpoint that is not the construct's: someone else's, with AWS's default policy.
OTHER_ENDPOINT = "other-endpoint"

# The tag that makes a notebook served by an API (issue 21; PresignedUrlApi.SERVING_TAG_KEY),
# and the request context key that carries it on a request on that notebook.
SERVED_BY_KEY = "notebook-access:served-by"
SERVED_BY_CONTEXT = f"aws:ResourceTag/{SERVED_BY_KEY}"


@dataclass(frozen=True)
class Row:
    """One request: who asks for what, on which resource, along which path; what AWS answers.

    Strings in ``resource``, ``context`` and ``assumed`` are ``str.format`` templates over the
    subject's facts (``{notebook_arn}``, ``{rest_api}``, ``{stage}``, ``{account}``...; see
    ``stacks.World.facts``). ``resource`` is the ARN AWS really authorizes the action
    against, written as AWS writes it (a log group's ``:*`` included): the runner sends a
    literal ``*`` as a stand-in character (simulator.STAND_IN).
    """

    id: str  # "<subject>/<caller>/<what>", the pytest id
    where: str  # the subject (stacks.subjects): "Demo", "Portal/Access", "Fleet/nb-alice"...
    who: str  # a role/user/group handle of the subject, ANONYMOUS, FOREIGN or SERVICE + name
    action: str
    resource: str
    expect: str  # ALLOWED, EXPLICIT_DENY or IMPLICIT_DENY
    by: tuple[str, ...]  # the layers that decide: grant (ALLOWED) or deny (the others)
    source: str  # where the action's resource form and the context come from
    via: str | None = None  # endpoint handle the request passes (private DNS), or OTHER_ENDPOINT
    ip: str | None = None  # aws:SourceIp, for a request that does not pass a VPC endpoint
    context: Mapping[str, str | list[str]] = field(default_factory=dict)
    # A key, REST API or role (trust policy) handle, or a document the template does not hold
    # (an AWS-owned bucket's policy): say so in `why`.
    resource_policy: str | Mapping | None = None
    resource_account: str | None = None  # for ARNs without an account (S3); default: the ARN's
    # An identity policy the template does not hold: a foreign principal's own, or what a
    # user of the library adds (say so in `why`).
    assumed: Mapping | None = None
    # Teeth for an implicit deny with no statement to widen: (layer, statement) to add, which
    # must open the row (e.g. an Allow to "*" in a REST API resource policy).
    opens_with: tuple[tuple[str, Mapping], ...] = ()
    why: str = ""
