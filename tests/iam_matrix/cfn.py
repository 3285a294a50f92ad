"""A synthesized template's IAM documents as they would be in one placeholder account.

Every CloudFormation intrinsic the library's templates use in policies (Ref, Fn::GetAtt,
Fn::Join, Fn::Sub, Fn::Select, Fn::Split, Fn::GetAZs) is resolved with account
111111111111 (a stack deployed elsewhere, a spoke in a member account, names its own),
region eu-west-1, partition aws, and a deterministic physical name or id for each resource
(derived from its stack and logical id). An intrinsic or attribute not known here raises,
naming it: a policy is never guessed at.
"""

from __future__ import annotations

import copy
import hashlib
import re
import uuid
from typing import Any

ACCOUNT = "111111111111"
REGION = "eu-west-1"
PARTITION = "aws"
# An account that is not the stack's: other people's buckets, roles and log groups.
FOREIGN_ACCOUNT = "222222222222"
# A member account with a spoke of the hub (issue 22): neither the hub's nor the outsider's.
SPOKE_ACCOUNT = "333333333333"
PSEUDO = {
    "AWS::Region": REGION,
    "AWS::Partition": PARTITION,
    "AWS::URLSuffix": "amazonaws.com",
}
# What AWS attaches to an endpoint created without a policy ("Default endpoint policy",
# AWS PrivateLink guide, vpc-endpoints-access.html).
DEFAULT_ENDPOINT_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
}


class UnresolvableError(ValueError):
    """The template uses something this resolver does not model."""


def arn(service: str, resource: str, *, region: str = REGION, account: str = ACCOUNT) -> str:
    return f"arn:{PARTITION}:{service}:{region}:{account}:{resource}"


def statements_of(document: dict) -> list[dict]:
    statements = document.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


