"""Dependencies point down: entry points -> application -> domain and infra. Checked on the source (ast)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imported_packages(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def offenders(folder: str, forbidden: set[str], skip: str | None = None) -> list[str]:
    return sorted(
        f"{p.relative_to(ROOT)} imports {sorted(imported_packages(p) & forbidden)}"
        for p in (ROOT / folder).rglob("*.py")
        if imported_packages(p) & forbidden and not (skip and p.is_relative_to(ROOT / skip))
    )


def test_infra_never_imports_the_entry_points() -> None:
    assert offenders("infra", {"workers"}) == []


def test_only_the_http_entry_point_in_infra_uses_the_application_layer() -> None:
    assert offenders("infra", {"application"}, skip="infra/http") == []


def test_the_application_layer_does_not_import_entry_points() -> None:
    assert offenders("application", {"workers"}) == []


def test_the_domain_is_pure() -> None:
    assert offenders("domain", {"application", "infra", "workers", "workflows", "activities", "temporalio",
                                "asyncpg", "logging"}) == []
