"""The integration test app of issue 9 (integ/): its snapshot check, its assertion wiring,
the order its assertions run in and the bound on every wait.

The snapshot check is integ/snapshot.py (integ-runner 2.197.10 cannot read aws-cdk-lib
2.275.0's cloud assembly, schema 55; see docs/integ.md). It runs with no AWS credentials
and passes on the committed snapshot (one real synth, as `make test` runs it), and fails
when the app's template changes (its comparison fed a changed template, no second synth).
What `make integ` does around the deploy (destroy, check 6) is tests/apps/test_integ_harness.py's.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template
from conftest import REPO_ROOT

from sagemaker_notebook_access.notebook.idle_stop_lifecycle import on_start_content

INTEG = REPO_ROOT / "integ"
sys.path.insert(0, str(INTEG))

import integ_notebook_access as app_module  # noqa: E402

from integ import snapshot  # noqa: E402


def offline_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_"))}
    env.update(
        AWS_EC2_METADATA_DISABLED="true",
        JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION="1",
        PATH=os.pathsep.join(
            [
                str(REPO_ROOT / "node_modules" / ".bin"),
                str(Path(sys.executable).parent),
                env.get("PATH", ""),
            ]
        ),
    )
    return env


def run_snapshot_check(directory: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(directory / "snapshot.py")],
        env=offline_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


# ------------------------------------------------------------- snapshot (offline)


@pytest.mark.slow
def test_integ_snapshot_matches_with_no_credentials():
    result = run_snapshot_check(INTEG)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "UNCHANGED  integ_notebook_access.py" in result.stdout


def test_integ_snapshot_check_fails_when_the_template_changes(monkeypatch, capsys):
    """The committed snapshot with one notebook property changed, as the app would
    synthesize it after an edit: the check names the file and the resource, and fails."""
    stored_dir = INTEG / "integ_notebook_access.py.snapshot"
    stored = {p.name: p.read_text() for p in stored_dir.glob("*.json")}
    template = json.loads(stored["IntegNotebookAccess.template.json"])
    (notebook,) = (
        logical_id
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::SageMaker::NotebookInstance"
    )
    template["Resources"][notebook]["Properties"]["VolumeSizeInGB"] = 6
    changed = dict(stored, **{"IntegNotebookAccess.template.json": snapshot.masked(template)})
    monkeypatch.setattr(snapshot, "synthesize", lambda app: changed)

    assert snapshot.main([]) == 1
    out = capsys.readouterr().out
    assert "CHANGED    integ_notebook_access.py - Snapshot changed!" in out
    assert f"IntegNotebookAccess.template.json: removed [], added [], changed ['{notebook}']" in out
    assert "IntegNotebookAccessAssertions.template.json" not in out


def test_integ_runner_is_pinned_exactly_and_the_alpha_matches_aws_cdk_lib():
    package = json.loads((REPO_ROOT / "package.json").read_text())
    version = package["devDependencies"]["@aws-cdk/integ-runner"]
    assert version[0].isdigit(), version
    lib = (REPO_ROOT / "requirements.txt").read_text().split("aws-cdk-lib==")[1].split()[0]
    assert f"aws-cdk.integ-tests-alpha=={lib}a0" in (REPO_ROOT / "requirements-dev.txt").read_text()


# ------------------------------------------------------------- assertion wiring


@pytest.fixture(scope="module")
def synthesized():
    app = cdk.App()
    stack, _ = app_module.build(app)
    assertions = app.node.find_child(app_module.ASSERTION_STACK_NAME)
    return Template.from_stack(stack), Template.from_stack(assertions)


def expected_of(props: dict):
    return json.loads(props["expected"])["$ObjectLike"]


def label(props: dict) -> str:
    """A readable name for one assertion: 'notebook Stopped', 'probe inside', ..."""
    params = props.get("parameters", {})
    if props["service"] == "Lambda":
        return "probe " + json.loads(json.loads(params["Payload"]))["action"]
    if props["api"] == "describeLogStreams":
        return "stream " + json.loads(params["logStreamNamePrefix"]).split("/", 1)[1]
    if props["api"] == "describeNotebookInstance":
        return "notebook " + expected_of(props)["NotebookInstanceStatus"]
    return props["api"]


def steps(assertions: Template) -> dict[str, tuple[str, dict, set[str]]]:
    """Each assertion's logical id -> (label, properties, the assertions it depends on)."""
    resources = assertions.to_json()["Resources"]
    calls = {
        logical_id: resource
        for logical_id, resource in resources.items()
        if resource["Type"].startswith("Custom::DeployAssert@SdkCall")
    }
    return {
        logical_id: (
            label(resource["Properties"]),
            resource["Properties"],
            {d for d in resource.get("DependsOn", []) if d in calls},
        )
        for logical_id, resource in calls.items()
    }


