"""Matrix rows as iam-simulate requests, run in one Node process per batch, and the policy
edits the teeth tests make (remove, mis-scope or widen the statements that decided a row).
"""

from __future__ import annotations

import copy
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conftest import REPO_ROOT

from .cfn import ACCOUNT, PARTITION, REGION, as_list, statements_of
from .model import ALLOWED, ENDPOINT, EXPLICIT_DENY, IDENTITY, IMPLICIT_DENY, RESOURCE, Row
from .stacks import Principal, World

NODE = REPO_ROOT / "node_modules" / ".bin" / "node"
SCRIPT = Path(__file__).with_name("simulate.mjs")
# iam-simulate reads a "*" in a request's resource as "any matching resource" and evaluates
# every pattern the policies name. An ARN that really ends in a literal "*" (a log group's
# "log-group:NAME:*") is sent with this character instead: no policy contains it, and a "*"
# or "?" in a policy matches it as it matches the one real character. A resource of exactly
# "*" (actions without resource-level permissions) is sent as it is.
STAND_IN = "\u2217"  # ASTERISK OPERATOR
# A statement no row asks about, for a policy whose last statement a teeth test removed.
INERT_STATEMENT = {
    "Sid": "RemovedByTeethTest",
    "Effect": "Allow",
    "Action": "iam:GetAccountSummary",
    "Resource": "*",
}
# Request context every signed request carries ("AWS global condition context keys",
# IAM user guide); the rest comes from the principal, the path and the row.
BASE_CONTEXT = {"aws:SecureTransport": "true", "aws:RequestedRegion": REGION}
# A resource's tags in a request's context ("AWS global condition context keys": the key is
# aws:ResourceTag/<tag key>).
TAG_CONTEXT_PREFIX = "aws:ResourceTag/"


def request_resource(resource: str) -> str:
    return resource if resource == "*" else resource.replace("*", STAND_IN)


def fill(value: Any, facts: dict[str, str]) -> Any:
    """``value`` with every string formatted over ``facts``."""
    if isinstance(value, str):
        return value.format(**facts)
    if isinstance(value, list | tuple):
        return [fill(item, facts) for item in value]
    if isinstance(value, dict):
        return {fill(key, facts): fill(item, facts) for key, item in value.items()}
    return value


def _normalized(document: dict) -> dict:
    """A copy whose Statement is a list, so statement indexes mean one thing throughout."""
    document = copy.deepcopy(document)
    document["Statement"] = statements_of(document)
    return document


@dataclass
class Prepared:
    """One row as a simulation, with what a failure report needs to name."""

    row: Row
    simulation: dict
    resource: str  # the real ARN (the simulation has the stand-in)
    principal: Principal
    resource_policy_name: str
    endpoint_name: str | None
    facts: dict[str, str] = field(repr=False)


def prepare(row: Row, world: World) -> Prepared:
    facts = world.facts(row.where)
    resource = row.resource.format(**facts)
    assumed = fill(row.assumed, facts) if row.assumed else None
    principal = world.principal(row.where, row.who, assumed)
    if row.resource_account:
        resource_account = row.resource_account.format(**facts)
    else:
        # An ARN's account, or (S3's, "*") the subject's own: a spoke's "*" is its account's.
        resource_account = (resource.split(":")[4] if resource != "*" else "") or facts["account"]
    context: dict[str, Any] = {**BASE_CONTEXT, "aws:ResourceAccount": resource_account}
    if principal.principal_arn:
        context["aws:PrincipalArn"] = principal.principal_arn
        context["aws:PrincipalAccount"] = principal.account
    endpoint_name = None
    endpoint_policies = None
    if row.via:
        if row.ip:
            raise ValueError(f"{row.id}: through a VPC endpoint a request has no aws:SourceIp")
        endpoint_id, vpc_id, policy, endpoint_name = world.endpoint(row.where, row.via)
        # Through an endpoint: aws:SourceVpce and aws:SourceVpc, and no aws:SourceIp.
        context["aws:SourceVpce"] = endpoint_id
        context["aws:SourceVpc"] = vpc_id
        endpoint_policies = [{"name": f"endpoint:{row.via}", "policy": _normalized(policy)}]
    if row.ip:
        context["aws:SourceIp"] = row.ip
    context.update(_resource_tag_context(row, world, resource, fill(dict(row.context), facts)))
    resource_policy, resource_policy_name = world.resource_policy(
        row.where, fill(row.resource_policy, facts) if row.resource_policy else None
    )
    simulation: dict[str, Any] = {
        "request": {
            "principal": principal.arn,
            "action": row.action,
            "resource": {"resource": request_resource(resource), "accountId": resource_account},
            "contextVariables": context,
        },
        "identityPolicies": [
            {"name": p["name"], "policy": _normalized(p["policy"])}
            for p in principal.identity_policies
        ],
        "serviceControlPolicies": [],
        "resourceControlPolicies": [],
    }
    if principal.boundaries is not None:
        simulation["permissionBoundaryPolicies"] = [
            {"name": p["name"], "policy": _normalized(p["policy"])} for p in principal.boundaries
        ]
    if resource_policy is not None:
        simulation["resourcePolicy"] = _normalized(resource_policy)
    if endpoint_policies is not None:
        simulation["vpcEndpointPolicies"] = endpoint_policies
    return Prepared(
        row, simulation, resource, principal, resource_policy_name, endpoint_name, facts
    )


