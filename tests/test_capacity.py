"""The served-notebook capacity arithmetic, without synthesizing anything."""

from __future__ import annotations

import pytest

from sagemaker_notebook_access.capacity import (
    ENVIRONMENT_HEADROOM_BYTES,
    ENVIRONMENT_LIMIT_BYTES,
    FUNCTION_POLICY_RESERVED_CHARS,
    MANAGED_POLICY_MAX_CHARS,
    MAX_SERVED_NOTEBOOK_POLICIES,
    NOTEBOOK_ARN_PREFIX_MAX_CHARS,
    SERVED_POLICY_OVERHEAD_CHARS,
    PolicyRoom,
    arn_chars,
    environment_bytes,
    first_policy_room,
    more_policies_allowed,
    next_policy_room,
)


def test_a_token_name_counts_as_63_characters_and_a_literal_as_its_length():
    assert arn_chars("nb", is_token=False) == NOTEBOOK_ARN_PREFIX_MAX_CHARS + 2 + 3
    assert arn_chars("${Token[X.1]}", is_token=True) == NOTEBOOK_ARN_PREFIX_MAX_CHARS + 63 + 3


def test_environment_counts_keys_values_commas_and_headroom():
    variables = {"NOTEBOOK_NAMES": "", "ALLOW_START": "false"}
    base = len("NOTEBOOK_NAMES") + len("ALLOW_START") + len("false")
    assert environment_bytes(variables, []) == base + ENVIRONMENT_HEADROOM_BYTES
    names = [("a", False), ("bc", False), ("tok", True)]
    assert environment_bytes(variables, names) == base + 1 + 2 + 63 + 2 + ENVIRONMENT_HEADROOM_BYTES


def test_first_policy_keeps_room_for_the_functions_other_statements_and_the_prefix():
    assert first_policy_room("") == MANAGED_POLICY_MAX_CHARS - FUNCTION_POLICY_RESERVED_CHARS
    assert first_policy_room("team-") == first_policy_room("") - (
        NOTEBOOK_ARN_PREFIX_MAX_CHARS + len("team-") + 4
    )


def test_policy_room_takes_until_full_and_refuses_more():
    room = PolicyRoom(100)
    room.take(60)
    assert room.fits(40) and not room.fits(41)
    with pytest.raises(ValueError, match="41 characters do not fit in 40"):
        room.take(41)
    assert room.chars_left == 40


def test_extra_policies_are_bounded_and_each_keeps_its_overhead():
    assert next_policy_room().chars_left == MANAGED_POLICY_MAX_CHARS - SERVED_POLICY_OVERHEAD_CHARS
    assert more_policies_allowed(MAX_SERVED_NOTEBOOK_POLICIES)
    assert not more_policies_allowed(MAX_SERVED_NOTEBOOK_POLICIES + 1)


def test_about_57_token_names_fit_the_environment():
    # The README's figure: "about 57 names of 63 characters". The other variables of a
    # default API take about 200 bytes.
    variables = {"NOTEBOOK_NAMES": "", "ALLOWED_CIDRS": "203.0.113.0/24", "X" * 20: "y" * 150}
    fits = 0
    while environment_bytes(variables, [("t", True)] * (fits + 1)) <= ENVIRONMENT_LIMIT_BYTES:
        fits += 1
    assert 50 <= fits <= 60
