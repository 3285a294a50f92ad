"""Idle auto-stop: stop this SageMaker notebook instance once Jupyter has been idle too long.

Embedded in the notebook's lifecycle configuration (no download at boot: the notebook may
have no internet) and run every 5 minutes. Standard library only, Python 3.9+.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import ssl
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple

# Jupyter on a notebook instance listens here, with a self-signed certificate.
DEFAULT_JUPYTER_URL = "https://localhost:8443"
# SageMaker writes {"ResourceArn": ..., "ResourceName": ...} here on every notebook instance.
METADATA_FILE = "/opt/ml/metadata/resource-metadata.json"
TIMEOUT_SECONDS = 60
# Any other kernel state (busy, starting, restarting, unknown, missing) is activity.
QUIET_STATES = ("idle", "dead")
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
UTC = timezone.utc  # noqa: UP017 -- datetime.UTC is 3.11+; the platform's python3 is 3.9
_TIMESTAMP = re.compile(r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:\.(\d+))?([Zz]|[+-]\d\d:?\d\d)?")


class Decision(NamedTuple):
    idle: bool
    reason: str


def parse_timestamp(value: Any) -> datetime | None:
    """Jupyter's ISO 8601 time ('2024-05-01T12:00:00.123456Z'), naive meaning UTC; else None."""
    match = _TIMESTAMP.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        return None
    date, time, fraction, zone = match.groups()
    text = f"{date}T{time}.{(fraction or '0')[:6]}{(zone or 'Z').upper()}"
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z").astimezone(UTC)
    except ValueError:
        return None


def _objects(value: Any, what: str) -> list[dict]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ValueError(f"{what} is not a list of objects")
    return value


def collect_kernels(sessions: Any, kernels: Any) -> list[dict]:
    """The kernels of /api/kernels and of each /api/sessions entry, once per id."""
    found: dict[str, dict] = {}
    listed = [s.get("kernel") for s in _objects(sessions, "sessions")]
    listed += _objects(kernels, "kernels")
    for index, kernel in enumerate(listed):
        if not isinstance(kernel, dict):
            raise ValueError(f"session kernel {kernel!r} is not an object")
        found.setdefault(str(kernel.get("id", index)), kernel)
    return list(found.values())


def decide(
    sessions: Any,
    kernels: Any,
    *,
    now: datetime,
    idle_seconds: float,
    started: datetime | None,
    terminals: Any = None,
) -> Decision:
    """Idle when no kernel is busy and the newest activity is ``idle_seconds`` old or older.

    Activity: the kernels' and terminals' ``last_activity`` and ``started`` (when Jupyter
    came up, so a fresh instance is not stopped at once). Anything unreadable counts as
    activity: a wrong stop loses the user's kernels, a wrong keep costs one more check.
    """
    try:
        found = collect_kernels(sessions, kernels)
        items = [("kernel", k) for k in found]
        items += [("terminal", t) for t in _objects(terminals or [], "terminals")]
    except ValueError as error:
        return Decision(False, f"unreadable Jupyter response ({error})")
    latest = started
    for kind, item in items:
        name = item.get("id", item.get("name", "?"))
        if kind == "kernel" and item.get("execution_state") not in QUIET_STATES:
            return Decision(False, f"kernel {name} is {item.get('execution_state')}")
        activity = parse_timestamp(item.get("last_activity"))
        if activity is None:
            return Decision(False, f"{kind} {name} has no readable last_activity")
        latest = activity if latest is None else max(latest, activity)
    if latest is None:
        return Decision(False, "no kernels and no start time to measure idleness from")
    quiet = (now - latest).total_seconds()
    reason = f"{len(found)} kernel(s), idle {max(quiet, 0) / 60:.0f} min since {latest:%FT%TZ}"
    return Decision(quiet >= idle_seconds, reason)


