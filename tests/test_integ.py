"""The integration test app of issue 9 (integ/): its snapshot check, and its assertion wiring.

The snapshot check is integ/snapshot.py (integ-runner 2.197.10 cannot read aws-cdk-lib
2.275.0's cloud assembly, schema 55; see docs/integ.md). It runs with no AWS credentials
and passes on the committed snapshot (one real synth, as `make test` runs it), and fails
when the app's template changes (its comparison fed a changed template, no second synth).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template
from botocore.stub import Stubber
from conftest import REPO_ROOT

from sagemaker_notebook_access.idle_stop_lifecycle import on_start_content

INTEG = REPO_ROOT / "integ"
sys.path.insert(0, str(INTEG))

import check_retained  # noqa: E402
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


def calls(assertions: Template) -> dict[tuple[str, str, str], dict]:
    """Each assertion as (service, api, Lambda payload or "") -> its resource."""
    found = {}
    for resource in assertions.to_json()["Resources"].values():
        props = resource.get("Properties", {})
        if not resource["Type"].startswith("Custom::DeployAssert@SdkCall"):
            continue
        payload = json.loads(props["parameters"].get("Payload", '""'))
        found[(props["service"], props["api"], payload)] = resource
    return found


def expected_of(resource: dict):
    return json.loads(resource["Properties"]["expected"])["$ObjectLike"]


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
    # Check 4 waits for a stop after five idle minutes: the checker must be told five.
    template.has_resource_properties(
        "AWS::SageMaker::NotebookInstanceLifecycleConfig",
        {"OnStart": [{"Content": on_start_content(5)}]},
    )


def test_every_assertion_is_wired_and_waits(synthesized):
    _, assertions = synthesized
    assert set(calls(assertions)) == {
        ("Lambda", "invoke", '{"action": "inside"}'),
        ("Lambda", "invoke", '{"action": "outside"}'),
        ("CloudWatchLogs", "describeLogStreams", ""),
        ("SageMaker", "describeNotebookInstance", ""),
    }
    # Five assertions (two log streams), each with wait_for_assertions' waiter.
    assert len(assertions.find_resources("AWS::StepFunctions::StateMachine")) == 5


def test_assertion_1_and_3_inside_probe_expects_jupyter_websocket_and_403(synthesized):
    _, assertions = synthesized
    inside = calls(assertions)[("Lambda", "invoke", '{"action": "inside"}')]
    assert expected_of(inside) == {
        "Payload": {
            "$SerializedJson": {
                "apiStatus": 200,
                "openStatus": 200,
                "websocket": 101,
                "ungranted": 403,
                "page": 200,
                "strictCsp": True,
                "listingUnsigned": 401,
            }
        }
    }


def test_assertion_2_and_3_outside_probe_expects_refusals(synthesized):
    _, assertions = synthesized
    outside = calls(assertions)[("Lambda", "invoke", '{"action": "outside"}')]
    assert expected_of(outside) == {
        "Payload": {
            "$SerializedJson": {"apiStatus": 403, "minted": True, "opened": False, "page": 403}
        }
    }


def test_assertion_4_waits_for_stopped_after_the_probes(synthesized):
    _, assertions = synthesized
    found = calls(assertions)
    stopped = found[("SageMaker", "describeNotebookInstance", "")]
    assert stopped["Properties"]["parameters"] == {
        "NotebookInstanceName": '"integ-notebook-access"'
    }
    assert expected_of(stopped) == {"NotebookInstanceStatus": "Stopped"}
    # .next() chain: the stop wait depends on the log checks, which depend on the probes.
    assert any(d.startswith("AwsApiCallCloudWatchLogs") for d in stopped.get("DependsOn", []))
    outside = found[("Lambda", "invoke", '{"action": "outside"}')]
    assert any(d.startswith("LambdaInvoke") for d in outside.get("DependsOn", []))


def test_assertion_5_expects_both_log_streams(synthesized):
    _, assertions = synthesized
    streams = [
        r["Properties"]
        for r in assertions.to_json()["Resources"].values()
        if r["Type"] == "Custom::DeployAssert@SdkCallCloudWatchLogsdescribeLogStreams"
    ]
    names = sorted(json.loads(p["parameters"]["logStreamNamePrefix"]) for p in streams)
    assert names == [
        "integ-notebook-access/LifecycleConfigOnStart",
        "integ-notebook-access/jupyter.log",
    ]
    for props in streams:
        (name,) = [json.loads(props["parameters"]["logStreamNamePrefix"])]
        assert json.loads(props["expected"])["$ObjectLike"]["logStreams"] == {
            "$ArrayWith": [{"$ObjectLike": {"logStreamName": name}}]
        }


# ------------------------------------------------------------- check 6 (after destroy)


def tagging_client(arns: list[str]):
    import boto3

    client = boto3.client("resourcegroupstaggingapi", region_name="eu-west-1")
    stubber = Stubber(client)
    stubber.add_response(
        "get_resources",
        {"ResourceTagMappingList": [{"ResourceARN": a} for a in arns]},
        {"TagFilters": [{"Key": "aws:cloudformation:stack-name", "Values": ["S"]}]},
    )
    stubber.activate()
    return client


def test_check_retained_accepts_keys_and_log_groups_only():
    keep = [
        "arn:aws:kms:eu-west-1:123456789012:key/1234",
        "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/x",
    ]
    extra = ["arn:aws:ec2:eu-west-1:123456789012:vpc/vpc-1"]
    assert check_retained.left_after_destroy("S", tagging_client(keep)) == (keep, [])
    assert check_retained.left_after_destroy("S", tagging_client(keep + extra)) == (keep, extra)
