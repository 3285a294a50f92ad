"""Idle auto-stop: the checker's decision (plain Python), the checker and its installer run for
real against a fake Jupyter, and what the construct puts in the template (one synth)."""

from __future__ import annotations

import ast
import base64
import glob
import gzip
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk.assertions import Template
from template_lookup import the_one

from sagemaker_notebook_access import (
    IpRestrictedNotebook,
    NotebookInstance,
    ValidationError,
)
from sagemaker_notebook_access.limits import NOTEBOOK_LOG_GROUP
from sagemaker_notebook_access.notebook.idle_stop_lifecycle import (
    CHECKER_PATH,
    CONTENT_MAX_CHARS,
    CRON_FILE,
    JUPYTER_PYTHON,
    LOG_FILE,
    RUN_AS_USER,
    SYSTEM_PYTHON,
    UNIT_DIR,
    on_start_content,
    on_start_script,
)
from sagemaker_notebook_access.runtime import idle_stop
from sagemaker_notebook_access.runtime.idle_stop import (
    Decision,
    StopFailed,
    decide,
    notebook_name,
    parse_timestamp,
    run,
)

UTC = timezone.utc  # noqa: UP017 -- mirrors the checker, which must run on Python 3.9
NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
HOUR = 3600
LONG_AGO = "2024-05-01T09:30:00.000000Z"  # 2.5 hours before NOW
RECENT = "2024-05-01T11:50:00.000000Z"  # 10 minutes before NOW
STARTED_LONG_AGO = NOW - timedelta(days=1)
CHECKER_SOURCE = Path(idle_stop.__file__).read_text(encoding="utf-8")
ENV = cdk.Environment(account="123456789012", region="eu-west-1")
CIDRS = ["198.51.100.0/24"]


# Shapes of Jupyter Server's REST API (GET /api/kernels, /api/sessions, /api/terminals).
def kernel(kernel_id: str, state: str = "idle", last_activity: object = LONG_AGO) -> dict:
    return {
        "id": kernel_id,
        "name": "python3",
        "last_activity": last_activity,
        "execution_state": state,
        "connections": 1,
    }


def session(k: dict) -> dict:
    return {
        "id": f"session-{k['id']}",
        "path": "analysis.ipynb",
        "name": "analysis.ipynb",
        "type": "notebook",
        "kernel": k,
        "notebook": {"path": "analysis.ipynb", "name": "analysis.ipynb"},
    }


def decide_for(kernels: list[dict], *, started=STARTED_LONG_AGO, now=NOW, terminals=()):
    """A notebook per kernel, as Jupyter reports it: each kernel in both lists."""
    return decide(
        [session(k) for k in kernels],
        kernels,
        now=now,
        idle_seconds=HOUR,
        started=started,
        terminals=list(terminals),
    )


# --- the decision -------------------------------------------------------------------------


def test_busy_kernel_is_not_idle_however_old_its_activity():
    decision = decide_for([kernel("k1", state="busy", last_activity=LONG_AGO)])
    assert decision == Decision(False, "kernel k1 is busy")


@pytest.mark.parametrize("state", ["starting", "restarting", "autorestarting", None])
def test_kernel_not_known_to_be_quiet_counts_as_activity(state):
    assert not decide_for([kernel("k1", state=state)]).idle


def test_idle_kernel_recently_active_is_not_idle():
    decision = decide_for([kernel("k1", last_activity=RECENT)])
    assert not decision.idle
    assert "idle 10 min since 2024-05-01T11:50:00Z" in decision.reason


def test_idle_kernel_long_inactive_is_idle():
    decision = decide_for([kernel("k1", last_activity=LONG_AGO)])
    assert decision.idle
    assert decision.reason == "1 kernel(s), idle 150 min since 2024-05-01T09:30:00Z"


def test_one_recently_active_kernel_keeps_the_instance_up():
    kernels = [kernel("old", last_activity=LONG_AGO), kernel("new", last_activity=RECENT)]
    assert not decide_for(kernels).idle


def test_dead_kernel_long_inactive_is_idle():
    assert decide_for([kernel("k1", state="dead")]).idle


def test_kernel_without_a_session_counts():
    # A console kernel shows in /api/kernels only.
    busy = kernel("console", state="busy")
    assert not decide([], [busy], now=NOW, idle_seconds=HOUR, started=STARTED_LONG_AGO).idle


def test_kernel_in_a_session_only_counts():
    busy = kernel("k1", state="busy")
    assert not decide([session(busy)], [], now=NOW, idle_seconds=HOUR, started=None).idle


def test_terminals_are_optional():
    quiet = kernel("k1")
    decision = decide([session(quiet)], [quiet], now=NOW, idle_seconds=HOUR, started=None)
    assert decision.idle


def test_no_kernels_idle_since_start():
    assert decide_for([], started=NOW - timedelta(hours=2)).idle


def test_no_kernels_fresh_start_is_not_idle():
    assert not decide_for([], started=NOW - timedelta(minutes=10)).idle


def test_no_kernels_and_no_start_time_is_not_idle():
    decision = decide_for([], started=None)
    assert decision == Decision(False, "no kernels and no start time to measure idleness from")


def test_start_time_newer_than_kernel_activity_counts():
    # Jupyter restarted 10 minutes ago; the kernel's activity predates it.
    assert not decide_for([kernel("k1")], started=NOW - timedelta(minutes=10)).idle


def test_boundary_exactly_the_idle_time_is_idle():
    at = "2024-05-01T11:00:00.000000Z"
    assert decide_for([kernel("k1", last_activity=at)]).idle
    assert not decide_for([kernel("k1", last_activity=at)], now=NOW - timedelta(seconds=1)).idle
    assert not decide_for([kernel("k1", last_activity="2024-05-01T11:00:00.000001Z")]).idle


def test_activity_in_the_future_is_not_idle():
    assert not decide_for([kernel("k1", last_activity="2024-05-01T13:00:00Z")]).idle


