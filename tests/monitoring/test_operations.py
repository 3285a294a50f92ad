"""Metrics, alarms and the dashboard (monitoring/operations.py) on synthesized templates.

One App for the module: a stack that asks for everything, a default stack that asks for
nothing, and a stack with two APIs and two notebooks; synthesized once, with the five packs.
"""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Match, Template
from conftest import TEST_ENV
from filter_patterns import matches

from compliance import NO_FAIL_CONTEXT, findings, read_report, register_nag_packs
from sagemaker_notebook_access import (
    DenyReason,
    IpRestrictedNotebook,
    NotebookInstance,
    PresignedUrlApi,
    ValidationError,
)
from sagemaker_notebook_access.limits import NOTEBOOK_LOG_GROUP
from sagemaker_notebook_access.patterns.restricted_notebook import create_private_vpc
from sagemaker_notebook_access.runtime.idle_stop import log_line

CIDRS = ["198.51.7.0/24"]


def secure_topic(scope) -> sns.Topic:
    key = kms.Key(scope, "AlarmKey", enable_key_rotation=True)
    return sns.Topic(scope, "Alarms", master_key=key, enforce_ssl=True)


@pytest.fixture(scope="module")
def synthesized():
    app = cdk.App(context=NO_FAIL_CONTEXT)
    register_nag_packs(app)
    env = cdk.Environment(**TEST_ENV)

    ops = cdk.Stack(app, "Ops", env=env)
    restricted = IpRestrictedNotebook(
        ops, "Team", allowed_cidrs=CIDRS, notebook_instance_name="team-nb"
    )
    topic = secure_topic(ops)
    api_alarms = restricted.api.add_alarms(topic)
    notebook_alarms = restricted.notebook.add_alarms(topic, running_hours=8)
    restricted.api.add_dashboard(dashboard_name="team-notebooks", notebooks=[restricted.notebook])
    restricted.api.metric_denied()  # the total, without a reason

    default = cdk.Stack(app, "Default", env=env)
    IpRestrictedNotebook(default, "Team", allowed_cidrs=CIDRS, notebook_instance_name="plain-nb")

    two = cdk.Stack(app, "Two", env=env)
    vpc = create_private_vpc(two, "Vpc")
    first = NotebookInstance(two, "First", vpc=vpc, notebook_instance_name="first-nb")
    second = NotebookInstance(two, "Second", vpc=vpc)
    never_stops = NotebookInstance(two, "NeverStops", vpc=vpc, idle_timeout_minutes=None)
    api_a = PresignedUrlApi(two, "ApiA", vpc=vpc, allowed_cidrs=CIDRS, notebooks=[first])
    api_b = PresignedUrlApi(
        two, "ApiB", vpc=vpc, allowed_cidrs=CIDRS, endpoint=api_a.endpoint, notebooks=[second]
    )
    for notebook in (first, second):
        notebook.metric_idle_stops()
        notebook.metric_running_minutes()
    # SageMaker's view needs no idle stop: the watch describes it like the others.
    never_stops.metric_running_minutes()
    api_a.metric_urls_minted()
    api_b.metric_urls_minted()

    report = read_report(app.synth().directory)
    return {
        "ops": Template.from_stack(ops),
        "default": Template.from_stack(default),
        "two": Template.from_stack(two),
        "report": report,
        "restricted": restricted,
        "api_alarms": api_alarms,
        "notebook_alarms": notebook_alarms,
        "apis": (api_a, api_b),
        "notebooks": (first, second, never_stops),
    }


@pytest.fixture(scope="module")
def ops(synthesized) -> Template:
    return synthesized["ops"]


def filters_of(template: Template) -> list[dict]:
    return [r["Properties"] for r in template.find_resources("AWS::Logs::MetricFilter").values()]


def filter_publishing(template: Template, metric: str, *, log_group_ref: str | None = None):
    found = []
    for props in filters_of(template):
        (transformation,) = props["MetricTransformations"]
        if transformation["MetricName"] != metric:
            continue
        group = props["LogGroupName"]
        if log_group_ref is None or (isinstance(group, dict) and log_group_ref in group["Ref"]):
            found.append(props)
    return found


