"""Check 6 of issue 9, after ``cdk destroy``: what is left is only what the README retains.

Finds the resources tagged ``aws:cloudformation:stack-name=<stack>`` (CloudFormation tags
what it creates; retained resources keep the tag) with the Resource Groups Tagging API,
then asks each one's own service whether it still exists: ``GetResources`` "returns all
the tagged or previously tagged resources" (Resource Groups Tagging API reference), and
deleted resources stay in its answer for a while (aws/aws-sdk#302, boto/boto3#3341).

Each listed ARN is one of:
- retained: it exists and README's "Clean-up" lists its kind (KMS keys, log groups);
- gone: its describe call says it is deleted or being deleted (the listing lags);
- unexpected: it exists and is not something the README retains;
- unconfirmed: no describe call for its kind here, or the call failed otherwise.
Check 6 fails on any unexpected or unconfirmed resource. IAM roles are not listed by
``GetResources`` ("does not currently support IAM users and roles"), so the API Gateway
account logging role is not checked; SageMaker's own log group is not the stack's.

    python integ/check_retained.py STACK [STACK ...] [--region eu-west-1]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import boto3
from botocore.exceptions import BotoCoreError, ClientError

# Kinds (service, resource type) that "Clean-up: what survives cdk destroy" lists.
RETAINED = {("kms", "key"): "KMS key", ("logs", "log-group"): "log group"}
RESULTS = ("retained", "gone", "unexpected", "unconfirmed")

# Error codes that mean "no such resource" for the calls below.
NOT_FOUND = {
    "NotFoundException",  # kms, apigateway
    "ResourceNotFoundException",  # lambda, cognito-idp, logs
    "WAFNonexistentItemException",  # wafv2
    "StateMachineDoesNotExist",  # stepfunctions
    "NoSuchEntity",  # iam
}


@dataclass(frozen=True)
class Arn:
    text: str
    service: str
    resource: str  # everything after the account field

    @classmethod
    def parse(cls, arn: str) -> Arn:
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn":
            raise ValueError(f"not an ARN: {arn!r}")
        return cls(arn, parts[2], parts[5])

    @property
    def kind(self) -> str:
        """The resource type: ``key/ID`` -> key, ``log-group:NAME`` -> log-group,
        ``/restapis/ID/stages/NAME`` -> stages, ``regional/webacl/NAME/ID`` -> webacl."""
        if self.service == "apigateway":
            return self.resource.strip("/").split("/")[-2]
        if self.service == "wafv2":
            return self.resource.split("/")[1]
        return self.resource.replace(":", "/").split("/")[0]

    @property
    def name(self) -> str:
        """What follows the resource type (``log-group:NAME:*`` -> NAME)."""
        rest = self.resource[len(self.kind) + 1 :]
        return rest.removesuffix(":*")


Client = Callable[[str], object]
# A describe call: True if the resource exists (and is not being deleted), False if gone.
Describe = Callable[[Client, Arn], bool]


def ec2(call: str, ids: str, key: str, gone_states: tuple[str, ...] = ()) -> Describe:
    def describe(client: Client, arn: Arn) -> bool:
        found = getattr(client("ec2"), call)(**{ids: [arn.name]})[key]
        states = [str(item.get("State", "")).lower() for item in found]
        return bool(found) and not any(state in gone_states for state in states)

    return describe


def kms_key(client: Client, arn: Arn) -> bool:
    key = client("kms").describe_key(KeyId=arn.text)["KeyMetadata"]
    return key["KeyState"] not in ("PendingDeletion", "PendingReplicaDeletion")


def log_group(client: Client, arn: Arn) -> bool:
    groups = client("logs").describe_log_groups(logGroupNamePrefix=arn.name)["logGroups"]
    return any(group["logGroupName"] == arn.name for group in groups)


def lambda_function(client: Client, arn: Arn) -> bool:
    client("lambda").get_function(FunctionName=arn.name)
    return True


def notebook(client: Client, arn: Arn) -> bool:
    try:
        found = client("sagemaker").describe_notebook_instance(NotebookInstanceName=arn.name)
    except ClientError as error:
        # SageMaker answers a missing record with a ValidationException ("RecordNotFound").
        if "RecordNotFound" in str(error) or "does not exist" in str(error):
            return False
        raise
    return found["NotebookInstanceStatus"] != "Deleting"


def rest_api(client: Client, arn: Arn) -> bool:
    client("apigateway").get_rest_api(restApiId=arn.resource.strip("/").split("/")[1])
    return True


def stage(client: Client, arn: Arn) -> bool:
    _, api, _, name = arn.resource.strip("/").split("/")
    client("apigateway").get_stage(restApiId=api, stageName=name)
    return True


def user_pool(client: Client, arn: Arn) -> bool:
    client("cognito-idp").describe_user_pool(UserPoolId=arn.name)
    return True


def web_acl(client: Client, arn: Arn) -> bool:
    scope, _, name, id_ = arn.resource.split("/")
    scope = "CLOUDFRONT" if scope == "global" else "REGIONAL"
    client("wafv2").get_web_acl(Name=name, Scope=scope, Id=id_)
    return True


def state_machine(client: Client, arn: Arn) -> bool:
    found = client("stepfunctions").describe_state_machine(stateMachineArn=arn.text)
    return found.get("status") != "DELETING"


def alarm(client: Client, arn: Arn) -> bool:
    found = client("cloudwatch").describe_alarms(AlarmNames=[arn.name])
    return bool(found["MetricAlarms"] or found["CompositeAlarms"])


def iam_role(client: Client, arn: Arn) -> bool:
    client("iam").get_role(RoleName=arn.name.split("/")[-1])
    return True


# One describe call per kind the integ stacks create and the tagging API can list
# (tests/apps/test_integ.py checks every resource type in the synthesized templates against it).
DESCRIBE: dict[tuple[str, str], Describe] = {
    ("ec2", "vpc"): ec2("describe_vpcs", "VpcIds", "Vpcs"),
    ("ec2", "subnet"): ec2("describe_subnets", "SubnetIds", "Subnets"),
    ("ec2", "security-group"): ec2("describe_security_groups", "GroupIds", "SecurityGroups"),
    ("ec2", "security-group-rule"): ec2(
        "describe_security_group_rules", "SecurityGroupRuleIds", "SecurityGroupRules"
    ),
    ("ec2", "route-table"): ec2("describe_route_tables", "RouteTableIds", "RouteTables"),
    ("ec2", "internet-gateway"): ec2(
        "describe_internet_gateways", "InternetGatewayIds", "InternetGateways"
    ),
    # A deleted NAT gateway and VPC endpoint stay visible for a while, in state deleted.
    ("ec2", "natgateway"): ec2(
        "describe_nat_gateways", "NatGatewayIds", "NatGateways", ("deleting", "deleted")
    ),
    ("ec2", "vpc-endpoint"): ec2(
        "describe_vpc_endpoints", "VpcEndpointIds", "VpcEndpoints", ("deleting", "deleted")
    ),
    ("ec2", "elastic-ip"): ec2("describe_addresses", "AllocationIds", "Addresses"),
    ("ec2", "network-interface"): ec2(
        "describe_network_interfaces", "NetworkInterfaceIds", "NetworkInterfaces"
    ),
    ("ec2", "vpc-flow-log"): ec2("describe_flow_logs", "FlowLogIds", "FlowLogs"),
    ("kms", "key"): kms_key,
    ("logs", "log-group"): log_group,
    ("lambda", "function"): lambda_function,
    ("sagemaker", "notebook-instance"): notebook,
    ("apigateway", "restapis"): rest_api,
    ("apigateway", "stages"): stage,
    ("cognito-idp", "userpool"): user_pool,
    ("wafv2", "webacl"): web_acl,
    ("states", "stateMachine"): state_machine,
    ("cloudwatch", "alarm"): alarm,
    ("iam", "role"): iam_role,
}


def is_not_found(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code", "")
    # EC2's are <Thing>.NotFound or <Thing>NotFound (InvalidVpcID.NotFound, NatGatewayNotFound).
    return code in NOT_FOUND or code.endswith("NotFound")


def classify(arn: str, client: Client) -> tuple[str, str]:
    """(one of RESULTS, why) for one listed ARN, from its own describe call."""
    try:
        parsed = Arn.parse(arn)
    except ValueError as error:
        return "unconfirmed", str(error)
    describe = DESCRIBE.get((parsed.service, parsed.kind))
    if describe is None:
        return "unconfirmed", f"no describe call for {parsed.service}:{parsed.kind}"
    try:
        exists = describe(client, parsed)
    except ClientError as error:
        if not is_not_found(error):
            return "unconfirmed", f"describe failed: {error}"
        exists = False
    except BotoCoreError as error:
        return "unconfirmed", f"describe failed: {error}"
    if not exists:
        return "gone", "listed by the tagging API, deleted"
    retained = RETAINED.get((parsed.service, parsed.kind))
    if retained:
        return "retained", f"{retained} (README Clean-up)"
    return "unexpected", "still exists"


def listed(stack: str, client: Client) -> list[str]:
    """The ARNs the tagging API lists for the stack, deleted ones included."""
    pages = (
        client("resourcegroupstaggingapi")
        .get_paginator("get_resources")
        .paginate(TagFilters=[{"Key": "aws:cloudformation:stack-name", "Values": [stack]}])
    )
    return [item["ResourceARN"] for page in pages for item in page["ResourceTagMappingList"]]


def left_after_destroy(stacks: list[str], client: Client) -> dict[str, list[tuple[str, str]]]:
    """{result: [(arn, why), ...]} for every ARN listed for the stacks."""
    found: dict[str, list[tuple[str, str]]] = {result: [] for result in RESULTS}
    for stack in stacks:
        for arn in listed(stack, client):
            result, why = classify(arn, client)
            found[result].append((arn, why))
    return found


def main(argv: list[str] | None = None, client: Client | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stacks", nargs="+")
    parser.add_argument("--region")
    args = parser.parse_args(argv)
    if client is None:
        session = boto3.Session(region_name=args.region)
        client = cache(session.client)
    found = left_after_destroy(args.stacks, client)
    labels = {
        "retained": "retained",
        "gone": "gone",
        "unexpected": "NOT EXPECTED after destroy",
        "unconfirmed": "NOT CONFIRMED",
    }
    for result in RESULTS:
        for arn, why in found[result]:
            print(f"  {labels[result]}: {arn} ({why})")
    bad = len(found["unexpected"]) + len(found["unconfirmed"])
    counts = ", ".join(f"{len(found[result])} {result}" for result in RESULTS)
    print(f"{'FAIL' if bad else 'PASS'} check 6: {counts}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