def test_recent_terminal_keeps_the_instance_up():
    terminals = [{"name": "1", "last_activity": RECENT}]
    assert not decide_for([kernel("k1")], terminals=terminals).idle
    assert decide_for([kernel("k1")], terminals=[{"name": "1", "last_activity": LONG_AGO}]).idle


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "",
        None,
        1714564800,
        "2024-02-30T00:00:00Z",  # no such day
        "2024-05-01T12:00Z",  # no seconds
        "2024-05-01T12:00:00.123456Zjunk",
        "2024-05-01T12:00:00+2",
    ],
)
def test_unreadable_last_activity_counts_as_activity(value):
    assert parse_timestamp(value) is None
    decision = decide_for([kernel("k1", last_activity=value)])
    assert decision == Decision(False, "kernel k1 has no readable last_activity")


def test_unreadable_terminal_activity_counts_as_activity():
    assert not decide_for([], terminals=[{"name": "1", "last_activity": "soon"}]).idle


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T12:00:00.123456Z", datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)),
        ("2024-05-01T12:00:00.123456z", datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)),
        ("2024-05-01T12:00:00Z", datetime(2024, 5, 1, 12, tzinfo=UTC)),
        ("2024-05-01T12:00:00.123456", datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)),
        ("2024-05-01T12:00:00", datetime(2024, 5, 1, 12, tzinfo=UTC)),
        ("2024-05-01 12:00:00.5", datetime(2024, 5, 1, 12, 0, 0, 500000, tzinfo=UTC)),
        ("2024-05-01T12:00:00.123456789Z", datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)),
        ("2024-05-01T12:00:00+00:00", datetime(2024, 5, 1, 12, tzinfo=UTC)),
        ("2024-05-01T14:00:00+02:00", datetime(2024, 5, 1, 12, tzinfo=UTC)),
        ("2024-05-01T07:00:00-0500", datetime(2024, 5, 1, 12, tzinfo=UTC)),
    ],
)
def test_parses_jupyter_timestamps_with_and_without_zone(text, expected):
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.tzinfo is not None


@pytest.mark.parametrize(
    ("sessions", "kernels"),
    [
        ({"message": "Forbidden", "reason": None}, []),
        ([], {"message": "Forbidden"}),
        (["not an object"], []),
        ([{"id": "s1", "kernel": "k1"}], []),
    ],
)
def test_unexpected_response_is_not_idle(sessions, kernels):
    decision = decide(sessions, kernels, now=NOW, idle_seconds=HOUR, started=STARTED_LONG_AGO)
    assert not decision.idle
    assert decision.reason.startswith("unreadable Jupyter response")


# --- one check: fetch, decide, stop only when idle ---------------------------------------


class FakeJupyter:
    """``fetch(path)`` answers from a dict; a missing path raises like an HTTP 404."""

    def __init__(self, responses: dict):
        self.responses = responses
        self.paths: list[str] = []

    def __call__(self, path: str):
        self.paths.append(path)
        if path not in self.responses:
            raise OSError(f"HTTP 404 for {path}")
        return self.responses[path]


def jupyter(kernels: list[dict], *, started: str = "2024-04-30T12:00:00.000000Z") -> FakeJupyter:
    return FakeJupyter(
        {
            "/api/sessions": [session(k) for k in kernels],
            "/api/kernels": kernels,
            "/api/terminals": [],
            "/api/status": {"connections": 0, "kernels": len(kernels), "started": started},
        }
    )


class Stopper:
    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1


def test_stops_once_when_idle():
    stop, lines = Stopper(), []
    decision = run(jupyter([kernel("k1")]), stop, now=NOW, idle_seconds=HOUR, log=lines.append)
    assert decision.idle
    assert stop.calls == 1
    assert [json.loads(line) for line in lines] == [
        {
            "event": "idle-stop",
            "notebook": None,
            "action": "stop",
            "detail": "2024-05-01T12:00:00Z: 1 kernel(s), idle 150 min since "
            "2024-05-01T09:30:00Z: stopped the notebook instance",
        }
    ]


def test_a_failed_stop_writes_one_error_line_and_no_stop_line():
    # The notebook metrics count lines: one per check is 5 minutes running, and a "stop"
    # line must mean SageMaker took the stop.
    lines = []

    def refused():
        raise RuntimeError("ValidationException: Status (Stopping) not in ([InService])")

    with pytest.raises(StopFailed):
        run(jupyter([kernel("k1")]), refused, now=NOW, idle_seconds=HOUR, log=lines.append)
    ((line,),) = [[json.loads(text) for text in lines]]
    assert line["action"] == "error"
    assert "not stopped: RuntimeError" in line["detail"]


@pytest.mark.parametrize(
    "kernels",
    [[kernel("k1", state="busy")], [kernel("k1", last_activity=RECENT)]],
    ids=["busy", "recent"],
)
def test_does_not_stop_when_not_idle(kernels):
    stop, lines = Stopper(), []
    run(jupyter(kernels), stop, now=NOW, idle_seconds=HOUR, log=lines.append)
    assert stop.calls == 0
    assert json.loads(lines[0])["action"] == "keep"
    assert json.loads(lines[0])["detail"].endswith(": keep running")


def test_dry_run_never_stops():
    stop, lines = Stopper(), []
    decision = run(
        jupyter([kernel("k1")]), stop, now=NOW, idle_seconds=HOUR, dry_run=True, log=lines.append
    )
    assert decision.idle
    assert stop.calls == 0
    assert json.loads(lines[0])["action"] == "dry-run"
    assert json.loads(lines[0])["detail"].endswith(": would stop (dry run)")


def test_asks_jupyter_for_sessions_kernels_terminals_and_status():
    fetch = jupyter([])
    run(fetch, Stopper(), now=NOW, idle_seconds=HOUR, log=lambda _: None)
    assert fetch.paths == ["/api/sessions", "/api/kernels", "/api/terminals", "/api/status"]


