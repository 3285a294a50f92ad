"""One construct under a fixed id (of a parent, or of the stack): created by the first
caller, found by the rest."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from aws_cdk import Stack
from constructs import Construct, IConstruct

T = TypeVar("T", bound=Construct)


def child_singleton(
    parent: IConstruct, id: str, kind: type[T], create: Callable[[IConstruct, str], T] | None = None
) -> T:
    """The ``kind`` child ``id`` of ``parent``, made with ``create`` (default ``kind``)."""
    existing = parent.node.try_find_child(id)
    if isinstance(existing, kind):
        return existing
    return (create or kind)(parent, id)


def stack_singleton(
    scope: IConstruct, id: str, kind: type[T], create: Callable[[Stack, str], T] | None = None
) -> T:
    """The ``kind`` child ``id`` of ``scope``'s stack, made with ``create`` (default ``kind``)."""
    return child_singleton(Stack.of(scope), id, kind, create)
