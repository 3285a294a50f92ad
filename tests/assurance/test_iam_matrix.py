"""The IAM matrix (issue 18, docs/iam-matrix.md): @cloud-copilot/iam-simulate decides every row
of tests/iam_matrix/rows.py over the synthesized templates, and each row's deciding statements
are shown to matter (removed, mis-scoped or widened, the row flips). Issue 22's hub and spoke
live in two accounts; each condition of the spoke role's trust is shown to decide alone, and
each hub grantee's own grant keeps it off the routes it was not granted.

The stacks are synthesized once for the module; the rows run in one Node process, the teeth
in a second.
"""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest
from iam_matrix import simulator, table
from iam_matrix.cfn import ACCOUNT, SPOKE_ACCOUNT, ResolvedTemplate, UnresolvableError
from iam_matrix.model import ALLOWED, IMPLICIT_DENY, SERVED_BY_CONTEXT, SERVED_BY_KEY
from iam_matrix.rows import ROWS
from iam_matrix.stacks import HUB_GRANTEES, build_world

from sagemaker_notebook_access import PresignedUrlApi

ROW_IDS = [row.id for row in ROWS]


@pytest.fixture(scope="module")
def world():
    return build_world()


@pytest.fixture(scope="module")
def matrix(world) -> dict:
    """Row id -> (prepared request or the error preparing it, iam-simulate's answer)."""
    prepared, failed = [], {}
    for row in ROWS:
        try:
            prepared.append(simulator.prepare(row, world))
        except (KeyError, TypeError, ValueError) as error:
            failed[row.id] = (error, None)
    answers = simulator.run_batch([p.simulation for p in prepared])
    return {p.row.id: (p, a) for p, a in zip(prepared, answers, strict=True)} | failed


@pytest.fixture(scope="module")
def bites(matrix) -> dict:
    """Row id -> [(tooth, iam-simulate's answer to it)] for every row that is green."""
    teeth = [
        tooth
        for prepared, answer in matrix.values()
        if answer is not None and not simulator.problems(prepared, answer)
        for tooth in simulator.teeth(prepared, answer)
    ]
    answers = simulator.run_batch([tooth.simulation for tooth in teeth])
    found: dict[str, list] = {}
    for tooth, answer in zip(teeth, answers, strict=True):
        found.setdefault(tooth.row_id, []).append((tooth, answer))
    return found


def test_row_ids_are_unique():
    assert len(set(ROW_IDS)) == len(ROW_IDS)


@pytest.mark.parametrize("row_id", ROW_IDS)
def test_row(matrix, row_id):
    prepared, answer = matrix[row_id]
    assert answer is not None, f"row {row_id} could not be built: {prepared}"
    problems = simulator.problems(prepared, answer)
    assert not problems, "; ".join(problems) + "\n" + simulator.report(prepared, answer)


@pytest.mark.parametrize("row_id", ROW_IDS)
def test_row_has_teeth(matrix, bites, row_id):
    """Allow: removing or mis-scoping the statements that grant it denies it. Deny: removing
    the statements that deny it (or, for an implicit deny, widening the Allows that name the
    action, plus the row's opens_with) allows it."""
    prepared, answer = matrix[row_id]
    if answer is None or simulator.problems(prepared, answer):
        pytest.skip(f"test_row[{row_id}] fails: the row itself is red")
    found = bites.get(row_id, [])
    assert found, (
        f"row {row_id}: no statement decides it that an edit could remove, mis-scope or "
        "widen; give it opens_with (the statement whose absence denies it)"
    )
    for tooth, result in found:
        decision = result.get("decision", f"refused: {result.get('errors')}")
        flipped = decision == ALLOWED if tooth.must == ALLOWED else decision != ALLOWED
        assert flipped, (
            f"row {row_id}: after '{tooth.what}' the decision is {decision}, expected "
            f"{tooth.must}: the row does not depend on that statement\n"
            + simulator.report(prepared, answer)
        )


