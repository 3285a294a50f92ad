"""Who may open a notebook through the portal: its owner and group tags (issue 11).

NotebookInstance(owners=..., groups=...) writes them; the handler reads them on every
request (the tag names are the URL function's contract module's), so
``aws sagemaker add-tags`` changes who may open a notebook with no redeploy.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..lambda_src.presigned_url.contract import GROUPS_TAG, OWNERS_TAG
from ..validation import ValidationError, is_token

# SageMaker tag values: up to 256 of letters, digits, spaces and _ . : / = + - @ (Tag,
# SageMaker API reference); entries are space-separated, so an entry holds no space.
TAG_VALUE_MAX_LENGTH = 256
_TAG_ENTRY = re.compile(r"[\w.:/=+\-@]+")
# The portal compares owners lower-cased and in printable ASCII only (lambda/presigned_url/
# portal/notebook_portal.py): Unicode case mapping folds different characters together
# ("\u212aate@corp.com".lower() == "kate@corp.com"), so any other entry would match no one.
_ASCII_OWNER = re.compile(r"[\x21-\x7e]+")
# Cognito puts every person federated through an IdP into a group named
# "<user pool id>_<IdP name>" ("Adding groups to a user pool", Cognito developer guide):
# naming it in groups= would entitle everyone that IdP signs in.
_IDP_GROUP = re.compile(r"[a-z]{2}(-[a-z]+)+-\d_[0-9A-Za-z]+_.+")


def entitlement_tags(owners: Sequence[str], groups: Sequence[str]) -> dict[str, str]:
    """The notebook's owner/group tags for ``owners`` and ``groups`` (empty ones left out).

    Tags are not among AWS::SageMaker::NotebookInstance's create-only properties (its
    CloudFormation resource schema), so changing them updates the notebook in place.
    """
    tags = {}
    for prop, key, entries in (("owners", OWNERS_TAG, owners), ("groups", GROUPS_TAG, groups)):
        if isinstance(entries, str):
            raise ValidationError(f"{prop} must be a list of strings, not one string {entries!r}")
        for entry in entries:
            if is_token(entry):
                raise ValidationError(
                    f"{prop} entries must be known at synth time (a tag value lists them)"
                )
            if not isinstance(entry, str) or not _TAG_ENTRY.fullmatch(entry):
                raise ValidationError(
                    f"{prop} entry {entry!r} is not allowed: use a Cognito sub, an email "
                    "address or a group name of letters, digits and _ . : / = + - @ "
                    "(no spaces)"
                )
            if prop == "owners" and not _ASCII_OWNER.fullmatch(entry):
                raise ValidationError(
                    f"owners entry {entry!r} is not allowed: owners are compared in ASCII "
                    "only (Unicode case mapping makes different addresses equal, and the "
                    "portal matches no one by such an entry); write the address in ASCII, "
                    "or use the person's Cognito sub or a group"
                )
            if prop == "groups" and _IDP_GROUP.fullmatch(entry):
                raise ValidationError(
                    f"groups entry {entry!r} looks like the group Cognito adds every person "
                    "federated through an identity provider to (<user pool id>_<provider>): "
                    "it would entitle everyone that provider signs in; name a group you "
                    "manage, or list owners"
                )
        value = " ".join(dict.fromkeys(entries))
        if len(value) > TAG_VALUE_MAX_LENGTH:
            raise ValidationError(
                f"{prop} take {len(value)} characters as a tag; SageMaker allows "
                f"{TAG_VALUE_MAX_LENGTH}: use a group instead of listing people"
            )
        if value:
            tags[key] = value
    return tags
