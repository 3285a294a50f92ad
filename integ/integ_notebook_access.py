"""Integration test app (issue 9): deploys the library in a real account and asserts there.

Written for `@aws-cdk/integ-runner`, which cannot read this aws-cdk-lib's cloud assembly
yet (docs/integ.md): ``make integ`` deploys, asserts and destroys it with the CDK CLI, and
``make test`` synthesizes it and compares with ``integ_notebook_access.py.snapshot/``
(integ/snapshot.py). Deploys:

- a VPC with one NAT gateway whose Elastic IP (a ``CfnEIP`` made here) is the allow-list,
  ``<eip>/32``: a token, which the library documents as unchecked;
- an ``IpRestrictedNotebook`` in that VPC, named, with ``idle_timeout_minutes=5``, and a
  second notebook name served by its API that the probes are not granted;
- two probe Lambdas (inline code from ``probe.py``): one in the VPC behind the NAT, one
  without VPC, both granted with ``grant_open``.

Assertions (numbers as in issue 9 and docs/integ.md), in this order (``chain``), because
with ``idle_timeout_minutes=5`` the notebook stops itself 5-10 minutes after its first
boot, before this stack's API and the assertion stack exist:
 4a. the fresh notebook, never used, stops itself (``Stopped``): the idle stop works, and
     the notebook's state is known whatever the deploy took;
 -   ``StartNotebookInstance``, then wait for ``InService``: the five idle minutes start
     again, now with everything deployed;
 1. (inside probe) a URL with SigV4, opened (HTTP 200 on the notebook host after the
    redirects), a kernel channel WebSocket upgrades (101); 3b. a notebook it is not
    granted is 403, one granted but not served 404; 7a. the portal page is 200 with its
    CSP, its listing 401 unsigned;
 2. (outside probe, beside the inside one) a URL the inside probe minted is refused;
    3a. the API is 403; 7b. the portal page is 403;
 5. the ``LifecycleConfigOnStart`` and ``jupyter.log`` streams exist in CloudWatch Logs;
 4. after the probes' kernel is gone, the notebook stops itself again;
 6. after destroy: ``integ/check_retained.py`` (run by ``integ/run.py``: the stack is gone).

Every wait is a Step Functions retry loop that must answer its custom resource within
CloudFormation's limit (``worst_case_seconds``; tests/apps/test_integ.py reads the bound back
from the synthesized template).

The account and region: ``CDK_INTEG_ACCOUNT``/``CDK_INTEG_REGION`` (integ/snapshot.py sets
them to fixed values for the snapshot), else the CLI's ``CDK_DEFAULT_*``, else fixed
placeholders so that an in-process synth works offline.
"""

from __future__ import annotations

import itertools
import json
import os
from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_lambda as lambda_
from aws_cdk.integ_tests_alpha import ExpectedResult, IApiCall, IDeployAssert, IntegTest, Match
from run_integ import PROBE_OUTPUT, VPC_OUTPUT

from sagemaker_notebook_access import IpRestrictedNotebook, SignIn
from sagemaker_notebook_access.limits import NOTEBOOK_LOG_GROUP

HERE = Path(__file__).resolve().parent
STACK_NAME = "IntegNotebookAccess"
ASSERTION_STACK_NAME = "IntegNotebookAccessAssertions"
NOTEBOOK_NAME = "integ-notebook-access"
UNGRANTED_NAME = "integ-notebook-ungranted"
# Granted to the inside probe but neither tagged nor listed (no notebook has the name): the
# minting role's describe is refused by its aws:ResourceTag condition, which the handler
# answers 404 "not served" (issue 21, docs/fleet.md).
NOT_SERVED_NAME = "integ-notebook-not-served"
IDLE_TIMEOUT_MINUTES = 5
LOG_STREAMS = ("LifecycleConfigOnStart", "jupyter.log")

# CloudFormation fails a custom resource that has not answered within its ServiceTimeout:
# 3600 s by default, and at most ("AWS::CloudFormation::CustomResource", ServiceTimeout,
# CloudFormation template reference). integ-tests-alpha sets none.
CUSTOM_RESOURCE_LIMIT_SECONDS = 3600
# integ-tests-alpha 2.275.0's assertion provider Lambdas (the handler that starts a wait,
# each isComplete attempt, onTimeout) time out at 120 s; tests/apps/test_integ.py reads it back.
PROVIDER_TIMEOUT_SECONDS = 120
# An isComplete attempt that nears the provider's timeout answers FAILED at once ("Lambda
# Function Timeout", 1.2 s before it): a probe must end well before, so that a slow attempt
# counts as one failed attempt and is retried.
PROBE_TIMEOUT = cdk.Duration.seconds(90)


