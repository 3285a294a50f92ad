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
