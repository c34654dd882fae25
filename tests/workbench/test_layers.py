"""The workbench is an entry point: nothing below it imports it, and it reaches the engine through the
application layer, never through another entry point."""

from __future__ import annotations

from tests.domain.test_layers import offenders


def test_nothing_below_the_workbench_imports_it() -> None:
    for folder in ("domain", "application", "infra", "workflows", "activities"):
        assert offenders(folder, {"workbench"}) == []


def test_the_workbench_does_not_import_other_entry_points() -> None:
    assert offenders("workbench", {"workers", "workflows", "activities", "temporalio"}) == []
