#!/usr/bin/env python3
"""`make bench`: what the constructs and the handler cost, each against a same-run baseline.

Subjects and their baselines run interleaved, round after round, and each figure is
the median of its rounds, so a load change on the machine hits both sides alike.
Prints a table and writes it, with the machine it ran on, to bench/results.md.

    python bench/run.py [--rounds 5] [--cold-rounds 15] [--fleet-rounds 3] [--skip-suite]
                        [--only fleet]

The fleet figures (serving by tag against the URL function as of its last prefix-served
commit, issue 21; the listing across a hub and two spoke accounts against one account of
the same size, issue 22) are bench/fleet_listing.py's; `--only fleet` measures just those.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import fleet_listing  # bench/, the script's own folder

T = TypeVar("T")
REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
NODE_BIN = REPO / "node_modules" / ".bin"
HANDLER_SOURCE = REPO / "lambda" / "presigned_url"
FLEET_SIZES = (1, 10, 50)
# The environment PresignedUrlApi gives the function (one served notebook).
HANDLER_ENV = {
    "NOTEBOOK_NAMES": "nb-alice",
    "NOTEBOOK_NAME_PREFIX": "",
    "ALLOWED_CIDRS": "203.0.113.0/24",
    "ALLOW_START": "false",
    "MAX_SESSION_DURATION_SECONDS": "43200",
    "DEFAULT_SESSION_DURATION_SECONDS": "43200",
}
# What a Lambda sandbox sets; the client needs a region, never credentials, to be created.
LAMBDA_ENV = {
    "AWS_REGION": "eu-west-1",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    # Lambda's file system is read-only: the handler is compiled on every cold start.
    "PYTHONDONTWRITEBYTECODE": "1",
}


# CloudFormation quotas per stack.
CFN_RESOURCE_LIMIT = 500
CFN_TEMPLATE_LIMIT_BYTES = 1_000_000


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CDK_OUTDIR", "CDK_CONTEXT_JSON")}
    env.pop("AWS_PROFILE", None)
    env["PATH"] = os.pathsep.join([str(NODE_BIN), str(Path(sys.executable).parent), env["PATH"]])
    env["JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION"] = "1"
    return env


def cdk_context(nag: bool, control_tower: bool = False) -> str:
    """The context the CDK CLI would pass from cdk.json (`python app.py` reads no cdk.json)."""
    context = json.loads((REPO / "cdk.json").read_text())["context"]
    context["nag"] = nag
    context["controlTower"] = control_tower
    if control_tower:
        # The rules run and report alike whether or not they find something: what they
        # still find in the demo (docs/compliance.md) must not end the synth halfway.
        context["@aws-cdk/core:failSynthOnValidationErrors"] = False
    return json.dumps(context)


# ---------------------------------------------------------------- measuring


# What app.py prints when it exits 1 on Control Tower findings (compliance.exit_on_findings)
# after a complete synth: the synth is timed all the same.
FINDINGS_EXIT = "unacknowledged error finding(s) of cdk-validator-cfnguard"


def timed_run(command: list[str], env: dict[str, str]) -> float:
    return timed_run_with_cpu(command, env)[0]


def timed_run_with_cpu(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and everything it waited for: jsii's
    Node.js, cfn-guard). CPU time hardly moves when other work shares the machine."""
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0 and not (result.returncode == 1 and FINDINGS_EXIT in result.stderr):
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return elapsed, cpu


def synth_env(
    out: str, nag: bool, validation: bool = True, control_tower: bool = False
) -> dict[str, str]:
    env = base_env() | {"CDK_OUTDIR": out, "CDK_CONTEXT_JSON": cdk_context(nag, control_tower)}
    if not validation:
        # CDK's built-in CloudFormation validation (on in every App unless turned off).
        env["CDK_VALIDATION"] = "false"
    return env


def synth_job(
    script: Path, *args: str, nag: bool = False, validation: bool = True
) -> Callable[[], float]:
    def run() -> float:
        with tempfile.TemporaryDirectory(prefix="bench-synth-") as out:
            return timed_run([sys.executable, str(script), *args], synth_env(out, nag, validation))

    return run


def synth_cost_job(nag: bool, control_tower: bool) -> Callable[[], tuple[float, float]]:
    """The demo app's synth, as (wall, CPU) seconds."""

    def run() -> tuple[float, float]:
        with tempfile.TemporaryDirectory(prefix="bench-synth-") as out:
            env = synth_env(out, nag, control_tower=control_tower)
            return timed_run_with_cpu([sys.executable, str(REPO / "app.py")], env)

    return run


