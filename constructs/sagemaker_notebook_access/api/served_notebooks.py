"""Which notebooks a PresignedUrlApi serves, and the role policies that let it mint for them.

Served by tag (issue 21): one statement, ``MintForTaggedNotebooks``, lets the role mint for
every notebook carrying the API's serving tag, however many (``tagged_mint_statement``);
``NotebookInstance`` objects are served so (notebook/serving.py).

Served by name or prefix (before issue 21, still working): ``ServedNotebooks`` is the
bookkeeping (no CDK: it can be tried before the API exists); ``ServedNotebookPolicies``
writes what it admits into the function policy's ``MintForServedNotebooks`` statement and,
when that is full, into more managed policies on the function's role (api/capacity.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from aws_cdk import Fn, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from ..lambda_src.presigned_url.contract import SERVED_BY_TAG, Env
from ..notebook.instance import NotebookInstance
from ..notebook.ip_policy import PRESIGN_ACTION
from ..notebook.serving import serving_tag_of, tag_as_served
from ..validation import ValidationError, is_token, validate_notebook_name, validating
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

if TYPE_CHECKING:
    from .presigned_url_api import PresignedUrlApi

NotebookRef = NotebookInstance | str


def notebook_arn(scope: Construct, name: str) -> str:
    """The ARN of ``scope``'s account's notebook ``name`` (``*`` and ``prefix*`` too)."""
    # SageMaker writes notebook instance names in lower case inside ARNs (CloudFormation
    # template reference, AWS::SageMaker::NotebookInstance: Ref's example); a token
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
        self.tagged: list[NotebookInstance] = []  # served by the tag: counted nowhere

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
                    "ARNs counted at their longest); serve it by tag instead: add the "
                    "NotebookInstance, or tag the existing notebook notebook-access:served-by "
                    "(docs/fleet.md), which takes no room at all"
                )
            self._rooms.append(MANAGED_POLICY_MAX_CHARS - SERVED_POLICY_OVERHEAD_CHARS)
        self._rooms[-1] -= needed
        self._environment.add_name(name)
        return len(self._rooms) - 1

    def try_admitting(self, notebooks: Iterable[NotebookRef]) -> None:
        """Raise what ``add_notebook`` would for ``notebooks`` (listed ones on copies, tagged
        ones read only): nothing is recorded."""
        trial = ServedNotebooks(self.prefix, self._environment.copy())
        trial._rooms = list(self._rooms)
        seen: set[int] = set()
        for notebook in notebooks:
            if not isinstance(notebook, NotebookInstance):
                trial.admit(served_name(notebook))
            elif id(notebook) in seen or serving_tag_of(notebook) is not None:
                raise ValidationError(
                    f"notebook {notebook.node.path} is already served by an API "
                    f"(its {SERVED_BY_TAG} tag is set): one API serves a notebook"
                )
            seen.add(id(notebook))


def serve_notebook(api: PresignedUrlApi, notebook: NotebookRef) -> None:
    """``PresignedUrlApi.add_notebook``: tag a ``NotebookInstance``, list a name."""
    if isinstance(notebook, NotebookInstance):
        with validating(api):
            tag_as_served(notebook, api.serving_tag_value)
        api._served.tagged.append(notebook)
        return
    with validating(api):
        index = api._served.admit(served_name(notebook))
    if index is not None:
        api.function.add_environment(Env.NOTEBOOK_NAMES, Fn.join(",", api._served.names))
        api._served_policies.add_arn(index, served_arn(api, notebook))


def mint_actions(*, allow_start: bool) -> list[str]:
    """What the role may do to a served notebook: presign, describe, and start if allowed."""
    return [PRESIGN_ACTION, DESCRIBE_ACTION] + ([START_ACTION] if allow_start else [])


def tagged_mint_statement(
    scope: Construct, *, allow_start: bool, serving_id: str
) -> iam.PolicyStatement:
    """Mint for every notebook of the account carrying the serving tag, and no other.

    ``notebook-instance`` supports ``aws:ResourceTag/${TagKey}`` for all three actions
    (Service Authorization Reference, "Actions, resources, and condition keys for Amazon
    SageMaker"); a missing key fails ``StringEquals``, so an untagged notebook, or one
    that does not exist, is refused (IAM user guide, "Condition operators").
    """
    return iam.PolicyStatement(
        sid="MintForTaggedNotebooks",
        actions=mint_actions(allow_start=allow_start),
        resources=[notebook_arn(scope, "*")],
        conditions={"StringEquals": {f"aws:ResourceTag/{SERVED_BY_TAG}": serving_id}},
    )


class ServedNotebookPolicies:
    """The statements listing served ARNs (by name or prefix): ``MintForServedNotebooks`` in
    the function policy, added with its first ARN, then one per ``ServedNotebooksPolicy<n>``
    managed policy, created as ``ServedNotebooks`` asks."""

    def __init__(
        self,
        scope: Construct,
        *,
        function_policy: iam.ManagedPolicy,
        role: iam.IRole,
        function: lambda_.IFunction,
        allow_start: bool,
        prefix: str,
    ) -> None:
        self._scope = scope
        self._function_policy = function_policy
        self._role = role
        self._function = function
        self._actions = mint_actions(allow_start=allow_start)
        self._statements: list[iam.PolicyStatement] = []
        if prefix:
            self._first().add_resources(notebook_arn(scope, f"{prefix}*"))

    def add_arn(self, index: int, arn: str) -> None:
        """List ``arn`` in statement ``index`` (``ServedNotebooks.admit``'s answer)."""
        if index == 0 and not self._statements:
            self._first()
        elif index == len(self._statements):
            self._statements.append(self._new_statement(index + 1))
        self._statements[index].add_resources(arn)

    def _first(self) -> iam.PolicyStatement:
        statement = iam.PolicyStatement(
            sid="MintForServedNotebooks", actions=self._actions, resources=[]
        )
        self._function_policy.add_statements(statement)
        self._statements.append(statement)
        return statement

    def _new_statement(self, number: int) -> iam.PolicyStatement:
        statement = iam.PolicyStatement(
            sid=f"MintForServedNotebooks{number}", actions=self._actions, resources=[]
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
