"""ApiWebAcl: an AWS WAF web ACL in front of a REST API stage, with its own encrypted logs.

AWS managed rule groups drop exploit patterns, known bad inputs and addresses on
Amazon's threat-intelligence list, and a per-IP rate rule caps any one address,
before API Gateway or the Lambda spend anything on the request.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Fn, Names, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from ..validation import validate_int_range, validating

# (rule group, priority). Each is free to use beyond the per-rule WAF charge.
MANAGED_RULE_GROUPS = (
    ("AWSManagedRulesAmazonIpReputationList", 0),
    ("AWSManagedRulesCommonRuleSet", 1),
    ("AWSManagedRulesKnownBadInputsRuleSet", 2),
)
DEFAULT_RATE_LIMIT_PER_5_MINUTES = 300
# AWS WAF rate-based statement limits.
RATE_LIMIT_MIN = 10
RATE_LIMIT_MAX = 2_000_000_000
# SigV4 headers: the session token is a credential and the signature must not be replayable
# from a log, so WAF logs never record them.
REDACTED_HEADERS = ("authorization", "x-amz-security-token")


class ApiWebAcl(Construct):
    """A regional web ACL associated with one REST API stage, logging to CloudWatch Logs.

    :param stage: the API Gateway stage to protect. Required.
    :param encryption_key: KMS key for the WAF log group (its policy must let CloudWatch
        Logs use it). Required.
    :param rate_limit_per_5_minutes: requests one IP address may send in any 5 minutes
        before WAF blocks it, 10..2,000,000,000. Default: 300.
    :param log_retention: retention of the WAF log group. Default: one year.
    :param removal_policy: for the WAF log group. Default:
        ``RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE`` (deleted only when the first create fails).
    """

    web_acl: wafv2.CfnWebACL
    """The web ACL: the managed rule groups and the per-IP rate rule."""
    web_acl_arn: str
    """The web ACL's ARN."""
    log_group: logs.LogGroup
    """The WAF log group (``aws-waf-logs-...``), SigV4 headers redacted."""
    logging: wafv2.CfnLoggingConfiguration
    """The web ACL's logging configuration."""
    association: wafv2.CfnWebACLAssociation
    """The association with the stage."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        stage: apigw.Stage,
        encryption_key: kms.IKey,
        rate_limit_per_5_minutes: int = DEFAULT_RATE_LIMIT_PER_5_MINUTES,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    ) -> None:
        with validating(scope, id):
            validate_rate_limit(rate_limit_per_5_minutes)
        super().__init__(scope, id)
        metric_prefix = Names.unique_id(self)[-200:]
        self.web_acl = wafv2.CfnWebACL(
            self,
            "Resource",
            scope="REGIONAL",
            description=f"Protects the REST API stage of {scope.node.path}",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            rules=_rules(metric_prefix, rate_limit_per_5_minutes),
            visibility_config=_visibility(metric_prefix),
        )
        self.web_acl_arn: str = self.web_acl.attr_arn

        self._create_logging(encryption_key, log_retention, removal_policy)
        self.association = wafv2.CfnWebACLAssociation(
            self,
            "Association",
            resource_arn=stage.stage_arn,
            web_acl_arn=self.web_acl.attr_arn,
        )

    def _create_logging(
        self,
        encryption_key: kms.IKey,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> None:
        """The WAF log group and the web ACL's logging configuration (SigV4 headers redacted)."""
        stack = Stack.of(self)
        # WAF only logs to groups named aws-waf-logs-*. The stack id's GUID keeps the name
        # unique when a retained group outlives a deleted stack of the same name.
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=Fn.join(
                "-",
                [
                    "aws-waf-logs",
                    Names.unique_resource_name(self, max_length=80, separator="-"),
                    Fn.select(2, Fn.split("/", stack.stack_id)),
                ],
            ),
            encryption_key=encryption_key,
            retention=log_retention,
            removal_policy=removal_policy,
        )
        self.logging = wafv2.CfnLoggingConfiguration(
            self,
            "Logging",
            resource_arn=self.web_acl.attr_arn,
            # WAF wants the log group ARN without the ":*" that the GetAtt Arn ends with.
            log_destination_configs=[
                stack.format_arn(
                    service="logs",
                    resource="log-group",
                    resource_name=self.log_group.log_group_name,
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            ],
            redacted_fields=[
                wafv2.CfnLoggingConfiguration.FieldToMatchProperty(single_header={"Name": name})
                for name in REDACTED_HEADERS
            ],
        )


# CommonRuleSet blocks bodies over 8 KB with a 403; the contract answers a body over
# 4 KiB with 413 PayloadTooLarge (the handler checks), so that one rule only counts.
COUNT_ONLY_RULES = {"AWSManagedRulesCommonRuleSet": ("SizeRestrictions_BODY",)}


def validate_rate_limit(value: int, *, prop: str = "rate_limit_per_5_minutes") -> None:
    """WAF's range for a rate-based rule's limit; ``prop`` names it as the caller takes it."""
    validate_int_range(
        value, prop=prop, minimum=RATE_LIMIT_MIN, maximum=RATE_LIMIT_MAX, unit="requests"
    )


def _rules(metric_prefix: str, rate_limit_per_5_minutes: int) -> list[wafv2.CfnWebACL.RuleProperty]:
    """The managed rule groups, then the per-IP rate rule."""
    rules = [
        wafv2.CfnWebACL.RuleProperty(
            name=f"AWS-{group}",
            priority=priority,
            override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                    vendor_name="AWS",
                    name=group,
                    rule_action_overrides=_overrides(group),
                )
            ),
            visibility_config=_visibility(f"{metric_prefix}-{group}"),
        )
        for group, priority in MANAGED_RULE_GROUPS
    ]
    rules.append(
        wafv2.CfnWebACL.RuleProperty(
            name="RateLimitPerIp",
            priority=len(MANAGED_RULE_GROUPS),
            action=wafv2.CfnWebACL.RuleActionProperty(block={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    aggregate_key_type="IP",
                    limit=rate_limit_per_5_minutes,
                    evaluation_window_sec=300,
                )
            ),
            visibility_config=_visibility(f"{metric_prefix}-RateLimitPerIp"),
        )
    )
    return rules


def _overrides(group: str) -> list[wafv2.CfnWebACL.RuleActionOverrideProperty] | None:
    names = COUNT_ONLY_RULES.get(group)
    if not names:
        return None
    return [
        wafv2.CfnWebACL.RuleActionOverrideProperty(
            name=name, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
        )
        for name in names
    ]


def _visibility(metric_name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True,
        metric_name=metric_name,
        # Sampled requests keep whole headers (SigV4 session tokens included) and cannot
        # be redacted; the redacted log is the record.
        sampled_requests_enabled=False,
    )