def added_cost(samples: dict[str, list], subject: str, base: str) -> tuple[float, float]:
    """Median over rounds of (subject - base), wall and CPU: each round's pair ran back to
    back, so a load change between rounds cancels out."""
    pairs = list(zip(samples[subject], samples[base], strict=True))
    return (
        median([subject_[0] - base_[0] for subject_, base_ in pairs]),
        median([subject_[1] - base_[1] for subject_, base_ in pairs]),
    )


def jsii_requests(script: Path, *args: str) -> int:
    """Requests Python sends to the jsii kernel synthesizing ``script`` (packs off)."""
    with tempfile.TemporaryDirectory(prefix="bench-jsii-") as out:
        result = subprocess.run(
            [sys.executable, str(BENCH / "jsii_calls.py"), str(script), *args],
            cwd=REPO,
            env=synth_env(out, nag=False),
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode != 0:
        raise SystemExit(f"counting jsii requests of {script} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])["requests"]


def fleet_template(count: int) -> tuple[int, int]:
    """Resources and bytes of the fleet app's template for ``count`` notebooks."""
    with tempfile.TemporaryDirectory(prefix="bench-template-") as out:
        env = synth_env(out, nag=False)
        timed_run([sys.executable, str(BENCH / "fleet_app.py"), str(count)], env)
        path = Path(out) / f"Fleet{count}.template.json"
        return len(json.loads(path.read_text())["Resources"]), path.stat().st_size


def demo_template_for_include(into: Path) -> tuple[Path, int]:
    """The demo stack's template (packs off), minus what the including stack adds itself."""
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as out:
        env = synth_env(out, nag=False)
        timed_run([sys.executable, str(REPO / "app.py")], env)
        (path,) = Path(out).glob("*.template.json")
        template = json.loads(path.read_text())
    # The bootstrap-version parameter and rule, and CDK's metadata resource, come with every
    # stack: left in, the including stack would define them twice.
    template.get("Parameters", {}).pop("BootstrapVersion", None)
    template.get("Rules", {}).pop("CheckBootstrapVersion", None)
    template["Resources"] = {
        k: v for k, v in template["Resources"].items() if v["Type"] != "AWS::CDK::Metadata"
    }
    target = into / "demo.template.json"
    target.write_text(json.dumps(template))
    return target, len(template["Resources"])


def interleaved(jobs: dict[str, Callable[[], T]], rounds: int) -> dict[str, list[T]]:
    samples: dict[str, list[T]] = {name: [] for name in jobs}
    for round_ in range(rounds):
        for name, job in jobs.items():
            samples[name].append(job())
        print(f"  round {round_ + 1}/{rounds} done", file=sys.stderr, flush=True)
    return samples


def packaged_handler(into: Path) -> Path:
    """The handler folder as the construct packages it (no __pycache__, no .pyc)."""
    target = into / "presigned_url"
    shutil.copytree(HANDLER_SOURCE, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return target


COLD_SCRIPT = textwrap.dedent(
    """
    import sys, time
    started = time.perf_counter()
    {body}
    print(time.perf_counter() - started)
    """
)
COLD_BODIES = {
    "handler": "sys.path.insert(0, {folder!r}); import handler",
    "baseline": "import boto3; boto3.client('sagemaker')",
}


def cold_job(body: str, folder: Path) -> Callable[[], float]:
    code = COLD_SCRIPT.format(body=body.format(folder=str(folder)))
    env = base_env() | LAMBDA_ENV | HANDLER_ENV

    def run() -> float:
        result = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        return float(result.stdout.strip())

    return run


WARM_SCRIPT = textwrap.dedent(
    """
    import json, logging, os, statistics, sys, time
    sys.path.insert(0, {folder!r})
    import handler
    import sagemaker_calls

    # SageMaker stubbed at the handler's two calls (sagemaker_calls, since issue 20 made
    # the handler a package); everything else is the real code path.
    # (Extra arguments taken and ignored: issue 22 passes the client of the notebook's account.)
    sagemaker_calls.describe_status = lambda name, *_, **__: "InService"
    sagemaker_calls.presign = (
        lambda name, duration, *_, **__: "https://nb-alice.notebook.eu-west-1.sagemaker.aws/x"
    )
    # The audit line is formatted and written, as in Lambda (to /dev/null here).
    sink = logging.StreamHandler(open(os.devnull, "w"))
    sink.setFormatter(logging.Formatter("%(message)s"))
    logging.getLogger().addHandler(sink)

    event = {{
        "resource": "/notebooks/{{NotebookInstanceName}}/url",
        "path": "/notebooks/nb-alice/url",
        "httpMethod": "POST",
        "headers": {{"Content-Type": "application/json"}},
        "pathParameters": {{"NotebookInstanceName": "nb-alice"}},
        "requestContext": {{
            "resourcePath": "/notebooks/{{NotebookInstanceName}}/url",
            "httpMethod": "POST",
            "requestId": "bench-request",
            "stage": "v1",
            "identity": {{
                "sourceIp": "203.0.113.10",
                "userArn": "arn:aws:iam::123456789012:user/alice",
                "caller": "AIDAEXAMPLE",
            }},
        }},
        "body": json.dumps({{"SessionExpirationDurationInSeconds": 3600}}),
        "isBase64Encoded": False,
    }}

    class Context:
        aws_request_id = "bench-request"

    def noop(event, context):
        return {{"statusCode": 200, "headers": {{}}, "body": "{{}}", "isBase64Encoded": False}}

    assert handler.handler(event, Context())["statusCode"] == 200
    calls = {calls}
    samples = {{"handler": [], "noop": []}}
    for _ in range({rounds}):
        for name, function in (("handler", handler.handler), ("noop", noop)):
            started = time.perf_counter()
            for _ in range(calls):
                function(event, Context())
            samples[name].append((time.perf_counter() - started) / calls * 1e6)
    print(json.dumps({{k: statistics.median(v) for k, v in samples.items()}}))
    """
)


def warm(folder: Path, rounds: int, calls: int) -> dict[str, float]:
    code = WARM_SCRIPT.format(folder=str(folder), rounds=rounds, calls=calls)
    env = base_env() | LAMBDA_ENV | HANDLER_ENV
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"warm benchmark failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def asset_sizes(folder: Path) -> tuple[int, int]:
    """(bytes of the files, bytes of the zip the CDK uploads)."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    raw = sum(p.stat().st_size for p in files)
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "asset.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
            for path in files:
                zipped.write(path, path.relative_to(folder))
        return raw, archive.stat().st_size


def suite_seconds() -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=REPO,
        env=base_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    return elapsed, (lines[-1] if lines else f"exit {result.returncode}")


# ---------------------------------------------------------------- reporting


def machine() -> dict[str, str]:
    cpu = platform.processor() or "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    node = shutil.which("node", path=os.pathsep.join([str(NODE_BIN), os.environ["PATH"]]))
    node_version = (
        subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
        if node
        else "not found"
    )
    from importlib.metadata import version

    return {
        "CPUs (nproc)": str(os.cpu_count()),
        "CPU": cpu,
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "Node.js (jsii)": node_version,
        "aws-cdk-lib": version("aws-cdk-lib"),
        "boto3": version("boto3"),
    }


def fleet_label(count: int) -> str:
    return f"{count} notebook" + ("s" if count != 1 else "")


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def spread(samples: list[float]) -> str:
    return f"{min(samples):.2f}-{max(samples):.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="synth rounds (default 5)")
    parser.add_argument("--cold-rounds", type=int, default=15, help="cold-start rounds")
    parser.add_argument("--skip-suite", action="store_true", help="do not time the test suite")
    parser.add_argument(
        "--fleet-rounds", type=int, default=3, help="fleet listing rounds (default 3)"
    )
    parser.add_argument("--only", choices=["fleet"], help="measure only these figures")
    options = parser.parse_args()

    rows: list[tuple[str, str, str, str]] = []  # figure, value, baseline, ratio
    info = machine()
    print("machine: " + "; ".join(f"{k} {v}" for k, v in info.items()), flush=True)
    if options.only == "fleet":
        fleet_rows, fleet_note = fleet_listing.rows(options.fleet_rounds, fleet_synth_env)
        write_report(rows + fleet_rows, info, options, fleet_note)
        return

    print(f"synth: demo app and fleets vs. the empty app, {options.rounds} rounds", flush=True)
    include_dir = tempfile.TemporaryDirectory(prefix="bench-include-")
    demo_template, demo_resources = demo_template_for_include(Path(include_dir.name))
    synths = interleaved(
        {
            "empty": synth_job(BENCH / "empty_app.py"),
            "include": synth_job(BENCH / "include_app.py", str(demo_template)),
            "demo, nag off": synth_job(REPO / "app.py", nag=False),
            "demo, nag on": synth_job(REPO / "app.py", nag=True),
            # The same three with CDK's built-in template validation off: what it costs.
            "empty, validation off": synth_job(BENCH / "empty_app.py", validation=False),
            "include, validation off": synth_job(
                BENCH / "include_app.py", str(demo_template), validation=False
            ),
            "demo, nag off, validation off": synth_job(REPO / "app.py", validation=False),
            **{fleet_label(n): synth_job(BENCH / "fleet_app.py", str(n)) for n in FLEET_SIZES},
        },
        options.rounds,
    )
    requests = {
        "demo": jsii_requests(REPO / "app.py"),
        "include": jsii_requests(BENCH / "include_app.py", str(demo_template)),
        "empty": jsii_requests(BENCH / "empty_app.py"),
    }
    include_dir.cleanup()
    empty = median(synths["empty"])
    included = median(synths["include"])
    demo = median(synths["demo, nag off"])
    bare_empty = median(synths["empty, validation off"])
    bare_included = median(synths["include, validation off"])
    bare_demo = median(synths["demo, nag off, validation off"])
    rows.append(
        (
            "synth, the demo's template through CfnInclude (floor for the same resources)",
            f"{included:.2f} s ({spread(synths['include'])})",
            f"empty app {empty:.2f} s",
            f"{included / empty:.2f}x (demo, nag off: {demo / included:.2f}x this floor)",
        )
    )
    rows.append(
        (
            f"synth per resource above the empty app ({demo_resources} resources)",
            f"demo {(demo - empty) / demo_resources * 1000:.1f} ms",
            f"CfnInclude {(included - empty) / demo_resources * 1000:.1f} ms",
            f"{(demo - empty) / max(included - empty, 1e-9):.2f}x",
        )
    )
    rows.append(
        (
            "synth, CDK's built-in CloudFormation validation (off: CDK_VALIDATION=false)",
            f"empty app +{empty - bare_empty:.2f} s, demo +{demo - bare_demo:.2f} s",
            f"empty app without it {bare_empty:.2f} s ({spread(synths['empty, validation off'])})",
            f"{(demo - bare_demo) / demo:.0%} of the demo's synth (nag off)",
        )
    )
    rows.append(
        (
            f"synth per resource above the empty app, validation off ({demo_resources} resources)",
            f"demo {(bare_demo - bare_empty) / demo_resources * 1000:.1f} ms",
            f"CfnInclude {(bare_included - bare_empty) / demo_resources * 1000:.1f} ms",
            f"{(bare_demo - bare_empty) / max(bare_included - bare_empty, 1e-9):.2f}x "
            f"(demo {bare_demo:.2f} s: {bare_demo / bare_included:.2f}x CfnInclude's "
            f"{bare_included:.2f} s)",
        )
    )
    rows.append(
        (
            "jsii requests synthesizing the demo (nag off)",
            f"{requests['demo']} ({requests['demo'] / demo_resources:.1f} per resource)",
            f"CfnInclude {requests['include']}, empty app {requests['empty']}",
            f"{requests['demo'] / requests['include']:.0f}x",
        )
    )
    for name, samples in synths.items():
        if name in ("empty", "include") or name.endswith("validation off"):
            continue
        label = f"synth, {name}" if name.startswith("demo") else f"synth, {name} on one API"
        rows.append(
            (
                label,
                f"{median(samples):.2f} s ({spread(samples)})",
                f"empty app {empty:.2f} s ({spread(synths['empty'])})",
                f"{median(samples) / empty:.2f}x",
            )
        )

    # AWS Control Tower's proactive controls (cdk-validator-cfnguard, `-c controlTower=true`)
    # on the demo, alone and on top of the five packs: paired rounds, wall and CPU time.
    print(f"Control Tower controls: {options.rounds} paired rounds", flush=True)
    costs = interleaved(
        {
            "nag off": synth_cost_job(nag=False, control_tower=False),
            "Control Tower": synth_cost_job(nag=False, control_tower=True),
            "nag on": synth_cost_job(nag=True, control_tower=False),
            "nag on, Control Tower": synth_cost_job(nag=True, control_tower=True),
        },
        options.rounds,
    )
    for subject, base in (("Control Tower", "nag off"), ("nag on, Control Tower", "nag on")):
        wall, cpu = added_cost(costs, subject, base)
        base_wall = median([sample[0] for sample in costs[base]])
        base_cpu = median([sample[1] for sample in costs[base]])
        rows.append(
            (
                f"synth, the demo with Control Tower's proactive controls added to {base} "
                "(cdk-validator-cfnguard)",
                f"+{wall:.2f} s wall, +{cpu:.2f} s CPU (median of the rounds' differences)",
                f"demo, {base}: {base_wall:.2f} s wall, {base_cpu:.2f} s CPU",
                f"{(base_wall + wall) / base_wall:.2f}x wall, "
                f"{(base_cpu + cpu) / base_cpu:.2f}x CPU",
            )
        )
    packs_wall, packs_cpu = added_cost(costs, "nag on", "nag off")
    rows.append(
        (
            "synth, the five cdk-nag packs added to the demo (for comparison)",
            f"+{packs_wall:.2f} s wall, +{packs_cpu:.2f} s CPU",
            "demo, nag off",
            "",
        )
    )
    smallest, largest = min(FLEET_SIZES), max(FLEET_SIZES)
    per_notebook = (
        median(synths[fleet_label(largest)]) - median(synths[fleet_label(smallest)])
    ) / (largest - smallest)
    rows.append(("synth, each notebook added to a fleet", f"{per_notebook * 1000:.0f} ms", "", ""))
    for count in FLEET_SIZES:
        resources, size = fleet_template(count)
        rows.append(
            (
                f"template, {fleet_label(count)} on one API",
                f"{resources} resources, {size / 1000:.0f} KB",
                f"CloudFormation limits {CFN_RESOURCE_LIMIT} resources, 1 MB",
                f"{resources / CFN_RESOURCE_LIMIT:.0%}, {size / CFN_TEMPLATE_LIMIT_BYTES:.0%}",
            )
        )

    with tempfile.TemporaryDirectory(prefix="bench-asset-") as tmp:
        folder = packaged_handler(Path(tmp))

        print(f"cold start: {options.cold_rounds} fresh processes each", flush=True)
        cold = interleaved(
            {name: cold_job(body, folder) for name, body in COLD_BODIES.items()},
            options.cold_rounds,
        )
        handler_ms, boto_ms = median(cold["handler"]) * 1000, median(cold["baseline"]) * 1000
        rows.append(
            (
                "handler cold start (import + client)",
                f"{handler_ms:.0f} ms",
                f"import boto3 + client {boto_ms:.0f} ms",
                f"{handler_ms / boto_ms:.2f}x",
            )
        )

        print("warm requests: SageMaker stubbed", flush=True)
        per_request = warm(folder, rounds=7, calls=2000)
        rows.append(
            (
                "handler warm, per request (SageMaker stubbed)",
                f"{per_request['handler']:.1f} µs",
                f"no-op handler {per_request['noop']:.2f} µs",
                f"{per_request['handler'] / per_request['noop']:.0f}x "
                f"(+{per_request['handler'] - per_request['noop']:.1f} µs)",
            )
        )
        raw, zipped = asset_sizes(folder)
        rows.append(("Lambda asset (handler folder)", f"{raw} bytes", f"zipped {zipped} bytes", ""))

    fleet_rows, fleet_note = fleet_listing.rows(options.fleet_rounds, fleet_synth_env)
    rows.extend(fleet_rows)

    if not options.skip_suite:
        print("test suite: pytest -q", flush=True)
        seconds, summary = suite_seconds()
        rows.append(("test suite wall time", f"{seconds:.0f} s", summary, ""))
    write_report(rows, info, options, fleet_note)


def fleet_synth_env(out: str) -> dict[str, str]:
    return synth_env(out, nag=False)


def write_report(
    rows: list[tuple[str, str, str, str]],
    info: dict[str, str],
    options: argparse.Namespace,
    fleet_note: str,
) -> None:
    """Print the table and write it, with how it was measured and the machine, to results.md."""
    table = ["| figure | value (median, min-max) | baseline | ratio |", "|---|---|---|---|"]
    table += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    machine_lines = [f"- {k}: {v}" for k, v in info.items()]
    how = (
        ""
        if options.only
        else f" Synth times are `python app.py` wall times (CDK_OUTDIR temporary, cdk.json "
        f"context), medians of {options.rounds} interleaved rounds; cold starts medians of "
        f"{options.cold_rounds} fresh processes."
    )
    report = "\n".join(
        [
            "# Benchmark results",
            "",
            f"`make bench` ({' '.join(sys.argv[1:]) or 'defaults'}), "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.{how} {fleet_note}",
            "",
            *table,
            "",
            "Machine:",
            "",
            *machine_lines,
            "",
        ]
    )
    print()
    print("\n".join(table))
    (BENCH / "results.md").write_text(report)
    print(f"\nwritten to {BENCH / 'results.md'}")


if __name__ == "__main__":
    main()
