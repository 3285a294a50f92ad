"""NotebookInstance: a SageMaker notebook instance that is hardened unless told otherwise.

KMS-encrypted volume, inside a private subnet of your VPC, no direct internet,
no root, IMDSv2 only, Amazon Linux 2023, and an execution role that can do
almost nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import CfnTag, RemovalPolicy, Resource
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from constructs import Construct

from ..log_key import grants_only_for_aws_services
from ..monitoring.alarms import DEFAULT_RUNNING_HOURS
from ..monitoring.notebook_monitoring import NotebookMonitoring
from ..network.endpoint_reach import EndpointReach
from ..network.security_groups import https_out_security_group
from ..network.subnets import notebook_subnet
from ..notebook.entitlement import entitlement_tags
from ..notebook.idle_stop_lifecycle import idle_stop_lifecycle_config
from ..validation import (
    VOLUME_SIZE_MAX_GB,
    VOLUME_SIZE_MIN_GB,
    validate_instance_type,
    validate_int_range,
    validate_notebook_name,
    validating,
)
from .role_policies import create_execution_policy, create_self_management_policy

DEFAULT_INSTANCE_TYPE = "ml.t3.medium"
DEFAULT_VOLUME_SIZE_GB = 5
PLATFORM_IDENTIFIER = "notebook-al2023-v1"
DEFAULT_IDLE_TIMEOUT_MINUTES = 60
# The checker runs every 5 minutes: a shorter timeout could not be honoured.
IDLE_TIMEOUT_MIN_MINUTES = 5
IDLE_TIMEOUT_MAX_MINUTES = 1440


def check_notebook_props(
    *,
    notebook_instance_name: str | None,
    instance_type: str,
    volume_size_in_gb: int,
    idle_timeout_minutes: int | None,
    owners: Sequence[str],
    groups: Sequence[str],
) -> dict[str, str]:
    """Refuse a bad ``NotebookInstance`` prop; return the notebook's owner/group tags.

    The ValidationError names no construct: call it inside ``validating(scope, id)``, as
    ``NotebookInstance`` does, and as a construct that creates one does before it exists.
    """
    tags = entitlement_tags(owners, groups)
    validate_notebook_name(notebook_instance_name)
    validate_int_range(
        idle_timeout_minutes,
        prop="idle_timeout_minutes",
        minimum=IDLE_TIMEOUT_MIN_MINUTES,
        maximum=IDLE_TIMEOUT_MAX_MINUTES,
        unit="minutes",
    )
    validate_instance_type(instance_type)
    validate_int_range(
        volume_size_in_gb,
        prop="volume_size_in_gb",
        minimum=VOLUME_SIZE_MIN_GB,
        maximum=VOLUME_SIZE_MAX_GB,
        unit="GB",
    )
    return tags


class NotebookInstance(Resource):
    """A SageMaker notebook instance with secure defaults.

    :param vpc: the VPC the notebook's network interface goes into. Required.
    :param notebook_instance_name: the name (1..63 letters, digits, hyphens). Default:
        CloudFormation generates one; read it from ``notebook_instance_name``.
    :param instance_type: ``ml.<family>.<size>``. Default: ``ml.t3.medium``.
    :param volume_size_in_gb: ML storage volume, 5..16384 GB. Default: 5.
    :param role: execution role the notebook runs as. Default: a new role that may
        only write the notebook's own logs (with a generated name: any notebook's streams
        of the same names, since the name is unknown before the notebook), use its KMS
        key and describe/stop itself. Widen it with ``role.add_to_principal_policy`` or a
        ``grant_*``.
    :param encryption_key: KMS key for the storage volume. Default: a new key with
        rotation on.
    :param vpc_subnets: where to place the notebook (the first matching subnet is
        used). Default: the VPC's private subnets, else its isolated subnets.
        Public subnets are refused.
    :param security_group: security group for the notebook. Default: a new group with
        no inbound rules and outbound HTTPS (443) only.
    :param idle_timeout_minutes: stop the instance after this many minutes (5..1440) without
        Jupyter activity: no kernel busy, no kernel or terminal active. A lifecycle
        configuration installs a checker (embedded, no download) that runs every 5 minutes
        and the role may stop this notebook. ``None`` disables it (no lifecycle
        configuration, no stop permission). Default: 60.
    :param removal_policy: what happens to the KMS key the construct creates (not one you
        pass in) when it leaves the stack or is replaced. Default:
        ``RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE``: the key stays, so data encrypted with
        it stays readable, except when the stack's first create fails and rolls back (nothing
        was encrypted with it yet); ``DESTROY`` schedules the key's deletion.
    :param owners: people who may open the notebook through a ``NotebookPortal``: Cognito
        ``sub`` values or (verified) email addresses, written to its
        ``notebook-access:owners`` tag. Default: none.
    :param groups: Cognito groups whose members may open it through a ``NotebookPortal``
        (tag ``notebook-access:groups``). Default: none. Both tags can be changed later
        with ``aws sagemaker add-tags``, taking effect on the next request; a deploy that
        changes ``owners`` or ``groups`` sets both tags to these props again.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        vpc: ec2.IVpc,
        notebook_instance_name: str | None = None,
        instance_type: str = DEFAULT_INSTANCE_TYPE,
        volume_size_in_gb: int = DEFAULT_VOLUME_SIZE_GB,
        role: iam.IRole | None = None,
        encryption_key: kms.IKey | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_group: ec2.ISecurityGroup | None = None,
        idle_timeout_minutes: int | None = DEFAULT_IDLE_TIMEOUT_MINUTES,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
        owners: Sequence[str] = (),
        groups: Sequence[str] = (),
    ) -> None:
        # Checked before the construct exists, so a bad prop leaves nothing in the tree.
        with validating(scope, id):
            tags = check_notebook_props(
                notebook_instance_name=notebook_instance_name,
                instance_type=instance_type,
                volume_size_in_gb=volume_size_in_gb,
                idle_timeout_minutes=idle_timeout_minutes,
                owners=owners,
                groups=groups,
            )
            subnet = notebook_subnet(vpc, vpc_subnets)
        super().__init__(scope, id, physical_name=notebook_instance_name)
        # Where the notebook sits; the stack's notebook watch goes there too.
        self.vpc: ec2.IVpc = vpc
        self.subnet: ec2.ISubnet = subnet
        self.encryption_key: kms.IKey = encryption_key or self._create_volume_key(removal_policy)
        self.security_group: ec2.ISecurityGroup = security_group or self._security_group(vpc)
        self.connections = ec2.Connections(security_groups=[self.security_group])
        # Idle stop and the notebook's logs reach AWS through the VPC's SageMaker API and
        # Logs endpoints this stack knows of (network/endpoint_reach.py).
        EndpointReach.of(self).add_notebook(vpc, self.connections)
        self.role: iam.IRole = role or self._create_role()
        self.idle_timeout_minutes = idle_timeout_minutes
        self.lifecycle_config: sagemaker.CfnNotebookInstanceLifecycleConfig | None = (
            None
            if idle_timeout_minutes is None
            else idle_stop_lifecycle_config(self, idle_timeout_minutes)
        )
        self.cfn_notebook_instance = self._create_resource(
            notebook_instance_name, instance_type, volume_size_in_gb, tags
        )
        # A given name is known at synth time; keeping it concrete lets routes,
        # outputs and policies show it. Otherwise CloudFormation generates it.
        self.notebook_instance_name: str = (
            notebook_instance_name or self.cfn_notebook_instance.attr_notebook_instance_name
        )
        self.notebook_instance_arn: str = self.cfn_notebook_instance.attr_notebook_instance_arn
        self.execution_policy = create_execution_policy(self, notebook_instance_name)
        # Kept for callers of the earlier separate key policy: the same policy now.
        self.key_policy = self.execution_policy
        self.self_management_policy = create_self_management_policy(self)
        self._monitoring = NotebookMonitoring(self)  # what the metric_* methods delegate to

    # ------------------------------------------------------------ metrics and alarms

    def metric_idle_stops(self, **options: Any) -> cloudwatch.Metric:
        """Times the idle-stop checker stopped this notebook (from the checker's own lines,
        which the notebook's users could also write). Default: Sum per hour."""
        return self._monitoring.metric_idle_stops(**options)

    def metric_running_minutes(self, **options: Any) -> cloudwatch.Metric:
        """Minutes SageMaker reported this notebook ``InService`` (5 per check of the stack's
        notebook watch, every 5 minutes). Default: Sum per hour, so a whole hour is 60."""
        return self._monitoring.metric_running_minutes(**options)

    def metric_running_hours(self, **options: Any) -> cloudwatch.MathExpression:
        """``metric_running_minutes`` in hours (per hour: 1.0 for a whole hour)."""
        return self._monitoring.metric_running_hours(**options)

    def add_alarms(
        self, topic: sns.ITopic, *, running_hours: int = DEFAULT_RUNNING_HOURS
    ) -> list[cloudwatch.Alarm]:
        """An alarm that notifies ``topic`` when this notebook has run ``running_hours``
        (1..24, default 12) whole clock hours in a row (at least 55 running minutes in each):
        it fires between ``running_hours`` and one hour more after the notebook started.

        It reads ``metric_running_minutes``: SageMaker's status of the notebook, published by
        the stack's notebook watch, so it holds with idle stop off and no notebook user can
        fake or silence it. The watch's own two alarms (failing; not running) come with it,
        once per stack, and are returned after this notebook's."""
        return self._monitoring.add_alarms(topic, running_hours=running_hours)

    # ------------------------------------------------------------ building

    def _create_volume_key(self, removal_policy: RemovalPolicy) -> kms.Key:
        key = kms.Key(
            self,
            "Key",
            description=f"Encrypts the storage volume of notebook {self.node.path}",
            enable_key_rotation=True,
            removal_policy=removal_policy,
        )
        grants_only_for_aws_services(key)
        return key

    def _create_role(self) -> iam.Role:
        return iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description=f"Execution role of notebook {self.node.path}",
        )

    def _create_resource(
        self,
        notebook_instance_name: str | None,
        instance_type: str,
        volume_size_in_gb: int,
        tags: dict[str, str],
    ) -> sagemaker.CfnNotebookInstance:
        return sagemaker.CfnNotebookInstance(
            self,
            "Resource",
            notebook_instance_name=notebook_instance_name,
            instance_type=instance_type,
            volume_size_in_gb=volume_size_in_gb,
            role_arn=self.role.role_arn,
            kms_key_id=self.encryption_key.key_id,
            subnet_id=self.subnet.subnet_id,
            security_group_ids=[self.security_group.security_group_id],
            direct_internet_access="Disabled",
            root_access="Disabled",
            platform_identifier=PLATFORM_IDENTIFIER,
            lifecycle_config_name=(
                self.lifecycle_config.attr_notebook_instance_lifecycle_config_name
                if self.lifecycle_config is not None
                else None
            ),
            instance_metadata_service_configuration=sagemaker.CfnNotebookInstance.InstanceMetadataServiceConfigurationProperty(
                minimum_instance_metadata_service_version="2"
            ),
            tags=[CfnTag(key=key, value=value) for key, value in tags.items()] or None,
        )

    def _security_group(self, vpc: ec2.IVpc) -> ec2.SecurityGroup:
        # HTTPS reaches the VPC endpoints (and, in a VPC with NAT, package mirrors).
        return https_out_security_group(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="Notebook instance: no inbound, outbound HTTPS only",
        )