def logical_id_of(template: Template, type_: str, path_part: str) -> str:
    (found,) = [
        logical_id
        for logical_id, resource in template.to_json()["Resources"].items()
        if resource["Type"] == type_ and path_part in logical_id
    ]
    return found


# ---------------------------------------------------------------- opt-in


def test_a_stack_that_asks_for_no_metric_gets_no_filter_alarm_or_dashboard(synthesized):
    default = synthesized["default"]
    for kind in ("AWS::Logs::MetricFilter", "AWS::CloudWatch::Alarm", "AWS::CloudWatch::Dashboard"):
        default.resource_count_is(kind, 0)


def test_stacks_with_alarms_and_a_dashboard_pass_the_five_packs(synthesized):
    report = synthesized["report"]
    for stack in ("Ops", "Two"):
        assert findings(report, path_prefix=f"{stack}/") == [], stack


# ---------------------------------------------------------------- API metric filters


AUDIT_FILTERS = {
    "UrlsMinted": None,
    "DeniedInsideAllowList": None,
    "NotInService": None,
    "UpstreamErrors": None,
    "Latency": "$.durationMs",
}


@pytest.mark.parametrize("metric", sorted(AUDIT_FILTERS))
def test_audit_line_metrics_are_filters_on_the_function_log_group(ops, metric):
    (props,) = filter_publishing(ops, metric)
    assert "FunctionLogs" in props["LogGroupName"]["Ref"]
    (transformation,) = props["MetricTransformations"]
    assert transformation["MetricNamespace"] == "SageMakerNotebookAccess/Ops/Team/Api"
    assert transformation["MetricValue"] == (AUDIT_FILTERS[metric] or "1")
    assert "Dimensions" not in transformation


def test_latency_is_published_in_milliseconds(ops):
    (props,) = filter_publishing(ops, "Latency")
    assert props["MetricTransformations"][0]["Unit"] == "Milliseconds"


def test_denials_by_reason_come_from_the_audit_line_and_the_access_log(ops):
    by_source = {}
    for props in filter_publishing(ops, "Denied"):
        (transformation,) = props["MetricTransformations"]
        dimensions = transformation.get("Dimensions")
        source = "audit" if "FunctionLogs" in props["LogGroupName"]["Ref"] else "access"
        by_source[(source, json.dumps(dimensions))] = props["FilterPattern"]
    assert set(by_source) == {
        ("audit", json.dumps([{"Key": "Reason", "Value": "$.denyReason"}])),
        ("access", json.dumps([{"Key": "Reason", "Value": "$.errorType"}])),
        ("audit", "null"),
        ("access", "null"),
    }


def test_throttling_is_counted_from_the_handler_and_from_the_stage(ops):
    sources = sorted(
        "audit" if "FunctionLogs" in p["LogGroupName"]["Ref"] else "access"
        for p in filter_publishing(ops, "Throttled")
    )
    assert sources == ["access", "audit"]


def access_filter(template: Template, metric: str, *, with_dimensions: bool) -> str:
    (props,) = [
        p
        for p in filter_publishing(template, metric)
        if "AccessLogs" in p["LogGroupName"]["Ref"]
        and ("Dimensions" in p["MetricTransformations"][0]) == with_dimensions
    ]
    return props["FilterPattern"]


def access_line(status: str, error_type: str) -> dict:
    # The fields ACCESS_LOG_FIELDS writes, as API Gateway fills them in (all strings).
    return {
        "requestId": "r-1",
        "sourceIp": "198.51.7.9",
        "status": status,
        "errorType": error_type,
        "resourcePath": "/notebooks/{NotebookInstanceName}/url",
    }