def test_fresh_jupyter_start_is_not_idle():
    stop = Stopper()
    fetch = jupyter([], started="2024-05-01T11:55:00.000000Z")
    run(fetch, stop, now=NOW, idle_seconds=HOUR, boot_time=STARTED_LONG_AGO, log=lambda _: None)
    assert stop.calls == 0


def test_without_terminals_and_status_falls_back_to_boot_time():
    fetch = FakeJupyter({"/api/sessions": [], "/api/kernels": []})
    stop = Stopper()
    run(fetch, stop, now=NOW, idle_seconds=HOUR, boot_time=None, log=lambda _: None)
    assert stop.calls == 0  # nothing to measure from
    run(fetch, stop, now=NOW, idle_seconds=HOUR, boot_time=STARTED_LONG_AGO, log=lambda _: None)
    assert stop.calls == 1


def test_unreachable_jupyter_raises_and_does_not_stop():
    stop = Stopper()
    with pytest.raises(OSError, match="/api/sessions"):
        run(FakeJupyter({}), stop, now=NOW, idle_seconds=HOUR, log=lambda _: None)
    assert stop.calls == 0


def metadata_file(tmp_path: Path) -> str:
    # As SageMaker writes it on the instance (nbi-metadata).
    path = tmp_path / "resource-metadata.json"
    arn = "arn:aws:sagemaker:eu-west-1:123456789012:notebook-instance/analysis"
    path.write_text(json.dumps({"ResourceArn": arn, "ResourceName": "analysis"}))
    return str(path)


def test_stops_itself_with_boto3_in_its_own_region(tmp_path):
    """Real boto3 against moto's SageMaker (moto implements StopNotebookInstance)."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("sagemaker", region_name="eu-west-1")
        client.create_notebook_instance(
            NotebookInstanceName="analysis",
            InstanceType="ml.t3.medium",
            RoleArn="arn:aws:iam::123456789012:role/notebook",
        )
        idle_stop.sagemaker_stopper(metadata_file(tmp_path))()
        status = client.describe_notebook_instance(NotebookInstanceName="analysis")
        assert status["NotebookInstanceStatus"] == "Stopped"


def test_stops_itself_with_the_aws_cli_without_boto3(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "boto3", None)  # import boto3 raises ImportError
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "aws").write_text(f'#!/bin/sh\necho "$@" > {tmp_path}/aws.args\n')
    (bin_dir / "aws").chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    idle_stop.sagemaker_stopper(metadata_file(tmp_path))()
    assert (tmp_path / "aws.args").read_text().split() == [
        "sagemaker",
        "stop-notebook-instance",
        "--region",
        "eu-west-1",
        "--notebook-instance-name",
        "analysis",
    ]


def test_creates_sagemakers_log_group_once_and_takes_an_existing_one(tmp_path):
    """Real boto3 against moto's CloudWatch Logs, in the instance's own region."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        meta = metadata_file(tmp_path)
        assert idle_stop.ensure_log_group(NOTEBOOK_LOG_GROUP, meta) == "created"
        assert idle_stop.ensure_log_group(NOTEBOOK_LOG_GROUP, meta) == "exists"
        client = boto3.client("logs", region_name="eu-west-1")
        names = [g["logGroupName"] for g in client.describe_log_groups()["logGroups"]]
        assert names == [NOTEBOOK_LOG_GROUP]


def test_a_refused_log_group_create_is_an_error(tmp_path, monkeypatch):
    """botocore's Stubber refuses the call as CloudWatch Logs would (AccessDenied)."""
    import boto3
    from botocore.exceptions import ClientError
    from botocore.stub import Stubber

    client = boto3.client("logs", region_name="eu-west-1")
    stubber = Stubber(client)
    stubber.add_client_error("create_log_group", service_error_code="AccessDeniedException")
    monkeypatch.setattr(boto3, "client", lambda *args, **kwargs: client)
    with stubber, pytest.raises(ClientError, match="AccessDeniedException"):
        idle_stop.ensure_log_group(NOTEBOOK_LOG_GROUP, metadata_file(tmp_path))


@pytest.mark.parametrize(
    ("exit_code", "stderr", "outcome"),
    [
        (0, "", "created"),
        (254, "An error occurred (ResourceAlreadyExistsException) when calling", "exists"),
        (254, "An error occurred (AccessDeniedException) when calling", None),
    ],
)
def test_creates_the_log_group_with_the_aws_cli_without_boto3(
    tmp_path, monkeypatch, exit_code, stderr, outcome
):
    monkeypatch.setitem(sys.modules, "boto3", None)  # import boto3 raises ImportError
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "aws").write_text(
        f'#!/bin/sh\necho "$@" > {tmp_path}/aws.args\necho "{stderr}" >&2\nexit {exit_code}\n'
    )
    (bin_dir / "aws").chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    meta = metadata_file(tmp_path)
    if outcome is None:
        with pytest.raises(OSError, match="create-log-group failed"):
            idle_stop.ensure_log_group(NOTEBOOK_LOG_GROUP, meta)
    else:
        assert idle_stop.ensure_log_group(NOTEBOOK_LOG_GROUP, meta) == outcome
    assert (tmp_path / "aws.args").read_text().split() == [
        "logs",
        "create-log-group",
        "--region",
        "eu-west-1",
        "--log-group-name",
        NOTEBOOK_LOG_GROUP,
    ]


# --- the checker as a program, against a local fake Jupyter ------------------------------


