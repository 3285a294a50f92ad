"""The URL function's environment, kept within Lambda's 4 KiB for all of its variables.

Plain bookkeeping, no CDK: every value is counted at the longest it can resolve to (a token
at the ``max_chars`` its setter gives), and the served-notebook list name by name
(api/capacity.py), so a refused value is refused at synth, never at deploy.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

from ..lambda_src.presigned_url.contract import Env
from ..limits import NOTEBOOK_NAME_MAX_LENGTH
from ..validation import ValidationError, is_token
from .capacity import ENVIRONMENT_LIMIT_BYTES, REST_API_ID_CHARS, environment_bytes


class FunctionEnvironment:
    """The function's variables and the served-notebook list, with what they would take.

    Raises ``ValidationError`` (without a scope: the caller's ``validating`` names it)
    before it records anything that would not fit.
    """

    def __init__(self, values: dict[str, str]) -> None:
        self._values = dict(values)
        self._longest: dict[str, int] = {}  # token values, at the longest they resolve to
        self._names: list[str] = []

    @classmethod
    def for_api(
        cls,
        *,
        notebook_name_prefix: str,
        allowed_cidrs: Sequence[str],
        allow_start: bool,
        max_session_duration_seconds: int,
        default_session_duration_seconds: int | None,
        serving_id_chars: int,
    ) -> FunctionEnvironment:
        """What the function starts with; room kept for the REST API's id and the serving id
        (``serving_id_chars``), set once the API exists."""
        environment = cls(
            {
                Env.NOTEBOOK_NAMES: "",  # the served list, counted name by name
                Env.NOTEBOOK_NAME_PREFIX: notebook_name_prefix,
                Env.ALLOWED_CIDRS: ",".join(allowed_cidrs),
                Env.ALLOW_START: "true" if allow_start else "false",
                Env.MAX_SESSION_DURATION_SECONDS: str(max_session_duration_seconds),
                Env.DEFAULT_SESSION_DURATION_SECONDS: str(
                    default_session_duration_seconds or max_session_duration_seconds
                ),
            }
        )
        environment._longest[Env.REST_API_ID] = REST_API_ID_CHARS
        environment._longest[Env.SERVED_BY] = serving_id_chars
        return environment

    @property
    def values(self) -> dict[str, str]:
        """The variables set so far (a copy): what the function is created with."""
        return dict(self._values)

    @property
    def names(self) -> list[str]:
        """The served-notebook list, in the order it was added (a copy)."""
        return list(self._names)

    def copy(self) -> FunctionEnvironment:
        """An independent copy, for trying additions without recording them."""
        return copy.deepcopy(self)

    def set(self, key: str, value: str, *, max_chars: int | None = None) -> None:
        """Record ``key``; ``max_chars``: for a token value (required), the longest it can
        resolve to; for a string, room kept for a longer one (counted at the larger)."""
        if key == Env.NOTEBOOK_NAMES:
            raise ValueError(f"{key} is the served-notebook list: add names with add_name")
        if is_token(value) and max_chars is None:
            raise TypeError(f"{key} is a token: pass max_chars, its longest value")
        longest = dict(self._longest)
        if is_token(value):
            longest[key] = max_chars
        elif max_chars is not None:
            longest[key] = max(max_chars, len(value))
        else:
            longest.pop(key, None)
        projected = self._bytes({**self._values, key: value}, longest, self._names)
        if projected > ENVIRONMENT_LIMIT_BYTES:
            raise ValidationError(
                f"cannot set the Lambda's {key}: its environment would need {projected} bytes "
                f"(limit {ENVIRONMENT_LIMIT_BYTES}); serve fewer notebooks by name: serve them "
                "by tag instead (docs/fleet.md)"
            )
        self._values[key] = value
        self._longest = longest

    def check_name(self, name: str) -> None:
        """Refuse ``name`` if the list could not take it (names counted at up to 63)."""
        projected = self._bytes(self._values, self._longest, [*self._names, name])
        if projected > ENVIRONMENT_LIMIT_BYTES:
            raise ValidationError(
                f"cannot serve notebook {name!r}: the Lambda environment would need "
                f"{projected} bytes (limit {ENVIRONMENT_LIMIT_BYTES}, names counted at up to "
                f"{NOTEBOOK_NAME_MAX_LENGTH} characters); serve it by tag instead: add the "
                "NotebookInstance, or tag the existing notebook notebook-access:served-by "
                "(docs/fleet.md), which takes no room at all"
            )

    def add_name(self, name: str) -> None:
        """Append ``name`` to the served list, once ``check_name`` has let it in."""
        self.check_name(name)
        self._names.append(name)

    @staticmethod
    def _bytes(values: dict[str, str], longest: dict[str, int], names: Sequence[str]) -> int:
        counted = {key: "x" * chars for key, chars in longest.items()}
        counted.update((key, value) for key, value in values.items() if key not in longest)
        # The list is counted name by name, not as the Fn::Join token it is stored as.
        counted[Env.NOTEBOOK_NAMES] = ""
        return environment_bytes(counted, [(name, is_token(name)) for name in names])
