"""Shared test set-up. Each test module synthesizes its stacks once (module fixtures)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
# app.py and compliance.py live at the repository root.
sys.path.insert(0, str(REPO_ROOT))

# The SDK must never reach AWS from a test: fake credentials and a fixed region.
os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_SESSION_TOKEN", "testing")
os.environ.pop("AWS_PROFILE", None)
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")

TEST_ENV = {"account": "123456789012", "region": "eu-west-1"}


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def demo_stacks() -> dict:
    """The demo app's stack (app.py), with the placeholder allow-list and with a real one,
    in one App synthesized once for every module that reads it."""
    import aws_cdk as cdk

    from app import NotebookAccessStack

    app = cdk.App()
    env = cdk.Environment(**TEST_ENV)
    return {
        "placeholder": NotebookAccessStack(
            app,
            "Demo",
            allowed_cidrs=["203.0.113.0/24"],
            notebook_instance_name="demo-notebook",
            env=env,
        ),
        "real": NotebookAccessStack(
            app, "Real", allowed_cidrs=["198.51.7.0/24"], notebook_instance_name=None, env=env
        ),
    }


# ---------------------------------------------------------------- handler tests
# Used by tests/function/test_handler*.py; handler_events imports the handler, so it is
# imported here only when a handler test asks for a fixture.


@pytest.fixture
def handler_env():
    """The environment the construct gives the presigned-URL Lambda."""
    from handler_events import handler_environment

    with handler_environment():
        yield


@pytest.fixture(scope="module")
def sagemaker_api():
    """moto's SageMaker server for one module; the handler is pointed at it meanwhile."""
    from handler_events import local_sagemaker

    with local_sagemaker() as api:
        yield api


@pytest.fixture
def moto(sagemaker_api):
    """moto with the served notebook InService and nothing else."""
    from handler_events import SERVED

    sagemaker_api.reset()
    sagemaker_api.create(SERVED)
    return sagemaker_api


@pytest.fixture
def logs(request):
    """All log output of a handler test. Afterwards: no request left this machine, no
    URL in any line at any level, none of the module's LEAK_MARKERS in the handler's
    own lines, and exactly one audit record per request."""
    from handler_events import INVOCATIONS, URL_TOKEN, capture_all_logs, only_local_endpoints

    first = len(INVOCATIONS)
    with only_local_endpoints() as escaped, capture_all_logs() as recorder:
        yield recorder
    assert escaped == [], "the handler tried to reach a non-local endpoint"
    assert URL_TOKEN not in recorder.text()
    handler_lines = recorder.text_of("presigned_url")
    for marker in getattr(request.module, "LEAK_MARKERS", ()):
        assert marker not in handler_lines, marker
    assert len(recorder.audit_records()) == len(INVOCATIONS) - first
