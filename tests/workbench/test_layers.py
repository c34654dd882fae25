"""The workbench is an entry point: nothing below it imports it, and it reaches the engine through the
application layer, never through another entry point."""

from __future__ import annotations

from tests.domain.test_layers import ROOT, imported_modules


def test_nothing_outside_the_entry_points_imports_them() -> None:
    for folder in ("domain", "application", "infra", "workflows", "activities", "workers"):
        for path in (ROOT / folder).rglob("*.py"):
            assert not {m for m in imported_modules(path) if m.split(".")[0] == "entrypoints"}, path


def test_the_workbench_does_not_import_other_entry_points() -> None:
    for path in (ROOT / "entrypoints" / "workbench").rglob("*.py"):
        others = {m for m in imported_modules(path)
                  if m.startswith("entrypoints.") and not m.startswith("entrypoints.workbench")}
        assert not others, f"{path} imports {others}"