def test_a_log_group_arn_ending_in_star_is_asked_with_a_stand_in():
    """iam-simulate reads a request's "*" as any matching resource: the real "...:*" goes in
    as STAND_IN, which a policy's "*" matches and a policy without ":*" does not."""
    group = f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/sagemaker/NotebookInstances"
    assert simulator.request_resource(group + ":*") == group + ":" + simulator.STAND_IN
    assert simulator.request_resource("*") == "*"
    decisions = [
        answer["decision"]
        for answer in simulator.run_batch(
            [
                {
                    "request": {
                        "principal": f"arn:aws:iam::{ACCOUNT}:role/r",
                        "action": "logs:CreateLogGroup",
                        "resource": {
                            "resource": simulator.request_resource(group + ":*"),
                            "accountId": ACCOUNT,
                        },
                        "contextVariables": {},
                    },
                    "identityPolicies": [
                        {
                            "name": "p",
                            "policy": {
                                "Version": "2012-10-17",
                                "Statement": [
                                    {"Effect": "Allow", "Action": "logs:*", "Resource": resource}
                                ],
                            },
                        }
                    ],
                    "serviceControlPolicies": [],
                    "resourceControlPolicies": [],
                }
                for resource in (group + ":*", group, group + ":log-stream:*")
            ]
        )
    ]
    assert decisions == [ALLOWED, "ImplicitlyDenied", "ImplicitlyDenied"]


def test_endpoint_principals_become_the_conditions_that_select_them():
    template = ResolvedTemplate(
        "S",
        {
            "Resources": {
                "Endpoint": {
                    "Type": "AWS::EC2::VPCEndpoint",
                    "Properties": {
                        "PolicyDocument": {
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Principal": {"AWS": "arn:aws:iam::111111111111:role/r"},
                                    "Action": "s3:*",
                                    "Resource": "*",
                                },
                                {
                                    "Effect": "Allow",
                                    "Principal": {"AWS": "111111111111"},
                                    "Action": "s3:*",
                                    "Resource": "*",
                                },
                            ]
                        }
                    },
                }
            }
        },
    )
    first, second = template.endpoint_policy("Endpoint")["Statement"]
    assert first["Principal"] == second["Principal"] == "*"
    assert first["Condition"] == {
        "ArnEquals": {"aws:PrincipalArn": ["arn:aws:iam::111111111111:role/r"]}
    }
    assert second["Condition"] == {"StringEquals": {"aws:PrincipalAccount": ["111111111111"]}}


def test_the_serving_tag_key_is_the_librarys():
    assert SERVED_BY_KEY == PresignedUrlApi.SERVING_TAG_KEY
    assert SERVED_BY_CONTEXT.removeprefix("aws:ResourceTag/") == SERVED_BY_KEY


def test_a_request_on_a_template_notebook_carries_its_tags(world):
    """simulator.prepare adds the notebook's tags as AWS does; a row may spell one out, but
    not claim a value the template does not give the notebook."""
    (row,) = (r for r in ROWS if r.id == "Demo/minting/presign-through-own-endpoint")
    serving_id = world.facts("Demo")["serving_tag"]
    assert serving_id == world.facts("Demo")["notebook_served_by"]
    unstated = simulator.prepare(replace(row, context={}), world)
    assert unstated.simulation["request"]["contextVariables"][SERVED_BY_CONTEXT] == serving_id
    with pytest.raises(ValueError, match="is tagged"):
        simulator.prepare(replace(row, context={SERVED_BY_CONTEXT: "Another-Api-0123"}), world)
    with pytest.raises(ValueError, match="is tagged"):
        simulator.prepare(replace(row, context={"aws:ResourceTag/project": "x"}), world)


# The spoke role's trust (issue 22) has two conditions; the generic teeth drop both at once.
# Each must decide its rows alone: dropping it opens them, dropping the other does not.
TRUST_CONDITIONS = {
    "external id": ("StringEquals", "sts:ExternalId"),
    "principal": ("ArnEquals", "aws:PrincipalArn"),
}


