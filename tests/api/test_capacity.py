"""The served-notebook capacity arithmetic, without synthesizing anything.

The limits themselves are held against a real synth in tests/api/test_fleet.py (an API filled
until add_notebook refuses, checked against Lambda's and IAM's limits)."""

from __future__ import annotations

from sagemaker_notebook_access.api.capacity import (
    ENVIRONMENT_HEADROOM_BYTES,
    NOTEBOOK_ARN_PREFIX_MAX_CHARS,
    arn_chars,
    environment_bytes,
    first_policy_room,
)


def test_a_token_name_counts_as_63_characters_and_a_literal_as_its_length():
    assert arn_chars("${Token[X.1]}", is_token=True) - arn_chars("nb", is_token=False) == 63 - 2


def test_environment_counts_keys_values_commas_and_headroom():
    variables = {"NOTEBOOK_NAMES": "", "ALLOW_START": "false"}
    base = len("NOTEBOOK_NAMES") + len("ALLOW_START") + len("false")
    assert environment_bytes(variables, []) == base + ENVIRONMENT_HEADROOM_BYTES
    names = [("a", False), ("bc", False), ("tok", True)]
    assert environment_bytes(variables, names) == base + 1 + 2 + 63 + 2 + ENVIRONMENT_HEADROOM_BYTES


def test_a_prefix_takes_its_wildcard_arn_out_of_the_first_policy():
    assert first_policy_room("") - first_policy_room("team-") == (
        NOTEBOOK_ARN_PREFIX_MAX_CHARS + len("team-*") + 3
    )