class FakeJupyterServer:
    """Serves fixed JSON per path over HTTP (or HTTPS with a self-signed certificate)."""

    def __init__(self):
        self.responses: dict[str, tuple[int, object]] = {}
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                status, body = server.responses.get(self.path, (404, {"message": "Not Found"}))
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def serve(self, kernels: list[dict], *, started: str) -> None:
        self.responses = {
            "/api/sessions": (200, [session(k) for k in kernels]),
            "/api/kernels": (200, kernels),
            "/api/terminals": (200, []),
            "/api/status": (200, {"connections": 0, "kernels": len(kernels), "started": started}),
        }

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@pytest.fixture
def fake_jupyter():
    server = FakeJupyterServer()
    yield server
    server.close()


def embedded_checker(script: str) -> str:
    """The checker as the OnStart script writes it to disk: the heredoc, unpacked."""
    start = script.index("<<'IDLE_STOP_PY_EOF'") + len("<<'IDLE_STOP_PY_EOF'")
    start = script.index("\n", start) + 1
    packed = script[start : script.index("\nIDLE_STOP_PY_EOF\n", start) + 1]
    return gzip.decompress(base64.b64decode(packed)).decode("utf-8")


@pytest.fixture(scope="module")
def checker_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("checker") / "sagemaker-idle-stop.py"
    path.write_text(embedded_checker(on_start_script(60)), encoding="utf-8")
    return path


def run_checker(checker: Path, *args: str, python: str = sys.executable, env=None):
    return subprocess.run(
        [python, str(checker), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def check_against(jupyter, checker: Path, *args: str, **kwargs):
    """One check with a 60-minute idle time against ``jupyter`` (a FakeJupyterServer)."""
    return run_checker(
        checker, "--idle-minutes", "60", "--jupyter-url", jupyter.url, *args, **kwargs
    )


def touch_command(marker: Path) -> str:
    return shlex.join([sys.executable, "-c", "import sys; open(sys.argv[1], 'w')", str(marker)])


def test_embedded_checker_is_the_module_verbatim(checker_file):
    assert checker_file.read_text(encoding="utf-8") == CHECKER_SOURCE


def test_checker_stops_an_idle_notebook(fake_jupyter, checker_file, tmp_path):
    fake_jupyter.serve(
        [kernel("k1", last_activity=iso(datetime.now(UTC) - timedelta(hours=2)))],
        started=iso(datetime.now(UTC) - timedelta(days=1)),
    )
    marker = tmp_path / "stopped"
    result = check_against(
        fake_jupyter,
        checker_file,
        "--stop-command",
        touch_command(marker),
    )
    assert result.returncode == 0, result.stderr
    assert marker.exists()
    assert "idle 120 min" in result.stdout
    assert json.loads(result.stdout)["detail"].endswith(": stopped the notebook instance")
    assert fake_jupyter.requests[:2] == ["/api/sessions", "/api/kernels"]


def test_checker_keeps_a_busy_notebook(fake_jupyter, checker_file, tmp_path):
    fake_jupyter.serve([kernel("k1", state="busy")], started=iso(datetime.now(UTC)))
    marker = tmp_path / "stopped"
    result = run_checker(
        checker_file,
        "--idle-minutes",
        "60",
        "--stop-command",
        touch_command(marker),
        env={"IDLE_STOP_JUPYTER_URL": fake_jupyter.url},
    )
    assert result.returncode == 0, result.stderr
    assert not marker.exists()
    assert "kernel k1 is busy: keep running" in result.stdout


def test_checker_dry_run_only_reports(fake_jupyter, checker_file, tmp_path):
    fake_jupyter.serve([], started=iso(datetime.now(UTC) - timedelta(days=1)))
    marker = tmp_path / "stopped"
    result = run_checker(
        checker_file,
        "--idle-minutes",
        "60",
        "--dry-run",
        env={"IDLE_STOP_JUPYTER_URL": fake_jupyter.url, "IDLE_STOP_COMMAND": touch_command(marker)},
    )
    assert result.returncode == 0, result.stderr
    assert not marker.exists()
    assert json.loads(result.stdout)["detail"].endswith(": would stop (dry run)")


def test_checker_does_not_stop_when_jupyter_fails(fake_jupyter, checker_file, tmp_path):
    fake_jupyter.responses = {"/api/sessions": (500, {"message": "boom"})}
    marker = tmp_path / "stopped"
    result = check_against(
        fake_jupyter,
        checker_file,
        "--stop-command",
        touch_command(marker),
    )
    assert result.returncode == 1
    assert not marker.exists()
    # Still a check line: the instance ran these 5 minutes (its running-minutes metric).
    line = json.loads(result.stderr)
    assert (line["event"], line["action"]) == ("idle-stop", "error")
    assert ": not stopped: " in line["detail"]


def test_checker_reports_a_failed_stop(fake_jupyter, checker_file):
    fake_jupyter.serve([], started=iso(datetime.now(UTC) - timedelta(days=1)))
    failing = shlex.join([sys.executable, "-c", "raise SystemExit(3)"])
    result = check_against(
        fake_jupyter,
        checker_file,
        "--stop-command",
        failing,
    )
    assert result.returncode == 1
    # One line for the check (the metrics count lines), and it says the stop failed.
    lines = [json.loads(text) for text in (result.stdout + result.stderr).splitlines()]
    assert [line["action"] for line in lines] == ["error"]
    assert "not stopped" in lines[0]["detail"]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl for a test cert")
def test_checker_accepts_jupyters_self_signed_loopback_certificate(checker_file, tmp_path):
    import ssl

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *shlex.split("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=jupyter"),
            *["-keyout", str(key), "-out", str(cert)],
        ],
        check=True,
        capture_output=True,
    )
    server = FakeJupyterServer()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.httpd.socket = context.wrap_socket(server.httpd.socket, server_side=True)
    try:
        server.serve([], started=iso(datetime.now(UTC)))
        port = server.httpd.server_address[1]
        result = run_checker(
            checker_file,
            "--idle-minutes",
            "60",
            "--dry-run",
            "--jupyter-url",
            f"https://localhost:{port}",
        )
    finally:
        server.close()
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["detail"].endswith(": keep running")


