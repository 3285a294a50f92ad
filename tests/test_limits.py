"""The Lambda handler ships alone, so it keeps its own copies of what the library decides:
SageMaker's limits, the portal's tag names and scopes, the audit line's deny reasons."""

from __future__ import annotations

from presigned_url import handler

from sagemaker_notebook_access import limits


def test_handler_copies_of_sagemaker_limits_match_the_library():
    assert handler.NAME_PATTERN.pattern == limits.NOTEBOOK_NAME_PATTERN.pattern
    assert handler.NAME_MAX_LENGTH == limits.NOTEBOOK_NAME_MAX_LENGTH
    assert handler.DURATION_FIELD == limits.SESSION_DURATION_FIELD
    assert handler.DURATION_MIN_SECONDS == limits.SESSION_DURATION_MIN_SECONDS
    assert handler.DURATION_MAX_SECONDS == limits.SESSION_DURATION_MAX_SECONDS


def test_handler_reads_the_tags_and_asks_for_the_scopes_the_construct_sets():
    from presigned_url import portal as handler_portal

    from sagemaker_notebook_access import entitlement
    from sagemaker_notebook_access import portal as construct_portal

    assert (handler_portal.OWNERS_TAG, handler_portal.GROUPS_TAG) == (
        entitlement.OWNERS_TAG,
        entitlement.GROUPS_TAG,
    )
    scopes = " ".join(scope.scope_name for scope in construct_portal.SCOPES)
    assert handler_portal.PortalSettings("", "", "").scopes == scopes


def test_the_metrics_count_the_deny_reasons_the_handler_writes():
    from sagemaker_notebook_access.operations import DenyReason

    written = {value for name, value in vars(handler).items() if name.startswith("DENY_")}
    counted = {
        value
        for name, value in vars(DenyReason).items()
        if not name.startswith("_") and value[:1].islower()  # the handler's camelCase ones
    }
    assert written == counted
