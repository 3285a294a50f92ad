"""Template lookups shared by the tests: the resources of a type, and the one resource of a
type (optionally matching properties).

Both take an ``aws_cdk.assertions.Template`` or a template already read as JSON (a dict with
``Resources``, as the wheel test reads ``cdk.out``). ``properties`` is a partial match: every
key given must be present with that value (nested dicts are matched the same way, lists and
scalars must be equal), as ``Template.find_resources`` matches ``{"Properties": ...}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk.assertions import Template


def _matches(actual: Any, expected: Any) -> bool:
    if isinstance(expected, Mapping):
        return isinstance(actual, Mapping) and all(
            key in actual and _matches(actual[key], value) for key, value in expected.items()
        )
    return actual == expected


def resources(
    template: Template | Mapping, type_: str, properties: Mapping | None = None
) -> dict[str, dict]:
    """Every resource of ``type_`` (logical id -> resource), those matching ``properties``
    when given."""
    if isinstance(template, Template):
        if properties is None:
            return template.find_resources(type_)
        return template.find_resources(type_, {"Properties": dict(properties)})
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == type_
        and (properties is None or _matches(resource.get("Properties", {}), properties))
    }


def the_one(
    template: Template | Mapping, type_: str, properties: Mapping | None = None
) -> tuple[str, dict]:
    """The one resource of ``type_`` (matching ``properties`` when given) as (logical id,
    resource); fails naming how many there were."""
    found = resources(template, type_, properties)
    where = f" with {dict(properties)}" if properties else ""
    assert len(found) == 1, f"expected one {type_}{where}, found {len(found)}: {sorted(found)}"
    return next(iter(found.items()))