@pytest.mark.parametrize(
    ("status", "error_type", "counted"),
    [
        ("403", "ACCESS_DENIED", True),  # not granted, or the resource policy's IP deny
        ("403", "WAF_FILTERED", True),
        ("403", "MISSING_AUTHENTICATION_TOKEN", True),
        ("403", "-", False),  # the handler's own 403: the audit line counts it
        ("429", "THROTTLED", False),
        ("200", "-", False),
    ],
)
def test_gateway_denials_count_api_gateways_own_403s_only(ops, status, error_type, counted):
    for with_dimensions in (True, False):
        pattern = access_filter(ops, "Denied", with_dimensions=with_dimensions)
        assert matches(pattern, access_line(status, error_type)) is counted


@pytest.mark.parametrize(
    ("status", "error_type", "counted"),
    [("429", "THROTTLED", True), ("429", "QUOTA_EXCEEDED", True), ("403", "ACCESS_DENIED", False)],
)
def test_stage_throttling_is_read_from_the_access_log(ops, status, error_type, counted):
    pattern = access_filter(ops, "Throttled", with_dimensions=False)
    assert matches(pattern, access_line(status, error_type)) is counted


def test_no_dimension_could_hold_a_url_an_ip_or_an_arn(synthesized):
    allowed = {"$.denyReason", "$.errorType", "$.notebook"}
    for name in ("ops", "two"):
        for props in filters_of(synthesized[name]):
            for transformation in props["MetricTransformations"]:
                for dimension in transformation.get("Dimensions", []):
                    assert dimension["Value"] in allowed, dimension


def test_metric_methods_point_at_what_the_filters_publish(synthesized):
    api = synthesized["restricted"].api
    namespace = "SageMakerNotebookAccess/Ops/Team/Api"
    assert api.metrics_namespace == namespace
    minted = api.metric_urls_minted()
    assert (minted.namespace, minted.metric_name, minted.statistic) == (
        namespace,
        "UrlsMinted",
        "Sum",
    )
    assert minted.period.to_seconds() == 300
    denied = api.metric_denied(DenyReason.NOT_GRANTED)
    assert denied.metric_name == "Denied"
    assert denied.dimensions == {"Reason": "ACCESS_DENIED"}
    assert api.metric_denied().dimensions is None or api.metric_denied().dimensions == {}
    assert api.metric_latency().statistic == "p90"
    assert api.metric_latency(statistic="p99").statistic == "p99"
    assert api.metric_upstream_errors(period=cdk.Duration.minutes(1)).period.to_seconds() == 60


def test_asking_for_a_metric_twice_adds_its_filter_once():
    """What the template holds, not the tree: one filter per source, however often asked."""
    stack = cdk.Stack(cdk.App(), "Twice", env=cdk.Environment(**TEST_ENV))
    api = IpRestrictedNotebook(stack, "Team", allowed_cidrs=CIDRS).api
    for _ in range(2):
        api.metric_urls_minted()
        api.metric_throttled()  # two sources: the audit line and the access log
    names = [
        f["Properties"]["MetricTransformations"][0]["MetricName"]
        for f in Template.from_stack(stack).find_resources("AWS::Logs::MetricFilter").values()
    ]
    assert sorted(names) == ["Throttled", "Throttled", "UrlsMinted"]


def test_a_reason_must_be_a_non_empty_string(synthesized):
    with pytest.raises(ValidationError, match="reason must be a non-empty DenyReason value"):
        synthesized["restricted"].api.metric_denied("")


def test_two_apis_of_one_stack_publish_into_their_own_namespaces(synthesized):
    two = synthesized["two"]
    namespaces = sorted(
        p["MetricTransformations"][0]["MetricNamespace"]
        for p in filter_publishing(two, "UrlsMinted")
    )
    assert namespaces == ["SageMakerNotebookAccess/Two/ApiA", "SageMakerNotebookAccess/Two/ApiB"]


# ---------------------------------------------------------------- WAF