@dataclass(frozen=True)
class Wait:
    """Poll every ``interval`` for up to ``total``: integ-tests-alpha's ``wait_for_assertions``,
    a Step Functions Retry with MaxAttempts = total / interval and no backoff."""

    total: cdk.Duration
    interval: cdk.Duration

    @property
    def retries(self) -> int:
        return int(self.total.to_seconds() // self.interval.to_seconds())

    def worst_case_seconds(self, attempt_seconds: float = PROVIDER_TIMEOUT_SECONDS) -> float:
        """Until CloudFormation hears back, at worst: the handler that starts the execution,
        the first attempt and every retry each running to the timeout, the pauses between
        them, and onTimeout reporting the failure."""
        return attempt_seconds * (self.retries + 3) + self.retries * self.interval.to_seconds()

    def apply(self, call: IApiCall) -> IApiCall:
        worst = self.worst_case_seconds()
        if worst > CUSTOM_RESOURCE_LIMIT_SECONDS:
            raise ValueError(
                f"a wait of {self.total.to_minutes()} min every {self.interval.to_seconds()} s "
                f"can take {worst:.0f} s, over the custom resource's "
                f"{CUSTOM_RESOURCE_LIMIT_SECONDS} s: wait less or poll less often"
            )
        return call.wait_for_assertions(total_timeout=self.total, interval=self.interval)


# Idle stop: Jupyter's start counts as activity, the checker runs every 5 minutes, so a
# notebook nobody uses is Stopped 5-10 minutes after it came up, plus the stop itself.
FRESH_STOP_WAIT = Wait(cdk.Duration.minutes(24), cdk.Duration.minutes(2))
# Starting a stopped notebook (its OnStart script included, capped at 5 minutes).
IN_SERVICE_WAIT = Wait(cdk.Duration.minutes(15), cdk.Duration.minutes(1))
# The probes run within the five idle minutes after InService; a retry after those is moot.
PROBE_WAIT = Wait(cdk.Duration.minutes(5), cdk.Duration.seconds(30))
LOG_WAIT = Wait(cdk.Duration.minutes(5), cdk.Duration.seconds(30))
STOPPED_WAIT = Wait(cdk.Duration.minutes(24), cdk.Duration.minutes(2))

EXPECTED_INSIDE = {
    "apiStatus": 200,
    "openStatus": 200,
    "websocket": 101,
    "ungranted": 403,
    "notServed": 404,
    # 7: the portal's page passes the resource policy's Allow from the allow-list, with its
    # CSP; its listing without a token is the Cognito authorizer's 401.
    "page": 200,
    "strictCsp": True,
    "listingUnsigned": 401,
}
EXPECTED_OUTSIDE = {"apiStatus": 403, "minted": True, "opened": False, "page": 403}


def probe_code() -> str:
    """probe.py without its docstring (inline code must stay under 4096 characters)."""
    return (HERE / "probe.py").read_text().split('"""', 2)[2].lstrip()


def environment() -> cdk.Environment:
    env = os.environ
    return cdk.Environment(
        account=env.get("CDK_INTEG_ACCOUNT") or env.get("CDK_DEFAULT_ACCOUNT") or "123456789012",
        region=env.get("CDK_INTEG_REGION") or env.get("CDK_DEFAULT_REGION") or "eu-west-1",
    )


class NotebookAccessIntegStack(cdk.Stack):
    def __init__(self, scope, id: str, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        eip = ec2.CfnEIP(self, "NatEip", domain="vpc")
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=1,
            nat_gateway_provider=ec2.NatProvider.gateway(
                eip_allocation_ids=[eip.attr_allocation_id]
            ),
            subnet_configuration=[
                ec2.SubnetConfiguration(name="Public", subnet_type=ec2.SubnetType.PUBLIC),
                ec2.SubnetConfiguration(
                    name="Private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS
                ),
            ],
        )
        self.allowed_cidr = cdk.Fn.join("", [eip.attr_public_ip, "/32"])
        self.access = IpRestrictedNotebook(
            self,
            "Access",
            allowed_cidrs=[self.allowed_cidr],
            vpc=self.vpc,
            notebook_instance_name=NOTEBOOK_NAME,
            idle_timeout_minutes=IDLE_TIMEOUT_MINUTES,
            # Domain prefixes are unique per region: the account id makes this one so.
            # Deleted with the stack, so check 6 stays "keys and log groups only".
            sign_in=SignIn(
                domain_prefix=cdk.Fn.join("-", ["integ-notebooks", self.account]),
                removal_policy=cdk.RemovalPolicy.DESTROY,
            ),
        )
        self.access.api.add_notebook(UNGRANTED_NAME)

        common = {
            "runtime": lambda_.Runtime.PYTHON_3_13,
            "handler": "index.handler",
            "code": lambda_.Code.from_inline(probe_code()),
            "timeout": PROBE_TIMEOUT,
        }
        self.inside = lambda_.Function(
            self,
            "InsideProbe",
            description="integ probe: behind the NAT whose EIP is the allow-list",
            vpc=self.vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            environment={
                "API_URL": self.access.api.url,
                "NOTEBOOK": NOTEBOOK_NAME,
                "UNGRANTED": UNGRANTED_NAME,
                "NOT_SERVED": NOT_SERVED_NAME,
            },
            **common,
        )
        (self.inside_security_group,) = self.inside.connections.security_groups
        # Lambda deletes a VPC function's interfaces with the function's role, after the
        # function is gone ("Giving Lambda functions access to resources in an Amazon VPC",
        # Lambda developer guide; aws-cdk#6701). The role (with its VPC access policy) is
        # deleted after the security group, which cannot go while an interface uses it.
        self.inside_security_group.node.add_dependency(self.inside.role)
        self.outside = lambda_.Function(
            self,
            "OutsideProbe",
            description="integ probe: no VPC, an address outside the allow-list",
            environment={
                "API_URL": self.access.api.url,
                "NOTEBOOK": NOTEBOOK_NAME,
                "INSIDE": self.inside.function_name,
            },
            **common,
        )
        # Both are granted: the outside probe's refusals come from the allow-list alone.
        self.access.grant_open(self.inside)
        self.access.grant_open(self.outside)
        self.access.api.grant_open(self.inside, NOT_SERVED_NAME)
        self.inside.grant_invoke(self.outside)
        # For integ/run_integ.py: the probe it detaches before destroy, the VPC it watches.
        cdk.CfnOutput(self, PROBE_OUTPUT, value=self.inside.function_name)
        cdk.CfnOutput(self, VPC_OUTPUT, value=self.vpc.vpc_id)


Step = IApiCall | tuple[IApiCall, ...]


def chain(*steps: Step) -> None:
    """Each step after the one before: every call of a step depends on every call of the
    step before it (``next`` adds the DependsOn); calls within one step run side by side."""
    groups = [step if isinstance(step, tuple) else (step,) for step in steps]
    for before, after in itertools.pairwise(groups):
        for first in before:
            for then in after:
                first.next(then)


def notebook_status(a: IDeployAssert, status: str, wait: Wait) -> IApiCall:
    call = a.aws_api_call(
        "SageMaker", "describeNotebookInstance", {"NotebookInstanceName": NOTEBOOK_NAME}
    )
    call.expect(ExpectedResult.object_like({"NotebookInstanceStatus": status}))
    return wait.apply(call)


def probe(a: IDeployAssert, function: lambda_.IFunction, action: str, expected: dict) -> IApiCall:
    call = a.invoke_function(
        function_name=function.function_name, payload=json.dumps({"action": action})
    )
    call.expect(ExpectedResult.object_like({"Payload": Match.serialized_json(expected)}))
    return PROBE_WAIT.apply(call)


def log_stream(a: IDeployAssert, stream: str) -> IApiCall:
    name = f"{NOTEBOOK_NAME}/{stream}"
    call = a.aws_api_call(
        "CloudWatchLogs",
        "describeLogStreams",
        {"logGroupName": NOTEBOOK_LOG_GROUP, "logStreamNamePrefix": name},
    )
    call.expect(
        ExpectedResult.object_like(
            {"logStreams": Match.array_with([Match.object_like({"logStreamName": name})])}
        )
    )
    return LOG_WAIT.apply(call)


def build(app: cdk.App) -> tuple[NotebookAccessIntegStack, IntegTest]:
    env = environment()
    stack = NotebookAccessIntegStack(app, STACK_NAME, env=env)
    integ = IntegTest(
        app,
        "NotebookAccessInteg",
        test_cases=[stack],
        # In the test stack's environment: the assertions reference its functions.
        assertion_stack=cdk.Stack(app, ASSERTION_STACK_NAME, env=env),
        # The probes' update path is the template; asset hashes are the handler's own.
        diff_assets=False,
        stack_update_workflow=False,
    )
    a = integ.assertions
    # 4a: by the time anything below runs, the notebook may be InService, Stopping or
    # Stopped (its idle minutes began at its first boot): wait until it has stopped itself.
    fresh_stop = notebook_status(a, "Stopped", FRESH_STOP_WAIT)
    # Then start it and wait: the probes below run in its next five idle minutes.
    start = a.aws_api_call(
        "SageMaker", "startNotebookInstance", {"NotebookInstanceName": NOTEBOOK_NAME}
    )
    in_service = notebook_status(a, "InService", IN_SERVICE_WAIT)
    # 1, 3b, 7a: inside probe opens Jupyter, a kernel WebSocket connects, ungranted is 403.
    inside = probe(a, stack.inside, "inside", EXPECTED_INSIDE)
    # 2, 3a, 7b: from outside the allow-list the API, a minted URL and the page are refused.
    outside = probe(a, stack.outside, "outside", EXPECTED_OUTSIDE)
    # 5: the boot's log streams reached CloudWatch through the VPC.
    streams = tuple(log_stream(a, stream) for stream in LOG_STREAMS)
    # 4: the probe deleted its kernel: no activity, and idle stop brings it to Stopped again.
    stopped = notebook_status(a, "Stopped", STOPPED_WAIT)
    chain(fresh_stop, start, in_service, (inside, outside), streams, stopped)
    return stack, integ


if __name__ == "__main__":
    app = cdk.App()
    build(app)
    app.synth()
