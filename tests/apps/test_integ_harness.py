"""What `make integ` does around the deploy, offline: integ/run_integ.py's steps and bounds,
the Makefile's integ recipe, and check 6 (integ/check_retained.py).

run_integ.py is driven with stand-in commands, clock and AWS clients (botocore's Stubber);
the recipe runs for real with a stand-in CDK CLI and check; check 6 runs against moto for
every describe call, behind a Resource Groups Tagging API (Stubber) that still lists
resources that were deleted.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from botocore.stub import Stubber
from conftest import REPO_ROOT
from moto import mock_aws

INTEG = REPO_ROOT / "integ"
sys.path.insert(0, str(INTEG))

import check_retained  # noqa: E402
import run_integ  # noqa: E402

REGION = "eu-west-1"
CDK = ["cdk", "--app", "python integ_notebook_access.py"]
CHECK = ["check6", "IntegNotebookAccess"]
PROBE = "IntegNotebookAccess-InsideProbe9CC6C573-abc"
VPC = "vpc-0123456789abcdef0"


# ------------------------------------------------------------- run_integ.py (the steps)


class Commands:
    """Stand-in for the CDK CLI and check 6: each command's statuses in turn, and a clock
    that moves only when the harness sleeps."""

    def __init__(self, deploy=0, destroy=(0,), check=0):
        self.statuses = {"deploy": [deploy], "destroy": list(destroy), "check": [check]}
        self.ran: list[tuple[str, float | None]] = []
        self.now = 0.0
        self.slept = 0.0

    def run(self, argv, timeout=None) -> int:
        step = "check" if argv[0] == "check6" else argv[len(CDK)]
        self.ran.append((step, timeout))
        return self.statuses[step].pop(0)

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds

    def steps(self) -> list[str]:
        return [step for step, _ in self.ran]


def stubbed(service: str) -> tuple[object, Stubber]:
    client = boto3.client(service, region_name=REGION)
    return client, Stubber(client)


def aws(outputs: dict | None, eni_polls: list[list[str]] = (), detach: bool = True):
    """Stubbed clients: the stack's outputs (None: no such stack), the detach call, and one
    describe_network_interfaces answer per poll. Returns (client factory, stubbers)."""
    cloudformation, cfn = stubbed("cloudformation")
    if outputs is None:
        cfn.add_client_error(
            "describe_stacks", "ValidationError", "Stack with id IntegNotebookAccess does not exist"
        )
    else:
        cfn.add_response(
            "describe_stacks",
            {
                "Stacks": [
                    {
                        "StackName": "IntegNotebookAccess",
                        "CreationTime": "2026-01-01T00:00:00Z",
                        "StackStatus": "CREATE_COMPLETE",
                        "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()],
                    }
                ]
            },
            {"StackName": "IntegNotebookAccess"},
        )
    lambda_, lam = stubbed("lambda")
    if detach and outputs and run_integ.PROBE_OUTPUT in outputs:
        lam.add_response(
            "update_function_configuration",
            {"FunctionName": PROBE},
            {"FunctionName": PROBE, "VpcConfig": {"SubnetIds": [], "SecurityGroupIds": []}},
        )
    ec2, ec2_stub = stubbed("ec2")
    for left in eni_polls:
        ec2_stub.add_response(
            "describe_network_interfaces",
            {"NetworkInterfaces": [{"NetworkInterfaceId": eni} for eni in left]},
            {
                "Filters": [
                    {"Name": "vpc-id", "Values": [VPC]},
                    {"Name": "interface-type", "Values": ["lambda"]},
                ]
            },
        )
    stubs = [cfn, lam, ec2_stub]
    for stub in stubs:
        stub.activate()
    clients = {"cloudformation": cloudformation, "lambda": lambda_, "ec2": ec2}
    return clients.__getitem__, stubs


def integ(commands: Commands, client) -> int:
    harness = run_integ.Harness(
        run=commands.run, client=client, sleep=commands.sleep, clock=lambda: commands.now
    )
    return run_integ.integ(harness, CDK, CHECK)


DEPLOYED = {run_integ.PROBE_OUTPUT: PROBE, run_integ.VPC_OUTPUT: VPC}


def test_a_failed_destroy_still_runs_check_6_and_fails(capsys):
    commands = Commands(destroy=(1, 1))
    client, stubs = aws(DEPLOYED, eni_polls=[[]])
    assert integ(commands, client) == 1
    assert commands.steps() == ["deploy", "destroy", "destroy", "check"]
    for stub in stubs:
        stub.assert_no_pending_responses()  # detached the probe; looked for interfaces once
    out = capsys.readouterr().out
    assert "FAIL destroy: check 6 lists what is left" in out
    assert out.rstrip().endswith("integ: FAIL (destroy)")


def test_everything_passing_exits_0_in_this_order(capsys):
    commands = Commands()
    client, stubs = aws(DEPLOYED)
    assert integ(commands, client) == 0
    assert commands.steps() == ["deploy", "destroy", "check"]
    for stub in stubs:
        stub.assert_no_pending_responses()  # the probe was detached before the destroy
    assert capsys.readouterr().out.rstrip().endswith("integ: PASS")


def test_a_destroy_that_passes_the_second_time_passes():
    commands = Commands(destroy=(1, 0))
    client, _ = aws(DEPLOYED, eni_polls=[["eni-1"], []])
    assert integ(commands, client) == 0
    assert commands.steps() == ["deploy", "destroy", "destroy", "check"]
    assert commands.slept == run_integ.ENI_POLL_SECONDS  # one poll saw eni-1, the next none


def test_a_failed_deploy_still_destroys_and_checks(capsys):
    commands = Commands(deploy=1)
    client, _ = aws(None)  # the stack rolled back: no outputs, nothing to detach
    assert integ(commands, client) == 1
    assert commands.steps() == ["deploy", "destroy", "check"]
    out = capsys.readouterr().out
    assert "FAIL: a deploy or an assertion failed" in out
    assert out.rstrip().endswith("integ: FAIL (deploy)")


def test_check_6_failing_fails_make_integ(capsys):
    commands = Commands(check=1)
    client, _ = aws(DEPLOYED)
    assert integ(commands, client) == 1
    assert capsys.readouterr().out.rstrip().endswith("integ: FAIL (check 6)")


def test_the_wait_for_network_interfaces_is_bounded():
    polls = run_integ.ENI_WAIT_SECONDS // run_integ.ENI_POLL_SECONDS + 1
    commands = Commands(destroy=(1, 1))
    client, stubs = aws(DEPLOYED, eni_polls=[["eni-stuck"]] * polls)
    assert integ(commands, client) == 1
    assert commands.slept <= run_integ.ENI_WAIT_SECONDS
    assert commands.steps() == ["deploy", "destroy", "destroy", "check"]
    stubs[2].assert_no_pending_responses()


def test_destroy_and_check_6_have_time_limits():
    commands = Commands(destroy=(1, 1))
    client, _ = aws(DEPLOYED, eni_polls=[[]])
    integ(commands, client)
    limits = dict(commands.ran[1:])
    assert limits == {
        "destroy": run_integ.DESTROY_TIMEOUT_SECONDS,
        "check": run_integ.CHECK_TIMEOUT_SECONDS,
    }
    assert all(limits.values())


def test_aws_out_of_reach_still_destroys_and_checks():
    def unreachable(service):
        client = boto3.client(service, region_name=REGION)
        stub = Stubber(client)
        stub.activate()

        def fail(**kwargs):
            raise EndpointConnectionError(endpoint_url="https://cloudformation")

        client.meta.events.register("before-call.*.*", fail)
        return client

    commands = Commands()
    assert integ(commands, unreachable) == 0
    assert commands.steps() == ["deploy", "destroy", "check"]


def test_run_command_bounds_what_it_runs():
    assert run_integ.run_command(["sleep", "5"], timeout=0.2) == 124
    assert run_integ.run_command(["/nonexistent/cdk"]) == 127
    assert run_integ.run_command(["false"]) == 1


# ------------------------------------------------------------- the Makefile's integ recipe


def make_integ(tmp_path: Path, deploy: int, destroy: int, check: int):
    """`make integ` as written, with a stand-in CDK CLI and check 6 that log their calls, and
    AWS out of reach (a closed local port): the set-up prerequisites are not remade."""
    log = tmp_path / "calls.log"
    cdk = tmp_path / "cdk"
    cdk.write_text(
        '#!/bin/bash\necho "cdk $1" >> "$CALLS"\n'
        'case "$1" in deploy) exit $DEPLOY;; destroy) exit $DESTROY;; esac\n'
    )
    check6 = tmp_path / "check6"
    check6.write_text('#!/bin/bash\necho "check $*" >> "$CALLS"\nexit $CHECK\n')
    for script in (cdk, check6):
        script.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_"))}
    env.update(
        CALLS=str(log),
        DEPLOY=str(deploy),
        DESTROY=str(destroy),
        CHECK=str(check),
        AWS_ENDPOINT_URL="http://127.0.0.1:9",
        AWS_MAX_ATTEMPTS="1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
    )
    not_remade = ["setup", ".venv/.dev", ".venv/.runtime", "node_modules/.installed"]
    result = subprocess.run(
        [
            "make",
            "--no-print-directory",
            *(f"--old-file={target}" for target in not_remade),
            "integ",
            "CDK_INTEG_ACCOUNT=111122223333",
            f"CDK_INTEG_REGION={REGION}",
            f"INTEG_CDK={cdk}",
            f"INTEG_CHECK={check6} --region {REGION}",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return result, log.read_text().splitlines() if log.exists() else []


def test_make_integ_runs_check_6_after_a_failed_destroy_and_fails(tmp_path):
    result, calls = make_integ(tmp_path, deploy=0, destroy=1, check=0)
    assert calls == [
        "cdk deploy",
        "cdk destroy",
        "cdk destroy",
        f"check --region {REGION}",
    ], result.stdout + result.stderr
    assert result.returncode != 0
    assert "integ: FAIL (destroy)" in result.stdout


def test_make_integ_passes_when_every_step_passes(tmp_path):
    result, calls = make_integ(tmp_path, deploy=0, destroy=0, check=0)
    assert calls == ["cdk deploy", "cdk destroy", f"check --region {REGION}"]
    assert result.returncode == 0, result.stdout + result.stderr


def test_make_integ_gives_check_6_both_stacks():
    dry = subprocess.run(
        [
            "make",
            "-n",
            "--old-file=setup",
            "--old-file=.venv/.dev",
            "integ",
            "CDK_INTEG_ACCOUNT=111122223333",
            f"CDK_INTEG_REGION={REGION}",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    ).stdout
    assert "run_integ.py --region eu-west-1" in dry
    assert (
        "check_retained.py IntegNotebookAccess IntegNotebookAccessAssertions --region eu-west-1"
        in dry
    )


# ------------------------------------------------------------- check 6 (check_retained.py)


@pytest.fixture
def moto_aws():
    with mock_aws():
        yield


def zipped_handler() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return None\n")
    return buffer.getvalue()


def left_behind() -> dict[str, dict[str, str]]:
    """Resources made in moto, as the tagging API would still list them after a destroy:
    {"retained" | "gone" | "unexpected": {arn: what its describe call must name}}."""
    c = {s: boto3.client(s, region_name=REGION) for s in ("ec2", "kms", "logs", "iam")}
    found: dict[str, dict[str, str]] = {"retained": {}, "gone": {}, "unexpected": {}}

    key = c["kms"].create_key()["KeyMetadata"]
    found["retained"][key["Arn"]] = key["Arn"]
    c["logs"].create_log_group(logGroupName="/aws/lambda/integ-probe")
    found["retained"][f"arn:aws:logs:{REGION}:123456789012:log-group:/aws/lambda/integ-probe:*"] = (
        "/aws/lambda/integ-probe"
    )

    # Deleted by the destroy, still listed.
    scheduled = c["kms"].create_key()["KeyMetadata"]
    c["kms"].schedule_key_deletion(KeyId=scheduled["KeyId"], PendingWindowInDays=7)
    found["gone"][scheduled["Arn"]] = scheduled["Arn"]
    vpc = c["ec2"].create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = c["ec2"].create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
    eip = c["ec2"].allocate_address(Domain="vpc")["AllocationId"]
    nat = c["ec2"].create_nat_gateway(SubnetId=subnet, AllocationId=eip)["NatGateway"]
    c["ec2"].delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])  # stays listed as deleted
    group = c["ec2"].create_security_group(GroupName="g", Description="d", VpcId=vpc)["GroupId"]
    c["ec2"].delete_security_group(GroupId=group)
    c["ec2"].delete_subnet(SubnetId=subnet)
    c["ec2"].release_address(AllocationId=eip)
    c["ec2"].delete_vpc(VpcId=vpc)
    for kind, id_ in (
        ("vpc", vpc),
        ("subnet", subnet),
        ("natgateway", nat["NatGatewayId"]),
        ("security-group", group),
        ("elastic-ip", eip),
    ):
        found["gone"][f"arn:aws:ec2:{REGION}:123456789012:{kind}/{id_}"] = id_
    role = c["iam"].create_role(RoleName="probe", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lambda_ = boto3.client("lambda", region_name=REGION)
    function = lambda_.create_function(
        FunctionName="integ-probe",
        Runtime="python3.13",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": zipped_handler()},
    )["FunctionArn"]
    lambda_.delete_function(FunctionName="integ-probe")
    found["gone"][function] = "integ-probe"
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    notebook = sagemaker.create_notebook_instance(
        NotebookInstanceName="integ-notebook-access", InstanceType="ml.t3.medium", RoleArn=role
    )["NotebookInstanceArn"]
    sagemaker.stop_notebook_instance(NotebookInstanceName="integ-notebook-access")
    sagemaker.delete_notebook_instance(NotebookInstanceName="integ-notebook-access")
    found["gone"][notebook] = "integ-notebook-access"
    apigateway = boto3.client("apigateway", region_name=REGION)
    api = apigateway.create_rest_api(name="integ")["id"]
    apigateway.delete_rest_api(restApiId=api)
    found["gone"][f"arn:aws:apigateway:{REGION}::/restapis/{api}"] = api
    cognito = boto3.client("cognito-idp", region_name=REGION)
    pool = cognito.create_user_pool(PoolName="integ")["UserPool"]
    cognito.delete_user_pool(UserPoolId=pool["Id"])
    found["gone"][pool["Arn"]] = pool["Id"]
    return found


def still_there() -> dict[str, str]:
    """Resources a destroy should have deleted and did not."""
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    group = ec2.create_security_group(GroupName="left", Description="d", VpcId=vpc)["GroupId"]
    return {
        f"arn:aws:ec2:{REGION}:123456789012:vpc/{vpc}": vpc,
        f"arn:aws:ec2:{REGION}:123456789012:security-group/{group}": group,
    }


class Recorded:
    """Client factory: moto's clients, a stubbed tagging API listing ``arns`` for stack S,
    and every call made through them."""

    def __init__(self, arns: list[str]):
        self.calls: list[tuple[str, dict]] = []
        self.clients: dict[str, object] = {}
        tagging = boto3.client("resourcegroupstaggingapi", region_name=REGION)
        stub = Stubber(tagging)
        stub.add_response(
            "get_resources",
            {"ResourceTagMappingList": [{"ResourceARN": arn} for arn in arns]},
            {"TagFilters": [{"Key": "aws:cloudformation:stack-name", "Values": ["S"]}]},
        )
        stub.activate()
        self.tagging = stub
        self.clients["resourcegroupstaggingapi"] = self.record(tagging)

    def record(self, client):
        def note(params, model, **kwargs):
            self.calls.append((model.name, dict(params)))

        client.meta.events.register("provide-client-params.*.*", note)
        return client

    def __call__(self, service: str):
        if service not in self.clients:
            self.clients[service] = self.record(boto3.client(service, region_name=REGION))
        return self.clients[service]

    def describe_calls(self) -> list[tuple[str, dict]]:
        return [(name, params) for name, params in self.calls if name != "GetResources"]


def run_check(arns: list[str], capsys) -> tuple[int, str, Recorded]:
    client = Recorded(arns)
    status = check_retained.main(["S"], client=client)
    client.tagging.assert_no_pending_responses()
    return status, capsys.readouterr().out, client


def test_resources_the_tagging_api_still_lists_after_their_deletion_pass(moto_aws, capsys):
    world = left_behind()
    arns = [*world["retained"], *world["gone"]]
    status, out, _ = run_check(arns, capsys)
    assert status == 0, out
    n = len(world["gone"])
    assert out.rstrip().endswith(f"PASS check 6: 2 retained, {n} gone, 0 unexpected, 0 unconfirmed")
    for arn in world["gone"]:
        assert f"  gone: {arn} (listed by the tagging API, deleted)" in out


def test_each_listed_resource_is_confirmed_by_its_own_describe_call(moto_aws, capsys):
    world = left_behind()
    names = {**world["retained"], **world["gone"]}
    _, _, client = run_check(list(names), capsys)
    calls = client.describe_calls()
    assert len(calls) == len(names), calls
    for arn, name in names.items():
        naming = [
            call
            for call in calls
            if any(
                name in (value if isinstance(value, list) else [value])
                for value in call[1].values()
            )
        ]
        assert len(naming) == 1, f"{arn}: {naming}"


def test_a_resource_the_destroy_left_fails_check_6(moto_aws, capsys):
    world = left_behind()
    left = still_there()
    status, out, _ = run_check([*world["retained"], *world["gone"], *left], capsys)
    assert status == 1
    for arn in left:
        assert f"  NOT EXPECTED after destroy: {arn} (still exists)" in out
    assert "2 unexpected, 0 unconfirmed" in out


def test_a_kind_with_no_describe_call_is_not_taken_as_gone(moto_aws, capsys):
    topic = f"arn:aws:sns:{REGION}:123456789012:integ-alarms"
    status, out, _ = run_check([topic], capsys)
    assert status == 1
    assert f"  NOT CONFIRMED: {topic} (no describe call for sns:integ-alarms)" in out


def test_a_refused_describe_call_is_not_taken_as_gone(moto_aws, capsys):
    vpc = f"arn:aws:ec2:{REGION}:123456789012:vpc/vpc-1"
    client = Recorded([vpc])
    ec2 = boto3.client("ec2", region_name=REGION)
    refused = Stubber(ec2)
    refused.add_client_error("describe_vpcs", "UnauthorizedOperation", "not allowed")
    refused.activate()
    client.clients["ec2"] = ec2
    assert check_retained.main(["S"], client=client) == 1
    assert "NOT CONFIRMED" in capsys.readouterr().out


# Every resource type of the integ stacks either has tags of its own (CloudFormation tags it
# with the stack's name, so the tagging API can list it: check 6 needs its describe call)
# or has none (CloudFormation cannot tag it; the tagging API never lists it).
TAGGED = {
    "AWS::ApiGateway::RestApi": ("apigateway", "restapis"),
    "AWS::ApiGateway::Stage": ("apigateway", "stages"),
    "AWS::CloudWatch::Alarm": ("cloudwatch", "alarm"),
    "AWS::Cognito::UserPool": ("cognito-idp", "userpool"),
    "AWS::EC2::EIP": ("ec2", "elastic-ip"),
    "AWS::EC2::FlowLog": ("ec2", "vpc-flow-log"),
    "AWS::EC2::InternetGateway": ("ec2", "internet-gateway"),
    "AWS::EC2::NatGateway": ("ec2", "natgateway"),
    "AWS::EC2::RouteTable": ("ec2", "route-table"),
    "AWS::EC2::SecurityGroup": ("ec2", "security-group"),
    "AWS::EC2::Subnet": ("ec2", "subnet"),
    "AWS::EC2::VPC": ("ec2", "vpc"),
    "AWS::EC2::VPCEndpoint": ("ec2", "vpc-endpoint"),
    "AWS::IAM::Role": ("iam", "role"),
    "AWS::KMS::Key": ("kms", "key"),
    "AWS::Lambda::Function": ("lambda", "function"),
    "AWS::Logs::LogGroup": ("logs", "log-group"),
    "AWS::SageMaker::NotebookInstance": ("sagemaker", "notebook-instance"),
    "AWS::StepFunctions::StateMachine": ("states", "stateMachine"),
    "AWS::WAFv2::WebACL": ("wafv2", "webacl"),
}
UNTAGGED = {
    "AWS::ApiGateway::Account",
    "AWS::ApiGateway::Authorizer",
    "AWS::ApiGateway::Deployment",
    "AWS::ApiGateway::GatewayResponse",
    "AWS::ApiGateway::Method",
    "AWS::ApiGateway::Model",
    "AWS::ApiGateway::RequestValidator",
    "AWS::ApiGateway::Resource",
    "AWS::CloudWatch::Dashboard",
    "AWS::Cognito::ManagedLoginBranding",
    "AWS::Cognito::UserPoolClient",
    "AWS::Cognito::UserPoolDomain",
    "AWS::EC2::Route",
    "AWS::EC2::SecurityGroupEgress",
    "AWS::EC2::SecurityGroupIngress",
    "AWS::EC2::SubnetRouteTableAssociation",
    "AWS::EC2::VPCGatewayAttachment",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::Policy",
    "AWS::Lambda::Permission",
    "AWS::Logs::MetricFilter",
    "AWS::SageMaker::NotebookInstanceLifecycleConfig",
    "AWS::WAFv2::LoggingConfiguration",
    "AWS::WAFv2::WebACLAssociation",
}


def test_every_resource_type_the_integ_stacks_create_is_covered_by_check_6():
    snapshot = INTEG / "integ_notebook_access.py.snapshot"
    types = {
        resource["Type"]
        for path in snapshot.glob("*.template.json")
        for resource in json.loads(path.read_text())["Resources"].values()
        if not resource["Type"].startswith("Custom::")
    }
    unknown = sorted(types - set(TAGGED) - UNTAGGED)
    assert not unknown, f"classify these for check 6 (TAGGED or UNTAGGED): {unknown}"
    for type_ in types & set(TAGGED):
        assert TAGGED[type_] in check_retained.DESCRIBE, f"{type_}: no describe call"


def test_arns_are_read_into_the_kind_their_describe_call_takes():
    kinds = {
        "arn:aws:kms:eu-west-1:1:key/k": ("kms", "key", "k"),
        "arn:aws:logs:eu-west-1:1:log-group:/aws/x:*": ("logs", "log-group", "/aws/x"),
        "arn:aws:lambda:eu-west-1:1:function:f": ("lambda", "function", "f"),
        "arn:aws:ec2:eu-west-1:1:natgateway/nat-1": ("ec2", "natgateway", "nat-1"),
        "arn:aws:apigateway:eu-west-1::/restapis/a/stages/prod": ("apigateway", "stages", None),
        "arn:aws:apigateway:eu-west-1::/restapis/a": ("apigateway", "restapis", None),
        "arn:aws:wafv2:eu-west-1:1:regional/webacl/n/i": ("wafv2", "webacl", None),
        "arn:aws:states:eu-west-1:1:stateMachine:m": ("states", "stateMachine", "m"),
    }
    for text, (service, kind, name) in kinds.items():
        arn = check_retained.Arn.parse(text)
        assert (arn.service, arn.kind) == (service, kind), text
        if name is not None:
            assert arn.name == name, text