class ResolvedTemplate:
    """One stack's template, its intrinsics resolved on demand, in ``account`` (the
    stack's explicit account, or the placeholder ACCOUNT for an environment-agnostic one)."""

    def __init__(self, stack_name: str, template: dict, account: str = ACCOUNT) -> None:
        self.stack_name = stack_name
        self.template = template
        self.account = account
        self.resources: dict[str, dict] = template["Resources"]

    def arn(self, service: str, resource: str) -> str:
        """An ARN of this stack's account and the region."""
        return arn(service, resource, account=self.account)

    # ------------------------------------------------------------ names and ids

    def _digest(self, logical_id: str) -> str:
        return hashlib.sha256(f"{self.stack_name}/{logical_id}".encode()).hexdigest()

    def _generated_name(self, logical_id: str, limit: int = 64) -> str:
        # CloudFormation's pattern: <stack>-<logical id>-<random suffix>.
        suffix = self._digest(logical_id)[:12].upper()
        return f"{self.stack_name}-{logical_id}"[: limit - len(suffix) - 1] + "-" + suffix

    def _prop(self, logical_id: str, name: str) -> Any:
        value = self.resource(logical_id).get("Properties", {}).get(name)
        return None if value is None else self.value(value)

    def resource(self, logical_id: str) -> dict:
        try:
            return self.resources[logical_id]
        except KeyError:
            raise UnresolvableError(f"{self.stack_name} has no resource {logical_id}") from None

    def type_of(self, logical_id: str) -> str:
        return self.resource(logical_id)["Type"]

    def of_type(self, type_: str) -> dict[str, dict]:
        return {k: v for k, v in self.resources.items() if v["Type"] == type_}

    def notebook_name(self, logical_id: str) -> str:
        given = self._prop(logical_id, "NotebookInstanceName")
        if given:
            return given
        return f"{logical_id[:40]}-{self._digest(logical_id)[:12]}"

    def log_group_name(self, logical_id: str) -> str:
        return self._prop(logical_id, "LogGroupName") or self._generated_name(logical_id, 512)

    def ref(self, logical_id: str) -> str:
        if logical_id == "AWS::AccountId":
            return self.account
        if logical_id in PSEUDO:
            return PSEUDO[logical_id]
        if logical_id == "AWS::StackName":
            return self.stack_name
        if logical_id == "AWS::StackId":
            stack_uuid = uuid.UUID(self._digest("AWS::StackId")[:32])
            return self.arn("cloudformation", f"stack/{self.stack_name}/{stack_uuid}")
        type_ = self.type_of(logical_id)
        digest = self._digest(logical_id)
        prefixed_ids = {
            "AWS::EC2::VPCEndpoint": "vpce-",
            "AWS::EC2::VPC": "vpc-",
            "AWS::EC2::Subnet": "subnet-",
            "AWS::EC2::SecurityGroup": "sg-",
            "AWS::EC2::RouteTable": "rtb-",
            "AWS::EC2::FlowLog": "fl-",
        }
        if type_ in prefixed_ids:
            return prefixed_ids[type_] + digest[:17]
        if type_ in ("AWS::IAM::Role", "AWS::IAM::Group", "AWS::IAM::User"):
            name_prop = {"AWS::IAM::Role": "RoleName", "AWS::IAM::Group": "GroupName"}.get(
                type_, "UserName"
            )
            return self._prop(logical_id, name_prop) or self._generated_name(logical_id)
        if type_ == "AWS::IAM::ManagedPolicy":
            name = self._prop(logical_id, "ManagedPolicyName") or self._generated_name(logical_id)
            return f"arn:{PARTITION}:iam::{self.account}:policy/{name}"
        if type_ == "AWS::KMS::Key":
            return str(uuid.UUID(digest[:32]))
        if type_ == "AWS::Logs::LogGroup":
            return self.log_group_name(logical_id)
        if type_ == "AWS::ApiGateway::RestApi":
            return digest[:10]
        if type_ == "AWS::ApiGateway::Stage":
            return self._prop(logical_id, "StageName")
        if type_ in (
            "AWS::ApiGateway::Deployment",
            "AWS::ApiGateway::Resource",
            "AWS::ApiGateway::Authorizer",
        ):
            return digest[:6]
        if type_ == "AWS::SageMaker::NotebookInstance":
            # Ref returns the ARN (AWS::SageMaker::NotebookInstance, CloudFormation reference).
            return self.get_att(logical_id, "NotebookInstanceArn")
        if type_ == "AWS::SageMaker::NotebookInstanceLifecycleConfig":
            return self.get_att(logical_id, "NotebookInstanceLifecycleConfigName")
        if type_ == "AWS::Lambda::Function":
            return self._prop(logical_id, "FunctionName") or self._generated_name(logical_id)
        if type_ == "AWS::Cognito::UserPool":
            return f"{REGION}_{digest[:9]}"
        if type_ == "AWS::Cognito::UserPoolClient":
            return digest[:26]
        if type_ == "AWS::Cognito::UserPoolDomain":
            return self._prop(logical_id, "Domain")
        raise UnresolvableError(f"Ref to {type_} ({self.stack_name}/{logical_id}) is not modelled")

    def get_att(self, logical_id: str, attribute: str) -> str:
        type_ = self.type_of(logical_id)
        if (type_, attribute) == ("AWS::IAM::Role", "Arn"):
            return f"arn:{PARTITION}:iam::{self.account}:role/{self.ref(logical_id)}"
        if (type_, attribute) == ("AWS::IAM::User", "Arn"):
            return f"arn:{PARTITION}:iam::{self.account}:user/{self.ref(logical_id)}"
        if (type_, attribute) == ("AWS::IAM::Group", "Arn"):
            return f"arn:{PARTITION}:iam::{self.account}:group/{self.ref(logical_id)}"
        if (type_, attribute) == ("AWS::KMS::Key", "Arn"):
            return self.arn("kms", f"key/{self.ref(logical_id)}")
        if (type_, attribute) == ("AWS::Logs::LogGroup", "Arn"):
            # The Arn attribute ends in ":*" (AWS::Logs::LogGroup, CloudFormation reference).
            return self.arn("logs", f"log-group:{self.log_group_name(logical_id)}:*")
        if type_ == "AWS::SageMaker::NotebookInstance":
            name = self.notebook_name(logical_id)
            if attribute == "NotebookInstanceName":
                return name
            if attribute == "NotebookInstanceArn":
                # SageMaker writes the name in lower case inside the ARN.
                return self.arn("sagemaker", f"notebook-instance/{name.lower()}")
        if (type_, attribute) == (
            "AWS::SageMaker::NotebookInstanceLifecycleConfig",
            "NotebookInstanceLifecycleConfigName",
        ):
            return self._generated_name(logical_id, 63)
        if (type_, attribute) == ("AWS::EC2::SecurityGroup", "GroupId"):
            return self.ref(logical_id)
        if (type_, attribute) == ("AWS::ApiGateway::RestApi", "RootResourceId"):
            return self._digest(logical_id + "/root")[:10]
        if (type_, attribute) == ("AWS::Lambda::Function", "Arn"):
            return self.arn("lambda", f"function:{self.ref(logical_id)}")
        if (type_, attribute) == ("AWS::Cognito::UserPool", "Arn"):
            return self.arn("cognito-idp", f"userpool/{self.ref(logical_id)}")
        raise UnresolvableError(
            f"Fn::GetAtt {attribute} of {type_} ({self.stack_name}/{logical_id}) is not modelled"
        )

    # ------------------------------------------------------------ intrinsics

    def value(self, node: Any) -> Any:
        """``node`` with every intrinsic resolved."""
        if isinstance(node, list):
            return [self.value(item) for item in node]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, argument),) = node.items()
            if key == "Ref":
                return self.ref(argument)
            if key == "Fn::GetAtt":
                logical_id, attribute = (
                    argument.split(".", 1) if isinstance(argument, str) else argument
                )
                return self.get_att(logical_id, attribute)
            if key == "Fn::Join":
                separator, parts = argument
                return separator.join(str(part) for part in as_list(self.value(parts)))
            if key == "Fn::Select":
                index, items = argument
                return as_list(self.value(items))[int(self.value(index))]
            if key == "Fn::Split":
                separator, text = argument
                return self.value(text).split(separator)
            if key == "Fn::GetAZs":
                return [f"{REGION}{zone}" for zone in "abc"]
            if key == "Fn::Sub":
                return self._sub(argument)
            if key.startswith("Fn::") or key == "Condition":
                raise UnresolvableError(f"{key} is not modelled ({self.stack_name})")
        return {key: self.value(item) for key, item in node.items()}

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument

        def replace(match: re.Match) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(self.value(variables[name]))
            if "." in name and name.split(".", 1)[0] in self.resources:
                return self.get_att(*name.split(".", 1))
            return self.ref(name)

        return re.sub(r"\$\{([^}]+)\}", replace, text)

    # ------------------------------------------------------------ policies

    def identity_policies(self, kind: str, logical_id: str) -> list[dict]:
        """Every identity policy of a role, user or group, as ``{"name", "policy"}``.

        ``kind`` is the property that lists principals on a policy: Roles, Users or Groups.
        Customer-managed policies are named by logical id; AWS-managed ones cannot be read
        from a template and are refused.
        """
        ref = {"Ref": logical_id}
        found = []
        for type_, documents in (
            ("AWS::IAM::ManagedPolicy", "PolicyDocument"),
            ("AWS::IAM::Policy", "PolicyDocument"),
        ):
            for policy_id, policy in self.of_type(type_).items():
                if ref in policy["Properties"].get(kind, []):
                    found.append(
                        {"name": policy_id, "policy": self.value(policy["Properties"][documents])}
                    )
        own = self.resource(logical_id).get("Properties", {})
        for inline in own.get("Policies", []):
            found.append(
                {
                    "name": f"{logical_id}/{inline['PolicyName']}",
                    "policy": self.value(inline["PolicyDocument"]),
                }
            )
        for managed in own.get("ManagedPolicyArns", []):
            resolved = self.value(managed)
            local = self._local_managed_policy(managed)
            if local is None:
                raise UnresolvableError(
                    f"{logical_id} has managed policy {resolved}, which is not in the template"
                )
            found.append(local)
        return found

    def permission_boundaries(self, logical_id: str) -> list[dict] | None:
        boundary = self.resource(logical_id).get("Properties", {}).get("PermissionsBoundary")
        if boundary is None:
            return None
        local = self._local_managed_policy(boundary)
        if local is None:
            raise UnresolvableError(
                f"{logical_id}'s permissions boundary {self.value(boundary)} is not in the template"
            )
        return [local]

    def _local_managed_policy(self, reference: Any) -> dict | None:
        if isinstance(reference, dict) and set(reference) == {"Ref"}:
            policy_id = reference["Ref"]
            if self.resources.get(policy_id, {}).get("Type") == "AWS::IAM::ManagedPolicy":
                return {
                    "name": policy_id,
                    "policy": self.value(self.resources[policy_id]["Properties"]["PolicyDocument"]),
                }
        return None

    def key_policy(self, logical_id: str) -> dict:
        return self.value(self.resource(logical_id)["Properties"]["KeyPolicy"])

    def trust_policy(self, logical_id: str) -> dict:
        return self.value(self.resource(logical_id)["Properties"]["AssumeRolePolicyDocument"])

    def rest_api_policy(self, logical_id: str) -> dict:
        """The REST API's resource policy, its ``execute-api:/...`` resources expanded to the
        full ARNs API Gateway stores them as (API Gateway developer guide, "Create and attach
        an API Gateway resource policy to an API")."""
        policy = copy.deepcopy(self.value(self.resource(logical_id)["Properties"]["Policy"]))
        prefix = self.arn("execute-api", self.ref(logical_id))
        for statement in statements_of(policy):
            for field in ("Resource", "NotResource"):
                if field in statement:
                    statement[field] = [
                        prefix + r.removeprefix("execute-api:")
                        if r.startswith("execute-api:")
                        else r
                        for r in as_list(statement[field])
                    ]
        return policy

    def endpoint_policy(self, logical_id: str) -> dict:
        """The VPC endpoint's policy in the form iam-simulate evaluates.

        iam-simulate accepts only ``"Principal": "*"`` in an endpoint policy. A statement that
        names AWS principals is rewritten to ``"*"`` plus the condition that selects the same
        requests: ``aws:PrincipalArn`` for a role or user ARN (a role's sessions carry the role
        ARN there), ``aws:PrincipalAccount`` for an account. This is the form the PrivateLink
        guide prescribes for gateway endpoints ("Principals for gateway endpoints").
        """
        document = self.resource(logical_id)["Properties"].get("PolicyDocument")
        if document is None:
            return copy.deepcopy(DEFAULT_ENDPOINT_POLICY)
        policy = copy.deepcopy(self.value(document))
        policy["Statement"] = [_principal_as_condition(s) for s in statements_of(policy)]
        return policy


def _principal_as_condition(statement: dict) -> dict:
    principal = statement.get("Principal")
    if principal in ("*", {"AWS": "*"}):
        return {**statement, "Principal": "*"}
    if not isinstance(principal, dict) or set(principal) != {"AWS"}:
        raise UnresolvableError(f"endpoint policy principal {principal!r} is not modelled")
    accounts, arns = [], []
    for value in as_list(principal["AWS"]):
        account = re.fullmatch(r"(?:arn:[^:]+:iam::)?(\d{12})(?::root)?", value)
        (accounts.append(account.group(1)) if account else arns.append(value))
    if accounts and arns:
        # Two conditions in one statement are ANDed; the principals were ORed.
        raise UnresolvableError(f"endpoint statement names accounts and ARNs: {principal!r}")
    condition = copy.deepcopy(statement.get("Condition", {}))
    for operator, key, values in (
        ("ArnEquals", "aws:PrincipalArn", arns),
        ("StringEquals", "aws:PrincipalAccount", accounts),
    ):
        if values:
            if key in condition.get(operator, {}):
                raise UnresolvableError(f"endpoint statement already conditions on {key}")
            condition.setdefault(operator, {})[key] = values
    return {**statement, "Principal": "*", "Condition": condition}