def test_checker_rejects_a_non_http_url(checker_file):
    result = run_checker(
        checker_file, "--idle-minutes", "60", "--jupyter-url", "file:///etc/passwd", "--dry-run"
    )
    assert result.returncode == 1
    assert "is not http(s)" in result.stderr


def test_checker_is_python_39_syntax():
    # notebook-al2023-v1's /usr/bin/python3 is 3.9.
    ast.parse(CHECKER_SOURCE, feature_version=(3, 9))


def python_39() -> str | None:
    candidates = [shutil.which("python3.9")]
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.9*/bin/python3.9")))
    for candidate in filter(None, candidates):
        probe = subprocess.run([candidate, "-c", "pass"], capture_output=True, check=False)
        if probe.returncode == 0:
            return candidate
    return None


@pytest.mark.skipif(python_39() is None, reason="no Python 3.9 interpreter here")
def test_checker_runs_on_python_39(fake_jupyter, checker_file, tmp_path):
    fake_jupyter.serve([kernel("k1")], started=iso(datetime.now(UTC) - timedelta(days=1)))
    marker = tmp_path / "stopped"
    result = check_against(
        fake_jupyter,
        checker_file,
        "--stop-command",
        touch_command(marker),
        python=python_39(),
    )
    assert result.returncode == 0, result.stderr
    assert marker.exists()


# --- the OnStart script run as SageMaker runs it; its lines run as cron and systemd do -----
#
# Real here: bash, runuser (as root, to an unprivileged user), chown, chmod, base64, gzip,
# timeout, the checker, and systemd's own unit parser (`systemd-analyze verify`). Stand-ins,
# because no real one can run in this sandbox: Jupyter (FakeJupyterServer), the interpreter
# under /home (a script that records who runs it), `crontab` (the script only asks whether it
# exists: put LAST on PATH, it shadows nothing), and, in the systemd branch only, `systemctl`
# (no systemd is PID 1 here; put first so the real one is not asked for a manager that is not
# there). ec2-user does not exist here: the script runs the checker as `nobody` instead.

# "Customize a SageMaker notebook instance using an LCC script" (SageMaker developer guide):
# lifecycle scripts run as root with this PATH.
LIFECYCLE_PATH = "/sbin:/bin:/usr/sbin:/usr/bin"
# crontab(5) (cronie on Amazon Linux, and Debian's cron): "SHELL is set to /bin/sh, and
# LOGNAME and HOME are set from the /etc/passwd line of the crontab's owner. PATH is set
# to "/usr/bin:/bin"." Variables a crontab sets itself are added to these.
CRON_ENV = {"SHELL": "/bin/sh", "PATH": "/usr/bin:/bin", "HOME": "/root", "LOGNAME": "root"}
# systemd.exec(5): services get a fixed PATH and no shell; ExecStart= is split by systemd.
SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"
TEST_USER = "nobody"


@pytest.fixture
def sandbox():
    """A directory the unprivileged user can traverse (pytest's tmp_path is root-only)."""
    if os.geteuid() != 0:
        pytest.fail("the OnStart script runs as root (as SageMaker runs it): run the suite as root")
    path = Path(tempfile.mkdtemp(prefix="idle-stop-", dir="/tmp"))
    path.chmod(0o755)
    shared = path / "shared"  # where the checker, as the test user, may write
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    yield path
    shutil.rmtree(path)


def stand_in(directory: Path, name: str, body: str) -> None:
    directory.mkdir(exist_ok=True)
    (directory / name).write_text("#!/bin/bash\n" + body)
    (directory / name).chmod(0o755)


def fake_jupyter_python_path(root: Path) -> Path:
    return root / "home" / "JupyterSystemEnv" / "python"


def fake_jupyter_python(root: Path) -> Path:
    """Stands in for the interpreter under /home: records who really runs it (`id -un`), has
    boto3 for the boot probe, and otherwise runs the real python3."""
    python = fake_jupyter_python_path(root)
    python.parent.mkdir(parents=True)
    calls = root / "shared" / "home-python.calls"
    python.write_text(
        "#!/bin/bash\n"
        f'echo "$(/usr/bin/id -un) $*" >> {calls}\n'
        '[ "$*" = "-I -c import boto3" ] && exit 0\n'
        'exec /usr/bin/python3 "$@"\n'
    )
    python.chmod(0o755)
    return python


def local_script(root: Path, minutes: int = 60) -> str:
    """The OnStart script with its system paths moved into ``root`` and its user swapped."""
    script = on_start_script(minutes)
    for system_path, local in [
        (CHECKER_PATH, root / "installed" / "sagemaker-idle-stop.py"),
        (UNIT_DIR, root / "units" / ""),
        (CRON_FILE, root / "cron.d" / "sagemaker-idle-stop"),
        (JUPYTER_PYTHON, fake_jupyter_python(root)),
        (LOG_FILE, root / "idle-stop.log"),
        (f"-u {RUN_AS_USER} ", f"-u {TEST_USER} "),
    ]:
        assert system_path in script
        script = script.replace(system_path, f"{local}{'/' if system_path.endswith('/') else ''}")
    (root / "units").mkdir()
    (root / "cron.d").mkdir()
    return script


def run_on_start(script: str, path: str):
    started = time.monotonic()
    result = subprocess.run(
        ["/bin/bash", "-c", script],
        capture_output=True,
        text=True,
        timeout=240,
        env={"PATH": path, "HOME": "/root"},
    )
    return result, time.monotonic() - started


def with_crontab(root: Path) -> str:
    stand_in(root / "cron-bin", "crontab", "exit 0\n")
    return f"{LIFECYCLE_PATH}:{root / 'cron-bin'}"


def without_crontab(root: Path) -> str:
    assert shutil.which("crontab", path=LIFECYCLE_PATH) is None, "this machine has cron"
    stand_in(root / "systemd-bin", "systemctl", f'echo "$@" >> {root}/systemctl.calls\n')
    return f"{root / 'systemd-bin'}:{LIFECYCLE_PATH}"