def check(
    fetch: Callable[[str], Any],
    *,
    now: datetime,
    idle_seconds: float,
    boot_time: datetime | None = None,
) -> Decision:
    """Ask Jupyter (``fetch(path)`` returns parsed JSON) and decide. Sessions and kernels
    must answer; terminals and the server's start time are used when they do."""
    sessions = fetch("/api/sessions")
    kernels = fetch("/api/kernels")
    terminals = _optional(fetch, "/api/terminals") or []
    status = _optional(fetch, "/api/status")
    started = parse_timestamp(status.get("started")) if isinstance(status, dict) else None
    return decide(
        sessions,
        kernels,
        now=now,
        idle_seconds=idle_seconds,
        started=started or boot_time,
        terminals=terminals,
    )


def _optional(fetch: Callable[[str], Any], path: str) -> Any:
    try:
        return fetch(path)
    except (OSError, ValueError):
        return None


def run(
    fetch: Callable[[str], Any],
    stop: Callable[[], None],
    *,
    now: datetime,
    idle_seconds: float,
    boot_time: datetime | None = None,
    dry_run: bool = False,
    log: Callable[[str], None] = print,
    notebook: str | None = None,
) -> Decision:
    """One check: decide, call ``stop()`` only when idle and not a dry run, log one line.

    Exactly one line per check, written after the stop call: "stop" only once SageMaker
    took it, "error" when it failed (then StopFailed, already logged). The notebook metrics
    count the lines: one line is five minutes running, a "stop" line one stop.
    """
    decision = check(fetch, now=now, idle_seconds=idle_seconds, boot_time=boot_time)
    action, text = "keep", "keep running"
    if decision.idle and dry_run:
        action, text = "dry-run", "would stop (dry run)"
    elif decision.idle:
        try:
            stop()
        except Exception as error:
            log(
                log_line(
                    notebook, "error", f"{now:%FT%TZ}: {decision.reason}: not stopped: {error!r}"
                )
            )
            raise StopFailed() from error
        action, text = "stop", "stopped the notebook instance"
    log(log_line(notebook, action, f"{now:%FT%TZ}: {decision.reason}: {text}"))
    return decision


class StopFailed(Exception):
    """The stop call failed; run() has logged it."""


def log_line(notebook: str | None, action: str, detail: str) -> str:
    # Each check is 5 minutes of uptime; metric filters read notebook and action.
    return json.dumps(
        {"event": "idle-stop", "notebook": notebook, "action": action, "detail": detail}
    )


