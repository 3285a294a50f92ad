"""What ``make integ`` runs, in integ/: deploy and assert, destroy, then check 6, whatever failed.

1. ``cdk deploy --all``: the stack, then the assertion stack, whose custom resources run
   checks 1-5 and 7 in order (integ_notebook_access.py); a failed assertion fails it.
2. The inside probe is detached from the VPC: Lambda releases a VPC function's network
   interfaces only some time after, and the subnets and security groups cannot be deleted
   before; detached now, its interfaces go while the destroy deletes everything else.
   (The probe is the harness's own; the library's function is left to CloudFormation,
   whose clean delete is a README claim.)
3. ``cdk destroy --all``, bounded; once more if it failed, after waiting (bounded) for the
   VPC's Lambda network interfaces to go, the usual reason a VPC's delete fails.
4. Check 6 (check_retained.py), always: after a failed destroy it names what is left.

The exit status is 0 only if the deploy, the destroy and check 6 all passed.

    python run_integ.py --region R --cdk "cdk --app '...'" --check "python check_retained.py ..."
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import boto3
from botocore.exceptions import BotoCoreError, ClientError

STACK_NAME = "IntegNotebookAccess"
# The stack's outputs this script reads (integ_notebook_access.py declares them).
PROBE_OUTPUT = "InsideProbeName"
VPC_OUTPUT = "VpcId"

# "When you delete a function, CloudFormation monitors the state of its network interfaces
# and waits for Lambda to delete them" (AWS::Lambda::Function VpcConfig, CloudFormation
# template reference); Lambda deletes them with the function's own permissions ("Giving
# Lambda functions access to resources in an Amazon VPC", Lambda developer guide). That
# wait is reported at 25-40 minutes (aws-cloudformation/cloudformation-coverage-roadmap#392,
# aws/aws-cdk#4119): the destroy gets 75 minutes, a wait for leftover interfaces 30.
DESTROY_TIMEOUT_SECONDS = 75 * 60
ENI_WAIT_SECONDS = 30 * 60
ENI_POLL_SECONDS = 30
DESTROY_ATTEMPTS = 2
# Check 6 makes one describe call per listed resource.
CHECK_TIMEOUT_SECONDS = 10 * 60
# The deploy is not cut short: stopping the CLI does not stop CloudFormation. Each of its
# waits is bounded instead, by the custom resource limit (integ_notebook_access.Wait).
AWS_ERRORS = (BotoCoreError, ClientError)


@dataclass
class Harness:
    """What the steps reach outside this process: commands, AWS and the clock (tests
    replace them)."""

    run: Callable[..., int]
    client: Callable[[str], object]
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic


def run_command(argv: Sequence[str], timeout: float | None = None) -> int:
    """The command's exit status; 124 (as timeout(1)) when it ran past ``timeout``, 127
    when it cannot be started."""
    print(f"==> {shlex.join(argv)}", flush=True)
    try:
        return subprocess.run(argv, check=False, timeout=timeout).returncode  # noqa: S603
    except subprocess.TimeoutExpired:
        print(f"    stopped after {timeout:.0f} s", flush=True)
        return 124
    except OSError as error:
        print(f"    cannot run it: {error}", flush=True)
        return 127


def wait_until(h: Harness, done: Callable[[], bool], timeout: float, poll: float) -> bool:
    """Poll ``done`` until it is true or ``timeout`` seconds have passed."""
    deadline = h.clock() + timeout
    while True:
        if done():
            return True
        if h.clock() + poll > deadline:
            return False
        h.sleep(poll)


def stack_outputs(h: Harness) -> dict[str, str]:
    """The stack's outputs, {} when it does not exist or cannot be read."""
    try:
        (stack,) = h.client("cloudformation").describe_stacks(StackName=STACK_NAME)["Stacks"]
    except AWS_ERRORS as error:
        print(f"    no outputs of {STACK_NAME}: {error}")
        return {}
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def lambda_interfaces(h: Harness, vpc: str) -> list[str]:
    """The network interfaces Lambda holds in the VPC (interface type ``lambda``)."""
    filters = [
        {"Name": "vpc-id", "Values": [vpc]},
        {"Name": "interface-type", "Values": ["lambda"]},
    ]
    pages = h.client("ec2").get_paginator("describe_network_interfaces").paginate(Filters=filters)
    return [eni["NetworkInterfaceId"] for page in pages for eni in page["NetworkInterfaces"]]