def assert_checker_installed_root_owned(root: Path) -> Path:
    installed = root / "installed" / "sagemaker-idle-stop.py"
    assert installed.read_text(encoding="utf-8") == CHECKER_SOURCE
    assert installed.stat().st_mode & 0o777 == 0o755  # nobody but its owner may write it
    assert (installed.stat().st_uid, installed.stat().st_gid) == (0, 0)
    assert not CHECKER_PATH.startswith("/home/")
    return installed


def home_python_callers(root: Path) -> list[str]:
    calls = root / "shared" / "home-python.calls"
    return [line.split()[0] for line in calls.read_text().splitlines()]


def assert_home_python_never_ran_as_root(root: Path) -> None:
    callers = home_python_callers(root)
    assert callers, "the script never probed the Jupyter interpreter"
    assert set(callers) == {TEST_USER}, callers


def assert_runs_as_the_user_isolated(command: str, root: Path) -> None:
    python = fake_jupyter_python_path(root)
    installed = root / "installed" / "sagemaker-idle-stop.py"
    runuser = shutil.which("runuser", path=LIFECYCLE_PATH)
    assert runuser is not None and runuser.startswith("/")
    assert command.startswith(f"{runuser} -u {TEST_USER} -- {python} -I {installed} "), command


def checker_variables(jupyter, marker: Path) -> dict[str, str]:
    """What the test adds to the job's environment (a crontab or a unit could set these)."""
    return {"IDLE_STOP_JUPYTER_URL": jupyter.url, "IDLE_STOP_COMMAND": f"/usr/bin/touch {marker}"}


def test_cron_runs_jobs_without_sbin_on_path():
    """Why the installed line must not name runuser bare: cron's PATH does not reach it."""
    assert shutil.which("runuser", path=CRON_ENV["PATH"]) is None
    assert shutil.which("runuser", path=LIFECYCLE_PATH) is not None


@pytest.mark.skipif(not Path("/usr/bin/python3").exists(), reason="the entry runs python3")
def test_on_start_installs_a_system_cron_entry_that_cron_can_run(sandbox, fake_jupyter):
    script = local_script(sandbox)
    path = with_crontab(sandbox)
    result, seconds = run_on_start(script, path)
    assert result.returncode == 0, result.stderr
    assert seconds < 120  # SageMaker kills lifecycle scripts after 5 minutes
    assert_checker_installed_root_owned(sandbox)
    assert_home_python_never_ran_as_root(sandbox)
    # SageMaker's log group is created at boot, as the user, before the script ends; here
    # (no boto3, no aws) it fails, and the boot goes on.
    installed = sandbox / "installed" / "sagemaker-idle-stop.py"
    ensure = f"{TEST_USER} -I {installed} --ensure-log-group {NOTEBOOK_LOG_GROUP}"
    assert ensure in (sandbox / "shared" / "home-python.calls").read_text().splitlines()
    assert f"could not create log group {NOTEBOOK_LOG_GROUP}" in result.stderr

    # Every start writes the same one line: nothing appears twice.
    result, _ = run_on_start(script, path)
    assert result.returncode == 0, result.stderr
    cron_file = sandbox / "cron.d" / "sagemaker-idle-stop"
    assert cron_file.stat().st_mode & 0o777 == 0o644
    assert (cron_file.stat().st_uid, cron_file.stat().st_gid) == (0, 0)
    (entry,) = cron_file.read_text().splitlines()
    # A system crontab line: schedule, user (root, which only starts runuser), command.
    prefix = "*/5 * * * * root "
    assert entry.startswith(prefix), entry
    command = entry.removeprefix(prefix)

    # The entry, run as cron runs it (root, /bin/sh -c, cron's environment and nothing
    # else), stops an idle notebook as the unprivileged user.
    (sandbox / "shared" / "home-python.calls").unlink()
    fake_jupyter.serve([], started=iso(datetime.now(UTC) - timedelta(days=1)))
    marker = sandbox / "shared" / "stopped"
    job = subprocess.run(
        [CRON_ENV["SHELL"], "-c", command],
        capture_output=True,
        text=True,
        timeout=60,
        env={**CRON_ENV, **checker_variables(fake_jupyter, marker)},
    )
    log = (sandbox / "idle-stop.log").read_text()
    assert job.returncode == 0, log
    assert marker.exists(), log
    assert marker.stat().st_uid != 0  # the stop ran as the user, not as root
    assert "stopped the notebook instance" in log
    assert_home_python_never_ran_as_root(sandbox)
    assert_runs_as_the_user_isolated(command, sandbox)
    assert command.endswith(f" --idle-minutes 60 >> {sandbox}/idle-stop.log 2>&1")


