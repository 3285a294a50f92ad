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

Across accounts (issue 22): a hub and two spokes behind tests/aws_accounts.py (one
stand-in per account, STS's AssumeRole between them, every account's calls and every STS
call at the same latency), 1,000 served notebooks in each. The listing of a person owning 3
notebooks in each account (9 rows) and of a group entitled to all of them (the first 100
shown), on a cold process (no spoke session yet: ``accounts.forget_sessions()``, so each
spoke's AssumeRole and clients are made within the listing; the hub's clients are made on
import, as in Lambda) and on a warm one (the sessions kept); against the same listings of
one account holding all 3,000 (the same 9 notebooks the person owns), in the same run;
and, for scale, the hub's 1,000 listed alone (no spokes configured). The handler reads the
accounts side by side (portal_listing, a thread per spoke), so the wall time should be near
one account's. Skipped while lambda/presigned_url/accounts.py does not exist.

Then the API stack's template with 10 and with 1,000 served NotebookInstances in other
stacks (bench/tag_fleet_app.py): serving by tag should add nothing to it.

bench/run.py calls ``rows``; the measuring runs in a child process of this file
(``--measure``), so the two packages' SageMaker clients, made on import, point at the
stand-in and nowhere else.
"""

from __future__ import annotations

import argparse
import collections
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
from unittest import mock

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
BASELINE_COMMIT = "0e97e4f"
BASELINE_PACKAGE = f"presigned_url_{BASELINE_COMMIT}"
NEW_MARKER = REPO / "lambda" / "presigned_url" / "tag_reads.py"
LISTING_FLEETS = (100, 1_000, 5_000)
LATENCY_SECONDS = 0.02
OPENS_PER_ROUND = 10
# Across accounts (issue 22): the hub (the stand-in's own account) and two spokes.
ACCOUNTS_MARKER = REPO / "lambda" / "presigned_url" / "accounts.py"
HUB_ACCOUNT = "123456789012"
SPOKE_ACCOUNTS = ("222222222222", "333333333333")
EXTERNAL_ID = "bench-hub-external"
PER_ACCOUNT = 1_000
ACCOUNT_SCENARIOS = {  # the figure's words
    "person": "a person owning 3 notebooks in each of 3 accounts x 1,000 served (9 rows)",
    "group": "a group entitled to all 3 x 1,000 served notebooks (shows the first 100)",
}
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
    with mock.patch.dict(
        os.environ, {**COMMON_ENV, **SIDE_ENV[side], "NOTEBOOK_ARN_PREFIX": arn_prefix}
    ):
        yield


def fill(aws: Any, count: int, owned: set[int] | None = None) -> list[str]:
    """``count`` served notebooks (every fourth Stopped); the names OWNER owns (by default
    the first, the middle and the last)."""
    from aws_stand_in import SERVED_BY_TAG

    owned = owned if owned is not None else {0, count // 2, count - 1}
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
    result["accounts"], result["accounts_skipped"] = None, None
    if "new" not in packages or not ACCOUNTS_MARKER.exists():
        result["accounts_skipped"] = (
            f"{ACCOUNTS_MARKER.relative_to(REPO)} or {NEW_MARKER.relative_to(REPO)} does not "
            "exist: the listing across accounts is not measured"
        )
        print(f"fleet listing: {result['accounts_skipped']}", file=sys.stderr, flush=True)
    else:
        result["accounts"] = measure_accounts(rounds)
    return result


# ---------------------------------------------------------------- the child: across accounts


def organization(spokes: tuple[str, ...], role_name: str) -> Any:
    """tests/aws_accounts.Accounts with the hub and ``spokes``, every account's calls and
    STS's AssumeRole answered after LATENCY_SECONDS."""
    from aws_accounts import Accounts

    class LatentAccounts(Accounts):
        def _assume_role(self, key: str, form: dict[str, list[str]]) -> Any:
            time.sleep(LATENCY_SECONDS)  # counted in sts_calls by Accounts itself
            return super()._assume_role(key, form)

    server = LatentAccounts(
        hub=HUB_ACCOUNT,
        spokes=spokes,
        served_by=SERVED_BY,
        role_name=role_name,
        external_id=EXTERNAL_ID,
    )
    # As AwsStandIn does for its own server: no Nagle delay (about 40 ms a call on a
    # kept-alive connection), and a short request log (the bench makes thousands).
    server.server.RequestHandlerClass.disable_nagle_algorithm = True
    server.log = collections.deque(maxlen=1000)
    for stand_in in server.stand_ins.values():
        stand_in.latency_seconds = LATENCY_SECONDS
    return server