def _resource_tag_context(row: Row, world: World, resource: str, stated: dict) -> dict:
    """The row's context plus the tags of the notebook it asks about, as AWS adds them
    (``aws:ResourceTag/<key>``). A row may spell a tag out (the table then shows it); it
    must say what the template says: a template notebook's tags are not the row's to choose.
    A notebook not in the template carries what the row says (none: untagged)."""
    tags = {
        f"{TAG_CONTEXT_PREFIX}{key}": value
        for key, value in world.resource_tags(row.where, resource).items()
    }
    if tags:
        claimed = {k: v for k, v in stated.items() if k.startswith(TAG_CONTEXT_PREFIX)}
        wrong = {k: v for k, v in claimed.items() if tags.get(k) != v}
        if wrong:
            raise ValueError(f"{row.id}: {resource} is tagged {tags} in the template, not {wrong}")
    return {**tags, **stated}


def run_batch(simulations: list[dict]) -> list[dict]:
    """Every simulation through iam-simulate in one Node process; answers in order."""
    payload = {"requests": [{"id": i, "simulation": s} for i, s in enumerate(simulations)]}
    done = subprocess.run(
        [str(NODE), str(SCRIPT)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{SCRIPT.name} failed ({done.returncode}):\n{done.stderr}")
    answers = json.loads(done.stdout)["answers"]
    assert [a["id"] for a in answers] == list(range(len(simulations)))
    return answers


# ---------------------------------------------------------------- reading an answer


def deciding_layers(answer: dict) -> set[str]:
    """The layers that granted an allowed request, or that denied a denied one."""
    if answer["decision"] == ALLOWED:
        return {grant["policyType"] for grant in answer["grants"]}
    return {denial["policyType"] for denial in answer["denials"]}


def problems(prepared: Prepared, answer: dict) -> list[str]:
    """How the answer differs from what the row expects (empty: the row is green)."""
    row = prepared.row
    if answer.get("resultType") != "single":
        return [f"iam-simulate refused the request ({answer['errors'].get('message')})"]
    found = []
    if answer["ignoredContextKeys"]:
        found.append(
            f"context keys that do not apply to {row.action}: {answer['ignoredContextKeys']}"
        )
    if answer["decision"] != row.expect:
        found.append(f"expected {row.expect}, got {answer['decision']}")
    elif deciding_layers(answer) != set(row.by):
        found.append(
            f"{answer['decision']} by {sorted(deciding_layers(answer))}, expected by "
            f"{sorted(row.by)}"
        )
    return found


def policy_documents(simulation: dict, layer: str) -> dict[str | None, dict]:
    """The layer's policies by name (the resource policy under None)."""
    if layer == RESOURCE:
        document = simulation.get("resourcePolicy")
        return {} if document is None else {None: document}
    key = {
        IDENTITY: "identityPolicies",
        ENDPOINT: "vpcEndpointPolicies",
        "pb": "permissionBoundaryPolicies",
    }[layer]
    return {p["name"]: p["policy"] for p in simulation.get(key, [])}


def statement(simulation: dict, layer: str, policy: str | None, index: int) -> dict:
    """A statement by iam-simulate's reference to it (statement indexes start at 1)."""
    documents = policy_documents(simulation, layer)
    document = documents[policy] if layer != RESOURCE else documents[None]
    return document["Statement"][index - 1]


def _ref(reason: dict) -> tuple[str, str | None, int]:
    layer = reason["policyType"]
    return (
        layer,
        None if layer == RESOURCE else reason.get("policyIdentifier"),
        reason["statementIndex"],
    )


def decisive_statements(answer: dict) -> list[tuple[str, str | None, int]]:
    """(layer, policy, index) of each statement that granted or explicitly denied."""
    if answer["decision"] == ALLOWED:
        return [_ref(grant) for grant in answer["grants"]]
    return [_ref(d) for d in answer["denials"] if d["denialType"] == "Explicit"]


# ---------------------------------------------------------------- teeth: policy edits


def _misscoped(resource: str, service: str) -> str:
    """The same resource, scoped one step wrong."""
    if resource == "*":
        return f"arn:{PARTITION}:{service}:{REGION}:{ACCOUNT}:mis-scoped"
    if resource.endswith(":*"):
        return resource[:-2]  # CloudWatch Logs' classic: the log group without ":*"
    if resource.endswith("*"):
        return resource[:-1] + "mis-scoped"
    return resource + "-mis-scoped"


def edited(simulation: dict, edits: list[tuple]) -> dict:
    """A copy of ``simulation`` with statements removed, mis-scoped, widened or added.

    Each edit is ``(kind, layer, policy, index)`` with kind remove, misscope, widen or
    uncondition (drop its Condition, nothing else), or
    ``("add", layer, statement)``. Removals go last, highest index first, so the other
    references stay valid.
    """
    simulation = copy.deepcopy(simulation)
    service = simulation["request"]["action"].split(":")[0]
    removals = []
    for edit in edits:
        kind, layer = edit[0], edit[1]
        if kind == "add":
            _add(simulation, layer, copy.deepcopy(edit[2]))
            continue
        _, _, policy, index = edit
        target = statement(simulation, layer, policy, index)
        if kind == "remove":
            removals.append((layer, policy, index))
        elif kind == "misscope":
            if "Resource" not in target:
                raise ValueError(f"{layer} {policy} #{index} has no Resource to mis-scope")
            target["Resource"] = [_misscoped(r, service) for r in as_list(target["Resource"])]
        elif kind == "widen":
            target.pop("Condition", None)
            target.pop("NotResource", None)
            target["Resource"] = "*"
        elif kind == "uncondition":
            target.pop("Condition")
        else:
            raise ValueError(f"unknown edit {kind}")
    for layer, policy, index in sorted(removals, key=lambda r: -r[2]):
        documents = policy_documents(simulation, layer)
        document = documents[policy] if layer != RESOURCE else documents[None]
        del document["Statement"][index - 1]
        if not document["Statement"]:
            document["Statement"].append(
                INERT_STATEMENT
                if layer in (IDENTITY, "pb")
                else {**INERT_STATEMENT, "Principal": "*"}
            )
    return simulation


def _add(simulation: dict, layer: str, addition: dict) -> None:
    if layer == IDENTITY:
        simulation["identityPolicies"].append(
            {"name": "opens_with", "policy": {"Version": "2012-10-17", "Statement": [addition]}}
        )
    elif layer == RESOURCE:
        simulation.setdefault("resourcePolicy", {"Version": "2012-10-17", "Statement": []})
        simulation["resourcePolicy"]["Statement"].append(addition)
    elif layer == ENDPOINT:
        for endpoint in simulation["vpcEndpointPolicies"]:
            endpoint["policy"]["Statement"].append(addition)
    else:
        raise ValueError(f"cannot add to layer {layer}")


@dataclass(frozen=True)
class Tooth:
    """One edit of a row's policies and the decision it must lead to."""

    row_id: str
    what: str
    simulation: dict
    must: str  # "not Allowed" or "Allowed"


def teeth(prepared: Prepared, answer: dict) -> list[Tooth]:
    """The edits that must flip the row: for an Allow, removing or mis-scoping the granting
    statements of each layer that granted (one layer at a time); for an explicit Deny,
    removing the denying statements; for an implicit Deny, widening (Resource "*", no
    Condition) every Allow of the denying layers that names the action, plus the row's
    ``opens_with``, and, where every denying layer has an Allow that matched all but its
    Condition, dropping only those Conditions."""
    row, simulation = prepared.row, prepared.simulation
    found = []
    if answer["decision"] == ALLOWED:
        by_layer: dict[str, list] = {}
        for ref in decisive_statements(answer):
            by_layer.setdefault(ref[0], []).append(ref)
        for layer, refs in sorted(by_layer.items()):
            names = ", ".join(_name(simulation, *ref) for ref in refs)
            found.append(
                Tooth(
                    row.id,
                    f"remove the {layer} statements that grant it ({names})",
                    edited(simulation, [("remove", *ref) for ref in refs]),
                    "not Allowed",
                )
            )
            scoped = [ref for ref in refs if "Resource" in statement(simulation, *ref)]
            if scoped:
                scoped_names = ", ".join(_name(simulation, *ref) for ref in scoped)
                found.append(
                    Tooth(
                        row.id,
                        f"mis-scope the Resource of {scoped_names}",
                        edited(simulation, [("misscope", *ref) for ref in scoped]),
                        "not Allowed",
                    )
                )
    elif answer["decision"] == EXPLICIT_DENY:
        refs = decisive_statements(answer)
        names = ", ".join(_name(simulation, *ref) for ref in refs)
        found.append(
            Tooth(
                row.id,
                f"remove the statements that deny it ({names})",
                edited(simulation, [("remove", *ref) for ref in refs]),
                ALLOWED,
            )
        )
    elif answer["decision"] == IMPLICIT_DENY:
        layers = {d["policyType"] for d in answer["denials"] if d["denialType"] == "Implicit"}
        misses = [
            miss
            for miss in answer["nearMisses"]
            if miss["layer"] in layers and miss["effect"] == "Allow"
        ]
        refs = [_miss_ref(miss) for miss in misses]
        # Allows that named the resource and failed on their condition alone (a tag, an
        # account, a principal): dropping just the condition must open the row, so the
        # condition, not the Resource, is what denies it.
        conditioned = [
            miss
            for miss in misses
            if miss["resourceMatch"]
            and miss["principalMatch"] != "NoMatch"
            and miss["conditionMatch"] != "Match"
        ]
        if conditioned and {miss["layer"] for miss in conditioned} == layers:
            found.append(
                Tooth(
                    row.id,
                    "drop only the Condition of "
                    + ", ".join(_name(simulation, *_miss_ref(miss)) for miss in conditioned),
                    edited(simulation, [("uncondition", *_miss_ref(miss)) for miss in conditioned]),
                    ALLOWED,
                )
            )
        edits = [("widen", *ref) for ref in refs] + [
            ("add", layer, fill(dict(addition), prepared.facts))
            for layer, addition in row.opens_with
        ]
        if edits:
            names = ", ".join(_name(simulation, *ref) for ref in refs) or "nothing"
            found.append(
                Tooth(
                    row.id,
                    f"widen {names}"
                    + (
                        f" and add {len(row.opens_with)} opens_with statement(s)"
                        if row.opens_with
                        else ""
                    ),
                    edited(simulation, edits),
                    ALLOWED,
                )
            )
    return found


def _miss_ref(miss: dict) -> tuple[str, str | None, int]:
    return (miss["layer"], None if miss["layer"] == RESOURCE else miss["policy"], miss["index"])


def _name(simulation: dict, layer: str, policy: str | None, index: int) -> str:
    sid = statement(simulation, layer, policy, index).get("Sid")
    where = "resource policy" if layer == RESOURCE else policy
    return f"{layer}:{where}#{index}" + (f" ({sid})" if sid else "")


# ---------------------------------------------------------------- failure reports


def report(prepared: Prepared, answer: dict) -> str:
    """Everything a person needs to read a failing row."""
    row, simulation = prepared.row, prepared.simulation
    request = simulation["request"]
    lines = [
        f"row {row.id}: {row.why}".rstrip(": "),
        f"  who       {prepared.principal.shown}",
        f"  action    {row.action}",
        f"  resource  {prepared.resource}"
        + (f"  (sent as {request['resource']['resource']})" if "*" in prepared.resource else ""),
        f"  context   {json.dumps(request['contextVariables'], sort_keys=True)}",
        f"  identity  {[p['name'] for p in simulation['identityPolicies']]}",
        f"  resource policy  {prepared.resource_policy_name}",
        f"  endpoint  {prepared.endpoint_name or 'none (not through a VPC endpoint)'}",
        f"  source    {row.source}",
        f"  expected  {row.expect} by {sorted(row.by)}",
    ]
    if answer.get("resultType") != "single":
        lines.append(
            f"  actual    iam-simulate refused the request: {json.dumps(answer['errors'])}"
        )
        return "\n".join(lines)
    lines.append(f"  actual    {answer['decision']} by {sorted(deciding_layers(answer))}")
    if answer["ignoredContextKeys"]:
        lines.append(f"  context keys iam-simulate dropped: {answer['ignoredContextKeys']}")
    for ref in decisive_statements(answer):
        lines.append(
            f"  decided by {_name(simulation, *ref)}: {json.dumps(statement(simulation, *ref))}"
        )
    for denial in answer["denials"]:
        if denial["denialType"] == "Implicit":
            lines.append(
                f"  implicitly denied by the {denial['policyType']} layer (no Allow applied)"
            )
    for miss in answer["nearMisses"]:
        ref = (miss["layer"], None if miss["layer"] == RESOURCE else miss["policy"], miss["index"])
        failed = [
            part
            for part, ok in (
                ("resource", miss["resourceMatch"]),
                ("principal", miss["principalMatch"] != "NoMatch"),
                ("condition", miss["conditionMatch"] == "Match"),
            )
            if not ok
        ]
        lines.append(
            f"  names the action but did not apply ({'/'.join(failed) or '?'} did not match): "
            f"{_name(simulation, *ref)}: {json.dumps(statement(simulation, *ref))}"
        )
    return "\n".join(lines)