def chain_of(assertions: Template) -> list[list[str]]:
    """The assertions grouped by when they can run: each group after all of the one before
    (DependsOn every member of it, directly), the members of a group side by side."""
    found = steps(assertions)
    level: dict[str, int] = {}

    def depth(logical_id: str) -> int:
        if logical_id not in level:
            level[logical_id] = 1 + max((depth(d) for d in found[logical_id][2]), default=-1)
        return level[logical_id]

    groups: list[list[str]] = []
    for logical_id in sorted(found, key=depth):
        if depth(logical_id) == len(groups):
            groups.append([])
        groups[depth(logical_id)].append(logical_id)
    for before, after in itertools.pairwise(groups):
        for logical_id in after:
            assert found[logical_id][2] == set(before), (
                f"{found[logical_id][0]} does not wait for all of "
                f"{sorted(found[b][0] for b in before)}"
            )
    return [sorted(found[logical_id][0] for logical_id in group) for group in groups]


def by_label(assertions: Template, name: str) -> list[dict]:
    return [props for label_, props, _ in steps(assertions).values() if label_ == name]


def test_probes_are_granted_and_only_the_inside_one_is_in_the_vpc(synthesized):
    template, _ = synthesized
    functions = template.find_resources(
        "AWS::Lambda::Function",
        {"Properties": {"Description": Match.string_like_regexp("integ probe")}},
    )
    assert len(functions) == 2
    in_vpc = [f for f in functions.values() if "VpcConfig" in f["Properties"]]
    assert len(in_vpc) == 1 and "NAT" in in_vpc[0]["Properties"]["Description"]
    code = next(iter(functions.values()))["Properties"]["Code"]["ZipFile"]
    assert "SigV4Auth" in code and len(code) < 4096
    policies = json.dumps(template.find_resources("AWS::IAM::ManagedPolicy")) + json.dumps(
        template.find_resources("AWS::IAM::Policy")
    )
    assert policies.count("/notebooks/integ-notebook-access/url") >= 2


def test_the_allow_list_is_the_nat_gateway_eip(synthesized):
    template, _ = synthesized
    (eip_id,) = template.find_resources("AWS::EC2::EIP").keys()
    nat = next(iter(template.find_resources("AWS::EC2::NatGateway").values()))
    assert nat["Properties"]["AllocationId"] == {"Fn::GetAtt": [eip_id, "AllocationId"]}
    (api,) = template.find_resources("AWS::ApiGateway::RestApi").values()
    condition = api["Properties"]["Policy"]["Statement"][0]["Condition"]["NotIpAddress"]
    assert json.dumps({"Fn::GetAtt": [eip_id, "PublicIp"]}) in json.dumps(condition)


def test_notebook_is_named_with_a_five_minute_idle_stop(synthesized):
    template, _ = synthesized
    template.has_resource_properties(
        "AWS::SageMaker::NotebookInstance",
        {"NotebookInstanceName": "integ-notebook-access", "LifecycleConfigName": Match.any_value()},
    )
    # Checks 4a and 4 wait for a stop after five idle minutes: the checker must be told five.
    template.has_resource_properties(
        "AWS::SageMaker::NotebookInstanceLifecycleConfig",
        {"OnStart": [{"Content": on_start_content(app_module.IDLE_TIMEOUT_MINUTES)}]},
    )
    assert app_module.IDLE_TIMEOUT_MINUTES == 5


def test_every_assertion_but_the_start_waits(synthesized):
    _, assertions = synthesized
    found = steps(assertions)
    waiting = {label_ for label_, props, _ in found.values() if "stateMachineArn" in props}
    assert sorted(label_ for label_, _, _ in found.values()) == [
        "notebook InService",
        "notebook Stopped",
        "notebook Stopped",
        "probe inside",
        "probe outside",
        "startNotebookInstance",
        "stream LifecycleConfigOnStart",
        "stream jupyter.log",
    ]
    assert waiting == {label_ for label_, _, _ in found.values()} - {"startNotebookInstance"}
    assert len(assertions.find_resources("AWS::StepFunctions::StateMachine")) == 7


