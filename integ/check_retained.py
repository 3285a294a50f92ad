"""Check 6 of issue 9, after ``cdk destroy``: what is left is only what the README retains.

Lists the resources still tagged ``aws:cloudformation:stack-name=<stack>`` (CloudFormation
tags what it creates; retained resources keep the tag) with the Resource Groups Tagging
API, and fails on any that README's "Clean-up" does not list: KMS keys and log groups.
(The API Gateway account logging role is retained too, but IAM roles are not listed by
this API; SageMaker's own log group is not the stack's.)

    python integ/check_retained.py IntegNotebookAccess [--region eu-west-1]
"""

from __future__ import annotations

import argparse
import sys

import boto3

# ARN prefixes of what "Clean-up: what survives cdk destroy" lists.
RETAINED = {"kms:key": "KMS key", "logs:log-group": "log group"}


def kind(arn: str) -> str | None:
    service, resource = arn.split(":")[2], arn.split(":", 5)[5]
    key = f"{service}:{resource.split('/')[0].split(':')[0]}"
    return RETAINED.get(key)


def left_after_destroy(stack: str, client) -> tuple[list[str], list[str]]:
    """(retained as documented, unexpected) ARNs still tagged with the stack's name."""
    expected, unexpected = [], []
    for page in client.get_paginator("get_resources").paginate(
        TagFilters=[{"Key": "aws:cloudformation:stack-name", "Values": [stack]}]
    ):
        for item in page["ResourceTagMappingList"]:
            arn = item["ResourceARN"]
            (expected if kind(arn) else unexpected).append(arn)
    return expected, unexpected


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stack")
    parser.add_argument("--region")
    args = parser.parse_args(argv)
    client = boto3.client("resourcegroupstaggingapi", region_name=args.region)
    expected, unexpected = left_after_destroy(args.stack, client)
    for arn in expected:
        print(f"  retained (README Clean-up): {arn}")
    for arn in unexpected:
        print(f"  NOT EXPECTED after destroy: {arn}")
    verdict = "FAIL" if unexpected else "PASS"
    print(
        f"{verdict} check 6: {len(expected)} retained as documented, {len(unexpected)} unexpected"
    )
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
