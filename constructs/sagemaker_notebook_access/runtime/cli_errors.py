"""notebook-url's exit codes and its one error type; text from elsewhere, made safe to show."""

from __future__ import annotations

from typing import NoReturn

PROG = "notebook-url"

EXIT_OK = 0
EXIT_API_ERROR = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3
EXIT_INTERRUPTED = 130

MAX_SHOWN_CHARS = 400


class CliError(Exception):
    """A failure with a message for the user and the exit code it maps to."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


def usage_error(message: str) -> NoReturn:
    raise CliError(message, EXIT_USAGE)


def shown(text: str, limit: int = MAX_SHOWN_CHARS) -> str:
    """Text from elsewhere, safe for a terminal: no control characters, bounded."""
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in text)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 3] + "..."