def wait_for_lambda_interfaces(h: Harness, vpc: str) -> bool:
    """Wait, at most ENI_WAIT_SECONDS, until Lambda holds no network interface in the VPC."""

    def gone() -> bool:
        left = lambda_interfaces(h, vpc)
        if left:
            print(f"    Lambda network interfaces left in {vpc}: {', '.join(left)}")
        return not left

    try:
        if wait_until(h, gone, ENI_WAIT_SECONDS, ENI_POLL_SECONDS):
            return True
    except AWS_ERRORS as error:
        print(f"    cannot list the network interfaces in {vpc}: {error}")
        return False
    print(f"    still there after {ENI_WAIT_SECONDS // 60} min")
    return False


def release_probe(h: Harness, outputs: dict[str, str]) -> bool:
    """Detach the inside probe from the VPC, so that Lambda starts releasing its network
    interfaces now rather than when CloudFormation deletes the function."""
    name = outputs.get(PROBE_OUTPUT)
    if not name:
        print("==> inside probe: not deployed, nothing to detach")
        return True
    print(f"==> inside probe {name}: detach from the VPC")
    try:
        h.client("lambda").update_function_configuration(
            FunctionName=name, VpcConfig={"SubnetIds": [], "SecurityGroupIds": []}
        )
    except AWS_ERRORS as error:
        print(f"    not detached (CloudFormation will wait for its interfaces): {error}")
        return False
    return True


def destroy(h: Harness, cdk: Sequence[str], vpc: str | None) -> int:
    status = 1
    for attempt in range(1, DESTROY_ATTEMPTS + 1):
        status = h.run([*cdk, "destroy", "--all", "--force"], timeout=DESTROY_TIMEOUT_SECONDS)
        if status == 0 or attempt == DESTROY_ATTEMPTS:
            break
        print(f"FAIL destroy (attempt {attempt}); once more after the VPC's Lambda interfaces")
        if vpc:
            wait_for_lambda_interfaces(h, vpc)
    return status


def integ(h: Harness, cdk: Sequence[str], check: Sequence[str]) -> int:
    deployed = h.run([*cdk, "deploy", "--all", "--require-approval", "never"])
    print(
        "PASS checks 1-5 and 7 (every assertion's waiter succeeded)"
        if deployed == 0
        else "FAIL: a deploy or an assertion failed (the stack events name it)"
    )
    outputs = stack_outputs(h)
    release_probe(h, outputs)
    destroyed = destroy(h, cdk, outputs.get(VPC_OUTPUT))
    print("PASS destroy" if destroyed == 0 else "FAIL destroy: check 6 lists what is left")
    retained = h.run(list(check), timeout=CHECK_TIMEOUT_SECONDS)
    failed = [
        step
        for step, status in (("deploy", deployed), ("destroy", destroyed), ("check 6", retained))
        if status != 0
    ]
    print(f"integ: {'FAIL (' + ', '.join(failed) + ')' if failed else 'PASS'}")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--region", required=True)
    parser.add_argument("--cdk", required=True, help="the CDK CLI command, app included")
    parser.add_argument("--check", required=True, help="check 6's command")
    args = parser.parse_args(argv)
    session = boto3.Session(region_name=args.region)
    harness = Harness(run=run_command, client=session.client)
    return integ(harness, shlex.split(args.cdk), shlex.split(args.check))


if __name__ == "__main__":
    sys.exit(main())
