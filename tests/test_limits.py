"""The Lambda handler ships alone, so it keeps its own copy of SageMaker's limits: keep it equal."""

from __future__ import annotations

from presigned_url import handler

from sagemaker_notebook_access import limits


def test_handler_copies_of_sagemaker_limits_match_the_library():
    assert handler.NAME_PATTERN.pattern == limits.NOTEBOOK_NAME_PATTERN.pattern
    assert handler.NAME_MAX_LENGTH == limits.NOTEBOOK_NAME_MAX_LENGTH
    assert handler.DURATION_FIELD == limits.SESSION_DURATION_FIELD
    assert handler.DURATION_MIN_SECONDS == limits.SESSION_DURATION_MIN_SECONDS
    assert handler.DURATION_MAX_SECONDS == limits.SESSION_DURATION_MAX_SECONDS
