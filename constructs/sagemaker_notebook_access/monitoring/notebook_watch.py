"""NotebookWatch: a notebook's running time from SageMaker's own view, for the alarm.

One per stack, made by the first ``metric_running_minutes``: a function that an EventBridge
schedule runs every ``PERIOD_MINUTES`` describes each watched notebook and, while SageMaker
reports it ``InService``, writes ``RunningMinutes`` in CloudWatch's embedded metric format
(lambda/notebook_watch/handler.py). It runs in the VPC and subnet of the first notebook that
asks. Nothing a notebook user holds can write that metric or stop it: it is neither in the
notebook's log group nor in its role.
"""

from __future__ import annotations

from aws_cdk import Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from ..acknowledgments import acknowledge
from ..api.capacity import ENVIRONMENT_LIMIT_BYTES, environment_bytes
from ..function_permissions import (
    network_interfaces_statement,
    own_logs_statement,
    traces_statement,
)
from ..lambda_assets import lambda_code_path
from ..log_key import create_log_key
from ..network.endpoint_reach import EndpointReach
from ..network.security_groups import https_out_security_group
from ..singleton import stack_singleton
from ..validation import ValidationError, is_token

WATCH_ID = "SageMakerNotebookWatch"
PERIOD_MINUTES = 5
DESCRIBE_ACTION = "sagemaker:DescribeNotebookInstance"


