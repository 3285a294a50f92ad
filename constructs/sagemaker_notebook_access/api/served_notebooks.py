"""Which notebooks a PresignedUrlApi serves, and the role policies that list their ARNs.

``ServedNotebooks`` is the bookkeeping (no CDK: it can be tried before the API exists);
``ServedNotebookPolicies`` writes what it admits into the function policy's statement and,
when that is full, into more managed policies on the function's role (api/capacity.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from ..notebook.instance import NotebookInstance
from ..notebook.ip_policy import PRESIGN_ACTION
from ..validation import ValidationError, is_token, validate_notebook_name
from .capacity import (
    MANAGED_POLICY_MAX_CHARS,
    MAX_SERVED_NOTEBOOK_POLICIES,
    SERVED_POLICY_OVERHEAD_CHARS,
    arn_chars,
    first_policy_room,
)
from .function_environment import FunctionEnvironment

DESCRIBE_ACTION = "sagemaker:DescribeNotebookInstance"
START_ACTION = "sagemaker:StartNotebookInstance"

NotebookRef = NotebookInstance | str


def notebook_arn(scope: Construct, name: str) -> str:
    """The ARN of ``scope``'s account's notebook ``name`` (``*`` and ``prefix*`` too)."""
    # SageMaker writes notebook instance names in lower case inside ARNs; a token
    # (a generated name) is left to CloudFormation as it is.
    return Stack.of(scope).format_arn(
        service="sagemaker",
        resource="notebook-instance",
        resource_name=name if is_token(name) else name.lower(),
    )


def served_name(notebook: NotebookRef) -> str:
    """The name of a ``NotebookInstance`` or a checked notebook name."""
    if isinstance(notebook, NotebookInstance):
        return notebook.notebook_instance_name
    if isinstance(notebook, str):
        validate_notebook_name(notebook, prop="notebook")
        return notebook
    raise ValidationError(
        f"notebook must be a NotebookInstance or a notebook name, got {type(notebook).__name__}"
    )


def served_arn(scope: Construct, notebook: NotebookRef) -> str:
    """The ARN of a ``NotebookInstance`` or of ``scope``'s account's notebook of that name."""
    if isinstance(notebook, NotebookInstance):
        return notebook.notebook_instance_arn
    return notebook_arn(scope, notebook)


class ServedNotebooks:
    """The served names: by prefix, or listed one by one within the environment and policies.

    Each listed ARN takes room in a policy statement: the function policy's first
    (``first_policy_room``), then up to ``MAX_SERVED_NOTEBOOK_POLICIES`` more.
    """

    def __init__(self, prefix: str, environment: FunctionEnvironment) -> None:
        self.prefix = prefix
        self._environment = environment
        self._rooms = [first_policy_room(prefix)]  # characters each statement has left

    @property
    def names(self) -> list[str]:
        """The names listed one by one (tokens for generated names)."""
        return self._environment.names

    def serves(self, name: str) -> bool:
        """Whether ``name`` is listed or under the prefix."""
        return self.lists(name) or self.by_prefix(name)

    def by_prefix(self, name: str) -> bool:
        """Whether the prefix serves ``name`` (case-sensitive, as the handler compares)."""
        # The prefix ARN matches the lowercase ARN.
        return bool(self.prefix) and not is_token(name) and name.startswith(self.prefix)

    def lists(self, name: str) -> bool:
        """Whether ``name`` is in the explicit list (ARNs, and so names, ignore case)."""
        names = self.names
        if is_token(name):
            return name in names
        return name.lower() in {n.lower() for n in names if not is_token(n)}

    def admit(self, name: str) -> int | None:
        """List ``name``; the index of the statement its ARN goes in, None if the prefix
        serves it. Raises ``ValidationError`` (nothing recorded) when it cannot."""
        if self.by_prefix(name):
            return None
        if self.lists(name):
            raise ValidationError(f"notebook {name!r} is already served by this API")
        self._environment.check_name(name)
        needed = arn_chars(name, is_token=is_token(name))
        if self._rooms[-1] < needed:
            count = len(self._rooms)
            if count > MAX_SERVED_NOTEBOOK_POLICIES:
                raise ValidationError(
                    f"cannot serve notebook {name!r}: the Lambda role's policies are full "
                    f"({count} managed policies of {MANAGED_POLICY_MAX_CHARS} characters, "
                    "ARNs counted at their longest); give the notebooks a common name prefix "
                    "and pass notebook_name_prefix instead of adding them one by one"
                )
            self._rooms.append(MANAGED_POLICY_MAX_CHARS - SERVED_POLICY_OVERHEAD_CHARS)
        self._rooms[-1] -= needed
        self._environment.add_name(name)
        return len(self._rooms) - 1

    def try_admitting(self, notebooks: Iterable[NotebookRef]) -> None:
        """Raise what ``admit`` would for ``notebooks``, on copies: nothing is recorded."""
        trial = ServedNotebooks(self.prefix, self._environment.copy())
        trial._rooms = list(self._rooms)
        for notebook in notebooks:
            trial.admit(served_name(notebook))


def mint_statement(scope: Construct, *, allow_start: bool, prefix: str) -> iam.PolicyStatement:
    """The function policy's statement for the served notebooks (the prefix's ARN first)."""
    statement = iam.PolicyStatement(
        sid="MintForServedNotebooks",
        actions=[PRESIGN_ACTION, DESCRIBE_ACTION] + ([START_ACTION] if allow_start else []),
        resources=[],
    )
    if prefix:
        statement.add_resources(notebook_arn(scope, f"{prefix}*"))
    return statement


class ServedNotebookPolicies:
    """The statements listing served ARNs: ``first`` (in the function policy), then one per
    ``ServedNotebooksPolicy<n>`` managed policy, created as ``ServedNotebooks`` asks."""

    def __init__(
        self,
        scope: Construct,
        *,
        first: iam.PolicyStatement,
        role: iam.IRole,
        function: lambda_.IFunction,
    ) -> None:
        self._scope = scope
        self._role = role
        self._function = function
        self._statements = [first]

    def add_arn(self, index: int, arn: str) -> None:
        """List ``arn`` in statement ``index`` (``ServedNotebooks.admit``'s answer)."""
        if index == len(self._statements):
            self._statements.append(self._new_statement(index + 1))
        self._statements[index].add_resources(arn)

    def _new_statement(self, number: int) -> iam.PolicyStatement:
        statement = iam.PolicyStatement(
            sid=f"MintForServedNotebooks{number}",
            actions=list(self._statements[0].actions),
            resources=[],
        )
        policy = iam.ManagedPolicy(
            self._scope,
            f"ServedNotebooksPolicy{number}",
            description="Presigned URL Lambda: more served notebooks",
            roles=[self._role],
            statements=[statement],
        )
        # The function must not run before its role may mint for every notebook it lists.
        self._function.node.add_dependency(policy)
        return statement
