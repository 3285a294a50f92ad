"""`make bench`'s fleet figures (issue 21): serving notebooks by tag, against today's code.

In tests/aws_stand_in.py (our own SageMaker and tagging API over HTTP, a fixed latency a
call), for 100, 1,000 and 5,000 served notebooks, side by side in one run:

- the baseline: the URL function as of BASELINE_COMMIT, taken with ``git archive`` into a
  temporary folder and imported under its own package name, serving by name prefix
  (NOTEBOOK_NAME_PREFIX, its only way to serve 1,000);
- the new code: lambda/presigned_url as it is in this checkout, serving by tag (SERVED_BY).
  Until lambda/presigned_url/tag_reads.py exists, this side is skipped, and says so.

For the portal's listing (portal_listing.listing_for) of a person owning 3 notebooks (the
first, the middle and the last by name), of a group entitled to every notebook, and of a
group entitled to 100 notebooks spread evenly by name: AWS calls by operation, wall time,
whether the answer was complete and how many rows it showed. The stand-in answers
GetResources in ARN order, which here is name order, ListNotebookInstances's order: the
group of every notebook is the best case for finding statuses by listing, the spread group
a bad one. For one open: the portal's open and the SigV4 URL route, through the whole
handler. The stand-in scopes Describe/Presign/Start to the serving tag, as the new minting
role's IAM condition does (every fleet notebook carries it, so the baseline is refused
nothing).

Then the API stack's template with 10 and with 1,000 served NotebookInstances in other
stacks (bench/tag_fleet_app.py): serving by tag should add nothing to it.

bench/run.py calls ``rows``; the measuring runs in a child process of this file
(``--measure``), so the two packages' SageMaker clients, made on import, point at the
stand-in and nowhere else.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
BASELINE_COMMIT = "0e97e4f"
BASELINE_PACKAGE = f"presigned_url_{BASELINE_COMMIT}"
NEW_MARKER = REPO / "lambda" / "presigned_url" / "tag_reads.py"
LISTING_FLEETS = (100, 1_000, 5_000)
LATENCY_SECONDS = 0.02
OPENS_PER_ROUND = 10
TEMPLATE_FLEETS = (10, 1_000)
TEMPLATE_FALLBACK = 200  # measured instead of 1,000 when that synth takes too long
TEMPLATE_TIMEOUT_SECONDS = 180

SERVED_BY = "bench-api"
PREFIX = "nb-"
OWNER = "alice-sub"  # owns 3 notebooks of every fleet: the first, the middle and the last
GROUP = "analysts"  # every notebook's groups tag
SPREAD_GROUP = "reviewers"  # every (count / 100)th notebook's: 100 far apart by name
ALLOWED_IP = "203.0.113.10"
API_ID = "benchapi01"
REGION = "eu-west-1"
PORTAL_URL = f"https://{API_ID}.execute-api.{REGION}.amazonaws.com/v1/"
CLIENT_ID = "benchclient"
ISSUER = f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_Bench"
# What every side's function gets, as PresignedUrlApi and NotebookPortal write it.
COMMON_ENV = {
    "ALLOWED_CIDRS": "203.0.113.0/24",
    "ALLOW_START": "false",
    "MAX_SESSION_DURATION_SECONDS": "43200",
    "DEFAULT_SESSION_DURATION_SECONDS": "43200",
    "REST_API_ID": API_ID,
    "PORTAL_URL": PORTAL_URL,
    "PORTAL_CLIENT_ID": CLIENT_ID,
    "PORTAL_SIGN_IN_URL": f"https://bench.auth.{REGION}.amazoncognito.com",
}
SIDE_ENV = {
    "baseline": {"NOTEBOOK_NAMES": "", "NOTEBOOK_NAME_PREFIX": PREFIX, "SERVED_BY": ""},
    "new": {"NOTEBOOK_NAMES": "", "NOTEBOOK_NAME_PREFIX": "", "SERVED_BY": SERVED_BY},
}
# A Lambda sandbox's region; the SDK needs credentials to sign, never real ones here.
SDK_ENV = {
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
SCENARIOS = {  # the figure's words, of a fleet of {count}
    "person": "a person owning 3 of {count} served notebooks",
    "group": "a group entitled to all {count} served notebooks (shows the first 100)",
    "spread": "a group entitled to 100 of {count} served notebooks, spread by name",
}
USERS = {  # sub, groups
    "person": (OWNER, frozenset()),
    "group": ("bob-sub", frozenset({GROUP})),
    "spread": ("carol-sub", frozenset({SPREAD_GROUP})),
}

Row = tuple[str, str, str, str]


# ---------------------------------------------------------------- the child: measuring


def baseline_package(into: Path) -> Path:
    """lambda/presigned_url as of BASELINE_COMMIT, as the package BASELINE_PACKAGE in ``into``."""
    archive = subprocess.run(
        ["git", "archive", BASELINE_COMMIT, "lambda/presigned_url"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    target = into / BASELINE_PACKAGE
    (into / "lambda" / "presigned_url").rename(target)
    return into


@contextlib.contextmanager
def side_env(side: str, arn_prefix: str) -> Iterator[None]:
    """The function's environment of one side, for load_settings() (restored after)."""
    values = {**COMMON_ENV, **SIDE_ENV[side], "NOTEBOOK_ARN_PREFIX": arn_prefix}
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def fill(aws: Any, count: int) -> list[str]:
    """``count`` served notebooks (every fourth Stopped); the names OWNER owns."""
    from aws_stand_in import SERVED_BY_TAG

    owned = {0, count // 2, count - 1}
    step = max(count // 100, 1)
    aws.remove_all()
    for i in range(count):
        owners = f"user-{i}" + (f" {OWNER}" if i in owned else "")
        groups = GROUP + (f" {SPREAD_GROUP}" if i % step == 0 else "")
        tags = {
            SERVED_BY_TAG: SERVED_BY,
            "notebook-access:owners": owners,
            "notebook-access:groups": groups,
        }
        aws.add_notebook(f"{PREFIX}{i:05d}", "Stopped" if i % 4 == 3 else "InService", tags)
    return [f"{PREFIX}{i:05d}" for i in sorted(owned)]


def claims(user: str) -> dict[str, str]:
    return {"sub": user, "aud": CLIENT_ID, "iss": ISSUER, "token_use": "id"}


def open_event(route: str, name: str) -> dict[str, Any]:
    """A proxy event: the portal's open (Cognito-authorized) or the SigV4 URL route."""
    resource = (
        "/portal/notebooks/{NotebookInstanceName}/open"
        if route == "open"
        else "/notebooks/{NotebookInstanceName}/url"
    )
    identity: dict[str, Any] = {"sourceIp": ALLOWED_IP}
    headers = {"Content-Type": "application/json"}
    context: dict[str, Any] = {
        "resourcePath": resource,
        "httpMethod": "POST",
        "requestId": "bench",
        "apiId": API_ID,
        "stage": "v1",
        "identity": identity,
    }
    if route == "open":
        context["authorizer"] = {"claims": claims(OWNER)}
        headers["Origin"] = PORTAL_URL.rstrip("/").rsplit("/", 1)[0]
    else:
        identity |= {"userArn": "arn:aws:iam::123456789012:user/alice", "caller": "AIDABENCH"}
    return {
        "resource": resource,
        "path": resource.replace("{NotebookInstanceName}", name),
        "httpMethod": "POST",
        "headers": headers,
        "pathParameters": {"NotebookInstanceName": name},
        "requestContext": context,
        "body": "{}",
        "isBase64Encoded": False,
    }


class LambdaContext:
    aws_request_id = "bench"
    function_name = "bench"


def one_listing(aws: Any, package: ModuleType, side: str, scenario: str) -> dict[str, Any]:
    listing = importlib.import_module(f"{package.__name__}.portal_listing")
    portal = importlib.import_module(f"{package.__name__}.portal")
    configuration = importlib.import_module(f"{package.__name__}.configuration")
    sub, groups = USERS[scenario]
    user = portal.User(sub=sub, email=None, groups=groups)
    with side_env(side, aws.arn_prefix):
        settings = configuration.load_settings()
        aws.reset_calls()
        started = time.perf_counter()
        rows, complete = listing.listing_for(user, settings)
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "calls": aws.calls, "complete": complete, "rows": len(rows)}


def one_open_batch(aws: Any, package: ModuleType, side: str, route: str, name: str) -> dict:
    handler = importlib.import_module(f"{package.__name__}.handler")
    event = open_event(route, name)
    statuses = set()
    with side_env(side, aws.arn_prefix):
        aws.reset_calls()
        started = time.perf_counter()
        for _ in range(OPENS_PER_ROUND):
            statuses.add(handler.handler(event, LambdaContext())["statusCode"])
        seconds = (time.perf_counter() - started) / OPENS_PER_ROUND
    calls = {op: n / OPENS_PER_ROUND for op, n in aws.calls.items()}
    return {"seconds": seconds, "calls": calls, "statuses": sorted(statuses)}


def summarize(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Median wall time over the rounds; calls, completeness and rows of the last round
    (the same every round: the stand-in answers alike, only the budget could cut it)."""
    seconds = [s["seconds"] for s in samples]
    last = samples[-1]
    return {
        **{k: v for k, v in last.items() if k != "seconds"},
        "seconds": statistics.median(seconds),
        "min": min(seconds),
        "max": max(seconds),
        "completes": sorted({str(s.get("complete")) for s in samples}),
    }


def measure(rounds: int) -> dict[str, Any]:
    sys.path[:0] = [str(REPO / "tests")]
    from aws_stand_in import AwsStandIn

    for key, value in SDK_ENV.items():
        os.environ.setdefault(key, value)
    result: dict[str, Any] = {"latency": LATENCY_SECONDS, "rounds": rounds, "new_skipped": None}
    with (
        tempfile.TemporaryDirectory(prefix="bench-baseline-") as tmp,
        AwsStandIn(latency_seconds=LATENCY_SECONDS, served_by=SERVED_BY) as aws,
    ):
        os.environ.update(aws.endpoint_env)  # before either package makes its clients
        sys.path.insert(0, str(baseline_package(Path(tmp))))
        importlib.import_module(f"{BASELINE_PACKAGE}.handler")
        packages = {"baseline": importlib.import_module(BASELINE_PACKAGE)}
        if NEW_MARKER.exists():
            sys.path.insert(0, str(REPO / "lambda"))
            importlib.import_module("presigned_url.handler")
            packages["new"] = importlib.import_module("presigned_url")
        else:
            result["new_skipped"] = (
                f"{NEW_MARKER.relative_to(REPO)} does not exist yet: the new listing is not "
                "measured"
            )
            print(f"fleet listing: {result['new_skipped']}", file=sys.stderr, flush=True)
        listings: dict[str, Any] = {}
        opens: dict[str, Any] = {}
        for count in LISTING_FLEETS:
            owned = fill(aws, count)
            for side, package in packages.items():  # warm: connections made, modules loaded
                one_listing(aws, package, side, "group")
            samples: dict[tuple[str, str], list[dict[str, Any]]] = {}
            for _ in range(rounds):
                for scenario in SCENARIOS:
                    for side, package in packages.items():
                        sample = one_listing(aws, package, side, scenario)
                        samples.setdefault((scenario, side), []).append(sample)
            for (scenario, side), found in samples.items():
                listings[f"{count}/{scenario}/{side}"] = summarize(found)
            print(f"  fleet listing: {count} notebooks measured", file=sys.stderr, flush=True)
            if count == LISTING_FLEETS[-1]:
                opened: dict[tuple[str, str], list[dict[str, Any]]] = {}
                for _ in range(rounds):
                    for route in ("open", "url"):
                        for side, package in packages.items():
                            sample = one_open_batch(aws, package, side, route, owned[0])
                            opened.setdefault((route, side), []).append(sample)
                for (route, side), found in opened.items():
                    opens[f"{route}/{side}"] = summarize(found)
        result["listings"] = listings
        result["opens"] = opens
        result["open_fleet"] = LISTING_FLEETS[-1]
    return result


# ---------------------------------------------------------------- the parent: templates


def api_template(count: int, env_for: Callable[[str], dict[str, str]]) -> dict[str, Any]:
    """The API stack's resources and bytes with ``count`` served notebooks, and the synth's
    wall time; or why it failed."""
    from tag_fleet_app import API_STACK

    with tempfile.TemporaryDirectory(prefix="bench-tag-fleet-") as out:
        started = time.perf_counter()
        try:
            done = subprocess.run(
                [sys.executable, str(BENCH / "tag_fleet_app.py"), str(count)],
                cwd=REPO,
                env=env_for(out),
                capture_output=True,
                text=True,
                check=False,
                timeout=TEMPLATE_TIMEOUT_SECONDS,
            )
        except subprocess.TimeoutExpired:
            return {"count": count, "failed": f"synth over {TEMPLATE_TIMEOUT_SECONDS} s"}
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            return {"count": count, "failed": last[:300], "seconds": seconds}
        path = Path(out) / f"{API_STACK}.template.json"
        resources = len(json.loads(path.read_text())["Resources"])
        return {
            "count": count,
            "resources": resources,
            "bytes": path.stat().st_size,
            "seconds": seconds,
        }


def templates(env_for: Callable[[str], dict[str, str]]) -> list[dict[str, Any]]:
    small, large = TEMPLATE_FLEETS
    measured = [api_template(small, env_for), api_template(large, env_for)]
    if "failed" in measured[1] and "synth over" in measured[1]["failed"]:
        measured.append(api_template(TEMPLATE_FALLBACK, env_for))
    return measured


# ---------------------------------------------------------------- the rows


def _calls_text(calls: dict[str, float]) -> str:
    total = sum(calls.values())
    parts = ", ".join(f"{op} {n:g}" for op, n in sorted(calls.items(), key=lambda kv: -kv[1]))
    return f"{total:g} calls ({parts})" if parts else "0 calls"


def _listing_text(figures: dict[str, Any], label: str) -> str:
    complete = "complete" if figures["complete"] else "incomplete"
    if len(figures["completes"]) > 1:
        complete = "complete in some rounds only"
    return (
        f"{label}: {_calls_text(figures['calls'])}, {figures['seconds']:.2f} s "
        f"({figures['min']:.2f}-{figures['max']:.2f}), {complete}, "
        f"{figures['rows']} row{'' if figures['rows'] == 1 else 's'}"
    )


def _ratio(new: float, old: float) -> str:
    return f"{new / old:.2f}x" if old else "n/a"


def listing_rows(measured: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    skipped = measured["new_skipped"]
    baseline_label = f"{BASELINE_COMMIT} (prefix)"
    for count in LISTING_FLEETS:
        for scenario, who in SCENARIOS.items():
            old = measured["listings"][f"{count}/{scenario}/baseline"]
            new = measured["listings"].get(f"{count}/{scenario}/new")
            figure = "portal listing, " + who.format(count=f"{count:,}")
            baseline = _listing_text(old, baseline_label)
            if new is None:
                rows.append((figure, f"new: skipped ({skipped})", baseline, ""))
                continue
            ratio = (
                f"calls {_ratio(sum(new['calls'].values()), sum(old['calls'].values()))}, "
                f"time {_ratio(new['seconds'], old['seconds'])}"
            )
            rows.append((figure, _listing_text(new, "tag"), baseline, ratio))
    for route, what in (("open", "portal open"), ("url", "SigV4 URL mint")):
        old = measured["opens"][f"{route}/baseline"]
        new = measured["opens"].get(f"{route}/new")
        figure = f"{what}, one notebook of {measured['open_fleet']:,} (per open)"

        def text(figures: dict[str, Any], label: str) -> str:
            statuses = "/".join(str(s) for s in figures["statuses"])
            return (
                f"{label}: {_calls_text(figures['calls'])}, "
                f"{figures['seconds'] * 1000:.0f} ms, HTTP {statuses}"
            )

        if new is None:
            rows.append((figure, f"new: skipped ({skipped})", text(old, baseline_label), ""))
            continue
        ratio = (
            f"calls {_ratio(sum(new['calls'].values()), sum(old['calls'].values()))}, "
            f"time {_ratio(new['seconds'], old['seconds'])}"
        )
        rows.append((figure, text(new, "tag"), text(old, baseline_label), ratio))
    return rows


def template_rows(measured: list[dict[str, Any]]) -> list[Row]:
    small = measured[0]
    label = "API stack template, {count:,} served NotebookInstances in other stacks (tag)"
    if "failed" in small:
        return [(label.format(count=small["count"]), f"synth failed: {small['failed']}", "", "")]
    base = f"{small['resources']} resources, {small['bytes']:,} bytes ({small['count']} notebooks)"
    rows: list[Row] = []
    for large in measured[1:]:
        figure = label.format(count=large["count"])
        if "failed" in large:
            rows.append((figure, f"synth failed: {large['failed']}", base, ""))
            continue
        rows.append(
            (
                figure,
                f"{large['resources']} resources, {large['bytes']:,} bytes "
                f"(whole app synth {large['seconds']:.0f} s)",
                base,
                f"bytes {large['bytes'] / small['bytes']:.2f}x, "
                f"resources {large['resources'] / small['resources']:.2f}x",
            )
        )
    return rows


def rows(rounds: int, env_for: Callable[[str], dict[str, str]]) -> tuple[list[Row], str]:
    """The fleet rows, and a sentence for the report saying how they were measured.

    ``env_for(outdir)``: the environment of a synth into ``outdir`` (run.py's synth_env).
    """
    print(
        f"fleet: listings and opens in the AWS stand-in ({LATENCY_SECONDS} s a call), "
        f"{rounds} rounds",
        flush=True,
    )
    child = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--measure", "--rounds", str(rounds)],
        cwd=REPO,
        env={**os.environ, **SDK_ENV},
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if child.returncode != 0:
        raise SystemExit(f"fleet listing measurement failed (exit {child.returncode})")
    measured = json.loads(child.stdout.strip().splitlines()[-1])
    print("fleet: the API stack's template with 10 and 1,000 tag-served notebooks", flush=True)
    found = listing_rows(measured) + template_rows(templates(env_for))
    note = (
        f"Fleet listings and opens: tests/aws_stand_in.py answering every AWS call after "
        f"{LATENCY_SECONDS} s, medians of {rounds} interleaved rounds (opens: "
        f"{OPENS_PER_ROUND} a round); baseline = lambda/presigned_url at {BASELINE_COMMIT} "
        f"serving by name prefix, tag = this checkout serving by the served-by tag."
    )
    if measured["new_skipped"]:
        note += f" The tag side was skipped: {measured['new_skipped']}."
    return found, note


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measure", action="store_true", help="measure, print JSON (child)")
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    if not options.measure:
        parser.error("run bench/run.py --only fleet; --measure is its child process")
    print(json.dumps(measure(options.rounds)))


if __name__ == "__main__":
    main()