def test_assertions_run_in_order_the_notebook_started_before_the_probes(synthesized):
    """With five idle minutes the notebook stops itself before the assertion stack exists:
    the probes (checks 1-3, 7) run only after it stopped itself (4a), was started and is
    InService again; check 4 comes last, after the probes' kernel is gone."""
    _, assertions = synthesized
    assert chain_of(assertions) == [
        ["notebook Stopped"],
        ["startNotebookInstance"],
        ["notebook InService"],
        ["probe inside", "probe outside"],
        ["stream LifecycleConfigOnStart", "stream jupyter.log"],
        ["notebook Stopped"],
    ]
    (start,) = by_label(assertions, "startNotebookInstance")
    assert start["parameters"] == {"NotebookInstanceName": '"integ-notebook-access"'}


def test_assertion_1_and_3_inside_probe_expects_jupyter_websocket_and_403(synthesized):
    _, assertions = synthesized
    (inside,) = by_label(assertions, "probe inside")
    assert expected_of(inside) == {
        "Payload": {
            "$SerializedJson": {
                "apiStatus": 200,
                "openStatus": 200,
                "websocket": 101,
                "ungranted": 403,
                "notServed": 404,  # granted, but no notebook carries the tag (issue 21)
                "page": 200,
                "strictCsp": True,
                "listingUnsigned": 401,
            }
        }
    }


def test_assertion_2_and_3_outside_probe_expects_refusals(synthesized):
    _, assertions = synthesized
    (outside,) = by_label(assertions, "probe outside")
    assert expected_of(outside) == {
        "Payload": {
            "$SerializedJson": {"apiStatus": 403, "minted": True, "opened": False, "page": 403}
        }
    }


def test_assertion_4_waits_for_stopped_about_the_notebook(synthesized):
    _, assertions = synthesized
    for status in ("Stopped", "InService"):
        for props in by_label(assertions, f"notebook {status}"):
            assert props["parameters"] == {"NotebookInstanceName": '"integ-notebook-access"'}
            assert expected_of(props) == {"NotebookInstanceStatus": status}


def test_assertion_5_expects_both_log_streams(synthesized):
    _, assertions = synthesized
    streams = by_label(assertions, "stream LifecycleConfigOnStart") + by_label(
        assertions, "stream jupyter.log"
    )
    names = sorted(json.loads(p["parameters"]["logStreamNamePrefix"]) for p in streams)
    assert names == [
        "integ-notebook-access/LifecycleConfigOnStart",
        "integ-notebook-access/jupyter.log",
    ]
    for props in streams:
        name = json.loads(props["parameters"]["logStreamNamePrefix"])
        assert json.loads(props["parameters"]["logGroupName"]) == "/aws/sagemaker/NotebookInstances"
        assert expected_of(props)["logStreams"] == {
            "$ArrayWith": [{"$ObjectLike": {"logStreamName": name}}]
        }


# ------------------------------------------------------------- every wait is bounded


def definition(state_machine: dict) -> dict:
    """A waiter's state machine definition, each function GetAtt put back as '@<logical id>'."""
    parts = state_machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    return json.loads(
        "".join(p if isinstance(p, str) else "@" + p["Fn::GetAtt"][0] + "@" for p in parts)
    )


def function_timeout(resources: dict, reference: str | dict) -> int:
    logical_id = reference.strip("@") if isinstance(reference, str) else reference["Fn::GetAtt"][0]
    return resources[logical_id]["Properties"]["Timeout"]


def waits(assertions: Template) -> dict[str, dict]:
    """Each waiting assertion's label -> its waiter, read from the synthesized template:
    retries, interval, backoff, the timeouts of the Lambdas it runs, its resource's limit."""
    resources = assertions.to_json()["Resources"]
    found = {}
    for logical_id, (label_, props, _) in steps(assertions).items():
        if "stateMachineArn" not in props:
            continue
        machine = resources[props["stateMachineArn"]["Ref"]]
        states = definition(machine)["States"]
        check = states["framework-isComplete-task"]
        (retry,) = check["Retry"]
        found[f"{label_} ({logical_id})"] = {
            "retries": retry["MaxAttempts"],
            "interval": retry["IntervalSeconds"],
            "backoff": retry["BackoffRate"],
            "start": function_timeout(resources, props["ServiceToken"]),
            "attempt": function_timeout(resources, check["Resource"]),
            "report": function_timeout(resources, states["framework-onTimeout-task"]["Resource"]),
            "limit": props.get("ServiceTimeout", 3600),
            "gives_up_on": check["Catch"][0]["ErrorEquals"],
        }
    return found


def worst_case(wait: dict) -> float:
    """Seconds until CloudFormation hears back, at worst: the handler starting the execution,
    the first attempt and every retry (Step Functions: MaxAttempts retries after the first
    attempt, IntervalSeconds before the first retry, times BackoffRate after each) each
    running to its Lambda timeout, and onTimeout reporting the failure."""
    pauses = sum(wait["interval"] * wait["backoff"] ** k for k in range(wait["retries"]))
    return wait["start"] + (wait["retries"] + 1) * wait["attempt"] + pauses + wait["report"]


