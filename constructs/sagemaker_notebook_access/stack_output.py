"""The CloudFormation output every PresignedUrlApi adds, as the notebook-url client finds it
(standard library only: the construct writes it, the client reads it).

The output's key is CDK's (the construct path made unique); what marks it is its
description, which names the API's construct path, so a stack with several APIs can say
which is which: ``sagemaker-notebook-access PresignedUrlApi stage URL: <path>``.
"""

from __future__ import annotations

API_OUTPUT_ID = "Url"
API_OUTPUT_MARKER = "sagemaker-notebook-access PresignedUrlApi stage URL: "
# CloudFormation's limit on an output description.
DESCRIPTION_MAX_CHARS = 1024


def api_output_description(path: str) -> str:
    """The description of the output of the API at construct ``path``."""
    room = DESCRIPTION_MAX_CHARS - len(API_OUTPUT_MARKER)
    return API_OUTPUT_MARKER + (path if len(path) <= room else "..." + path[-(room - 3) :])


def api_path_from_description(description: object) -> str | None:
    """The construct path an API output's description names; None for any other output."""
    if isinstance(description, str) and description.startswith(API_OUTPUT_MARKER):
        return description[len(API_OUTPUT_MARKER) :] or None
    return None
