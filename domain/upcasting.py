"""Upcasters: stored events of an older schema version are read as the current one, never rewritten.

Each upcaster takes ``(type, version, data)`` to the next version. Reading applies them in a chain until
the event's class's current ``schema_version`` is reached."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


def _not_accepted_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """v1 kept only the free-text reason; v2 adds the reason's code. Old texts are classified by the words
    mediators used for the three reasons of docs/domain.md; anything else is ``other``."""
    reason = str(data.get("reason", ""))
    if any(word in reason for word in ("诉讼", "仲裁", "法院", "litigation", "arbitration")):
        code = "in_litigation"
    elif any(word in reason for word in ("重复", "duplicate")):
        code = "duplicate"
    elif any(word in reason for word in ("范围", "职责", "scope")):
        code = "out_of_scope"
    else:
        code = "other"
    return {**data, "reason_code": code}


# (event type, from version) -> function producing the data of version + 1
UPCASTERS: dict[tuple[str, int], Upcaster] = {
    ("CaseNotAccepted", 1): _not_accepted_v1_to_v2,
}


def upcast(type_: str, version: int, data: dict[str, Any], target: int) -> dict[str, Any]:
    while version < target:
        step = UPCASTERS.get((type_, version))
        if step is None:
            raise ValueError(f"no upcaster for {type_} v{version} -> v{version + 1}")
        data = step(data)
        version += 1
    return data
