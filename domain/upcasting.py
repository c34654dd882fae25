"""Upcasters: stored events of an older schema version are read as the current one, never rewritten.

Each upcaster takes ``(type, version, data)`` to the next version. Reading applies them in a chain until
the event's class's current ``schema_version`` is reached."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

# (event type, from version) -> function producing the data of version + 1
UPCASTERS: dict[tuple[str, int], Upcaster] = {}


def upcast(type_: str, version: int, data: dict[str, Any], target: int) -> dict[str, Any]:
    while version < target:
        step = UPCASTERS.get((type_, version))
        if step is None:
            raise ValueError(f"no upcaster for {type_} v{version} -> v{version + 1}")
        data = step(data)
        version += 1
    return data