def test_the_waf_metric_names_the_web_acls_metric_name(ops):
    (acl,) = ops.find_resources("AWS::WAFv2::WebACL").values()
    metric_name = acl["Properties"]["VisibilityConfig"]["MetricName"]
    ops.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Namespace": "AWS/WAFV2",
            "MetricName": "BlockedRequests",
            "Dimensions": Match.array_with(
                [
                    {"Name": "Region", "Value": "eu-west-1"},
                    {"Name": "Rule", "Value": "ALL"},
                    {"Name": "WebACL", "Value": metric_name},
                ]
            ),
            "Statistic": "Sum",
            "Period": 300,
            "Threshold": 100,
        },
    )


# ---------------------------------------------------------------- API alarms


def test_every_alarm_notifies_the_topic_on_alarm_and_on_ok(ops):
    topic = logical_id_of(ops, "AWS::SNS::Topic", "Alarms")
    alarms = ops.find_resources("AWS::CloudWatch::Alarm")
    assert len(alarms) == 7  # four of the API's, the notebook's, the watch's two
    for logical_id, alarm in alarms.items():
        props = alarm["Properties"]
        assert props["AlarmActions"] == [{"Ref": topic}]
        assert props["OKActions"] == [{"Ref": topic}]
        if "NotRunning" in logical_id:
            continue  # test_the_watch_tells_when_the_running_time_alarm_cannot_fire
        assert props["TreatMissingData"] == "notBreaching"
        assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_the_watch_tells_when_the_running_time_alarm_cannot_fire(ops, synthesized):
    """A broken watch would leave RunningTooLong silent (missing data is not breaching):
    its failures and its absence are alarms of their own, made once per stack."""
    watch = logical_id_of(ops, "AWS::Lambda::Function", "SageMakerNotebookWatch")
    by_metric = {
        a["Properties"]["MetricName"]: a["Properties"]
        for a in ops.find_resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("Dimensions") == [{"Name": "FunctionName", "Value": {"Ref": watch}}]
    }
    assert by_metric["Errors"]["EvaluationPeriods"] == 3
    assert by_metric["Errors"]["Threshold"] == 1
    not_running = by_metric["Invocations"]
    assert not_running["ComparisonOperator"] == "LessThanThreshold"
    assert not_running["TreatMissingData"] == "breaching"
    assert (not_running["Period"], not_running["EvaluationPeriods"]) == (300, 3)
    assert len(synthesized["notebook_alarms"]) == 3  # its own, then the watch's two


def test_two_notebooks_alarming_to_one_topic_share_the_watchs_two_alarms():
    stack = cdk.Stack(cdk.App(), "Shared", env=cdk.Environment(**TEST_ENV))
    vpc = create_private_vpc(stack, "Vpc")
    topic = secure_topic(stack)
    first = NotebookInstance(stack, "First", vpc=vpc, notebook_instance_name="first-nb")
    second = NotebookInstance(stack, "Second", vpc=vpc, notebook_instance_name="second-nb")
    first_alarms, second_alarms = first.add_alarms(topic), second.add_alarms(topic)
    assert first_alarms[1:] == second_alarms[1:]
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::CloudWatch::Alarm", 4)
    for alarm in template.find_resources("AWS::CloudWatch::Alarm").values():
        assert len(alarm["Properties"]["AlarmActions"]) == 1


def test_the_watch_is_never_retried_so_no_minute_counts_twice(ops):
    """Lambda retries a failed asynchronous invocation twice unless told otherwise; a retry
    would print the running notebooks' lines again."""
    watch = logical_id_of(ops, "AWS::Lambda::Function", "SageMakerNotebookWatch")
    ops.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig",
        {"FunctionName": {"Ref": watch}, "MaximumRetryAttempts": 0},
    )


def test_upstream_errors_alarm_threshold(ops):
    ops.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "UpstreamErrors",
            "Namespace": "SageMakerNotebookAccess/Ops/Team/Api",
            "Threshold": 5,
            "EvaluationPeriods": 1,
            "Period": 300,
        },
    )


def test_function_errors_alarm_reads_lambdas_own_errors(ops):
    # Crashes and timeouts write no audit line: only AWS/Lambda Errors sees them.
    function = logical_id_of(ops, "AWS::Lambda::Function", "TeamApiFunction")
    ops.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Namespace": "AWS/Lambda",
            "MetricName": "Errors",
            "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": function}}],
            "Statistic": "Sum",
            "Threshold": 1,
            "Period": 300,
        },
    )


