"""A small evaluator for the CloudWatch Logs JSON filter patterns monitoring/operations.py writes.

It covers the subset CDK's logs.FilterPattern produces there: ``{ ... }`` with ``&&``,
``||``, parentheses, and ``$.key <op> value`` where value is a quoted string (``"*"``: any
value present) or a number ("Using filter patterns to match terms in JSON log events",
CloudWatch Logs user guide). A field that is absent, or of another type than the value it
is compared with, never matches. It is a model of the documented syntax, so tests can ask
which log lines a filter counts; only a real account shows CloudWatch's own answer.

Where it is stricter than CloudWatch (do not lean on these for new patterns): ``"*"``
matches strings only, ``!=`` on an absent field is False, and a ``*`` inside a longer
quoted value is not a wildcard. None hides a bug in monitoring/operations.py's patterns today: each
``!=`` there is paired with an existence check, or reads a field every line has.
"""

from __future__ import annotations

import json
import re
from typing import Any

_TOKEN = re.compile(
    r"\s*(?:(?P<op>&&|\|\||[()])|(?P<cmp>\$\.[A-Za-z0-9_]+\s*(?:!=|>=|<=|=|>|<)\s*"
    r'(?:"(?:[^"\\]|\\.)*"|-?[0-9.]+)))'
)
_COMPARISON = re.compile(r"\$\.(?P<key>[A-Za-z0-9_]+)\s*(?P<op>!=|>=|<=|=|>|<)\s*(?P<value>.+)")


def matches(pattern: str, line: dict[str, Any] | str) -> bool:
    """Whether the JSON filter ``pattern`` matches the log event ``line``."""
    event = json.loads(line) if isinstance(line, str) else line
    body = pattern.strip()
    if not (body.startswith("{") and body.endswith("}")):
        raise ValueError(f"not a JSON filter pattern: {pattern!r}")
    tokens = _tokens(body[1:-1])
    result, rest = _or(tokens, event)
    if rest:
        raise ValueError(f"unparsed {rest!r} in {pattern!r}")
    return result


def _tokens(text: str) -> list[str]:
    tokens, position = [], 0
    while position < len(text.rstrip()):
        found = _TOKEN.match(text, position)
        if found is None:
            raise ValueError(f"cannot read {text[position:]!r}")
        tokens.append((found.group("op") or found.group("cmp")).strip())
        position = found.end()
    return tokens


def _or(tokens: list[str], event: dict) -> tuple[bool, list[str]]:
    result, tokens = _and(tokens, event)
    while tokens and tokens[0] == "||":
        right, tokens = _and(tokens[1:], event)
        result = result or right
    return result, tokens


def _and(tokens: list[str], event: dict) -> tuple[bool, list[str]]:
    result, tokens = _term(tokens, event)
    while tokens and tokens[0] == "&&":
        right, tokens = _term(tokens[1:], event)
        result = result and right
    return result, tokens


def _term(tokens: list[str], event: dict) -> tuple[bool, list[str]]:
    if tokens[0] == "(":
        result, rest = _or(tokens[1:], event)
        if not rest or rest[0] != ")":
            raise ValueError("unbalanced parentheses")
        return result, rest[1:]
    return _compare(tokens[0], event), tokens[1:]


def _compare(comparison: str, event: dict) -> bool:
    parts = _COMPARISON.fullmatch(comparison)
    if parts is None:
        raise ValueError(f"not a comparison: {comparison!r}")
    key, op, raw = parts["key"], parts["op"], parts["value"].strip()
    if key not in event or event[key] is None:
        return False
    actual = event[key]
    if raw.startswith('"'):
        expected = json.loads(raw)
        if not isinstance(actual, str) or op not in ("=", "!="):
            return False
        if expected == "*":
            return op == "="
        return (actual == expected) == (op == "=")
    if isinstance(actual, bool) or not isinstance(actual, int | float):
        return False
    number = float(raw)
    return {
        "=": actual == number,
        "!=": actual != number,
        ">": actual > number,
        ">=": actual >= number,
        "<": actual < number,
        "<=": actual <= number,
    }[op]
