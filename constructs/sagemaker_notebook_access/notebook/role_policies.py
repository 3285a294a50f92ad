"""The notebook role's managed policies: what SageMaker needs to create and first boot the
notebook (volume key, its own log streams; no entitlement tags), and what the notebook may
do to itself (describe; stop, for idle stop). ``NotebookInstance`` creates them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from ..acknowledgments import DESCRIBE_LOG_STREAMS_RULE, GENERATED_NAME_STREAM_RULES, acknowledge
from ..limits import NOTEBOOK_LOG_GROUP, NOTEBOOK_LOG_STREAM_SUFFIXES
from .tag_guard import tag_guard_statements

if TYPE_CHECKING:
    from .instance import NotebookInstance


def create_execution_policy(
    notebook: NotebookInstance, given_name: str | None
) -> iam.ManagedPolicy:
    """What the role needs while SageMaker creates and first boots the notebook.

    In one policy the notebook waits for: the volume key (SageMaker creates the volume
    with it) and the log streams (SageMaker writes the first boot's
    LifecycleConfigOnStart and jupyter.log while CloudFormation still waits for
    InService). It names the notebook, not its attributes (a generated name is unknown
    until it exists). A managed policy, not key.grant's inline one.
    """
    policy = iam.ManagedPolicy(
        notebook,
        "ExecutionPolicy",
        description=f"Least privilege for notebook {notebook.node.path}: its volume key and "
        "logs; no notebook-access: tags",
        statements=[
            *volume_key_statements(notebook),
            *log_statements(notebook, given_name),
            # Every user of the notebook holds this role: none may grant access.
            *tag_guard_statements(),
        ],
    )
    attach(notebook, policy)
    notebook.cfn_notebook_instance.node.add_dependency(policy)
    acknowledge(
        policy,
        DESCRIBE_LOG_STREAMS_RULE,
        *(() if given_name else GENERATED_NAME_STREAM_RULES),
    )
    return policy


def create_self_management_policy(notebook: NotebookInstance) -> iam.ManagedPolicy:
    # Describing and stopping itself names the notebook's ARN, so this policy follows
    # the notebook; idle stop needs it only after idle_timeout_minutes.
    policy = iam.ManagedPolicy(
        notebook,
        "SelfManagementPolicy",
        description=f"Notebook {notebook.node.path} may describe"
        + (" and stop itself" if notebook.lifecycle_config is not None else " itself"),
        statements=[self_management_statement(notebook)],
    )
    attach(notebook, policy)
    return policy


def volume_key_statements(notebook: NotebookInstance) -> list[iam.PolicyStatement]:
    key = [notebook.encryption_key.key_arn]
    return [
        iam.PolicyStatement(
            sid="UseVolumeKey",
            actions=["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
            resources=key,
        ),
        # Grants only for an AWS service acting for the role (the volume's), never one a
        # notebook user makes with the role's credentials: kms:GrantIsForAWSResource is
        # true only "when an AWS service integrated with AWS KMS calls the CreateGrant
        # ... operation on the user's behalf" ("Controlling access to grants", KMS
        # developer guide; the key policy default that CDK writes uses it the same way).
        iam.PolicyStatement(
            sid="GrantVolumeKeyToAwsServices",
            actions=["kms:CreateGrant"],
            resources=key,
            conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
        ),
    ]


def attach(notebook: NotebookInstance, policy: iam.ManagedPolicy) -> None:
    if isinstance(notebook.role, iam.Role):
        # From the policy's side: the role's own list would make the role wait for a
        # policy that names this notebook, which waits for the role.
        policy.attach_to_role(notebook.role)
    else:
        # An imported role: add_managed_policy leaves a mutable=False role untouched.
        notebook.role.add_managed_policy(policy)


def log_statements(scope: Construct, given_name: str | None) -> list[iam.PolicyStatement]:
    """Write the notebook's own streams in SageMaker's notebook log group.

    The actions are those the SageMaker developer guide lists for a notebook's execution
    role ("CreateNotebookInstance API: Execution Role Permissions"). Each is granted on
    the resource it is authorized against, not the one it reads as:

    - CloudWatch Logs authorizes every action but TagResource, UntagResource and
      ListTagsForResource against the log group's ARN **with** ``:*`` appended
      ("Overview of managing access permissions to your CloudWatch Logs resources",
      CloudWatch Logs user guide); the Service Authorization Reference lists
      CreateLogGroup on ``log-group:NAME`` and CreateLogStream on the log-stream ARN.
      So CreateLogGroup names both forms of the one group, and CreateLogStream and
      DescribeLogStreams the ``:*`` form (which also matches every stream ARN of the
      group): without ``:*`` SageMaker cannot create the group in a fresh region, and no
      notebook log ever arrives.
    - PutLogEvents is authorized against the log-stream ARN, so writing stays scoped
      to this notebook's streams. A name CloudFormation generates is unknown before the
      notebook exists, so then the streams are those of any notebook
      (``*/jupyter.log``): pass ``notebook_instance_name`` for per-notebook streams.
    """
    stack = Stack.of(scope)
    log_group_arn = stack.format_arn(
        service="logs",
        resource="log-group",
        resource_name=NOTEBOOK_LOG_GROUP,
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
    streams_of = given_name or "*"
    return [
        iam.PolicyStatement(
            sid="CreateNotebookLogGroup",
            actions=["logs:CreateLogGroup"],
            resources=[log_group_arn, f"{log_group_arn}:*"],
        ),
        iam.PolicyStatement(
            sid="FindAndCreateLogStreams",
            actions=["logs:CreateLogStream", "logs:DescribeLogStreams"],
            resources=[f"{log_group_arn}:*"],
        ),
        iam.PolicyStatement(
            sid="WriteOwnLogStreams",
            actions=["logs:PutLogEvents"],
            resources=[
                f"{log_group_arn}:log-stream:{streams_of}/{suffix}"
                for suffix in NOTEBOOK_LOG_STREAM_SUFFIXES
            ],
        ),
    ]


def self_management_statement(notebook: NotebookInstance) -> iam.PolicyStatement:
    # Stopping itself is for idle auto-stop only; disabled, the role cannot stop it.
    stops_itself = notebook.lifecycle_config is not None
    return iam.PolicyStatement(
        sid="DescribeAndStopItself" if stops_itself else "DescribeItself",
        actions=["sagemaker:DescribeNotebookInstance"]
        + (["sagemaker:StopNotebookInstance"] if stops_itself else []),
        resources=[notebook.notebook_instance_arn],
    )