@pytest.mark.parametrize(
    ("row_id", "deciding"),
    [
        ("Hub/minting/assume-spoke-role-without-external-id", "external id"),
        ("Hub/minting/assume-spoke-role-with-a-wrong-external-id", "external id"),
        ("Hub/notebook/assume-spoke-role", "principal"),
    ],
)
def test_each_condition_of_the_spoke_trust_decides_its_rows(matrix, row_id, deciding):
    prepared, _ = matrix[row_id]

    def without(condition: str) -> dict:
        simulation = copy.deepcopy(prepared.simulation)
        (trust,) = simulation["resourcePolicy"]["Statement"]
        operator, key = TRUST_CONDITIONS[condition]
        del trust["Condition"][operator][key]
        return simulation

    (other,) = set(TRUST_CONDITIONS) - {deciding}
    decisions = [a["decision"] for a in simulator.run_batch([without(deciding), without(other)])]
    assert decisions == [ALLOWED, "ImplicitlyDenied"], (
        f"{row_id}: without the trust's {deciding} condition {decisions[0]}, without its "
        f"{other} condition {decisions[1]}"
    )


# The red team's attack on the hub (issue 22): a grant on every notebook of the hub must not
# reach a member account's notebook, nor a grant on one member account's notebook another.
# The generic teeth widen the grantee's grant and the portal's browser-route Allow together;
# here the grantee's own grant alone, widened to every POST route of the stage, opens each
# denied row: the grant's scope (the route it names), nothing else, keeps the caller out.
HUB_GRANT_DENIED_ROWS = [
    row.id
    for row in ROWS
    if row.where == "Hub"
    and row.action == "execute-api:Invoke"
    and row.who in HUB_GRANTEES
    and row.expect == IMPLICIT_DENY
]


@pytest.mark.parametrize("row_id", HUB_GRANT_DENIED_ROWS)
def test_the_grantees_own_grant_keeps_it_off_the_other_routes(matrix, row_id):
    prepared, _ = matrix[row_id]
    widened = copy.deepcopy(prepared.simulation)
    (grant,) = widened["identityPolicies"]
    (statement,) = grant["policy"]["Statement"]
    stage = "{rest_api}/{stage}/".format(**prepared.facts)
    assert statement["Resource"].startswith(stage + "POST/"), statement
    statement["Resource"] = stage + "POST/*"
    decisions = [a["decision"] for a in simulator.run_batch([prepared.simulation, widened])]
    assert decisions == [IMPLICIT_DENY, ALLOWED], (
        f"{row_id}: as granted {decisions[0]}, with the grant widened to {stage}POST/* "
        f"{decisions[1]}"
    )


def test_each_hub_grantee_has_a_denied_row():
    """So the test above runs for every form of grant_open (an empty list would skip it)."""
    denied = {row.who for row in ROWS if row.id in HUB_GRANT_DENIED_ROWS}
    assert denied == set(HUB_GRANTEES)


def test_the_spoke_is_built_from_the_hubs_resolved_values(world):
    """The spoke (another account) trusts the hub's function role and exempts the hub's
    SageMaker endpoint by the very strings the matrix resolves them to in the hub's template."""
    hub, spoke = world.facts("Hub"), world.facts("Spoke")
    assert (spoke["account"], hub["account"]) == (SPOKE_ACCOUNT, ACCOUNT)
    assert spoke["hub_role_arn"] == hub["minting_role_arn"]
    assert spoke["sagemaker_endpoint"] == hub["sagemaker_endpoint"]
    assert spoke["spoke_role_arn"] == hub["spoke_role_arn"]
    assert hub["spoke_role_arn"].startswith(f"arn:aws:iam::{SPOKE_ACCOUNT}:role/")
    assert spoke["serving_tag"] == hub["serving_tag"] == spoke["notebook_served_by"]


def test_an_intrinsic_the_resolver_does_not_model_is_refused():
    template = ResolvedTemplate("S", {"Resources": {}})
    with pytest.raises(UnresolvableError, match="Fn::If"):
        template.value({"Fn::If": ["Cond", "a", "b"]})


def test_docs_table_lists_every_row():
    documented = table.documented_section(table.DOC.read_text())
    assert documented == table.generated_section(), (
        "docs/iam-matrix.md's table differs from tests/iam_matrix/rows.py: run "
        "`cd tests && ../.venv/bin/python -m iam_matrix.table`"
    )
