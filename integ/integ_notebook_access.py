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

Assertions (numbers as in issue 9 and docs/integ.md):
 1. the inside probe gets a URL with SigV4, opens it (HTTP 200 on the notebook host after
    the redirects) and a kernel channel WebSocket upgrades (101);
 2. the outside probe, opening a URL the inside probe minted, is refused;
 3. the outside probe calling the API is refused (403), and the inside probe calling it for
    the notebook it is not granted gets 403;
 4. with no activity the notebook reaches ``Stopped`` (bounded wait);
 5. the ``LifecycleConfigOnStart`` and ``jupyter.log`` streams exist in CloudWatch Logs;
 7. with a portal (``sign_in``): the page answers 200 with its CSP inside the allow-list
    and 403 outside; its listing without a token is 401 (checked by the two probes);
 6. after destroy: ``integ/check_retained.py`` (not an assertion: it runs after the stack
    is gone).

The account and region: ``CDK_INTEG_ACCOUNT``/``CDK_INTEG_REGION`` (integ/snapshot.py sets
them to fixed values for the snapshot), else the CLI's ``CDK_DEFAULT_*``, else fixed
placeholders so that an in-process synth works offline.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_lambda as lambda_
from aws_cdk.integ_tests_alpha import ExpectedResult, IntegTest, Match

from sagemaker_notebook_access import IpRestrictedNotebook, SignIn
from sagemaker_notebook_access.limits import NOTEBOOK_LOG_GROUP

HERE = Path(__file__).resolve().parent
STACK_NAME = "IntegNotebookAccess"
ASSERTION_STACK_NAME = "IntegNotebookAccessAssertions"
NOTEBOOK_NAME = "integ-notebook-access"
UNGRANTED_NAME = "integ-notebook-ungranted"
IDLE_TIMEOUT_MINUTES = 5
LOG_STREAMS = ("LifecycleConfigOnStart", "jupyter.log")
# Notebook creation waits for InService (CloudFormation); the idle checker then needs the
# timeout plus its own period; API Gateway and NAT need a minute after create.
STOPPED_WAIT = cdk.Duration.minutes(40)
PROBE_WAIT = cdk.Duration.minutes(10)
EXPECTED_INSIDE = {
    "apiStatus": 200,
    "openStatus": 200,
    "websocket": 101,
    "ungranted": 403,
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
            "timeout": cdk.Duration.minutes(2),
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
            },
            **common,
        )
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
        self.inside.grant_invoke(self.outside)


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

    # 1 and 3b: inside probe opens Jupyter, a kernel WebSocket connects, ungranted is 403.
    inside = a.invoke_function(
        function_name=stack.inside.function_name, payload=json.dumps({"action": "inside"})
    )
    inside.expect(ExpectedResult.object_like({"Payload": Match.serialized_json(EXPECTED_INSIDE)}))
    inside.wait_for_assertions(total_timeout=PROBE_WAIT, interval=cdk.Duration.seconds(30))

    # 2 and 3a: from outside the allow-list the API and a minted URL are refused.
    outside = a.invoke_function(
        function_name=stack.outside.function_name, payload=json.dumps({"action": "outside"})
    )
    outside.expect(ExpectedResult.object_like({"Payload": Match.serialized_json(EXPECTED_OUTSIDE)}))
    outside.wait_for_assertions(total_timeout=PROBE_WAIT, interval=cdk.Duration.seconds(30))

    # 5: the first boot's log streams reached CloudWatch through the VPC.
    streams = []
    for stream in LOG_STREAMS:
        call = a.aws_api_call(
            "CloudWatchLogs",
            "describeLogStreams",
            {
                "logGroupName": NOTEBOOK_LOG_GROUP,
                "logStreamNamePrefix": f"{NOTEBOOK_NAME}/{stream}",
            },
        )
        call.expect(
            ExpectedResult.object_like(
                {
                    "logStreams": Match.array_with(
                        [Match.object_like({"logStreamName": f"{NOTEBOOK_NAME}/{stream}"})]
                    )
                }
            )
        )
        call.wait_for_assertions(total_timeout=PROBE_WAIT, interval=cdk.Duration.seconds(30))
        streams.append(call)

    # 4: no activity after the probe deleted its kernel: idle stop brings it to Stopped.
    stopped = a.aws_api_call(
        "SageMaker", "describeNotebookInstance", {"NotebookInstanceName": NOTEBOOK_NAME}
    )
    stopped.expect(ExpectedResult.object_like({"NotebookInstanceStatus": "Stopped"}))
    stopped.wait_for_assertions(total_timeout=STOPPED_WAIT, interval=cdk.Duration.minutes(1))

    # Order: the probes use the notebook while it is InService, the stop wait comes last.
    inside.next(outside).next(streams[0]).next(streams[1]).next(stopped)
    return stack, integ


if __name__ == "__main__":
    app = cdk.App()
    build(app)
    app.synth()
