"""One construct per stack under a fixed id: created by the first caller, found by the rest."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from aws_cdk import Stack
from constructs import Construct, IConstruct

T = TypeVar("T", bound=Construct)


def stack_singleton(
    scope: IConstruct, id: str, kind: type[T], create: Callable[[Stack, str], T] | None = None
) -> T:
    """The ``kind`` child ``id`` of ``scope``'s stack, made with ``create`` (default ``kind``)."""
    stack = Stack.of(scope)
    existing = stack.node.try_find_child(id)
    if isinstance(existing, kind):
        return existing
    return (create or kind)(stack, id)