def account_calls(server: Any) -> dict[str, dict[str, int]]:
    """Calls by account ("hub", "spoke 1", ...) and operation; STS's as "STS"."""
    found: dict[str, dict[str, int]] = {}
    for account, stand_in in server.stand_ins.items():
        label = "hub" if account == HUB_ACCOUNT else f"spoke {SPOKE_ACCOUNTS.index(account) + 1}"
        if stand_in.calls:
            found[label] = stand_in.calls
    if server.sts_calls:
        found["STS"] = dict(server.sts_calls)
    return found


def measure_accounts(rounds: int) -> dict[str, Any]:
    """The listings across a hub and two spokes (cold and warm) and in one account of the
    same size, interleaved round after round."""
    import boto3

    modules = {
        name: importlib.import_module(f"presigned_url.{name}")
        for name in (
            "accounts",
            "configuration",
            "contract",
            "portal",
            "portal_listing",
            "sagemaker_calls",
            "tag_reads",
        )
    }
    accounts, sagemaker_calls, tag_reads = (
        modules["accounts"],
        modules["sagemaker_calls"],
        modules["tag_reads"],
    )
    role_name = modules["contract"].spoke_role_name(SERVED_BY)
    total = PER_ACCOUNT * (1 + len(SPOKE_ACCOUNTS))
    with (
        organization(SPOKE_ACCOUNTS, role_name) as multi,
        organization((), role_name) as single,
    ):
        for stand_in in multi.stand_ins.values():
            fill(stand_in, PER_ACCOUNT)
        # The same 9 notebooks the person owns across the three accounts, in one account.
        thirds = [k * PER_ACCOUNT for k in range(1 + len(SPOKE_ACCOUNTS))]
        mine = {t + i for t in thirds for i in (0, PER_ACCOUNT // 2, PER_ACCOUNT - 1)}
        fill(single[HUB_ACCOUNT], total, mine)
        # Spoke clients find the endpoint by these variables, as accounts.py makes them.
        os.environ.update(multi.endpoint_env)
        original = (sagemaker_calls.sagemaker, tag_reads.tagging, accounts.sts)

        def hub_clients(url: str) -> tuple[Any, Any, Any]:
            # The function's own configuration (the tagging and STS clients are made on
            # first use, so there is none to copy before then).
            return tuple(
                boto3.client(service, endpoint_url=url, config=sagemaker_calls.CLIENT_CONFIG)
                for service in ("sagemaker", "resourcegroupstaggingapi", "sts")
            )

        setups: dict[str, tuple[Any, tuple[Any, Any, Any], dict[str, str]]] = {}
        for name, server, spokes in (
            ("multi", multi, SPOKE_ACCOUNTS),
            ("hub", multi, ()),  # the hub's 1,000 alone: one account's share of the work
            ("single", single, ()),
        ):
            env = {
                **COMMON_ENV,
                **SIDE_ENV["new"],
                "NOTEBOOK_ARN_PREFIX": server[HUB_ACCOUNT].arn_prefix,
                "SPOKE_ACCOUNTS": ",".join(spokes),
                "SPOKE_ROLE_ARN_PREFIX": "arn:aws:iam::" if spokes else "",
                "SPOKE_EXTERNAL_ID": EXTERNAL_ID if spokes else "",
            }
            setups[name] = (server, hub_clients(server.url), env)

        def one(setup: str, scenario: str, cold: bool) -> dict[str, Any]:
            server, clients, env = setups[setup]
            sagemaker_calls.sagemaker, tag_reads.tagging, accounts.sts = clients
            sub, groups = USERS[scenario]
            user = modules["portal"].User(sub=sub, email=None, groups=groups)
            with mock.patch.dict(os.environ, env):
                settings = modules["configuration"].load_settings()
                if cold:
                    accounts.forget_sessions()
                server.reset_calls()
                started = time.perf_counter()
                rows, complete = modules["portal_listing"].listing_for(user, settings)
                seconds = time.perf_counter() - started
            return {
                "seconds": seconds,
                "calls": account_calls(server),
                "complete": complete,
                "rows": len(rows),
            }

        cases = {
            "cold": ("multi", True),
            "warm": ("multi", False),
            "hub": ("hub", False),
            "single": ("single", False),
        }
        for setup, cold in cases.values():  # connections made, modules loaded
            one(setup, "group", cold)
        samples: dict[str, list[dict[str, Any]]] = {}
        for _ in range(rounds):
            for scenario in ACCOUNT_SCENARIOS:
                for case, (setup, cold) in cases.items():
                    samples.setdefault(f"{scenario}/{case}", []).append(one(setup, scenario, cold))
        sagemaker_calls.sagemaker, tag_reads.tagging, accounts.sts = original
        accounts.forget_sessions()
    print("  fleet listing: across accounts measured", file=sys.stderr, flush=True)
    return {key: summarize(found) for key, found in samples.items()}


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


def _account_calls_text(calls: dict[str, dict[str, float]]) -> str:
    """Calls by account and operation: "33 calls (hub GetResources 10, ...; STS ...)"."""
    total = sum(n for operations in calls.values() for n in operations.values())
    parts = "; ".join(
        f"{who} "
        + ", ".join(f"{op} {n:g}" for op, n in sorted(operations.items(), key=lambda kv: -kv[1]))
        for who, operations in calls.items()
    )
    return f"{total:g} calls ({parts})" if parts else "0 calls"


def _listing_text(
    figures: dict[str, Any], label: str, calls_text: Callable[[Any], str] = _calls_text
) -> str:
    complete = "complete" if figures["complete"] else "incomplete"
    if len(figures["completes"]) > 1:
        complete = "complete in some rounds only"
    return (
        f"{label}: {calls_text(figures['calls'])}, {figures['seconds']:.2f} s "
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


def _total_calls(calls: dict[str, dict[str, float]]) -> float:
    return sum(n for operations in calls.values() for n in operations.values())


def accounts_rows(measured: dict[str, Any]) -> list[Row]:
    """Across a hub and two spokes, cold and warm, against one account of the same size."""
    found = measured.get("accounts")
    if not found:
        skipped = measured.get("accounts_skipped") or "not measured"
        return [("portal listing across accounts", f"skipped ({skipped})", "", "")]
    spokes = len(SPOKE_ACCOUNTS)
    total = PER_ACCOUNT * (1 + spokes)
    label = f"tag, hub + {spokes} spokes"
    baseline_label = f"1 account x {total:,}"
    rows: list[Row] = []
    for scenario, who in ACCOUNT_SCENARIOS.items():
        single = found[f"{scenario}/single"]
        alone = found[f"{scenario}/hub"]
        for case, when in (
            ("cold", "cold process: the first listing, each spoke's AssumeRole in it"),
            ("warm", "warm process: spoke sessions kept"),
        ):
            multi = found[f"{scenario}/{case}"]
            ratio = (
                f"calls {_ratio(_total_calls(multi['calls']), _total_calls(single['calls']))}, "
                f"time {_ratio(multi['seconds'], single['seconds'])}; time "
                f"{_ratio(multi['seconds'], alone['seconds'])} the hub's {PER_ACCOUNT:,} alone "
                f"({_total_calls(alone['calls']):g} calls, {alone['seconds']:.2f} s)"
            )
            rows.append(
                (
                    f"portal listing across accounts, {who}, {when}",
                    _listing_text(multi, label, _account_calls_text),
                    _listing_text(single, baseline_label, _account_calls_text),
                    ratio,
                )
            )
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
        f"one account and across {1 + len(SPOKE_ACCOUNTS)}, {rounds} rounds",
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
    found = listing_rows(measured) + accounts_rows(measured) + template_rows(templates(env_for))
    note = (
        f"Fleet listings and opens: tests/aws_stand_in.py answering every AWS call after "
        f"{LATENCY_SECONDS} s, medians of {rounds} interleaved rounds (opens: "
        f"{OPENS_PER_ROUND} a round); baseline = lambda/presigned_url at {BASELINE_COMMIT} "
        f"serving by name prefix, tag = this checkout serving by the served-by tag."
    )
    if measured.get("accounts"):
        note += (
            f" Across accounts: tests/aws_accounts.py, a hub and {len(SPOKE_ACCOUNTS)} spokes "
            f"of {PER_ACCOUNT:,} served notebooks each, every account's calls and STS's "
            f"AssumeRole after {LATENCY_SECONDS} s; cold = no spoke session yet "
            "(accounts.forget_sessions(), as in a new process; the hub's clients connected), "
            f"warm = sessions kept; baseline = one account holding all "
            f"{PER_ACCOUNT * (1 + len(SPOKE_ACCOUNTS)):,} (the same 9 notebooks the person "
            f"owns), and the hub's {PER_ACCOUNT:,} listed alone, same run, interleaved."
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