class NotebookWatch(Construct):
    """The stack's watcher; ``NotebookWatch.of(scope).watch(notebook)`` adds a notebook."""

    log_group: logs.LogGroup
    """The function's log group (its metric lines), kept like the API's logs."""
    role: iam.Role
    """The function's role: describe the watched notebooks, own logs, traces."""
    policy: iam.ManagedPolicy
    """The role's managed policy."""
    security_group: ec2.SecurityGroup
    """The function's group: outbound HTTPS only."""
    function: lambda_.Function
    """The function that publishes ``RunningMinutes``."""
    schedule: events.Rule
    """The rule that runs the function every 5 minutes."""

    @classmethod
    def of(
        cls, scope: Construct, *, namespace: str, vpc: ec2.IVpc, subnet: ec2.ISubnet
    ) -> NotebookWatch:
        """The stack's watch; the first notebook that asks decides where it runs."""
        return stack_singleton(
            scope,
            WATCH_ID,
            cls,
            lambda stack, id: cls(stack, id, namespace=namespace, vpc=vpc, subnet=subnet),
        )

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        namespace: str,
        vpc: ec2.IVpc,
        subnet: ec2.ISubnet,
    ) -> None:
        super().__init__(scope, id)
        self.namespace = namespace
        self._names: list[str] = []
        # The function's variables but the watched names (counted against its 4 KiB).
        self._fixed_environment = {
            "METRICS_NAMESPACE": namespace,
            "PERIOD_MINUTES": str(PERIOD_MINUTES),
        }
        self._alarms: list[cloudwatch.Alarm] = []
        self._topics: list[str] = []
        self._create_logs()
        self._create_role()
        self._create_function(namespace=namespace, vpc=vpc, subnet=subnet)
        # ENI permissions before the function (created with its interfaces) and after its
        # security group on delete (Lambda releases the interfaces later, with the role).
        self.function.node.add_dependency(self.policy)
        self.security_group.node.add_dependency(self.policy)
        EndpointReach.of(self).add_notebook(vpc, self.function)
        self.schedule = events.Rule(
            self,
            "Schedule",
            description=f"Runs {self.node.path} every {PERIOD_MINUTES} minutes",
            schedule=events.Schedule.rate(Duration.minutes(PERIOD_MINUTES)),
            # A missed run is a missed datapoint; the next run, minutes later, is the retry.
            targets=[targets.LambdaFunction(self.function, retry_attempts=0)],
        )
        acknowledge(self.function, *WATCH_FUNCTION_RULES)
        acknowledge(self.schedule, "Serverless::Serverless-EventBusDLQ")

    def _create_logs(self) -> None:
        # Its log group holds the metric lines, so it is kept like the API's logs.
        key = create_log_key(
            self,
            "LogKey",
            description=f"Encrypts the logs of {self.node.path}",
            removal_policy=RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
        )
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            encryption_key=key,
            retention=logs.RetentionDays.ONE_YEAR,
            removal_policy=RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
        )

    def _create_role(self) -> None:
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Describes the watched notebooks; writes their running time",
        )
        self._describe = iam.PolicyStatement(
            sid="DescribeWatchedNotebooks", actions=[DESCRIBE_ACTION], resources=[]
        )
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description="Notebook watch: its own logs, traces, describe the watched notebooks",
            roles=[self.role],
            statements=[
                own_logs_statement(self.log_group),
                network_interfaces_statement(),
                traces_statement(),
                self._describe,
            ],
        )
        acknowledge(self.policy, "AwsSolutions::AwsSolutions-IAM5[Resource::*]")

    def _create_function(self, *, namespace: str, vpc: ec2.IVpc, subnet: ec2.ISubnet) -> None:
        # In the VPC, like the notebook it watches (Control Tower's CT.LAMBDA.PR.3): HTTPS
        # out, which reaches the VPC's SageMaker API endpoint (admitted below) or a NAT.
        self.security_group = https_out_security_group(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="Notebook watch: outbound HTTPS only (the SageMaker API)",
        )
        self.function = lambda_.Function(
            self,
            "Function",
            description="Publishes RunningMinutes of the watched notebooks from SageMaker's "
            "own status",
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64,
            handler="handler.handler",
            code=lambda_.Code.from_asset(
                str(lambda_code_path("notebook_watch")), exclude=["__pycache__", "*.pyc"]
            ),
            timeout=Duration.seconds(60),
            memory_size=128,
            role=iam.Role.from_role_arn(self, "RoleReference", self.role.role_arn, mutable=False),
            log_group=self.log_group,
            # Lambda retries a failed asynchronous invocation twice by default ("Retain records
            # of asynchronous invocations", Lambda developer guide): a retried run would print
            # its running notebooks' lines again and count their minutes twice.
            retry_attempts=0,
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnets=[subnet]),
            security_groups=[self.security_group],
            tracing=lambda_.Tracing.ACTIVE,
            environment={**self._fixed_environment, "NOTEBOOK_NAMES": ""},
        )

    def add_alarms(self, topic: sns.ITopic) -> list[cloudwatch.Alarm]:
        """Two alarms that tell ``topic`` the running-time alarms cannot fire: the watch
        failing (its ``Errors``, in each of 3 runs in a row) and the watch not running at
        all (no ``Invocations`` for 15 minutes, missing data counting as breaching). Made
        once per stack; a second topic is added to the same alarms."""
        if not self._alarms:
            errors = self.function.metric_errors(period=Duration.minutes(PERIOD_MINUTES))
            invocations = self.function.metric_invocations(period=Duration.minutes(PERIOD_MINUTES))
            self._alarms = [
                errors.create_alarm(
                    self,
                    "FailingAlarm",
                    alarm_description=f"{self.node.path} could not describe every watched "
                    "notebook in 3 runs in a row: running-time alarms may stay silent",
                    threshold=1,
                    evaluation_periods=3,
                    treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                ),
                invocations.create_alarm(
                    self,
                    "NotRunningAlarm",
                    alarm_description=f"{self.node.path} has not run for 15 minutes: "
                    "running-time alarms cannot fire",
                    threshold=1,
                    comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                    evaluation_periods=3,
                    treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
                ),
            ]
        if topic.node.path not in self._topics:
            self._topics.append(topic.node.path)
            action = cloudwatch_actions.SnsAction(topic)
            for alarm in self._alarms:
                alarm.add_alarm_action(action)
                alarm.add_ok_action(action)
        return list(self._alarms)

    @property
    def watched_names(self) -> list[str]:
        return list(self._names)

    def watch(self, name: str, arn: str) -> None:
        """Describe ``name`` (``arn``) on every run; a name already watched is not added."""
        if name in self._names:
            return
        # The API's own budget for Lambda's 4 KiB environment (api/capacity.py): the fixed
        # variables, then every name at its length (a generated one at its longest).
        needed = environment_bytes(
            self._fixed_environment, [(n, is_token(n)) for n in [*self._names, name]]
        )
        if needed > ENVIRONMENT_LIMIT_BYTES:
            raise ValidationError(
                f"cannot watch notebook {name if not is_token(name) else '(generated name)'}: "
                f"the notebook watch of stack {Stack.of(self).stack_name} already watches "
                f"{len(self._names)} notebooks, as many as its 4 KiB Lambda environment "
                "holds; put further notebooks in another stack",
                self,
            )
        self._names.append(name)
        self._describe.add_resources(arn)
        self.function.add_environment("NOTEBOOK_NAMES", Fn.join(",", self._names))


WATCH_FUNCTION_RULES = (
    "NIST.800.53.R5::NIST.800.53.R5-LambdaDLQ",
    "HIPAA.Security::HIPAA.Security-LambdaDLQ",
    "Serverless::Serverless-LambdaDLQ",
    "NIST.800.53.R5::NIST.800.53.R5-LambdaConcurrency",
    "HIPAA.Security::HIPAA.Security-LambdaConcurrency",
    "Serverless::Serverless-LambdaAsyncFailureDestination",
)
