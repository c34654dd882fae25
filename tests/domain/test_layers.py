"""Dependencies point down: entry points -> application -> domain and infra, and one composition root
(bootstrap) assembles them. Checked on the source (ast), with no folder skipped."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENTRY_POINTS = {"entrypoints", "bootstrap", "workers"}
SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\s")


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def imported_packages(path: Path) -> set[str]:
    return {module.split(".")[0] for module in imported_modules(path)}


def offenders(folder: str, forbidden: set[str]) -> list[str]:
    return sorted(
        f"{p.relative_to(ROOT)} imports {sorted(imported_packages(p) & forbidden)}"
        for p in (ROOT / folder).rglob("*.py")
        if imported_packages(p) & forbidden
    )


def test_infra_holds_adapters_only() -> None:
    assert offenders("infra", {"application", "workflows", *ENTRY_POINTS}) == []


def test_the_application_layer_does_not_import_entry_points() -> None:
    assert offenders("application", ENTRY_POINTS) == []


def test_workflows_and_activities_do_not_import_the_layers_above() -> None:
    for folder in ("workflows", "activities"):
        assert offenders(folder, {"application", *ENTRY_POINTS}) == []


def test_the_domain_is_pure() -> None:
    assert offenders("domain", {"application", "infra", "workers", "workflows", "activities", "temporalio",
                                "asyncpg", "logging", *ENTRY_POINTS}) == []
def test_pages_and_routes_read_through_the_application_layer() -> None:
    """The HTTP API and the workbench reach the engine through application/: of infra they use only the log
    configuration and the outage classification (which error means a server is down)."""
    allowed = {"infra.logging", "infra.outages"}
    found = sorted(
        f"{p.relative_to(ROOT)} imports {module}"
        for folder in ("entrypoints/http", "entrypoints/workbench")
        for p in (ROOT / folder).rglob("*.py")
        for module in imported_modules(p)
        if module.split(".")[0] in {"infra", "workflows", "activities", "workers"} and module not in allowed
    )
    assert found == []


def test_no_sql_outside_infra() -> None:
    found = sorted(
        f"{p.relative_to(ROOT)}:{node.lineno}"
        for folder in ("domain", "application", "workflows", "activities", "workers", "entrypoints", "bootstrap")
        for p in (ROOT / folder).rglob("*.py")
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.match(node.value)
    )
    assert found == []