def test_sustained_denials_add_inside_the_allow_list_and_not_granted(ops):
    (alarm,) = [
        a["Properties"]
        for a in ops.find_resources("AWS::CloudWatch::Alarm").values()
        if "Metrics" in a["Properties"]
    ]
    assert (alarm["Threshold"], alarm["EvaluationPeriods"]) == (10, 3)
    by_id = {m["Id"]: m for m in alarm["Metrics"]}
    # Filled: a period with only gateway refusals (no handler 403) still counts.
    assert by_id["expr_1"]["Expression"] == "FILL(inside, 0) + FILL(notGranted, 0)"
    inside = by_id["inside"]["MetricStat"]["Metric"]
    assert inside["MetricName"] == "DeniedInsideAllowList"
    not_granted = by_id["notGranted"]["MetricStat"]["Metric"]
    assert not_granted["MetricName"] == "Denied"
    assert not_granted["Dimensions"] == [{"Name": "Reason", "Value": "ACCESS_DENIED"}]


def test_alarm_thresholds_are_validated():
    app = cdk.App()
    stack = cdk.Stack(app, "Bad", env=cdk.Environment(**TEST_ENV))
    restricted = IpRestrictedNotebook(stack, "Team", allowed_cidrs=CIDRS)
    topic = sns.Topic(stack, "T")
    with pytest.raises(ValidationError, match="denial_periods"):
        restricted.api.add_alarms(topic, denial_periods=0)
    with pytest.raises(ValidationError, match="running_hours"):
        restricted.notebook.add_alarms(topic, running_hours=25)


# ---------------------------------------------------------------- notebook metrics


def test_the_idle_stop_filter_reads_sagemakers_group_and_waits_for_the_notebook(ops):
    """The notebook's OnStart script creates the group before SageMaker reports it
    InService (test_idle_stop), so a filter that waits for the notebook finds it."""
    notebook = logical_id_of(ops, "AWS::SageMaker::NotebookInstance", "Team")
    filters = ops.find_resources(
        "AWS::Logs::MetricFilter", {"Properties": {"LogGroupName": NOTEBOOK_LOG_GROUP}}
    )
    assert [
        f["Properties"]["MetricTransformations"][0]["MetricName"] for f in filters.values()
    ] == ["IdleStops"]
    for resource in filters.values():
        assert notebook in resource["DependsOn"]
        (transformation,) = resource["Properties"]["MetricTransformations"]
        assert transformation["MetricNamespace"] == "SageMakerNotebookAccess/Ops"
        assert transformation["Dimensions"] == [
            {"Key": "NotebookInstanceName", "Value": "$.notebook"}
        ]
    # The stack neither creates nor deletes SageMaker's shared group as a resource.
    assert not ops.find_resources(
        "AWS::Logs::LogGroup", {"Properties": {"LogGroupName": NOTEBOOK_LOG_GROUP}}
    )


def test_one_idle_stop_filter_and_one_watch_per_stack(synthesized):
    two = synthesized["two"]
    filters = two.find_resources(
        "AWS::Logs::MetricFilter", {"Properties": {"LogGroupName": NOTEBOOK_LOG_GROUP}}
    )
    assert len(filters) == 1
    (resource,) = filters.values()
    # It waits for every notebook that asked for it, and no other.
    assert sum("First" in d or "Second" in d for d in resource["DependsOn"]) == 2
    assert not any("NeverStops" in d for d in resource["DependsOn"])
    two.resource_count_is("AWS::Events::Rule", 1)