def test_on_start_without_cron_installs_a_systemd_timer_systemd_accepts(sandbox, fake_jupyter):
    result, _ = run_on_start(local_script(sandbox, minutes=30), without_crontab(sandbox))
    assert result.returncode == 0, result.stderr
    assert_checker_installed_root_owned(sandbox)
    assert_home_python_never_ran_as_root(sandbox)
    units = sandbox / "units"
    service, timer = units / "sagemaker-idle-stop.service", units / "sagemaker-idle-stop.timer"
    for unit in (service, timer):
        assert unit.stat().st_mode & 0o777 == 0o644
        assert unit.stat().st_uid == 0
    assert "OnCalendar=*:0/5" in timer.read_text()
    calls = (sandbox / "systemctl.calls").read_text().splitlines()
    assert calls == ["daemon-reload", "enable --now sagemaker-idle-stop.timer"]

    # systemd's own parser: no unknown setting, every ExecStart= executable found.
    verify = subprocess.run(
        ["systemd-analyze", "verify", str(service), str(timer)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert verify.returncode == 0 and verify.stderr == "", verify.stderr
    lines = service.read_text().splitlines()
    (exec_start,) = [line for line in lines if line.startswith("ExecStart=")]
    command = exec_start.removeprefix("ExecStart=")

    # Run as systemd runs it: no shell, its fixed PATH, output appended to the log.
    fake_jupyter.serve([], started=iso(datetime.now(UTC) - timedelta(days=1)))
    marker = sandbox / "shared" / "stopped"
    with (sandbox / "idle-stop.log").open("a") as log:
        subprocess.run(
            shlex.split(command),
            stdout=log,
            stderr=log,
            timeout=60,
            check=True,
            env={"PATH": SYSTEMD_PATH, **checker_variables(fake_jupyter, marker)},
        )
    assert marker.exists(), (sandbox / "idle-stop.log").read_text()
    assert_runs_as_the_user_isolated(command, sandbox)
    assert command.endswith("sagemaker-idle-stop.py --idle-minutes 30")


def test_systemd_refuses_a_unit_that_names_runuser_by_a_missing_path(sandbox):
    """The verify step has teeth: an ExecStart= systemd cannot execute is reported."""
    unit = sandbox / "broken.service"
    unit.write_text("[Service]\nType=oneshot\nExecStart=/usr/local/sbin/runuser -u nobody -- id\n")
    verify = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert verify.returncode != 0
    assert "is not executable" in verify.stderr


def test_on_start_without_jupyter_python_runs_the_system_python(sandbox):
    script = local_script(sandbox)
    fake_jupyter_python_path(sandbox).unlink()
    result, _ = run_on_start(script, with_crontab(sandbox))
    assert result.returncode == 0, result.stderr
    (entry,) = (sandbox / "cron.d" / "sagemaker-idle-stop").read_text().splitlines()
    assert f"-u {TEST_USER} -- {SYSTEM_PYTHON} -I " in entry


def test_on_start_content_fails_over_the_size_limit(monkeypatch, tmp_path):
    from sagemaker_notebook_access.notebook import idle_stop_lifecycle

    big = tmp_path / "idle_stop.py"
    big.write_text(os.urandom(CONTENT_MAX_CHARS).hex())  # hex of random bytes: incompressible
    monkeypatch.setattr(idle_stop_lifecycle, "CHECKER_SOURCE", big)
    with pytest.raises(ValueError, match=r"base64 characters; SageMaker allows 16384"):
        on_start_content(60)


# --- the construct ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def templates() -> dict[str, Template]:
    """One app, synthesized once: default props, idle stop off with DESTROY, a 30-minute
    NotebookInstance, and a timeout from a CloudFormation parameter."""
    app = cdk.App()
    default = cdk.Stack(app, "Default", env=ENV)
    IpRestrictedNotebook(default, "Nb", allowed_cidrs=CIDRS)
    off = cdk.Stack(app, "IdleStopOff", env=ENV)
    IpRestrictedNotebook(
        off,
        "Nb",
        allowed_cidrs=CIDRS,
        idle_timeout_minutes=None,
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    plain = cdk.Stack(app, "Plain", env=ENV)
    NotebookInstance(plain, "Nb", vpc=ec2.Vpc(plain, "Vpc"), idle_timeout_minutes=30)
    param = cdk.Stack(app, "Parameter", env=ENV)
    minutes = cdk.CfnParameter(param, "IdleMinutes", type="Number", default=45)
    NotebookInstance(
        param, "Nb", vpc=ec2.Vpc(param, "Vpc"), idle_timeout_minutes=minutes.value_as_number
    )
    app.synth()
    return {stack.stack_name: Template.from_stack(stack) for stack in (default, off, plain, param)}


def on_start_of(template: Template) -> tuple[str, str]:
    """The OnStart Content of the notebook's lifecycle config, and the script it decodes to."""
    config_id, config = the_one(template, "AWS::SageMaker::NotebookInstanceLifecycleConfig")
    _, notebook = the_one(template, "AWS::SageMaker::NotebookInstance")
    assert notebook["Properties"]["LifecycleConfigName"] == {
        "Fn::GetAtt": [config_id, "NotebookInstanceLifecycleConfigName"]
    }
    hooks = config["Properties"]["OnStart"]
    assert len(hooks) == 1
    content = hooks[0]["Content"]
    return content, base64.b64decode(content, validate=True).decode("utf-8")


def statements_of_notebook_role(template: Template) -> list[dict]:
    _, notebook = the_one(template, "AWS::SageMaker::NotebookInstance")
    role_id = notebook["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    statements = []
    for type_ in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
        for policy in template.find_resources(type_).values():
            if {"Ref": role_id} in policy["Properties"].get("Roles", []):
                statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def all_actions(template: Template) -> set[str]:
    actions = set()
    for type_ in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
        for policy in template.find_resources(type_).values():
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                action = statement.get("Action", [])
                actions.update([action] if isinstance(action, str) else action)
    return actions


def test_default_attaches_an_idle_stop_lifecycle_config(templates):
    content, script = on_start_of(templates["Default"])
    assert len(content) <= CONTENT_MAX_CHARS
    assert script.startswith("#!/bin/bash\n")
    assert f"CHECKER={CHECKER_PATH}\n" in script
    assert '$CHECKER --idle-minutes 60"\n' in script
    assert "*/5 * * * *" in script
    assert embedded_checker(script) == CHECKER_SOURCE
    # Compressed, the checker leaves room to grow under SageMaker's limit.
    assert len(content) < CONTENT_MAX_CHARS * 0.75


def test_default_script_downloads_nothing(templates):
    _, script = on_start_of(templates["Default"])
    for fetcher in ("wget", "curl", "pip install", "aws s3", "git clone"):
        assert fetcher not in script


def test_default_role_may_stop_only_its_own_notebook(templates):
    template = templates["Default"]
    notebook_id, _ = the_one(template, "AWS::SageMaker::NotebookInstance")
    stops = [
        s
        for s in statements_of_notebook_role(template)
        if "sagemaker:StopNotebookInstance" in s["Action"]
    ]
    assert len(stops) == 1
    assert stops[0]["Effect"] == "Allow"
    assert stops[0]["Resource"] == {"Fn::GetAtt": [notebook_id, "NotebookInstanceArn"]}
    assert sorted(stops[0]["Action"]) == [
        "sagemaker:DescribeNotebookInstance",
        "sagemaker:StopNotebookInstance",
    ]


def test_disabled_has_no_lifecycle_config_and_no_stop_permission(templates):
    template = templates["IdleStopOff"]
    template.resource_count_is("AWS::SageMaker::NotebookInstanceLifecycleConfig", 0)
    _, notebook = the_one(template, "AWS::SageMaker::NotebookInstance")
    assert "LifecycleConfigName" not in notebook["Properties"]
    assert "sagemaker:StopNotebookInstance" not in all_actions(template)
    describe = [
        s
        for s in statements_of_notebook_role(template)
        if "sagemaker:DescribeNotebookInstance" in s["Action"]
    ]
    assert [s["Sid"] for s in describe] == ["DescribeItself"]


def test_notebook_instance_takes_its_own_timeout(templates):
    _, script = on_start_of(templates["Plain"])
    assert '$CHECKER --idle-minutes 30"\n' in script
    assert "--idle-minutes 60" not in script


def test_timeout_from_a_parameter_is_resolved_by_cloudformation(templates):
    template = templates["Parameter"]
    _, config = the_one(template, "AWS::SageMaker::NotebookInstanceLifecycleConfig")
    content = config["Properties"]["OnStart"][0]["Content"]
    parts = content["Fn::Base64"]["Fn::Join"][1]
    assert {"Ref": "IdleMinutes"} in parts
    script = "".join(p if isinstance(p, str) else "<minutes>" for p in parts)
    assert '$CHECKER --idle-minutes <minutes>"\n' in script
    assert len(base64.b64encode(script.replace("<minutes>", "1440").encode())) <= CONTENT_MAX_CHARS


@pytest.mark.parametrize(
    ("stack", "policy"),
    [("Default", ("RetainExceptOnCreate", "Retain")), ("IdleStopOff", ("Delete", "Delete"))],
    ids=["RETAIN_ON_UPDATE_OR_DELETE", "DESTROY"],
)
def test_removal_policy_applies_to_the_notebook_key(templates, stack, policy):
    template = templates[stack]
    _, notebook = the_one(template, "AWS::SageMaker::NotebookInstance")
    key_id = notebook["Properties"]["KmsKeyId"]["Ref"]
    key = template.to_json()["Resources"][key_id]
    assert key["Type"] == "AWS::KMS::Key"
    assert (key["DeletionPolicy"], key["UpdateReplacePolicy"]) == policy


# --- validation ---------------------------------------------------------------------------


def new_notebook(**props) -> NotebookInstance:
    stack = cdk.Stack(cdk.App(), "S", env=ENV)
    return NotebookInstance(stack, "Nb", vpc=ec2.Vpc(stack, "Vpc"), **props)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "idle_timeout_minutes 0 minutes is out of range: allowed 5..1440 minutes"),
        (4, "idle_timeout_minutes 4 minutes is out of range: allowed 5..1440 minutes"),
        (1441, "idle_timeout_minutes 1441 minutes is out of range: allowed 5..1440 minutes"),
        (-60, "idle_timeout_minutes -60 minutes is out of range: allowed 5..1440 minutes"),
    ],
)
def test_fails_idle_timeout_out_of_range(value, message):
    with pytest.raises(ValidationError) as error:
        new_notebook(idle_timeout_minutes=value)
    # Like aws-cdk's ValidationError(msg, scope): the message ends with the construct's path.
    assert str(error.value) == f"{message} (at S/Nb)"
    assert error.value.construct_path == "S/Nb"


@pytest.mark.parametrize(("value", "shown"), [(30.5, "30.5"), (True, "True"), ("60", "'60'")])
def test_fails_idle_timeout_not_a_whole_number(value, shown):
    with pytest.raises(ValidationError) as error:
        new_notebook(idle_timeout_minutes=value)
    assert str(error.value) == (
        f"idle_timeout_minutes must be a whole number, got {shown} (at S/Nb)"
    )


def test_fails_idle_timeout_passed_through_ip_restricted_notebook():
    stack = cdk.Stack(cdk.App(), "S", env=ENV)
    with pytest.raises(ValidationError, match=r"^idle_timeout_minutes 2 minutes is out of range"):
        IpRestrictedNotebook(stack, "Nb", allowed_cidrs=CIDRS, idle_timeout_minutes=2)


@pytest.mark.parametrize("value", [5, 1440])
def test_idle_timeout_bounds_are_allowed(value):
    assert new_notebook(idle_timeout_minutes=value).lifecycle_config is not None


def test_check_line_names_the_notebook_from_the_metadata_file(fake_jupyter, checker_file, tmp_path):
    """The notebook metric filters take the NotebookInstanceName dimension from this field."""
    fake_jupyter.serve([], started=iso(datetime.now(UTC)))
    metadata = tmp_path / "resource-metadata.json"
    metadata.write_text(json.dumps({"ResourceName": "nb-7", "ResourceArn": "arn:x"}))
    result = check_against(
        fake_jupyter,
        checker_file,
        "--metadata-file",
        str(metadata),
        "--dry-run",
    )
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stdout)
    assert (line["event"], line["notebook"], line["action"]) == ("idle-stop", "nb-7", "keep")


def test_check_line_without_metadata_has_no_notebook(tmp_path):
    assert notebook_name(str(tmp_path / "missing.json")) is None
    (tmp_path / "bad.json").write_text("[1]")
    assert notebook_name(str(tmp_path / "bad.json")) is None