def notebook_name(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return str(json.load(handle)["ResourceName"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def jupyter_fetcher(base_url: str) -> Callable[[str], Any]:
    parts = urllib.parse.urlsplit(base_url)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"jupyter url {base_url!r} is not http(s)")
    context = ssl.create_default_context() if parts.scheme == "https" else None
    if context is not None and parts.hostname in LOOPBACK_HOSTS:
        # Jupyter's loopback certificate is self-signed; no other host is trusted blindly.
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE

    def fetch(path: str) -> Any:
        url = base_url.rstrip("/") + path
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS, context=context) as reply:  # noqa: S310 -- http(s) only, checked above
            return json.loads(reply.read().decode("utf-8"))

    return fetch


def command_stopper(command: str) -> Callable[[], None]:
    return lambda: subprocess.run(shlex.split(command), check=True, timeout=TIMEOUT_SECONDS)  # noqa: S603 -- the operator's own command


def sagemaker_stopper(metadata_file: str) -> Callable[[], None]:
    """StopNotebookInstance on this instance (through the VPC's SageMaker API endpoint):
    with boto3 when this python has it, else with the AWS CLI."""

    def stop() -> None:
        with open(metadata_file, encoding="utf-8") as handle:
            metadata = json.load(handle)
        name, region = metadata["ResourceName"], metadata["ResourceArn"].split(":")[3]
        try:
            import boto3
        except ImportError:
            aws = shutil.which("aws") or shutil.which("aws", path="/usr/local/bin:/usr/bin")
            if aws is None:
                raise OSError("no boto3 and no aws cli to stop the instance") from None
            command = [aws, "sagemaker", "stop-notebook-instance", "--region", region]
            command += ["--notebook-instance-name", name]
            subprocess.run(command, check=True, timeout=TIMEOUT_SECONDS)  # noqa: S603 -- no shell
            return
        boto3.client("sagemaker", region_name=region).stop_notebook_instance(
            NotebookInstanceName=name
        )

    return stop


ALREADY_EXISTS = "ResourceAlreadyExistsException"


def _region(metadata_file: str) -> str:
    with open(metadata_file, encoding="utf-8") as handle:
        return str(json.load(handle)["ResourceArn"].split(":")[3])


def ensure_log_group(name: str, metadata_file: str) -> str:
    """CreateLogGroup ``name`` in this instance's region; "exists" is success too.

    The OnStart script runs this before Jupyter starts, and SageMaker reports the notebook
    InService only once OnStart has finished: so the group exists before CloudFormation
    creates anything that waits for the notebook, such as a metric filter on it (a filter
    on a missing group fails). Returns "created" or "exists".
    """
    region = _region(metadata_file)
    try:
        import boto3
        from botocore.exceptions import ClientError
    except ImportError:
        aws = shutil.which("aws") or shutil.which("aws", path="/usr/local/bin:/usr/bin")
        if aws is None:
            raise OSError("no boto3 and no aws cli to create the log group") from None
        command = [aws, "logs", "create-log-group", "--region", region, "--log-group-name", name]
        done = subprocess.run(  # noqa: S603 -- no shell
            command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS
        )
        if done.returncode == 0:
            return "created"
        if ALREADY_EXISTS in done.stderr:
            return "exists"
        raise OSError(f"aws logs create-log-group failed ({done.returncode})") from None
    try:
        boto3.client("logs", region_name=region).create_log_group(logGroupName=name)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == ALREADY_EXISTS:
            return "exists"
        raise
    return "created"


def boot_time(now: datetime) -> datetime | None:
    try:
        with open("/proc/uptime", encoding="ascii") as handle:
            return now - timedelta(seconds=float(handle.read().split()[0]))
    except (OSError, ValueError, IndexError):
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Stop this notebook instance when idle.")
    parser.add_argument("--idle-minutes", type=float)
    parser.add_argument(
        "--ensure-log-group",
        metavar="NAME",
        help="create this log group (existing is fine) and exit, instead of a check",
    )
    parser.add_argument(
        "--jupyter-url", default=os.environ.get("IDLE_STOP_JUPYTER_URL", DEFAULT_JUPYTER_URL)
    )
    parser.add_argument(
        "--stop-command",
        default=os.environ.get("IDLE_STOP_COMMAND"),
        help="run this instead of calling SageMaker",
    )
    parser.add_argument("--dry-run", action="store_true", help="decide and log, never stop")
    parser.add_argument("--metadata-file", default=METADATA_FILE)
    args = parser.parse_args(argv)
    if args.ensure_log_group:
        try:
            outcome = ensure_log_group(args.ensure_log_group, args.metadata_file)
        except Exception as error:  # the boot goes on; the caller logs it
            print(f"log group {args.ensure_log_group}: not created: {error!r}", file=sys.stderr)
            return 1
        print(f"log group {args.ensure_log_group}: {outcome}")
        return 0
    if args.idle_minutes is None or not args.idle_minutes > 0:
        parser.error("--idle-minutes must be given and above 0")
    stop = command_stopper(args.stop_command) if args.stop_command else None
    now = datetime.now(UTC)
    notebook = notebook_name(args.metadata_file)
    try:
        run(
            jupyter_fetcher(args.jupyter_url),
            stop or sagemaker_stopper(args.metadata_file),
            now=now,
            idle_seconds=args.idle_minutes * 60,
            boot_time=boot_time(now),
            dry_run=args.dry_run,
            notebook=notebook,
        )
    except StopFailed:  # logged by run(): one line per check
        return 1
    except Exception as error:  # anything before a decision: next time
        print(log_line(notebook, "error", f"{now:%FT%TZ}: not stopped: {error!r}"), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