def test_every_wait_answers_within_the_custom_resource_limit(synthesized):
    """CloudFormation fails a custom resource that has not answered within its ServiceTimeout
    (3600 s by default): each waiter must give up and report before that."""
    _, assertions = synthesized
    found = waits(assertions)
    assert len(found) == 7
    for name, wait in found.items():
        assert wait["gives_up_on"] == ["States.ALL"], name
        assert wait["limit"] <= 3600, name
        assert worst_case(wait) <= wait["limit"], f"{name}: {worst_case(wait):.0f} s"
        # The app's synth-time guard reasons with the provider's real timeout.
        assert wait["attempt"] == app_module.PROVIDER_TIMEOUT_SECONDS, name


def test_each_notebook_wait_is_long_enough_for_what_it_waits_for(synthesized):
    _, assertions = synthesized
    found = [(name.split(" (")[0], wait) for name, wait in waits(assertions).items()]

    def waited(wait: dict) -> int:
        return wait["retries"] * wait["interval"]

    # Idle stop: the idle minutes, the checker's 5-minute period, then the stop itself.
    idle_stop = (app_module.IDLE_TIMEOUT_MINUTES + 5 + 5) * 60
    stops = [wait for name, wait in found if name == "notebook Stopped"]
    assert len(stops) == 2
    assert all(waited(wait) >= idle_stop for wait in stops)
    (in_service,) = [wait for name, wait in found if name == "notebook InService"]
    assert waited(in_service) >= 10 * 60


def test_a_wait_over_the_limit_fails_at_synth():
    too_long = app_module.Wait(cdk.Duration.minutes(40), cdk.Duration.minutes(1))
    with pytest.raises(ValueError, match="can take 7560 s, over the custom resource's 3600 s"):
        too_long.apply(None)


def test_a_slow_probe_fails_one_attempt_instead_of_the_assertion(synthesized):
    """The provider answers FAILED 1.2 s before its own timeout, ending the whole assertion:
    a probe must have given up well before."""
    template, assertions = synthesized
    probes = template.find_resources(
        "AWS::Lambda::Function",
        {"Properties": {"Description": Match.string_like_regexp("integ probe")}},
    )
    attempt = min(wait["attempt"] for wait in waits(assertions).values())
    for probe in probes.values():
        assert probe["Properties"]["Timeout"] <= attempt - 10


def test_the_probes_first_attempts_end_within_the_idle_window(synthesized):
    """After InService the notebook can stop itself five idle minutes after Jupyter came up:
    the InService poll and the probes, side by side, must end well inside that window."""
    template, assertions = synthesized
    in_service = next(w for n, w in waits(assertions).items() if n.startswith("notebook InS"))
    probe_timeout = max(
        f["Properties"]["Timeout"]
        for f in template.find_resources(
            "AWS::Lambda::Function",
            {"Properties": {"Description": Match.string_like_regexp("integ probe")}},
        ).values()
    )
    margin = 120  # Jupyter is up before SageMaker reports InService; custom resource hand-over
    assert in_service["interval"] + probe_timeout <= app_module.IDLE_TIMEOUT_MINUTES * 60 - margin


# ------------------------------------------------------------- teardown


def test_the_inside_probe_role_outlives_its_security_group(synthesized):
    """Lambda deletes a VPC function's interfaces with the function's role after the function
    is gone; the group cannot go before them, so the role must go after the group."""
    template, _ = synthesized
    resources = template.to_json()["Resources"]
    (probe,) = (
        r
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::Function"
        and "integ probe" in r["Properties"].get("Description", "")
        and "VpcConfig" in r["Properties"]
    )
    (group,) = probe["Properties"]["VpcConfig"]["SecurityGroupIds"]
    role = probe["Properties"]["Role"]["Fn::GetAtt"][0]
    assert role in resources[group["Fn::GetAtt"][0]]["DependsOn"]
    assert "AWSLambdaVPCAccessExecutionRole" in json.dumps(
        resources[role]["Properties"]["ManagedPolicyArns"]
    )


def test_the_stack_names_the_probe_and_vpc_for_the_teardown(synthesized):
    template, _ = synthesized
    resources = template.to_json()["Resources"]
    outputs = template.to_json()["Outputs"]
    probe = outputs[app_module.PROBE_OUTPUT]["Value"]["Ref"]
    assert "VpcConfig" in resources[probe]["Properties"]
    assert resources[outputs[app_module.VPC_OUTPUT]["Value"]["Ref"]]["Type"] == "AWS::EC2::VPC"