def test_the_watch_describes_every_notebook_that_asked_and_nothing_else(synthesized):
    two = synthesized["two"]
    watch = logical_id_of(two, "AWS::Lambda::Function", "SageMakerNotebookWatch")
    function = two.to_json()["Resources"][watch]["Properties"]
    names = function["Environment"]["Variables"]["NOTEBOOK_NAMES"]
    rendered = json.dumps(names)
    assert "first-nb" in rendered
    assert rendered.count("NotebookInstanceName") == 2  # Second and NeverStops: generated
    (policy,) = [
        p["Properties"]["PolicyDocument"]
        for p in two.find_resources("AWS::IAM::ManagedPolicy").values()
        if "Notebook watch" in p["Properties"]["Description"]
    ]
    (describe,) = [s for s in policy["Statement"] if s.get("Sid") == "DescribeWatchedNotebooks"]
    assert describe["Action"] == "sagemaker:DescribeNotebookInstance"
    assert len(describe["Resource"]) == 3
    assert function["Environment"]["Variables"]["METRICS_NAMESPACE"] == (
        "SageMakerNotebookAccess/Two"
    )
    # Every 5 minutes, each run worth 5 minutes.
    assert function["Environment"]["Variables"]["PERIOD_MINUTES"] == "5"
    (rule,) = two.find_resources("AWS::Events::Rule").values()
    assert rule["Properties"]["ScheduleExpression"] == "rate(5 minutes)"


def check_line(notebook: str | None, action: str) -> dict:
    """The checker's own line (idle_stop.log_line), as CloudWatch Logs parses it."""
    return json.loads(log_line(notebook, action, "2024-05-01T12:00:00Z: ..."))


@pytest.mark.parametrize(
    ("action", "stopped"), [("keep", False), ("stop", True), ("dry-run", False), ("error", False)]
)
def test_a_check_line_is_an_idle_stop_only_when_it_stopped(ops, action, stopped):
    (idle_stops,) = ops.find_resources(
        "AWS::Logs::MetricFilter", {"Properties": {"LogGroupName": NOTEBOOK_LOG_GROUP}}
    ).values()
    pattern = idle_stops["Properties"]["FilterPattern"]
    assert matches(pattern, check_line("team-nb", action)) is stopped
    # A line without a name (metadata unreadable) cannot be put on a notebook.
    assert not matches(pattern, check_line(None, action))


def test_no_notebook_line_counts_as_running(ops):
    """The attack: a notebook user writes check lines naming another notebook (or stops
    writing them). Running time is not read from the notebook's log group at all."""
    for resource in ops.find_resources("AWS::Logs::MetricFilter").values():
        names = {t["MetricName"] for t in resource["Properties"]["MetricTransformations"]}
        assert "RunningMinutes" not in names


def test_running_too_long_alarm_is_n_whole_hours_in_a_row(ops):
    ops.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Namespace": "SageMakerNotebookAccess/Ops",
            "MetricName": "RunningMinutes",
            "Dimensions": [{"Name": "NotebookInstanceName", "Value": "team-nb"}],
            "Period": 3600,
            "Statistic": "Sum",
            "Threshold": 55,
            "EvaluationPeriods": 8,
        },
    )


def test_running_hours_is_the_minutes_over_sixty(synthesized):
    first = synthesized["notebooks"][0]
    hours = first.metric_running_hours()
    assert hours.expression == "minutes / 60"
    assert hours.using_metrics["minutes"].metric_name == "RunningMinutes"
    assert hours.period.to_seconds() == 3600


def test_a_notebook_without_idle_stop_has_no_idle_stop_metric(synthesized):
    never_stops = synthesized["notebooks"][2]
    with pytest.raises(ValidationError, match="idle_timeout_minutes=None"):
        never_stops.metric_idle_stops()


# ---------------------------------------------------------------- dashboard


def test_the_dashboard_shows_the_api_and_its_notebooks(ops):
    (dashboard,) = ops.find_resources("AWS::CloudWatch::Dashboard").values()
    assert dashboard["Properties"]["DashboardName"] == "team-notebooks"
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for needle in (
        "UrlsMinted",
        "NotInService",
        "UpstreamErrors",
        "Throttled",
        "BlockedRequests",
        "Latency",
        "RunningMinutes",
        "IdleStops",
        'MetricName=\\\\\\"Denied\\\\\\"',
    ):
        assert needle in body, needle
